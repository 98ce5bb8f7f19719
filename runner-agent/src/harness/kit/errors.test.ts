import { describe, expect, it } from 'vitest';
import { cancelKind, Cancelled, sleep } from './errors.ts';

describe('Cancelled', () => {
  it('is an Error that says why and who asked', () => {
    const c = new Cancelled('interrupt', { by: 'Ana' });
    expect(c).toBeInstanceOf(Error);
    expect(c.name).toBe('Cancelled');
    expect(c.message).toBe('interrupted');
    expect(c.by).toBe('Ana');
    expect(c.stack).toBeTruthy();
    expect(new Cancelled('exit', { message: 'pi exited (code 1)' }).message).toBe('pi exited (code 1)');
  });

  it.each([
    [new Cancelled('stop'), 'stop'],
    [new Cancelled('skip', { by: 'Bo' }), 'skip'],
    [new Error('boom'), undefined],
    ['a string', undefined],
    [undefined, undefined],
  ])('cancelKind(%s) = %s', (err, kind) => {
    expect(cancelKind(err)).toBe(kind);
  });

  it('of(): a command stopped by a cancellation keeps its kind and who asked, and carries the output', () => {
    const c = Cancelled.of(new Cancelled('skip', { by: 'Bo' }), { output: 'half\n', durationMs: 12 });
    expect(c).toMatchObject({ kind: 'skip', by: 'Bo', output: 'half\n', durationMs: 12 });
    expect(Cancelled.of(new Error('gone'), { output: '', durationMs: 1 })).toMatchObject({ kind: 'interrupt', message: 'gone' });
  });
});

describe('sleep', () => {
  it('resolves after the time, and rejects with the reason when the signal aborts', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const ac = new AbortController();
    const waiting = sleep(60_000, ac.signal);
    ac.abort(new Cancelled('interrupt'));
    await expect(waiting).rejects.toMatchObject({ kind: 'interrupt' });
    await expect(sleep(10, ac.signal)).rejects.toBeInstanceOf(Cancelled);
  });
});
