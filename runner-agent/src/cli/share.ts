/**
 * `tandem share`: make, list and revoke a session's share links from the terminal, with
 * the session's runner key (kept in $TANDEM_HOME/sessions/<id>/state.json).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import QRCode from 'qrcode';
import { ShareRole, type LinkInfo, type LinkRequest } from '@tandem/protocol';
import * as v from 'valibot';
import { links } from '../link/api.ts';
import { parseDuration } from '../policy/load.ts';
import { parseCommandLine } from './command-line.ts';
import { UsageError } from '../session/usage-error.ts';
import { StateStore } from '../session/state.ts';

export const SHARE_USAGE = `Usage: tandem share [SESSION] [--role ROLE] [--expires DURATION] [--label TEXT]
       tandem share [SESSION] --list
       tandem share [SESSION] --revoke LINK_ID

Make a link to a session for someone else, list the session's links, or revoke one
(everyone who opened it is disconnected at once). SESSION defaults to the newest
session in $TANDEM_HOME.

  --role ROLE          viewer (watch), commenter (+comment), approver (+approve/deny),
                       driver (+send, steer, interrupt); default viewer
  --expires DURATION   the link stops working after this long (e.g. 30m, 8h, 7d)
  --label TEXT         a note to tell links apart ("for Ana")
  --json               print JSON instead of text`;

const ROLE_WORDS: Record<string, string> = {
  viewer: 'can watch',
  commenter: 'can watch and comment',
  approver: 'can watch, comment and approve or deny',
  driver: 'can watch, comment, approve, send, steer and interrupt',
  owner: 'owns the session',
};

interface ShareIO {
  stdout: (text: string) => void;
}

/** The newest session in $TANDEM_HOME/sessions. */
function newestSession(home: string): StateStore {
  let ids: string[];
  try {
    ids = readdirSync(path.join(home, 'sessions'));
  } catch {
    ids = [];
  }
  const stores = ids.flatMap((id) => {
    try {
      return [StateStore.load(home, id)];
    } catch {
      return [];
    }
  });
  const newest = stores.sort((a, b) => b.state.createdAt - a.state.createdAt)[0];
  if (!newest) throw new UsageError(`no sessions in ${path.join(home, 'sessions')}: start one with \`tandem run\` first`);
  return newest;
}

export async function shareMain(argv: string[], home: string, io: ShareIO): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      role: { type: 'string' },
      expires: { type: 'string' },
      label: { type: 'string' },
      list: { type: 'boolean' },
      revoke: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    SHARE_USAGE,
  );
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${SHARE_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"\n\n${SHARE_USAGE}`);
  let store: StateStore;
  try {
    store = positionals[0] ? StateStore.load(home, positionals[0]) : newestSession(home);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
  const { sessionId, relayUrl, runnerKey } = store.state;
  const print = (text: string) => io.stdout(`${text}\n`);

  if (values.list) {
    const { links: all } = await links.list(relayUrl, sessionId, runnerKey);
    if (values.json) all.forEach((l) => print(JSON.stringify({ kind: 'tandem.link', ...l })));
    else all.forEach((l) => print(describe(l)));
    return 0;
  }
  if (values.revoke !== undefined) {
    const { link } = await links.revoke(relayUrl, sessionId, runnerKey, values.revoke);
    print(values.json ? JSON.stringify({ kind: 'tandem.link', ...link }) : `revoked: ${describe(link)}`);
    return 0;
  }

  const role = values.role ?? 'viewer';
  if (!v.is(ShareRole, role)) throw new UsageError(`--role must be viewer, commenter, approver or driver, got ${JSON.stringify(role)}`);
  const request: LinkRequest = { role };
  if (values.expires !== undefined) {
    const ms = parseDuration(values.expires);
    if (ms === undefined)
      throw new UsageError(`--expires must be a duration from 1s to 7d such as 30m, 8h or 7d, got ${JSON.stringify(values.expires)}`);
    request.expiresInMs = ms;
  }
  if (values.label !== undefined) request.label = values.label.slice(0, 80);
  const made = await links.create(relayUrl, sessionId, runnerKey, request);
  if (values.json) {
    print(JSON.stringify({ kind: 'tandem.link', ...made.link, url: made.url }));
    return 0;
  }
  print(
    `${made.link.role} link (${ROLE_WORDS[made.link.role]})${made.link.expiresAt ? `, until ${new Date(made.link.expiresAt).toLocaleString()}` : ''}:`,
  );
  print(made.url);
  try {
    io.stdout(await QRCode.toString(made.url, { type: 'terminal', small: true }));
  } catch {
    // a URL too long for a QR code: the URL above is enough
  }
  print(`revoke it with: tandem share ${sessionId} --revoke ${made.link.linkId}`);
  return 0;
}

function describe(l: LinkInfo): string {
  const state = l.revokedAt
    ? 'revoked'
    : l.expiresAt && l.expiresAt <= Date.now()
      ? 'expired'
      : l.expiresAt
        ? `until ${new Date(l.expiresAt).toLocaleString()}`
        : 'no expiry';
  return `${l.linkId}  ${l.role.padEnd(9)}  ${state}${l.label ? `  "${l.label}"` : ''}  by ${l.createdBy.name}`;
}
