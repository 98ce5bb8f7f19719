import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_TOOL_OUTPUT_CHARS } from '@tandem/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/util.ts';
import { previewOf, runTool } from './tools.ts';

const cwd = tempDir('custom-tools');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
const t = { cwd, env: { PATH: process.env.PATH }, signal: new AbortController().signal };

describe('custom loop tools', () => {
  it('write, read (with offset/limit), edit (unique / ambiguous / missing / replace_all)', async () => {
    expect(await runTool('write_file', { path: 'src/a.txt', content: 'one\ntwo\ntwo\nthree\n' }, t)).toEqual({
      status: 'ok',
      output: 'created src/a.txt (18 bytes)',
    });
    expect((await runTool('read_file', { path: 'src/a.txt', offset: 2, limit: 2 }, t)).output).toBe('two\ntwo');
    expect(await runTool('edit_file', { path: 'src/a.txt', old_string: 'one', new_string: 'uno' }, t)).toMatchObject({ status: 'ok' });
    expect(await runTool('edit_file', { path: 'src/a.txt', old_string: 'two', new_string: 'dos' }, t)).toMatchObject({
      status: 'error',
      output: expect.stringContaining('occurs 2 times'),
    });
    expect(await runTool('edit_file', { path: 'src/a.txt', old_string: 'four', new_string: 'x' }, t)).toMatchObject({
      status: 'error',
      output: expect.stringContaining('not found'),
    });
    expect(await runTool('edit_file', { path: 'src/a.txt', old_string: 'two', new_string: '$&dos', replace_all: true }, t)).toMatchObject({
      status: 'ok',
    });
    expect(readFileSync(path.join(cwd, 'src/a.txt'), 'utf8')).toBe('uno\n$&dos\n$&dos\nthree\n');
    expect(await runTool('read_file', { path: 'nope.txt' }, t)).toMatchObject({
      status: 'error',
      output: expect.stringContaining('no such file'),
    });
    expect(await runTool('read_file', {}, t)).toEqual({ status: 'error', output: '"path" must be a string' });
  });

  it('list_files and search skip .git and node_modules', async () => {
    mkdirSync(path.join(cwd, 'node_modules/x'), { recursive: true });
    writeFileSync(path.join(cwd, 'node_modules/x/index.js'), 'needle\n');
    writeFileSync(path.join(cwd, 'src/b.js'), 'const a = 1;\n// Needle here\n');
    expect((await runTool('list_files', { recursive: true }, t)).output.split('\n')).toEqual(['src/', 'src/a.txt', 'src/b.js']);
    expect((await runTool('search', { pattern: 'needle', ignore_case: true }, t)).output).toBe('src/b.js:2: // Needle here');
    expect((await runTool('search', { pattern: '(' }, t)).status).toBe('error');
  });

  it('shell: runs in cwd, exit codes are errors, output truncated to MAX_TOOL_OUTPUT_CHARS, timeout stops it', async () => {
    expect(await runTool('shell', { command: 'pwd' }, t)).toEqual({ status: 'ok', output: `${cwd}\n` });
    expect(await runTool('shell', { command: 'echo bad >&2; exit 3' }, t)).toEqual({ status: 'error', output: 'bad\n\n[exit code 3]' });
    const big = await runTool('shell', { command: `head -c ${MAX_TOOL_OUTPUT_CHARS * 3} /dev/zero | tr '\\0' x` }, t);
    expect(big.truncated).toBe(true);
    expect(big.output.length).toBeLessThanOrEqual(MAX_TOOL_OUTPUT_CHARS);
    const started = Date.now();
    const slow = await runTool('shell', { command: 'sleep 20 | cat', timeout_ms: 300 }, t);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(slow).toMatchObject({ status: 'error', output: expect.stringContaining('[timed out after 300 ms]') });
  });

  it('previews say what will happen', () => {
    expect(previewOf('shell', { command: 'git push' })).toBe('git push');
    expect(previewOf('edit_file', { path: 'a', old_string: 'x', new_string: 'y' })).toBe('edit a\n- x\n+ y');
    expect(previewOf('write_file', { path: 'a', content: 'hi' })).toBe('write a (1 lines)\nhi');
  });
});
