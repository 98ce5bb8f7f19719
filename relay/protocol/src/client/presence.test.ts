import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { PresenceBody, type PersonPresence } from '../presence.ts';
import { applyPresenceDelta } from './presence.ts';

const person = (deviceId: string, name = deviceId, idle = false): PersonPresence => ({
  name,
  device: 'Pixel',
  deviceId,
  role: 'viewer',
  idle,
  typing: false,
});

describe('applyPresenceDelta', () => {
  const list = { runnerOnline: false, people: [person('a'), person('b'), person('c')] };

  it.each([
    ['replaces people in place (by deviceId)', { runnerOnline: false, upsert: [person('b', 'Bo', true)], gone: [] }, ['a', 'Bo', 'c']],
    ['adds new people at the end', { runnerOnline: false, upsert: [person('d')], gone: [] }, ['a', 'b', 'c', 'd']],
    ['drops devices gone', { runnerOnline: false, upsert: [], gone: ['a', 'c'] }, ['b']],
    ['ignores a gone device it never had', { runnerOnline: false, upsert: [], gone: ['zz'] }, ['a', 'b', 'c']],
  ])('%s', (_what, delta, names) => {
    const next = applyPresenceDelta(list, delta);
    expect(next.people.map((p) => p.name)).toEqual(names);
    expect(v.is(PresenceBody, next)).toBe(true);
  });

  it('takes the runner state from the delta and leaves the old list alone', () => {
    const next = applyPresenceDelta(list, { runnerOnline: true, upsert: [], gone: ['a'] });
    expect(next.runnerOnline).toBe(true);
    expect(list.people).toHaveLength(3);
  });
});
