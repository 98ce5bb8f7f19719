// `tandem run --fork`: the owner link is checked, and a harness that cannot resume from a
// transcript is refused (exit 2), before anything reaches the relay.
import { describe, expect, it } from 'vitest';
import { ForkLinkError, parseSessionLink } from './fork.ts';
import { main } from '../cli/main.ts';
import { tempDir } from '../testing/util.ts';

async function tandem(args: string[]) {
  let stderr = '';
  const code = await main(args, { TANDEM_HOME: tempDir('fork-cli'), TANDEM_RUNNER_TOKEN: 'rt' }, { stdout: () => {}, stderr: (t) => void (stderr += t) });
  return { code, stderr };
}

describe('tandem run --fork', () => {
  it('parses an owner link', () => {
    expect(parseSessionLink('https://relay.example/s/abcDEF_123-xyz#t=0123456789abcdefXYZ')).toEqual({
      origin: 'https://relay.example',
      sessionId: 'abcDEF_123-xyz',
      token: '0123456789abcdefXYZ',
    });
    for (const bad of ['not a url', 'https://relay.example/s/abc', 'https://relay.example/x/abc#t=0123456789abcdefXYZ', 'ftp://h/s/abc#t=0123456789abcdefXYZ']) {
      expect(() => parseSessionLink(bad)).toThrow(ForkLinkError);
    }
  });

  it('refuses a bad link, --fork with --resume, and a harness that cannot resume from a transcript (exit 2, no network)', async () => {
    expect(await tandem(['run', '--fork', 'https://h/s/abc'])).toMatchObject({ code: 2, stderr: expect.stringContaining("--fork needs the fork's owner link") });
    expect(await tandem(['run', '--fork', 'https://h/s/abc#t=0123456789abcdefXYZ', '--resume', 'x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('either --fork or --resume') });
    for (const harness of ['claude', 'codex', 'pi', 'custom']) {
      const r = await tandem(['run', '--fork', 'http://127.0.0.1:9/s/abc#t=0123456789abcdefXYZ', '--harness', harness]);
      expect(r).toMatchObject({ code: 2, stderr: `tandem: the ${harness} harness cannot continue a fork (it cannot resume from a transcript); the fork stays read-only\n` });
    }
  });
});
