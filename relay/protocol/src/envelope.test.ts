// The envelope, actors, error codes, and parseFrame: every failure gets the code a person sees.
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { Actor, Author, Decision, ErrorCode, ErrorCodes, HelloBody, checkVersion, inbound, outbound, parseFrame } from './envelope.ts';
import { MAX_FRAME_BYTES } from './limits.ts';
import { ClientFrame } from './person-frames.ts';
import { RunnerFrame } from './runner-frames.ts';
import { ana, relay, runner, sent } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

schemaTable(
  'Actor',
  Actor,
  [
    ['the runner', runner],
    ['the relay', relay],
    ['a person with device and role', ana],
    ['a person by name only', { type: 'person', name: 'Ana' }],
  ],
  [
    ['an unknown type', { type: 'bot', name: 'x' }, 'type: picklist'],
    ['no name', { type: 'person' }, 'name: missing'],
    ['a name over 80', { type: 'person', name: long(81) }, 'name: max_length'],
    ['a device over 120', { ...ana, device: long(121) }, 'device: max_length'],
    ['a device id over 80', { ...ana, deviceId: long(81) }, 'deviceId: max_length'],
    ['an unknown role', { ...ana, role: 'admin' }, 'role: picklist'],
  ],
);

schemaTable(
  'Author',
  Author,
  [
    ['a name', { name: 'Ana' }],
    ['a name and device', { name: 'Ana', device: 'Pixel 8' }],
  ],
  [
    ['no name', { device: 'Pixel 8' }, 'name: missing'],
    ['a name over 80', { name: long(81) }, 'name: max_length'],
  ],
);

schemaTable(
  'Decision',
  Decision,
  [
    ['approve', 'approve'],
    ['deny', 'deny'],
  ],
  [
    ["allow (a policy decision, not a person's)", 'allow', ': picklist'],
    ['a boolean', true, ': picklist'],
  ],
);

schemaTable(
  'ErrorCode',
  ErrorCode,
  ErrorCodes.map((c) => [c, c]),
  [
    ['an unknown code', 'oops', ': picklist'],
    ['an HTTP status', 400, ': picklist'],
  ],
);

schemaTable(
  'HelloBody',
  HelloBody,
  [
    ['a new client', { lastSeq: 0 }],
    ['a resuming one', { lastSeq: 1234 }],
  ],
  [
    ['no lastSeq', {}, 'lastSeq: missing'],
    ['a negative lastSeq', { lastSeq: -1 }, 'lastSeq: min_value'],
    ['a fractional lastSeq', { lastSeq: 1.5 }, 'lastSeq: integer'],
  ],
);

describe('inbound and outbound envelopes', () => {
  const sentHello = inbound('hello', HelloBody);
  const storedHello = outbound('hello', HelloBody);
  schemaTable(
    'inbound (what a runner or person sends)',
    sentHello,
    [
      ['without ts', without(sent('hello', { lastSeq: 0 }), 'ts')],
      ['with ts', sent('hello', { lastSeq: 0 })],
      ['an actor is dropped (the relay sets it)', { ...sent('hello', { lastSeq: 0 }), actor: ana }],
    ],
    [
      ['another kind', sent('welcome', { lastSeq: 0 }), 'kind: literal'],
      ['no id', without(sent('hello', { lastSeq: 0 }), 'id'), 'id: missing'],
      ['an id with a space', { ...sent('hello', { lastSeq: 0 }), id: 'a b' }, 'id: regex'],
      ['an id over 128', { ...sent('hello', { lastSeq: 0 }), id: long(129) }, 'id: max_length'],
      ['no v', without(sent('hello', { lastSeq: 0 }), 'v'), 'v: missing'],
      ['a negative ts', { ...sent('hello', { lastSeq: 0 }), ts: -1 }, 'ts: min_value'],
      ['no body', without(sent('hello', { lastSeq: 0 }), 'body'), 'body: missing'],
    ],
  );
  const storedFrame = { v: '1.0', kind: 'hello', id: 'u:dev-ana:c1', seq: 2, ts: 5, actor: ana, body: { lastSeq: 0 } };
  schemaTable(
    'outbound (what the relay sends)',
    storedHello,
    [
      ['a stored frame with seq', storedFrame],
      ['a control frame without seq', without(storedFrame, 'seq')],
    ],
    [
      ['no actor', without(storedFrame, 'actor'), 'actor: missing'],
      ['no ts', without(storedFrame, 'ts'), 'ts: missing'],
      ['a negative seq', { ...storedFrame, seq: -1 }, 'seq: min_value'],
      ['an id over 256', { ...storedFrame, id: long(257) }, 'id: max_length'],
    ],
  );
});

