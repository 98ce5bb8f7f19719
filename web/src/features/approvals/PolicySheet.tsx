import { For, Show, createSignal } from 'solid-js';
import type { SessionRule, SessionRuleSpec } from '@tandem/protocol';
import { RULE_TOOLS, ruleText, toolLabel } from './rules-model.ts';
import { clockTime, shortHash } from '../../lib/format.ts';
import type { PolicyInForce } from '../timeline/items-model.ts';
import { Sheet } from '../../ui/Sheet.tsx';
import './PolicySheet.css';

/**
 * The policy set in force (name and hash) and the session rules people added, with Remove
 * where this person may, and a form to add a deny/ask rule (capability steer).
 */
export function PolicySheet(props: {
  policy: PolicyInForce | null;
  rules: readonly SessionRule[];
  canAdd: boolean;
  canRemove: (rule: SessionRule) => boolean;
  onAdd: (rule: SessionRuleSpec) => boolean;
  onRemove: (rule: SessionRule) => void;
  onClose: () => void;
}) {
  return (
    <Sheet title="Policy" testid="policy-sheet" onClose={props.onClose}>
      <Show when={props.policy} fallback={<p class="muted">The runner has not said which policy it enforces.</p>}>
        {(p) => (
          <p class="policy-in-force">
            <span class="policy-name">{p().name}</span>
            <span class="mono small muted" data-testid="policy-full-hash" title="The hash of the policy files and session rules in force">
              {' '}
              · {shortHash(p().hash)}
            </span>
          </p>
        )}
      </Show>

      <h3 class="sheet-subhead">Session rules</h3>
      <Show
        when={props.rules.length > 0}
        fallback={
          <p class="muted small" data-testid="no-session-rules">
            No session rules yet. Rules added here run before the agent's own policies.
          </p>
        }
      >
        <ul class="rule-list">
          <For each={props.rules}>{(r) => <RuleRow rule={r} canRemove={props.canRemove(r)} onRemove={() => props.onRemove(r)} />}</For>
        </ul>
      </Show>

      <Show when={props.canAdd}>
        <RuleForm onAdd={props.onAdd} />
      </Show>
    </Sheet>
  );
}

function RuleRow(props: { rule: SessionRule; canRemove: boolean; onRemove: () => void }) {
  const [asked, setAsked] = createSignal(false);
  return (
    <li class="rule-row" data-testid="session-rule" data-rule-id={props.rule.ruleId} data-decision={props.rule.decision}>
      <div class="rule-main">
        <span class="rule-decision" data-decision={props.rule.decision}>
          {props.rule.decision === 'allow' ? 'always allow' : props.rule.decision}
        </span>{' '}
        <span>{toolLabel(props.rule.tool)}</span> <code class="rule-pattern">{props.rule.pattern}</code>
      </div>
      <div class="muted small">
        {/* the runner's default reasons already say who */}
        {props.rule.reason.includes(props.rule.by.name) ? props.rule.reason : `${props.rule.reason} · by ${props.rule.by.name}`} ·{' '}
        {clockTime(props.rule.at)}
      </div>
      <Show when={props.canRemove}>
        <button
          type="button"
          class="btn ghost small-btn-ghost"
          data-testid="rule-remove"
          disabled={asked()}
          title={props.rule.decision === 'allow' ? 'Remove this rule' : 'Removing it loosens the policy: confirm it on the approval card'}
          onClick={() => {
            setAsked(true);
            props.onRemove();
            // the runner confirms (an owner-only approval for deny/ask rules) or the list changes
            setTimeout(() => setAsked(false), 10_000);
          }}
        >
          {asked() ? 'Asked…' : 'Remove'}
        </button>
      </Show>
    </li>
  );
}

function RuleForm(props: { onAdd: (rule: SessionRuleSpec) => boolean }) {
  const [tool, setTool] = createSignal<string>(RULE_TOOLS[0].value);
  const [pattern, setPattern] = createSignal('');
  const [decision, setDecision] = createSignal<'deny' | 'ask'>('deny');
  const [reason, setReason] = createSignal('');
  const hint = () => RULE_TOOLS.find((t) => t.value === tool())?.hint ?? '';
  const preview = () => ruleText({ tool: tool(), pattern: pattern().trim() || '…', decision: decision() });
  return (
    <form
      class="rule-form"
      data-testid="rule-form"
      onSubmit={(e) => {
        e.preventDefault();
        const p = pattern().trim();
        if (!p) return;
        const r = reason().trim();
        if (props.onAdd({ tool: tool(), pattern: p, decision: decision(), ...(r ? { reason: r } : {}) })) {
          setPattern('');
          setReason('');
        }
      }}
    >
      <h3 class="sheet-subhead">Add a rule</h3>
      <div class="rule-fields">
        <label class="field">
          <span class="sheet-label">Decision</span>
          <select
            class="text-input"
            data-testid="rule-decision"
            value={decision()}
            onChange={(e) => setDecision(e.currentTarget.value as 'deny' | 'ask')}
          >
            <option value="deny">Deny</option>
            <option value="ask">Ask first</option>
          </select>
        </label>
        <label class="field">
          <span class="sheet-label">Tool</span>
          <select class="text-input" data-testid="rule-tool" value={tool()} onChange={(e) => setTool(e.currentTarget.value)}>
            <For each={RULE_TOOLS}>{(t) => <option value={t.value}>{t.label}</option>}</For>
          </select>
        </label>
      </div>
      <label class="field">
        <span class="sheet-label">Pattern</span>
        <input
          class="text-input mono"
          data-testid="rule-pattern"
          required
          maxLength={500}
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          placeholder={hint()}
          value={pattern()}
          onInput={(e) => setPattern(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span class="sheet-label">Reason (optional, shown to the agent)</span>
        <input
          class="text-input"
          data-testid="rule-reason"
          maxLength={500}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <p class="muted small">
        Adds <span class="mono">{preview()}</span>. Rules can only make the policy stricter.
      </p>
      <button type="submit" class="btn primary" data-testid="rule-add" disabled={!pattern().trim()}>
        Add rule
      </button>
    </form>
  );
}
