import { expect, test } from 'vitest';
import { newSessionId } from './auth.ts';

// (the MAC check itself needs workerd's timingSafeEqual: the relay tests show made-up ids refused)

test('a session id never starts with "-", so it can be pasted into a command', async () => {
  // one random id in 64 would start with "-": 3000 ids catch a regression all but surely
  const ids = await Promise.all(Array.from({ length: 3000 }, () => newSessionId('secret')));
  expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
  expect(new Set(ids).size).toBe(ids.length);
});