describe('parseFrame', () => {
  const hello = JSON.stringify(sent('hello', { lastSeq: 0 }));
  const message = (text: string, extra: Record<string, unknown> = {}) => JSON.stringify(sent('user.message', { text }, extra));

  it.each([
    ['a hello', hello],
    ['a message', message('hi')],
    ['a message as bytes', new TextEncoder().encode(message('hi')).buffer],
    ['a newer minor version', message('hi', { v: '1.9' })],
  ])('accepts %s', (_what, raw) => {
    expect(parseFrame(ClientFrame, raw as string | ArrayBuffer)).toMatchObject({ ok: true });
  });

  it.each([
    ['a frame over the limit', message(long(MAX_FRAME_BYTES)), 'frame_too_large', `the limit is ${MAX_FRAME_BYTES}`],
    ['bytes over the limit', new Uint8Array(MAX_FRAME_BYTES + 1).buffer, 'frame_too_large', `frame is ${MAX_FRAME_BYTES + 1} bytes`],
    ['text over the limit in UTF-8 (é is 2 bytes)', message(long(MAX_FRAME_BYTES / 2, 'é')), 'frame_too_large', 'the limit is'],
    ['not JSON', '{"v":"1.0",', 'bad_json', 'not valid JSON'],
    ['a JSON array', '[1,2]', 'invalid_frame', 'must be a JSON object'],
    ['JSON null', 'null', 'invalid_frame', 'must be a JSON object'],
    ['a JSON string', '"hello"', 'invalid_frame', 'must be a JSON object'],
    ['no version', JSON.stringify(without(sent('hello', { lastSeq: 0 }), 'v')), 'unsupported_version', 'no protocol version'],
    ['a number as version', message('hi', { v: 1 }), 'unsupported_version', 'no protocol version'],
    ['a version without minor', message('hi', { v: '1' }), 'unsupported_version', 'no protocol version'],
    ['another major version', message('hi', { v: '2.0' }), 'unsupported_version', 'protocol version 2.0 is not supported'],
    ['an unknown kind', JSON.stringify(sent('user.shout', { text: 'hi' })), 'unknown_kind', 'unknown frame kind "user.shout"'],
    ['no kind', JSON.stringify(without(sent('hello', { lastSeq: 0 }), 'kind')), 'unknown_kind', 'unknown frame kind undefined'],
    ['a kind that is a number', JSON.stringify(sent('hello', { lastSeq: 0 }, { kind: 7 })), 'unknown_kind', 'unknown frame kind 7'],
    ['an empty message', message(''), 'invalid_frame', 'invalid user.message frame'],
    ['a message over 16 KiB', message(long(16 * 1024 + 1)), 'invalid_frame', 'invalid user.message frame'],
    ['a bad frame id', message('hi', { id: 'not an id' }), 'invalid_frame', 'ids use letters, digits'],
    ['no body', JSON.stringify(without(sent('hello', { lastSeq: 0 }), 'body')), 'invalid_frame', 'invalid hello frame'],
    ['a body of the wrong type', JSON.stringify(sent('hello', 'lastSeq=0')), 'invalid_frame', 'invalid hello frame'],
  ])('refuses %s: %s', (_what, raw, code, text) => {
    const r = parseFrame(ClientFrame, raw);
    expect(r).toMatchObject({ ok: false, code });
    if (!r.ok) expect(r.message).toContain(text);
  });

  it('checks the size against the limit it is given (a frame of exactly the limit passes)', () => {
    expect(parseFrame(ClientFrame, hello, hello.length)).toMatchObject({ ok: true });
    expect(parseFrame(ClientFrame, hello, hello.length - 1)).toMatchObject({ ok: false, code: 'frame_too_large' });
  });

  it('a kind the schema does not hold is unknown to it (a runner may not decide)', () => {
    const decide = JSON.stringify(sent('approval.decide', { approvalId: 'ap1', decision: 'approve' }));
    expect(parseFrame(ClientFrame, decide)).toMatchObject({ ok: true });
    expect(parseFrame(RunnerFrame, decide)).toMatchObject({ ok: false, code: 'unknown_kind' });
  });

  it("keeps its messages within the error frame's bounds", () => {
    const kind = parseFrame(ClientFrame, JSON.stringify(sent(long(5000), {})));
    const body = parseFrame(
      ClientFrame,
      JSON.stringify(sent('comment', { target: { seq: 1 }, text: 'x', mentions: Array.from({ length: 300 }, () => long(100)) })),
    );
    expect(kind.ok || kind.message.length).toBeLessThanOrEqual(200);
    expect(body.ok || body.message.length).toBeLessThanOrEqual(2000);
    expect(kind).toMatchObject({ code: 'unknown_kind' });
    expect(body).toMatchObject({ code: 'invalid_frame' });
  });

  it('returns the parsed value', () => {
    const r = parseFrame(ClientFrame, message('  hi  '));
    expect(r.ok && v.is(ClientFrame, r.value) && r.value.kind).toBe('user.message');
  });
});

describe('checkVersion', () => {
  it.each([
    ['1.0', null],
    ['1.42', null],
    ['2.0', 'protocol version 2.0 is not supported; this relay speaks 1.0'],
    ['0.9', 'protocol version 0.9 is not supported; this relay speaks 1.0'],
    ['1', 'frame has no protocol version "v" (expected "1.x")'],
    [undefined, 'frame has no protocol version "v" (expected "1.x")'],
    [1, 'frame has no protocol version "v" (expected "1.x")'],
  ])('%s -> %s', (version, expected) => {
    expect(checkVersion(version)).toBe(expected);
  });

  it('keeps a long version within a close reason (123 bytes)', () => {
    expect(checkVersion(`2.${'0'.repeat(500)}`)!.length).toBeLessThanOrEqual(120);
  });
});
