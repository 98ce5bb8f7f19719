// The shared message queue and the wheel.
import { QueueBody, QueueItem } from './queue.ts';
import { queueBody } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

const item = queueBody.items[0];
const bo = { name: 'Bo', device: 'iPhone', deviceId: 'dev-bo' };

schemaTable(
  'QueueItem',
  QueueItem,
  [
    ['a queued message', item],
    ['edited and held', { ...item, edited: true, held: 'Bo has the wheel' }],
  ],
  [
    ['a text over 16 KiB', { ...item, text: long(16 * 1024 + 1) }, 'text: max_length'],
    ['an author without device id', { ...item, by: { name: 'Ana' } }, 'by.deviceId: missing'],
    ['a held reason over 200', { ...item, held: long(201) }, 'held: max_length'],
    ['an empty queue id', { ...item, queueId: '' }, 'queueId: min_length'],
  ],
);

schemaTable(
  'QueueBody',
  QueueBody,
  [
    ['one message, nobody at the wheel', queueBody],
    ['Bo at the wheel, Ana asking', { items: [], wheel: { holder: bo, requests: [{ name: 'Ana', deviceId: 'dev-ana' }] }, agent: 'idle' }],
    ['the agent offline', { ...queueBody, agent: 'offline' }],
  ],
  [
    ['an unknown agent state', { ...queueBody, agent: 'sleeping' }, 'agent: picklist'],
    ['no wheel', without(queueBody, 'wheel'), 'wheel: missing'],
    ['a holder that is a name only', { ...queueBody, wheel: { holder: 'Bo', requests: [] } }, 'wheel.holder: object'],
  ],
);
