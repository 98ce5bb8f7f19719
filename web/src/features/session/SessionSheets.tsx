import { Show } from 'solid-js';
import type { SessionModel } from './session-store.ts';
import { later } from '../../ui/later.ts';
import { toast } from '../../ui/toasts-store.ts';

export type SheetName = 'share' | 'policy' | 'audit';

// Sheets load on first open (precached by the service worker): they stay out of the first load.
const sheetFailed = () => toast('Could not load this sheet. Check your connection and try again.');
const ShareSheet = later(() => import('../share/ShareSheet.tsx').then((m) => m.ShareSheet), sheetFailed);
const PolicySheet = later(() => import('../approvals/PolicySheet.tsx').then((m) => m.PolicySheet), sheetFailed);
const PeopleSheet = later(() => import('../codrive/PeopleSheet.tsx').then((m) => m.PeopleSheet), sheetFailed);
const AuditSheet = later(() => import('./AuditSheet.tsx').then((m) => m.AuditSheet), sheetFailed);

/** The session's sheets over the page: audit (owner), share (capability share), policy, and who is here. */
export function SessionSheets(props: {
  s: SessionModel;
  sheet: SheetName | null;
  onClose: () => void;
  people: boolean;
  onPeopleClose: () => void;
}) {
  const s = props.s;
  return (
    <>
      <Show when={props.sheet === 'audit' && s.access()?.role === 'owner'}>
        <AuditSheet sessionId={s.sessionId} onClose={props.onClose} />
      </Show>
      <Show when={props.sheet === 'share' && s.can('share')}>
        <ShareSheet
          title={s.title()}
          state={s.share.state()}
          live={s.status().state === 'live'}
          canRevoke={s.can('revoke')}
          onCreate={(role, ms, label) => s.share.create(role, ms, label)}
          onRevoke={(id) => s.share.revoke(id)}
          onClose={props.onClose}
        />
      </Show>
      <Show when={props.sheet === 'policy'}>
        <PolicySheet
          policy={s.approvals.policy()}
          rules={s.approvals.rules()}
          canAdd={s.can('steer')}
          canRemove={(r) => s.approvals.canRemoveRule(r)}
          onAdd={(r) => s.approvals.addRule(r)}
          onRemove={(r) => {
            // loosening the policy waits for the owner's confirmation on the approval card
            if (s.approvals.removeRule(r) && r.decision !== 'allow') props.onClose();
          }}
          onClose={props.onClose}
        />
      </Show>
      <Show when={props.people}>
        <PeopleSheet
          people={s.co.people()}
          me={s.co.me.deviceId}
          runnerOnline={s.presence()?.runnerOnline ?? false}
          onClose={props.onPeopleClose}
        />
      </Show>
    </>
  );
}
