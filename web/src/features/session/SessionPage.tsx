import { Show, createEffect, createMemo, createSignal, on, onCleanup, onMount, untrack } from 'solid-js';
import { connectionText } from './connection-model.ts';
import { shortHash } from '../../lib/format.ts';
import { usageText, usageTotalText } from '../timeline/usage-model.ts';
import { enablePush, pushError, pushState } from './push-store.ts';
import { createSession, type SessionModel } from './session-store.ts';
import { followOf, linkHints } from './follows-store.ts';
import { name } from './identity-store.ts';
import { ApprovalCard } from '../approvals/ApprovalCard.tsx';
import { Composer } from '../codrive/Composer.tsx';
import { BackIcon, ShieldIcon } from '../../ui/icons.tsx';
import { NamePrompt } from './NamePrompt.tsx';
import { ModelSheet } from './ModelSheet.tsx';
import { LinkClosed, LinkError, NeedLink, isLinkClosed } from './Pages.tsx';
import { Timeline } from '../timeline/Timeline.tsx';
import { later } from '../../ui/later.ts';
import { toast } from '../../ui/toasts-store.ts';
import { QueuePanel } from '../codrive/QueuePanel.tsx';
import { CoDriveBar } from '../codrive/CoDriveBar.tsx';
import { createComments } from '../comments/comments-store.ts';
import { SessionMenu } from './SessionMenu.tsx';
import { forkIsReadOnly } from './fork-model.ts';

// Sheets load on first open (precached by the service worker): they stay out of the first load.
const sheetFailed = () => toast('Could not load this sheet. Check your connection and try again.');
const ShareSheet = later(() => import('../share/ShareSheet.tsx').then((m) => m.ShareSheet), sheetFailed);
const PolicySheet = later(() => import('../approvals/PolicySheet.tsx').then((m) => m.PolicySheet), sheetFailed);
const PeopleSheet = later(() => import('../codrive/PeopleSheet.tsx').then((m) => m.PeopleSheet), sheetFailed);
const AuditSheet = later(() => import('./AuditSheet.tsx').then((m) => m.AuditSheet), sheetFailed);
const CommentsBar = later(() => import('../comments/CommentThreads.tsx').then((m) => m.CommentsBar));
const ForkBanner = later(() => import('./Fork.tsx').then((m) => m.ForkBanner));

/** /s/:id — needs a followed session (token) and a display name before it connects. */
export function SessionGate(props: { sessionId: string }) {
  const token = createMemo(() => followOf(props.sessionId)?.token ?? null);
  const initialName = () => {
    const hints = linkHints();
    const mine = hints?.sessionId === props.sessionId ? hints : null;
    if (mine?.nameHint) return mine.nameHint;
    if (mine?.roleHint === 'owner' || followOf(props.sessionId)?.role === 'owner') return 'Owner';
    return '';
  };
  return (
    <Show when={token()} keyed fallback={<NeedLink />}>
      {(_token) => (
        <Show when={name()} fallback={<NamePrompt initial={untrack(initialName)} />}>
          <SessionPage sessionId={props.sessionId} />
        </Show>
      )}
    </Show>
  );
}

function SessionPage(props: { sessionId: string }) {
  const s = createSession(props.sessionId);
  const ticketFatal = () => {
    const f = s.status().fatal;
    return f && f.source === 'ticket' ? f : null;
  };
  // A revoked or expired link ends the session page, live or not: say so in full.
  const closedLink = () => {
    const f = s.status().fatal;
    return f && f.source === 'socket' && isLinkClosed(f.code) ? f.code : null;
  };
  return (
    <Show when={ticketFatal()} keyed fallback={
      <Show when={closedLink()} keyed fallback={<SessionView s={s} />}>
        {(code) => <LinkClosed code={code} sessionId={props.sessionId} title={s.title()} />}
      </Show>
    }>
      {(f) => <LinkError fatal={f} sessionId={props.sessionId} />}
    </Show>
  );
}

