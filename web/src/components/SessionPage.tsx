import { Show, createEffect, createMemo, createSignal, on, untrack } from 'solid-js';
import { connectionText, usageText, usageTotalText } from '../format.ts';
import { enablePush, pushError, pushState } from '../push.ts';
import { createSession, type SessionModel } from '../session.ts';
import { followOf, linkHints, name } from '../state.ts';
import { ApprovalCard } from './ApprovalCard.tsx';
import { Composer } from './Composer.tsx';
import { BackIcon } from './icons.tsx';
import { NamePrompt } from './NamePrompt.tsx';
import { ModelSheet } from './ModelSheet.tsx';
import { LinkError, NeedLink } from './Pages.tsx';
import { Timeline } from './Timeline.tsx';

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
  return (
    <Show when={ticketFatal()} fallback={<SessionView s={s} />}>
      {(f) => <LinkError fatal={f()} sessionId={props.sessionId} />}
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
  const shownModel = () => s.pendingModel() ?? s.model();
  const knownModels = createMemo(() => {
    const t = s.timeline();
    const seen = new Set(t.totals.models);
    for (const item of t.items) if ((item.type === 'model' || item.type === 'turn-start') && item.model) seen.add(item.model);
    return [...seen];
  });

  let scroller: HTMLElement | undefined;
  const [stuck, setStuck] = createSignal(true);
  const onScroll = () => {
    if (scroller) setStuck(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 96);
  };
  const toBottom = () => {
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  };
  createEffect(
    on([() => s.timeline().items, s.outbox, () => oldest()?.approvalId], () => {
      if (untrack(stuck)) requestAnimationFrame(toBottom);
    }),
  );

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
              <span class="muted small" data-testid="people">
                {people()} here
              </span>
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
      </header>

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

      <main class="scroller" ref={scroller} onScroll={onScroll}>
        <Show when={s.timeline().items.length === 0 && s.outbox().length === 0}>
          <p class="empty timeline-empty">
            {s.status().state === 'live' ? 'Nothing has happened in this session yet.' : 'Loading the session…'}
          </p>
        </Show>
        <Timeline timeline={s.timeline()} queued={s.outbox()} onCancel={(id) => s.cancelQueued(id)} />
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
        <Show when={oldest()} keyed>
          {(a) => (
            <ApprovalCard
              approval={a}
              count={s.pending().length}
              canApprove={s.can('approve')}
              sending={s.deciding().has(a.approvalId)}
              onDecide={(d) => s.decide(a.approvalId, d)}
            />
          )}
        </Show>
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
