import type { CommentsApi } from '../comments/comments-store.ts';
import { AgentBubble, PersonBubble } from './Bubbles.tsx';
import type { Item } from './items-model.ts';
import { AgentError, ApprovalLine, DecisionLine, ModelLine, PolicyLine, StartedLine, StatusLine } from './Lines.tsx';
import { ToolCall } from './ToolCall.tsx';
import { TurnStart, TurnView, UsageLine } from './TurnView.tsx';

/** One timeline item, by its type: a text-only rendering of untrusted content. */
export function ItemView(props: { item: Item; open: boolean; onToggle: () => void; comments?: CommentsApi | undefined }) {
  // Items are immutable: a changed item is a new row, so reading fields once is fine here.
  const item = props.item;
  switch (item.type) {
    case 'started':
      return <StartedLine item={item} />;
    case 'status':
      return <StatusLine item={item} />;
    case 'agent':
      return <AgentBubble item={item} />;
    case 'user':
    case 'steer':
      return <PersonBubble item={item} />;
    case 'interrupt':
      return <div class="line interrupt">{item.actor.name} interrupted the agent</div>;
    case 'model':
      return <ModelLine item={item} />;
    case 'policy':
      return <PolicyLine item={item} />;
    case 'turn-start':
      return <TurnStart item={item} />;
    case 'turn':
      return <TurnView item={item} open={props.open} onToggle={props.onToggle} />;
    case 'usage':
      return (
        <div class="line">
          <UsageLine usage={item.usage} />
        </div>
      );
    case 'error':
      return <AgentError item={item} />;
    case 'tool':
      return (
        <ToolCall
          item={item}
          open={props.open}
          onToggle={props.onToggle}
          lines={
            props.comments?.canComment()
              ? {
                  selected: (of) => props.comments!.selectedLines(item, of),
                  pick: (of, n, ext) => props.comments!.pickLine(item, of, n, ext),
                }
              : undefined
          }
        />
      );
    case 'approval':
      return <ApprovalLine item={item} />;
    case 'decision':
      return <DecisionLine item={item} />;
  }
}