function SessionView(props: { s: SessionModel }) {
  const s = props.s;
  const online = () => s.presence()?.runnerOnline ?? false;
  const people = () => s.presence()?.people.length ?? 0;
  const socketFatal = () => {
    const f = s.status().fatal;
    return f && f.source === 'socket' ? f : null;
  };
  const oldest = () => s.pending()[0];
  const totals = () => s.timeline().totals;
  const hasUsage = () => totals().priced + totals().unpriced > 0;
  const [modelOpen, setModelOpen] = createSignal(false);
  const [peopleOpen, setPeopleOpen] = createSignal(false);
  const [sheet, setSheet] = createSignal<'share' | 'policy' | 'audit' | null>(null);
  const comments = createComments(s);
  const openShare = () => {
    s.refreshLinks();
    setSheet('share');
  };
  const shownModel = () => s.pendingModel() ?? s.model();
  const knownModels = createMemo(() => {
    const t = s.timeline();
    const seen = new Set(t.totals.models);
    for (const item of t.items) if ((item.type === 'model' || item.type === 'turn-start') && item.model) seen.add(item.model);
    return [...seen];
  });

  let scroller: HTMLElement | undefined;
  const [stuck, setStuck] = createSignal(true);
  // The view follows the session while the reader is at the bottom. A scroll event right
  // after the content changed (events poured in, rows left the top) is ours to undo; the
  // reader leaves by a gesture (wheel, touch, keys, the scrollbar) or any other scroll with
  // nothing new (a screen reader, find in page).
  let gestureAt = -Infinity;
  let holdingScrollbar = false;
  let changes = 0;
  let changesSeen = 0;
  const onGesture = () => (gestureAt = performance.now());
  const toBottom = () => {
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  };
  // checked when it runs: the reader may have left since, or still be moving
  const follow = () => {
    if (untrack(stuck) && !holdingScrollbar && performance.now() - gestureAt > 150) toBottom();
  };
  let lastTop = 0;
  const onScroll = () => {
    if (!scroller) return;
    const changed = changes !== changesSeen;
    const up = scroller.scrollTop < lastTop;
    changesSeen = changes;
    lastTop = scroller.scrollTop;
    if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 96) setStuck(true);
    // the scroller has no scroll anchoring: only the reader moves the view up
    else if (holdingScrollbar || (up && (performance.now() - gestureAt < 1000 || !changed))) setStuck(false);
    else if (untrack(stuck)) requestAnimationFrame(follow);
  };
  const onKey = (e: KeyboardEvent) => {
    if (!(e.target instanceof HTMLElement && e.target.closest('input, textarea, select'))) onGesture();
  };
  const onRelease = () => (holdingScrollbar = false);
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerup', onRelease);
  document.addEventListener('pointercancel', onRelease);
  onCleanup(() => {
    document.removeEventListener('keydown', onKey);
    document.removeEventListener('pointerup', onRelease);
    document.removeEventListener('pointercancel', onRelease);
  });
  const contentChanged = () => {
    changes++;
    if (untrack(stuck)) requestAnimationFrame(follow);
  };
  createEffect(on([() => s.timeline().items, s.outbox, () => oldest()?.approvalId], contentChanged));
  // rows also grow later (a lazily loaded part, an opened tool call, the composer): follow those too
  onMount(() => {
    const list = scroller?.querySelector('.timeline');
    if (!list || typeof ResizeObserver === 'undefined') return;
    const resized = new ResizeObserver(contentChanged);
    resized.observe(list);
    onCleanup(() => resized.disconnect());
  });

  return (
    <div class="session">
      <header class="topbar">
        <a class="back" href="/" aria-label="All sessions">
          <BackIcon />
        </a>
        <div class="topbar-main">
          <h1 class="session-name" data-testid="session-title">
            {s.title()}
          </h1>
          <div class="topbar-meta">
            <span class="pill presence" data-testid="runner-presence" data-online={String(online())}>
              <span class="dot" aria-hidden="true" />
              {online() ? 'Agent online' : 'Agent offline'}
            </span>
            <span class="pill connection" data-testid="connection" data-state={s.status().state} role="status">
              {connectionText(s.status())}
            </span>
            <Show when={people() > 0}>
              <button type="button" class="muted small people-open" data-testid="people-open" aria-haspopup="dialog" onClick={() => setPeopleOpen(true)}>
                <span data-testid="people">{people()} here</span>
              </button>
            </Show>
            <Show when={s.access()}>
              {(a) => (
                <span class="role" data-testid="role" data-role={a().role}>
                  {a().role}
                </span>
              )}
            </Show>
            <Show
              when={s.can('steer')}
              fallback={
                <Show when={s.model()}>
                  <span class="pill model mono" data-testid="model" title="Model">
                    {s.model()}
                  </span>
                </Show>
              }
            >
              <button
                type="button"
                class="pill model model-switch"
                data-testid="model-switch"
                data-model={s.model() ?? ''}
                aria-expanded={modelOpen()}
                title="Switch the model for the next turn"
                onClick={() => setModelOpen((o) => !o)}
              >
                <span class="mono">{shownModel() ?? 'Model'}</span>
                {s.pendingModel() ? ' (sending…)' : ''} ▾
              </button>
            </Show>
            <button
              type="button"
              class="pill policy-pill"
              data-testid="policy-open"
              aria-haspopup="dialog"
              title={s.policy() ? `Policy in force: ${s.policy()!.name} (${s.policy()!.hash})` : 'Policy and session rules'}
              onClick={() => setSheet('policy')}
            >
              <ShieldIcon />
              <Show when={s.policy()} fallback="Policy">
                {(p) => (
                  <>
                    <span class="policy-pill-name">{p().name}</span>
                    <span class="mono" data-testid="policy-hash" data-hash={p().hash}>
                      {shortHash(p().hash)}
                    </span>
                  </>
                )}
              </Show>
              <Show when={s.rules().length > 0}>
                <span class="rule-count" data-testid="rule-count">
                  +{s.rules().length}
                </span>
              </Show>
            </button>
            <Show when={hasUsage()}>
              <span
                class="pill usage-total"
                data-testid="usage-total"
                data-unpriced={String(totals().unpriced > 0)}
                title={`This session: ${usageText(totals())}`}
              >
                {usageTotalText(totals())}
              </span>
            </Show>
          </div>
        </div>
        <Show when={s.can('share')}>
          <button type="button" class="btn secondary share-btn" data-testid="share-open" aria-haspopup="dialog" onClick={openShare}>
            Share
          </button>
        </Show>
        <SessionMenu muted={s.muted()} onMute={(on) => s.setMuted(on)} isOwner={s.access()?.role === 'owner'} onAudit={() => setSheet('audit')} />
      </header>

      <Show when={sheet() === 'audit' && s.access()?.role === 'owner'}>
        <AuditSheet sessionId={s.sessionId} onClose={() => setSheet(null)} />
      </Show>
      <Show when={sheet() === 'share' && s.can('share')}>
        <ShareSheet
          title={s.title()}
          state={s.share()}
          live={s.status().state === 'live'}
          canRevoke={s.can('revoke')}
          onCreate={(role, ms, label) => s.createLink(role, ms, label)}
          onRevoke={(id) => s.revokeLink(id)}
          onClose={() => setSheet(null)}
        />
      </Show>
      <Show when={sheet() === 'policy'}>
        <PolicySheet
          policy={s.policy()}
          rules={s.rules()}
          canAdd={s.can('steer')}
          canRemove={(r) => s.canRemoveRule(r)}
          onAdd={(r) => s.addRule(r)}
          onRemove={(r) => {
            // loosening the policy waits for the owner's confirmation on the approval card
            if (s.removeRule(r) && r.decision !== 'allow') setSheet(null);
          }}
          onClose={() => setSheet(null)}
        />
      </Show>

      <Show when={peopleOpen()}>
        <PeopleSheet people={s.co.people()} me={s.co.me.deviceId} runnerOnline={online()} onClose={() => setPeopleOpen(false)} />
      </Show>

      <Show when={socketFatal()}>
        {(f) => (
          <div class="banner error" data-testid="closed-reason" data-code={f().code} role="alert">
            <span>{f().message}</span>
            <Show when={f().code === 'session_ended'}>
              <button type="button" class="link-button" onClick={() => s.retry()}>
                Reconnect
              </button>
            </Show>
          </div>
        )}
      </Show>

      <Show when={s.forkOf()}>
        {(f) => (
          <ForkBanner
            sessionId={s.sessionId}
            forkOf={f()}
            readOnly={forkIsReadOnly(f().seq, s.timeline().events.values(), online())}
            isOwner={s.access()?.role === 'owner'}
          />
        )}
      </Show>

      <Show when={s.can('approve') && pushState() !== 'on' && pushState() !== 'unsupported'}>
        <div class="notify-bar">
          <span class="notify-text">{pushError() ?? 'Get notified when the agent asks.'}</span>
          <button
            type="button"
            class="btn small-btn"
            data-testid="enable-notifications"
            data-push-state={pushState()}
            disabled={pushState() === 'asking' || pushState() === 'subscribing' || pushState() === 'blocked'}
            onClick={() => void enablePush()}
          >
            {pushLabel(pushState())}
          </button>
        </div>
      </Show>

      <main
        class="scroller"
        ref={scroller}
        onScroll={onScroll}
        onWheel={onGesture}
        onTouchMove={onGesture}
        // a press on the scroller itself (not its content) is its scrollbar
        onPointerDown={(e) => (holdingScrollbar = e.target === e.currentTarget)}
      >
        <Show when={s.timeline().items.length === 0 && s.outbox().length === 0}>
          <p class="empty timeline-empty">
            {s.status().state === 'live' ? 'Nothing has happened in this session yet.' : 'Loading the session…'}
          </p>
        </Show>
        <Timeline timeline={s.timeline()} queued={s.outbox()} onCancel={(id) => s.cancelQueued(id)} comments={comments} forkFrom={s.can('send') ? s.sessionId : undefined} following={stuck()} />
        <Show when={!stuck()}>
          <button
            type="button"
            class="jump"
            onClick={() => {
              toBottom();
              setStuck(true);
            }}
          >
            ↓ Latest
          </button>
        </Show>
      </main>

      <footer class="dock">
        <Show when={modelOpen() && s.can('steer')}>
          <ModelSheet current={s.model()} known={knownModels()} onSave={(m) => s.setModel(m)} onClose={() => setModelOpen(false)} />
        </Show>
        <CommentsBar api={comments} />
        <QueuePanel co={s.co} />
        <Show when={oldest()} keyed>
          {(a) => (
            <ApprovalCard
              approval={a}
              count={s.pending().length}
              canApprove={s.canDecide(a)}
              sending={s.deciding().has(a.approvalId)}
              onDecide={(d, always) => s.decide(a.approvalId, d, always)}
            />
          )}
        </Show>
        <CoDriveBar co={s.co} canSend={s.can('send')} isOwner={s.can('lead')} />
        <Show
          when={s.can('send') || s.can('steer') || s.can('interrupt')}
          fallback={
            <Show when={s.access()}>
              <p class="viewer-note">You are watching{s.access()?.role ? ` as ${s.access()!.role}` : ''}.</p>
            </Show>
          }
        >
          <Composer
            canSend={s.can('send')}
            canSteer={s.can('steer')}
            canInterrupt={s.can('interrupt')}
            live={s.status().state === 'live'}
            steerBlocked={s.co.heldBy() ? `${s.co.heldBy()!.name} has the wheel: ${s.can('lead') ? 'take it' : 'ask for it'} to steer` : null}
            onTyping={() => s.co.keystroke()}
            onSend={(t) => {
              const sent = s.sendMessage(t);
              if (sent) {
                setStuck(true);
                requestAnimationFrame(toBottom);
              }
              return sent;
            }}
            onSteer={(t) => {
              const sent = s.steer(t);
              if (sent) {
                setStuck(true);
                requestAnimationFrame(toBottom);
              }
              return sent;
            }}
            onInterrupt={() => s.interrupt()}
          />
        </Show>
      </footer>
    </div>
  );
}

function pushLabel(state: ReturnType<typeof pushState>): string {
  switch (state) {
    case 'asking':
      return 'Asking…';
    case 'subscribing':
      return 'Subscribing…';
    case 'blocked':
      return 'Notifications blocked';
    case 'failed':
      return 'Try again';
    default:
      return 'Enable notifications';
  }
}
