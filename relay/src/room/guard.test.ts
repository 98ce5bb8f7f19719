import { expect, test } from 'vitest';
import { guard } from './guard.ts';

test('a guarded entry point passes its answer through, and on failure logs it and answers instead', async () => {
  const logged: [string, unknown][] = [];
  const log = (handler: string, err: unknown) => void logged.push([handler, err]);
  expect(
    await guard(
      'fetch',
      log,
      () => 'fine',
      () => 'instead',
    ),
  ).toBe('fine');
  expect(
    await guard(
      'fetch',
      log,
      async () => 'later',
      () => 'instead',
    ),
  ).toBe('later');
  const boom = new Error('boom');
  expect(
    await guard(
      'webSocketMessage',
      log,
      () => {
        throw boom;
      },
      () => 'instead',
    ),
  ).toBe('instead');
  expect(
    await guard(
      'alarm',
      log,
      () => Promise.reject(boom),
      () => 'retry',
    ),
  ).toBe('retry');
  expect(logged).toEqual([
    ['webSocketMessage', boom],
    ['alarm', boom],
  ]);
  await expect(
    guard(
      'init',
      log,
      () => {
        throw boom;
      },
      (err) => {
        throw err;
      },
    ),
  ).rejects.toBe(boom);
});
