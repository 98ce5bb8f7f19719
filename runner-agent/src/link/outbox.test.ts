import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type RunnerFrame } from '@tandem/protocol';
import { Outbox } from './outbox.ts';

function message(id: string, text = id): RunnerFrame {
  return { v: PROTOCOL_VERSION, kind: 'agent.message', id, ts: 1, body: { messageId: `m-${id}`, text } } as RunnerFrame;
}

describe('Outbox', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('journals each frame to disk before returning, in order', () => {
    const box = Outbox.open(dir);
    box.add(message('a'));
    box.add(message('b'));
    // on disk right away, before anything is sent
    const lines = readFileSync(box.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.frame.id)).toEqual(['a', 'b']);
    expect(box.pending().map((f) => f.id)).toEqual(['a', 'b']);
    box.close();
  });

  it('drops a frame only when it is acked, and says when it is drained', async () => {
    const box = Outbox.open(dir);
    box.add(message('a'));
    box.add(message('b'));
    const drained = box.waitDrained(5000);
    expect(box.ack('b', 2)).toBe(true);
    expect(box.pending().map((f) => f.id)).toEqual(['a']);
    expect(box.ack('nope', 9)).toBe(false);
    expect(box.ack('a', 1)).toBe(true);
    expect(await drained).toBe(true);
    expect(box.size).toBe(0);
    box.close();
  });

  it('waitDrained times out while something is unacked', async () => {
    const box = Outbox.open(dir);
    box.add(message('a'));
    expect(await box.waitDrained(30)).toBe(false);
    box.close();
  });

  it('keeps one copy of a frame id while it waits (idempotent re-announce)', () => {
    const box = Outbox.open(dir);
    expect(box.add(message('ap_1'))).toBe(true);
    expect(box.add(message('ap_1', 'again'))).toBe(false);
    expect(box.size).toBe(1);
    box.close();
  });

  it('reloads unacked frames after a restart, in order, without the acked ones', () => {
    const box = Outbox.open(dir);
    for (const id of ['a', 'b', 'c', 'd']) box.add(message(id));
    box.ack('a', 1);
    box.ack('c', 3);
    box.close(); // the process dies here

    const again = Outbox.open(dir);
    expect(again.pending().map((f) => f.id)).toEqual(['b', 'd']);
    expect(again.pending()[0]).toEqual(message('b'));
    expect(again.loadReport).toEqual({ pending: 2, tornTail: false, corrupt: 0 });
    again.add(message('e'));
    again.close();
    expect(
      Outbox.open(dir)
        .pending()
        .map((f) => f.id),
    ).toEqual(['b', 'd', 'e']);
  });

  it('ignores a torn last line (crash mid-write) and appends cleanly after it', () => {
    const box = Outbox.open(dir);
    box.add(message('a'));
    box.add(message('b'));
    box.close();
    // a crash in the middle of writing the third record
    const full = JSON.stringify({ op: 'add', frame: message('c') });
    appendFileSync(path.join(dir, 'outbox.jsonl'), full.slice(0, full.length / 2));

    const again = Outbox.open(dir);
    expect(again.loadReport.tornTail).toBe(true);
    expect(again.pending().map((f) => f.id)).toEqual(['a', 'b']);
    again.add(message('d'));
    again.close();

    const third = Outbox.open(dir);
    expect(third.loadReport).toEqual({ pending: 3, tornTail: false, corrupt: 0 });
    expect(third.pending().map((f) => f.id)).toEqual(['a', 'b', 'd']);
    third.close();
  });

  it('a torn ack leaves the frame pending (it is resent; the relay dedups)', () => {
    const box = Outbox.open(dir);
    box.add(message('a'));
    box.close();
    appendFileSync(path.join(dir, 'outbox.jsonl'), '{"op":"ack","id":"a"');
    expect(
      Outbox.open(dir)
        .pending()
        .map((f) => f.id),
    ).toEqual(['a']);
  });

  it('skips corrupt lines in the middle and keeps the rest', () => {
    writeFileSync(
      path.join(dir, 'outbox.jsonl'),
      [JSON.stringify({ op: 'add', frame: message('a') }), 'garbage', JSON.stringify({ op: 'add', frame: message('b') }), ''].join('\n'),
    );
    const box = Outbox.open(dir);
    expect(box.loadReport.corrupt).toBe(1);
    expect(box.pending().map((f) => f.id)).toEqual(['a', 'b']);
    box.close();
  });

  it('compacts the journal once it is drained', () => {
    const box = Outbox.open(dir);
    for (let i = 0; i < 200; i++) {
      box.add(message(`m${i}`));
      box.ack(`m${i}`, i + 1);
    }
    // 400 records were written; the drain after more than 256 records rewrote the journal
    expect(readFileSync(box.file, 'utf8').split('\n').filter(Boolean).length).toBeLessThan(400);
    box.add(message('last'));
    box.close();
    expect(
      Outbox.open(dir)
        .pending()
        .map((f) => f.id),
    ).toEqual(['last']);
  });
});
