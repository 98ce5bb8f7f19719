import { describe, expect, test } from 'vitest';
import type { PresenceBody } from '@tandem/protocol';
import { PresenceReporter, TYPING_IDLE_MS, deviceKindOf, peopleRows, typingText, type PresenceUpdate } from './presence-model.ts';

/** A fake clock and timers. */
function clock() {
  let now = 1_000_000;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => now,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        const id = next++;
        timers.push({ at: now + ms, fn, id });
        return id;
      },
      clearTimeout: (h: unknown) => {
        timers = timers.filter((t) => t.id !== h);
      },
    },
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = until;
    },
  };
}

function reporter(visible = true) {
  const c = clock();
  const sent: PresenceUpdate[] = [];
  const r = new PresenceReporter({ send: (u) => sent.push(u), visible, deviceKind: 'phone', now: c.now, timers: c.timers });
  return { c, sent, r };
}

describe('presence.update from this device', () => {
  test('sent on connect and then only when something changed', () => {
    const { sent, r } = reporter();
    r.connected();
    expect(sent).toEqual([{ visible: true, typing: false, deviceKind: 'phone' }]);
    r.setVisible(true);
    r.stopTyping();
    expect(sent).toHaveLength(1);
    r.setVisible(false);
    expect(sent.at(-1)).toEqual({ visible: false, typing: false, deviceKind: 'phone' });
    r.connected(); // a new socket: told again
    expect(sent).toHaveLength(3);
  });

  test('typing: once while typing, false 3 s after the last keystroke or on send, true again at most every 2 s', () => {
    const { c, sent, r } = reporter();
    r.connected();
    sent.length = 0;
    for (let i = 0; i < 10; i++) {
      r.keystroke();
      c.advance(500);
    }
    expect(sent).toEqual([{ visible: true, typing: true, deviceKind: 'phone' }]);
    c.advance(TYPING_IDLE_MS);
    expect(sent.map((u) => u.typing)).toEqual([true, false]);

    // send, then type again at once: true waits for the 2 s throttle
    r.keystroke();
    expect(sent.map((u) => u.typing)).toEqual([true, false, true]);
    r.stopTyping();
    r.keystroke();
    expect(sent.map((u) => u.typing)).toEqual([true, false, true, false]);
    c.advance(2_000);
    expect(sent.map((u) => u.typing)).toEqual([true, false, true, false, true]);
    c.advance(TYPING_IDLE_MS);
    expect(sent.map((u) => u.typing)).toEqual([true, false, true, false, true, false]);
  });

  test('a hidden page never claims to be visible or typing', () => {
    const { sent, r } = reporter(false);
    r.connected();
    r.keystroke();
    expect(sent).toEqual([{ visible: false, typing: false, deviceKind: 'phone' }]);
  });
});

describe('what the page shows of the others', () => {
  const body: PresenceBody = {
    runnerOnline: true,
    people: [
      { name: 'Olga', device: 'Chrome on Linux', deviceId: 'dev-olga', deviceKind: 'desktop', role: 'owner', idle: false, typing: false },
      { name: 'Dan', device: 'Chrome on Android', deviceId: 'dev-dan', deviceKind: 'phone', role: 'driver', idle: false, typing: true },
      { name: 'Bea', device: 'Safari on iPad', deviceId: 'dev-bea', role: 'driver', idle: true, typing: false },
    ],
  };
  test('typing line without me; people with me first', () => {
    expect(typingText(body, 'dev-olga')).toBe('Dan is typing…');
    expect(typingText(body, 'dev-dan')).toBeNull();
    const both = { ...body, people: body.people.map((p) => ({ ...p, typing: p.name !== 'Olga' })) };
    expect(typingText(both, 'dev-olga')).toBe('Dan and Bea are typing…');
    expect(peopleRows(body, 'dev-dan').map((p) => p.name)).toEqual(['Dan', 'Bea', 'Olga']);
    expect(typingText(null, 'x')).toBeNull();
  });

  test('device kind from the user agent and the screen', () => {
    expect(deviceKindOf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)', 390, true)).toBe('phone');
    expect(deviceKindOf('Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari', 412, true)).toBe('phone');
    expect(deviceKindOf('Mozilla/5.0 (Linux; Android 14; SM-X910) Safari', 900, true)).toBe('tablet');
    expect(deviceKindOf('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)', 820, true)).toBe('tablet');
    expect(deviceKindOf('Mozilla/5.0 (X11; Linux x86_64) Chrome/120', 390, false)).toBe('phone');
    expect(deviceKindOf('Mozilla/5.0 (X11; Linux x86_64) Chrome/120', 1280, false)).toBe('desktop');
  });
});
