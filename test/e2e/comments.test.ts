// Comments in the PWA, end to end: the real relay (workerd), the real `tandem` runner (demo
// harness) and the built PWA in Chromium. The owner works on a desktop viewport, a teammate
// with a commenter link on a phone. The teammate comments on lines of a tool call's output
// (with an @mention and HTML that must stay inert, under a name with HTML); the comment shows
// live on the owner's page; the owner replies, resolves, and sends the comment to the agent.
import { describe, expect, test } from 'vitest';
import { DESKTOP, shareLink, useTandem } from '../support/pages.ts';

const tandem = useTandem();

const EVIL_NAME = '<b>Eve</b><img src=x onerror="window.__pwned=1">';
const EVIL_TEXT = '<img src=x onerror="window.__pwned=2"> the first lines say it all';

describe('comments', () => {
  test('a teammate comments on lines of a tool output, live for the owner, who replies, resolves and sends it to the agent; HTML stays inert', async () => {
    const run = tandem.run([]);
    const { ownerUrl } = await run.session();
    const owner = await tandem.open(ownerUrl, 'Olga', DESKTOP);
    // let the demo finish: the agent is idle, so a message reaches it at once
    await owner.getByTestId('approval').waitFor();
    await owner.getByTestId('approve').click();
    await run.waitFor((l) => l.kind === 'session.status' && (l.body as { state?: string })?.state === 'finished');

    const url = await shareLink(owner, 'commenter');
    const eve = await tandem.open(url, EVIL_NAME);
    expect(await eve.getByTestId('role').getAttribute('data-role')).toBe('commenter');

    // the teammate opens the test run's output and picks its first two lines
    const call = eve.getByTestId('tool-call').filter({ hasText: 'node --test' }).first();
    await call.locator('.tool-head').click();
    await call.locator('[data-testid="output-line"][data-line="1"]').click();
    await call.locator('[data-testid="output-line"][data-line="2"]').click();
    expect(await call.locator('[data-testid="output-line"][aria-selected="true"]').count()).toBe(2);
    const composer = eve.getByTestId('comment-composer');
    expect(await composer.textContent()).toContain('Comment on output lines 1–2');
    const input = eve.getByTestId('comment-input');
    await input.fill(`${EVIL_TEXT} @Ol`);
    await eve.getByTestId('mention-suggestion').filter({ hasText: 'Olga' }).click();
    expect(await input.inputValue()).toBe(`${EVIL_TEXT} @Olga `);
    await eve.getByTestId('comment-send').click();

    // live on the owner's page, under the tool call, with the author's name as text
    const thread = owner.getByTestId('comment-thread');
    await thread.waitFor();
    expect(await thread.getAttribute('data-resolved')).toBe('false');
    expect(Number(await thread.getAttribute('data-target-seq'))).toBeGreaterThan(0);
    const first = thread.getByTestId('comment').first();
    expect(await first.getAttribute('data-author')).toBe(EVIL_NAME);
    expect(await first.getByTestId('comment-author').textContent()).toBe(EVIL_NAME);
    expect(await first.getByTestId('comment-text').textContent()).toBe(`${EVIL_TEXT} @Olga`);
    expect(await thread.getByTestId('comment-range').getAttribute('data-from')).toBe('1');
    // inert: no element made from the name or the text, nothing ran
    for (const page of [owner, eve]) {
      await page.getByTestId('comment-thread').waitFor();
      expect(await page.locator('main img, main b').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    }
    // the mention went in the frame (the relay pushes a notice to Olga's devices)
    const stored = await owner.evaluate(() => document.querySelector('[data-testid="comment"]')?.getAttribute('data-comment-id'));
    expect(stored).toMatch(/^u:/);

    // the owner replies and resolves; the teammate sees both live
    await thread.getByTestId('comment-reply').click();
    await owner.getByTestId('comment-input').fill('Agreed, the second line is the bug.');
    await owner.getByTestId('comment-send').click();
    await eve.getByTestId('comment-thread').getByTestId('comment').nth(1).waitFor();
    expect(await eve.getByTestId('comment-thread').getByTestId('comment').nth(1).getAttribute('data-author')).toBe('Olga');
    await thread.getByTestId('comment-resolve').click();
    await eve.locator('[data-testid="comment-thread"][data-resolved="true"]').waitFor();
    await owner.locator('[data-testid="comment-thread"][data-resolved="true"]').waitFor();
    expect(await thread.getByTestId('comment-resolve').textContent()).toBe('Reopen');
    // a commenter cannot send to the agent: no checkboxes
    expect(await eve.getByTestId('comment-select').count()).toBe(0);

    // the owner sends the teammate's comment to the agent
    await first.getByTestId('comment-select').check();
    await owner.getByTestId('send-to-agent').click();
    const got = await run.waitFor((l) => l.kind === 'user.message');
    const text = String((got.body as { text?: string }).text);
    expect(text).toContain('node --test');
    expect(text).toContain('output lines 1–2');
    expect(text).toContain(`- ${EVIL_NAME}: ${EVIL_TEXT} @Olga`);
    expect(text).not.toContain('Agreed, the second line');
    await owner.getByTestId('comments-bar').waitFor({ state: 'detached' });
  });
});
