// The Worker's HTTP bodies, route by route.
import {
  AuditResponse,
  CreateSessionRequest,
  CreateSessionResponse,
  DecisionRequest,
  DecisionResponse,
  ErrorResponse,
  ForkRequest,
  ForkResponse,
  LinkResponse,
  LinksResponse,
  RunnerKeyRequest,
  RunnerKeyResponse,
  TicketRequest,
  TicketResponse,
} from './http.ts';
import { ana, linkInfo } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

const token = 'tok_0123456789abcdef';

schemaTable(
  'CreateSessionRequest',
  CreateSessionRequest,
  [['a title and harness', { title: 'Fix the build', harness: 'claude' }]],
  [
    ['no harness', { title: 'x' }, 'harness: missing'],
    ['a title over 200', { title: long(201), harness: 'demo' }, 'title: max_length'],
  ],
);

schemaTable(
  'CreateSessionResponse',
  CreateSessionResponse,
  [['a new session', { sessionId: 's1', runnerKey: 'rk', ownerUrl: 'https://h/s/s1#t=tok' }]],
  [
    ['no runner key', { sessionId: 's1', ownerUrl: 'u' }, 'runnerKey: missing'],
    ['a bad session id', { sessionId: 's 1', runnerKey: 'rk', ownerUrl: 'u' }, 'sessionId: regex'],
  ],
);

schemaTable(
  'LinkResponse',
  LinkResponse,
  [['a link and its URL', { link: linkInfo, url: 'https://h/s/s1#t=tok' }]],
  [['no URL', { link: linkInfo }, 'url: missing']],
);

schemaTable(
  'LinksResponse',
  LinksResponse,
  [
    ['no links', { links: [] }],
    ['two links', { links: [linkInfo, { ...linkInfo, linkId: 'l2' }] }],
  ],
  [['a link without role', { links: [without(linkInfo, 'role')] }, 'links.0.role: missing']],
);

const ticketRequest = { token, name: 'Ana', device: 'Pixel 8', deviceId: 'dev-ana' };
schemaTable(
  'TicketRequest',
  TicketRequest,
  [
    ['a person', ticketRequest],
    ['a background connection (the inbox)', { ...ticketRequest, background: true }],
    ['an empty device name', { ...ticketRequest, device: '' }],
    ['a name with spaces around it (trimmed)', { ...ticketRequest, name: '  Ana  ' }],
  ],
  [
    ['a token under 16', { ...ticketRequest, token: 'short' }, 'token: min_length'],
    ['a token over 200', { ...ticketRequest, token: long(201) }, 'token: max_length'],
    ['a blank name', { ...ticketRequest, name: '   ' }, 'name: min_length'],
    ['a name over 80', { ...ticketRequest, name: long(81) }, 'name: max_length'],
    ['a device over 120', { ...ticketRequest, device: long(121) }, 'device: max_length'],
    ['a device id with a colon', { ...ticketRequest, deviceId: 'dev:ana' }, 'deviceId: regex'],
    ['no device id', without(ticketRequest, 'deviceId'), 'deviceId: missing'],
  ],
);

const ticketResponse = { ticket: 'tk', role: 'approver', capabilities: ['watch', 'comment', 'approve'], expiresAt: 60_000, title: 'T' };
schemaTable(
  'TicketResponse',
  TicketResponse,
  [['a ticket', ticketResponse]],
  [
    ['a runner role', { ...ticketResponse, role: 'runner' }, 'role: picklist'],
    ['no expiry', without(ticketResponse, 'expiresAt'), 'expiresAt: missing'],
    ['capabilities as text', { ...ticketResponse, capabilities: 'watch' }, 'capabilities: array'],
  ],
);

schemaTable(
  'DecisionRequest',
  DecisionRequest,
  [
    ['approve', { decision: 'approve', token }],
    ['deny', { decision: 'deny', token }],
  ],
  [
    ['no token', { decision: 'approve' }, 'token: missing'],
    ['a short token', { decision: 'approve', token: 'x' }, 'token: min_length'],
    ['an unknown decision', { decision: 'later', token }, 'decision: picklist'],
  ],
);

schemaTable(
  'DecisionResponse',
  DecisionResponse,
  [['a decision', { approvalId: 'ap1', decision: 'approve', by: ana }]],
  [['no decider', { approvalId: 'ap1', decision: 'approve' }, 'by: missing']],
);

const entry = { ts: 1, actor: ana, action: 'link.created', detail: { linkId: 'l1' } };
const outcome = { ts: 1, device: 'Pixel 8', approvalId: 'ap1', status: 201, delivered: true, detail: 'sent' };
schemaTable(
  'AuditResponse',
  AuditResponse,
  [
    ['an empty log', { entries: [], pushOutcomes: [] }],
    ['entries and push outcomes', { entries: [entry, { ...entry, detail: null }], pushOutcomes: [outcome] }],
  ],
  [
    ['no push outcomes', { entries: [] }, 'pushOutcomes: missing'],
    ['an action over 100', { entries: [{ ...entry, action: long(101) }], pushOutcomes: [] }, 'entries.0.action: max_length'],
    ['an outcome without status', { entries: [], pushOutcomes: [without(outcome, 'status')] }, 'pushOutcomes.0.status: missing'],
    ['an outcome detail over 300', { entries: [], pushOutcomes: [{ ...outcome, detail: long(301) }] }, 'pushOutcomes.0.detail: max_length'],
  ],
);

schemaTable(
  'ForkRequest',
  ForkRequest,
  [['a cut after event 3', { uptoSeq: 3 }]],
  [
    ['a cut before the first event', { uptoSeq: 0 }, 'uptoSeq: min_value'],
    ['a fractional seq', { uptoSeq: 2.5 }, 'uptoSeq: integer'],
    ['no seq', {}, 'uptoSeq: missing'],
  ],
);

schemaTable(
  'ForkResponse',
  ForkResponse,
  [['a fork', { sessionId: 'f1', ownerUrl: 'https://h/s/f1#t=tok', forkOf: { sessionId: 's1', seq: 3 } }]],
  [['no origin', { sessionId: 'f1', ownerUrl: 'u' }, 'forkOf: missing']],
);

schemaTable(
  'RunnerKeyRequest',
  RunnerKeyRequest,
  [["the owner link's token", { token }]],
  [['a short token', { token: 'abc' }, 'token: min_length']],
);

schemaTable(
  'RunnerKeyResponse',
  RunnerKeyResponse,
  [['a runner key', { sessionId: 'f1', runnerKey: 'rk', title: 'T (fork)' }]],
  [['a title over 200', { sessionId: 'f1', runnerKey: 'rk', title: long(201) }, 'title: max_length']],
);

schemaTable(
  'ErrorResponse',
  ErrorResponse,
  [['an error', { error: { code: 'invalid_link', message: 'this link is not valid' } }]],
  [
    ['a plain-text error', 'Internal Server Error', ': object'],
    ['an unknown code', { error: { code: 'oops', message: 'x' } }, 'error.code: picklist'],
    ['no message', { error: { code: 'not_found' } }, 'error.message: missing'],
  ],
);
