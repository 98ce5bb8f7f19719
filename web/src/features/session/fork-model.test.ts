import { describe, expect, it } from 'vitest';
import { forkSession } from '../../lib/api.ts';
import { forkBannerText, forkCommand, forkErrorText, forkIsReadOnly, forkLink, forkSeqOf } from './fork-model.ts';
import { decisionText } from '../timeline/words-model.ts';

const TOKEN = 'tok_abcdefghijklmnop';
const runner = { type: 'runner', name: 'runner' } as const;
const person = { type: 'person', name: 'Ada' } as const;
const relay = { type: 'relay', name: 'fork' } as const;

describe('forkSeqOf', () => {
  it('cuts after the whole item: a tool call with its result, a message with its last part', () => {
    expect(forkSeqOf({ seq: 4, seqs: [4, 5, 7] })).toBe(7);
    expect(forkSeqOf({ seq: 9, seqs: [6, 8, 9] })).toBe(9);
    expect(forkSeqOf({ seq: 3, seqs: [] })).toBe(3);
  });
});

describe('forkLink', () => {
  it("reads the new session's owner token from the relay's answer", () => {
    expect(forkLink(`https://tandem.example/s/f_1#t=${TOKEN}`, 'f_1')).toEqual({ sessionId: 'f_1', token: TOKEN });
    expect(forkLink(`/s/f_1#t=${TOKEN}`, 'f_1')).toEqual({ sessionId: 'f_1', token: TOKEN });
  });
  it('refuses a link to another session, without a token, or not a session link', () => {
    expect(forkLink(`https://tandem.example/s/other#t=${TOKEN}`, 'f_1')).toBeNull();
    expect(forkLink('https://tandem.example/s/f_1', 'f_1')).toBeNull();
    expect(forkLink('https://tandem.example/s/f_1#t=short', 'f_1')).toBeNull();
    expect(forkLink(`https://tandem.example/x/f_1#t=${TOKEN}`, 'f_1')).toBeNull();
  });
});

describe('forkIsReadOnly', () => {
  const copied = [
    { seq: 1, actor: runner },
    { seq: 2, actor: person },
    { seq: 3, actor: runner },
  ];
  it('is read-only until a runner writes after the cut or is online', () => {
    expect(forkIsReadOnly(3, copied, false)).toBe(true);
    // the relay closing open approvals and people commenting do not continue it
    expect(forkIsReadOnly(3, [...copied, { seq: 4, actor: relay }, { seq: 5, actor: person }], false)).toBe(true);
    expect(forkIsReadOnly(3, copied, true)).toBe(false);
    expect(forkIsReadOnly(3, [...copied, { seq: 4, actor: runner }], false)).toBe(false);
  });
});

describe('words', () => {
  it('says what the fork is and how to continue it', () => {
    expect(forkBannerText('Fix the tests', 12)).toBe('Fork of Fix the tests at event 12');
    expect(forkCommand('https://tandem.example/', 'f_1', TOKEN)).toBe(`tandem run --fork https://tandem.example/s/f_1#t=${TOKEN}`);
  });
  it('says why a fork failed', () => {
    expect(forkErrorText({ status: 0, code: 'network', message: 'Cannot reach the relay.' })).toBe(
      'Could not fork: cannot reach the relay.',
    );
    expect(forkErrorText({ status: 403, code: 'forbidden', message: 'a commenter link cannot fork the session' })).toBe(
      'Your link cannot fork this session (a commenter link cannot fork the session).',
    );
    expect(forkErrorText({ status: 404, code: 'not_found', message: 'there is no event 9' })).toBe('Could not fork: there is no event 9');
  });
  it('an approval the fork closed reads as closed, not denied', () => {
    expect(decisionText({ decision: 'deny', by: relay, via: 'fork', defaultDecision: null })).toBe('Closed by the fork');
  });
});

describe('forkSession', () => {
  const req = { token: 'x'.repeat(20), name: 'Ada', device: 'Chrome on Linux', deviceId: 'd1' };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const ticket = { ticket: 'tk', role: 'owner', capabilities: ['watch', 'send'], expiresAt: 5, title: 'Fix' };

  it('gets a fresh ticket, then posts the cut with it', async () => {
    const calls: { url: string; init?: RequestInit | undefined }[] = [];
    const made = { sessionId: 'f_1', ownerUrl: `https://t.example/s/f_1#t=${TOKEN}`, forkOf: { sessionId: 's1', seq: 7 } };
    const out = await forkSession('s1', 7, req, async (url, init) => {
      calls.push({ url, init });
      return url.endsWith('/tickets') ? json(200, ticket) : json(201, made);
    });
    expect(out).toEqual({ ok: true, fork: made });
    expect(calls[1]!.url).toBe('/api/sessions/s1/fork');
    expect(new Headers(calls[1]!.init?.headers).get('authorization')).toBe('Bearer tk');
    expect(JSON.parse(String(calls[1]!.init?.body))).toEqual({ uptoSeq: 7 });
  });

  it("returns the relay's refusal, a network failure or a bad answer", async () => {
    const refused = await forkSession('s1', 7, req, async (url) =>
      url.endsWith('/tickets') ? json(200, ticket) : json(403, { error: { code: 'forbidden', message: 'a commenter link cannot fork' } }),
    );
    expect(refused).toEqual({ ok: false, status: 403, code: 'forbidden', message: 'a commenter link cannot fork' });
    const offline = await forkSession('s1', 7, req, async (url) =>
      url.endsWith('/tickets') ? json(200, ticket) : Promise.reject(new TypeError('offline')),
    );
    expect(offline).toMatchObject({ ok: false, code: 'network' });
    expect(await forkSession('s1', 7, req, async () => Promise.reject(new TypeError('offline')))).toMatchObject({
      ok: false,
      code: 'network',
    });
    expect(
      await forkSession('s1', 7, req, async (url) => (url.endsWith('/tickets') ? json(200, ticket) : json(201, { sessionId: 1 }))),
    ).toMatchObject({
      ok: false,
      code: 'bad_response',
    });
  });
});
