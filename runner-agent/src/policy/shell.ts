/**
 * A small, conservative shell command splitter for policy matching.
 *
 * It is not a shell: it only needs to find every simple command a command line
 * could run, so that "cd app && git push" or "bash -lc 'git push'" still match
 * "git push*". For each simple command it
 *  - splits chains on && || ; | & and newlines, and descends into $( ), ` `,
 *    <( ) and sh/bash -c strings and eval;
 *  - removes quotes and joins the words with single spaces;
 *  - drops leading variable assignments (FOO=1 git push), keywords (if, then,
 *    do, !, {), and wrappers (sudo, env, command, nohup, time, nice, timeout,
 *    xargs, ...) with their options;
 *  - reduces the program to its base name (/usr/bin/git -> git) and drops git's
 *    global options (git -C dir -c k=v push -> git push).
 * When in doubt it produces more candidates, never fewer: a policy matches if any
 * candidate matches.
 */

const MAX_DEPTH = 8;

/** Every normalized simple command in `command`, plus the whole normalized line first. */
export function commandCandidates(command: string): string[] {
  const out = new Set<string>();
  const whole = command.replace(/\s+/g, ' ').trim();
  if (whole) out.add(whole);
  for (const words of parseCommands(command, 0)) {
    for (const c of normalizeSimpleCommand(words, 0)) if (c) out.add(c);
  }
  return [...out];
}

/** Every normalized simple command in `command` (without the whole line), wrappers and what they run. */
export function simpleCommands(command: string): string[] {
  const out = new Set<string>();
  for (const words of parseCommands(command, 0)) {
    for (const c of normalizeSimpleCommand(words, 0)) if (c) out.add(c);
  }
  return [...out];
}

/** Quote words so that parseCommands(joinArgv(argv)) gives argv back (for argv-style tool inputs). */
export function joinArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** Find the `)` that closes a `(` opened just before `start`; returns [inner, index after `)`]. */
function readParen(src: string, start: number): [string, number] {
  let depth = 1;
  let i = start;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      i = end === -1 ? src.length : end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return [src.slice(start, i), i + 1];
    }
    i++;
  }
  return [src.slice(start), src.length];
}

/** Split a command line into simple commands (lists of unquoted words). */
export function parseCommands(src: string, depth: number): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  const nested = (inner: string) => {
    if (depth < MAX_DEPTH) commands.push(...parseCommands(inner, depth + 1));
  };

  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        continue;
      }
      word += src[i + 1] ?? '';
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      const stop = end === -1 ? src.length : end;
      word += src.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      inWord = true;
      i++;
      while (i < src.length && src[i] !== '"') {
        const d = src[i]!;
        if (d === '\\' && /["\\$`\n]/.test(src[i + 1] ?? '')) {
          if (src[i + 1] !== '\n') word += src[i + 1];
          i += 2;
        } else if (d === '$' && src[i + 1] === '(') {
          const [inner, next] = readParen(src, i + 2);
          nested(inner);
          word += src.slice(i, next);
          i = next;
        } else if (d === '`') {
          const end = src.indexOf('`', i + 1);
          const stop = end === -1 ? src.length : end;
          nested(src.slice(i + 1, stop));
          word += src.slice(i, stop + 1);
          i = stop + 1;
        } else {
          word += d;
          i++;
        }
      }
      i++;
      continue;
    }
    if ((c === '$' || c === '<' || c === '>') && src[i + 1] === '(') {
      const [inner, next] = readParen(src, i + 2);
      nested(inner);
      word += src.slice(i, next);
      inWord = true;
      i = next;
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      const stop = end === -1 ? src.length : end;
      nested(src.slice(i + 1, stop));
      word += src.slice(i, stop + 1);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === '#' && !inWord) {
      const end = src.indexOf('\n', i);
      i = end === -1 ? src.length : end;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
      continue;
    }
    if (c === '&' && (word.endsWith('>') || word.endsWith('<') || src[i + 1] === '>')) {
      // redirections: 2>&1, >&2, &>file
      word += c;
      inWord = true;
      i++;
      continue;
    }
    if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
      endCommand();
      i++;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  endCommand();
  return commands;
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', '}', 'fi', 'done', 'esac']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'fish']);
/** Wrappers that run their arguments as a command, with their options that take a value. */
const WRAPPERS: Record<string, { valueOptions: string[]; positional?: number }> = {
  sudo: { valueOptions: ['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U', '-T'] },
  doas: { valueOptions: ['-u', '-C'] },
  env: { valueOptions: ['-u', '-C', '-S', '--unset', '--chdir'] },
  command: { valueOptions: [] },
  builtin: { valueOptions: [] },
  exec: { valueOptions: ['-a'] },
  nohup: { valueOptions: [] },
  time: { valueOptions: ['-f', '-o'] },
  nice: { valueOptions: ['-n'] },
  ionice: { valueOptions: ['-c', '-n', '-p'] },
  timeout: { valueOptions: ['-s', '-k', '--signal', '--kill-after'], positional: 1 },
  stdbuf: { valueOptions: ['-i', '-o', '-e'] },
  xargs: { valueOptions: ['-I', '-n', '-P', '-d', '-E', '-L', '-s', '-a'] },
  watch: { valueOptions: ['-n', '-d'] },
};
const GIT_VALUE_OPTIONS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--config-env']);

