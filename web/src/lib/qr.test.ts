import { describe, expect, it } from 'vitest';
import { makeQr, qrPath } from './qr.ts';

describe('qr', () => {
  it('draws one rectangle per run of dark modules, inside a quiet zone', () => {
    const p = qrPath({ size: 3, data: [1, 1, 0, 0, 0, 0, 1, 0, 1] }, 1);
    expect(p.size).toBe(5);
    expect(p.d).toBe('M1 1h2v1h-2zM1 3h1v1h-1zM3 3h1v1h-1z');
  });

  it('encodes a share link with the qrcode package (lazily imported)', async () => {
    const url = `https://tandem.example/s/s_0123456789abcdef#t=${'x'.repeat(43)}`;
    const q = await makeQr(url);
    expect(q.size).toBeGreaterThan(25 + 8);
    expect(q.d).toMatch(/^M4 4h7v1h-7z/); // the top-left finder pattern
  });
});
