// `tandem share` against the real relay: a link made from the terminal opens with its
// role, is listed, and revoking it disconnects the person who opened it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { useTandem } from '../support/pages.ts';
import { Peer, ownerToken } from '../support/peer.ts';

const BIN = join(import.meta.dirname, '../../runner-agent/bin/tandem.js');
const tandem = useTandem();

async function share(home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'share', ...args], {
      env: { ...process.env, TANDEM_HOME: home },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('tandem share makes an approver link for the newest session, lists it and revokes it', async () => {
  const run = tandem.run(['--once']);
  const { sessionId } = await run.session();
  await run.waitFor((l) => l.kind === 'approval.requested');

  const made = await share(run.home, ['--role', 'approver', '--expires', '2h', '--label', 'for Ana', '--json']);
  expect(made.code, made.stderr).toBe(0);
  const link = JSON.parse(made.stdout) as { linkId: string; role: string; url: string; expiresAt: number; label: string };
  expect(link).toMatchObject({ role: 'approver', label: 'for Ana' });
  expect(link.url).toMatch(new RegExp(`^${tandem.relay.url}/s/${sessionId}#t=`));
  expect(link.expiresAt).toBeGreaterThan(Date.now() + 7000_000);

  // the human form prints the link, a QR code and how to revoke it
  const human = await share(run.home, [sessionId, '--role', 'viewer']);
  expect(human.stdout, human.stderr).toMatch(/viewer link \(can watch\):\n.*\/s\//);
  expect(human.stdout).toContain('▄');
  expect(human.stdout).toContain('tandem share');

  const ana = await Peer.person(tandem.relay, sessionId, ownerToken(link.url), 'Ana', 'dev-ana');
  const asked = (await ana.hello(0)).find((e) => e.kind === 'approval.requested');
  if (asked?.kind !== 'approval.requested') throw new Error('the approval is not in the log');
  expect((await ana.next('welcome')).body.role).toBe('approver');

  const listed = await share(run.home, ['--list']);
  expect(listed.stdout).toMatch(new RegExp(`${link.linkId}\\s+approver\\s+until .*"for Ana"`));
  expect(listed.stdout).not.toContain('#t=');

  const revoked = await share(run.home, ['--revoke', link.linkId]);
  expect(revoked.stdout).toContain(`revoked: ${link.linkId}`);
  expect((await ana.closedWith(1000)).reason).toBe('this link was revoked by the session owner');

  // bad input: a clear message and exit 2; nothing is made
  const bad = await share(run.home, ['--role', 'owner']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--role must be viewer, commenter, approver or driver');
  const unknown = await share(run.home, ['--revoke', 'nope']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no link nope in this session');
  expect((await share(run.home, ['--list'])).stdout.trim().split('\n')).toHaveLength(3); // owner, approver, viewer: the refusals made nothing

  // the approver still decides through a fresh link
  const fresh = await share(run.home, ['--role', 'approver', '--json']);
  const bea = await Peer.person(tandem.relay, sessionId, ownerToken((JSON.parse(fresh.stdout) as { url: string }).url), 'Bea', 'dev-bea');
  await bea.hello(0);
  bea.send('approval.decide', { approvalId: asked.body.approvalId, decision: 'approve' });
  expect(await run.exited).toBe(0);
  bea.close();
});