function baseName(word: string): string {
  return word.includes('/') ? word.slice(word.lastIndexOf('/') + 1) || word : word;
}

/** Normalize one simple command; may return several commands (the wrapper and what it runs). */
export function normalizeSimpleCommand(input: readonly string[], depth: number): string[] {
  return normalizeWords(input, depth).map((words) => words.join(' '));
}

/**
 * Every normalized simple command in `command` as its words (wrappers dropped, `sh -c`,
 * `eval`, `$( )` descended), for policies that need the arguments (write targets) rather than a line.
 */
export function commandWords(command: string): string[][] {
  return parseCommands(command, 0)
    .flatMap((words) => normalizeWords(words, 0))
    .filter((w) => w.length);
}

function normalizeWords(input: readonly string[], depth: number): string[][] {
  let words = [...input];
  const extra: string[][] = [];
  for (let guard = 0; guard < 32 && words.length; guard++) {
    const first = words[0]!;
    if (KEYWORDS.has(first) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) {
      words = words.slice(1);
      continue;
    }
    const wrapper = WRAPPERS[baseName(first)];
    if (wrapper) {
      let j = 1;
      while (j < words.length) {
        const w = words[j]!;
        if (w === '--') {
          j++;
          break;
        }
        if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
          j++;
          continue;
        }
        if (!w.startsWith('-')) break;
        if (baseName(first) === 'env' && (w === '-S' || w === '--split-string') && words[j + 1] !== undefined && depth < MAX_DEPTH) {
          // env -S "cmd args": the value is itself a command line
          for (const inner of parseCommands(words.slice(j + 1).join(' '), depth + 1)) extra.push(...normalizeWords(inner, depth + 1));
        }
        j += wrapper.valueOptions.includes(w) ? 2 : 1;
      }
      j += wrapper.positional ?? 0;
      words = words.slice(j);
      continue;
    }
    break;
  }
  if (!words.length) return extra;
  words[0] = baseName(words[0]!);
  const program = words[0];

  if (program && SHELLS.has(program) && depth < MAX_DEPTH) {
    const ci = words.findIndex((w, k) => k > 0 && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(w));
    const script = ci === -1 ? undefined : words[ci + 1];
    if (script !== undefined) {
      for (const inner of parseCommands(script, depth + 1)) extra.push(...normalizeWords(inner, depth + 1));
    }
  }
  if (program === 'eval' && depth < MAX_DEPTH) {
    for (const inner of parseCommands(words.slice(1).join(' '), depth + 1)) extra.push(...normalizeWords(inner, depth + 1));
  }
  if (program === 'git') {
    let j = 1;
    while (j < words.length && words[j]!.startsWith('-')) {
      const w = words[j]!;
      j += GIT_VALUE_OPTIONS.has(w) ? 2 : 1;
    }
    words = ['git', ...words.slice(j)];
  }
  return [words, ...extra];
}
