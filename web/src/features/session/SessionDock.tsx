import { Show, createMemo } from 'solid-js';
import type { SessionModel } from './session-store.ts';
import { later } from '../../ui/later.ts';
import type { CommentsApi } from '../comments/comments-store.ts';
import { ApprovalCard } from '../approvals/ApprovalCard.tsx';
import { CoDriveBar } from '../codrive/CoDriveBar.tsx';
import { Composer } from '../codrive/Composer.tsx';
import { QueuePanel } from '../codrive/QueuePanel.tsx';
import { ModelSheet } from './ModelSheet.tsx';
import './SessionDock.css';

const CommentsBar = later(() => import('../comments/CommentThreads.tsx').then((m) => m.CommentsBar));

/**
 * The thumb zone under the timeline: the model sheet, comments to send, the shared queue, the
 * oldest pending approval, the wheel and the composer (or what a viewer is).
 */
export function SessionDock(props: {
  s: SessionModel;
  comments: CommentsApi;
  modelOpen: boolean;
  onModelClose: () => void;
  onSent: () => void;
}) {
  const s = props.s;
  const oldest = () => s.approvals.pending()[0];
  const knownModels = createMemo(() => {
    const t = s.timeline();
    const seen = new Set(t.totals.models);
    for (const item of t.items) if ((item.type === 'model' || item.type === 'turn-start') && item.model) seen.add(item.model);
    return [...seen];
  });
  // what the person sent shows at the bottom: follow it there
  const sent = (ok: boolean) => {
    if (ok) props.onSent();
    return ok;
  };
  return (
    <footer class="dock">
      <Show when={props.modelOpen && s.can('steer')}>
        <ModelSheet current={s.model()} known={knownModels()} onSave={(m) => s.setModel(m)} onClose={props.onModelClose} />
      </Show>
      <CommentsBar api={props.comments} />
      <QueuePanel co={s.co} />
      <Show when={oldest()} keyed>
        {(a) => (
          <ApprovalCard
            approval={a}
            count={s.approvals.pending().length}
            canApprove={s.approvals.canDecide(a)}
            sending={s.approvals.deciding().has(a.approvalId)}
            onDecide={(d, always) => s.approvals.decide(a.approvalId, d, always)}
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
          onSend={(t) => sent(s.sendMessage(t))}
          onSteer={(t) => sent(s.steer(t))}
          onInterrupt={() => s.interrupt()}
        />
      </Show>
    </footer>
  );
}
