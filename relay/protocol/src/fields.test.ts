// The field types every frame is built from, and clip.
import { describe, expect, it } from 'vitest';
import { Count, DeviceId, ForkOf, Id, MessageText, Seq, StoredId, Text, Token, Ts, Version, clip } from './fields.ts';
import { long, schemaTable } from './testing/tables.ts';

schemaTable(
  'Text(max)',
  Text(5),
  [
    ['empty text', ''],
    ['text at the bound', 'abcde'],
    ['the bound counts UTF-16 units, not bytes', 'ééééé'],
  ],
  [
    ['text over the bound', 'abcdef', ': max_length'],
    ['a number', 5, ': string'],
    ['null', null, ': string'],
  ],
);

schemaTable(
  'Id',
  Id,
  [
    ['letters and digits', 'abc123'],
    ['_ . : -', 'a_b.c:d-e'],
    ['128 characters', long(128)],
  ],
  [
    ['an empty id', '', [': min_length', ': regex']],
    ['129 characters', long(129), ': max_length'],
    ['a space', 'a b', ': regex'],
    ['a slash', 'a/b', ': regex'],
    ['a number', 12, ': string'],
  ],
);

schemaTable(
  'StoredId',
  StoredId,
  [
    ["a person's namespaced id", 'u:dev-ana:c1'],
    ['256 characters', long(256)],
    ['any character', 'a b/c'],
  ],
  [
    ['an empty id', '', ': min_length'],
    ['257 characters', long(257), ': max_length'],
  ],
);

schemaTable(
  'DeviceId',
  DeviceId,
  [
    ['letters, digits, _ and -', 'dev_ana-1'],
    ['80 characters', long(80)],
  ],
  [
    ['empty', '', ': regex'],
    ['81 characters', long(81), ': regex'],
    ['a colon (it would break u:<deviceId>:<id>)', 'dev:1', ': regex'],
    ['a dot', 'dev.1', ': regex'],
  ],
);

describe('Seq, Ts, Count', () => {
  for (const [name, schema] of [
    ['Seq', Seq],
    ['Ts', Ts],
    ['Count', Count],
  ] as const) {
    schemaTable(
      name,
      schema,
      [
        ['zero', 0],
        ['a large integer', 2 ** 40],
      ],
      [
        ['a negative number', -1, ': min_value'],
        ['a fraction', 1.5, ': integer'],
        ['a numeric string', '1', ': number'],
        ['NaN', Number.NaN, ': number'],
      ],
    );
  }
});

schemaTable(
  'Version',
  Version,
  [
    ['1.0', '1.0'],
    ['a future minor version', '1.27'],
    ['an unknown major version (refused later, by checkVersion)', '9.0'],
  ],
  [
    ['no minor version', '1', ': regex'],
    ['a v prefix', 'v1.0', ': regex'],
    ['three parts', '1.0.0', ': regex'],
    ['a number', 1.0, ': string'],
  ],
);

schemaTable(
  'MessageText',
  MessageText,
  [
    ['one character', 'x'],
    ['16 KiB', long(16 * 1024)],
  ],
  [
    ['an empty message', '', ': min_length'],
    ['over 16 KiB', long(16 * 1024 + 1), ': max_length'],
  ],
);

schemaTable(
  'Token',
  Token,
  [
    ['16 characters', long(16)],
    ['200 characters', long(200)],
  ],
  [
    ['15 characters', long(15), ': min_length'],
    ['201 characters', long(201), ': max_length'],
  ],
);

schemaTable(
  'ForkOf',
  ForkOf,
  [['a session and a seq', { sessionId: 's1', seq: 4 }]],
  [
    ['no seq', { sessionId: 's1' }, 'seq: missing'],
    ['a bad session id', { sessionId: 's 1', seq: 4 }, 'sessionId: regex'],
    ['a negative seq', { sessionId: 's1', seq: -4 }, 'seq: min_value'],
  ],
);

describe('clip', () => {
  it.each([
    ['a short text stays', 'hello', 10, 'hello'],
    ['a text at the bound stays', 'hello', 5, 'hello'],
    ['a longer text ends in … within the bound', 'hello world', 6, 'hello…'],
    ["the default bound is an error message's (2000)", long(2001), undefined, `${long(1999)}…`],
  ])('%s', (_what, text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
    expect(clip(text, max).length).toBeLessThanOrEqual(max ?? 2000);
  });
});
