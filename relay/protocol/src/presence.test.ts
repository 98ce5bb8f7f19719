// Who is here: whole lists and deltas.
import { DeviceKind, PersonPresence, PresenceBody, PresenceDeltaBody } from './presence.ts';
import { personPresence } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

schemaTable(
  'DeviceKind',
  DeviceKind,
  [
    ['phone', 'phone'],
    ['tablet', 'tablet'],
    ['desktop', 'desktop'],
  ],
  [['a watch', 'watch', ': picklist']],
);

schemaTable(
  'PersonPresence',
  PersonPresence,
  [
    ['a person typing', personPresence],
    ['with a device kind', { ...personPresence, deviceKind: 'phone' }],
  ],
  [
    ['no device (presence always names it)', without(personPresence, 'device'), 'device: missing'],
    ['idle as text', { ...personPresence, idle: 'no' }, 'idle: boolean'],
    ['a runner role', { ...personPresence, role: 'runner' }, 'role: picklist'],
    ['a name over 80', { ...personPresence, name: long(81) }, 'name: max_length'],
  ],
);

schemaTable(
  'PresenceBody',
  PresenceBody,
  [
    ['nobody here, runner offline', { runnerOnline: false, people: [] }],
    ['two people', { runnerOnline: true, people: [personPresence, { ...personPresence, deviceId: 'dev-bo' }] }],
  ],
  [
    ['no runner state', { people: [] }, 'runnerOnline: missing'],
    ['a person without device id', { runnerOnline: true, people: [without(personPresence, 'deviceId')] }, 'people.0.deviceId: missing'],
  ],
);

schemaTable(
  'PresenceDeltaBody',
  PresenceDeltaBody,
  [['one changed, one gone', { runnerOnline: true, upsert: [personPresence], gone: ['dev-bo'] }]],
  [
    ['no gone list', { runnerOnline: true, upsert: [] }, 'gone: missing'],
    ['a gone device id over 80', { runnerOnline: true, upsert: [], gone: [long(81)] }, 'gone.0: max_length'],
    ['an upsert that is not a person', { runnerOnline: true, upsert: ['dev-ana'], gone: [] }, 'upsert.0: object'],
  ],
);
