// Writes the PWA icons (PNG) and the SVG favicon into web/public.
// Run with `npm run icons -w web`; the output is committed, so builds need no image tooling.
// The motif: two wheels joined by a frame (a tandem), white on an indigo gradient.
import { deflateSync, crc32 } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const TOP = [99, 102, 241]; // #6366f1
const BOTTOM = [49, 46, 129]; // #312e81

const wheels = [
  { x: 0.3, y: 0.58, r: 0.16 },
  { x: 0.7, y: 0.58, r: 0.16 },
];
const STROKE = 0.055;

function distToSegment(px, py, ax, ay, bx, by) {
  const dx = bx - ax,
    dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Is (u, v) on the white motif? Coordinates are 0..1 in the motif's own box. */
function motif(u, v) {
  for (const w of wheels) {
    if (Math.abs(Math.hypot(u - w.x, v - w.y) - w.r) < STROKE / 2) return true;
  }
  // frame: hub to hub, and two seat posts
  if (distToSegment(u, v, 0.3, 0.58, 0.7, 0.58) < STROKE / 2) return true;
  if (distToSegment(u, v, 0.3, 0.58, 0.38, 0.3) < STROKE / 2) return true;
  if (distToSegment(u, v, 0.7, 0.58, 0.62, 0.3) < STROKE / 2) return true;
  if (distToSegment(u, v, 0.38, 0.3, 0.62, 0.3) < STROKE / 2) return true;
  return false;
}

function insideRoundedRect(u, v, radius) {
  const cx = Math.min(Math.max(u, radius), 1 - radius);
  const cy = Math.min(Math.max(v, radius), 1 - radius);
  return Math.hypot(u - cx, v - cy) <= radius;
}

function render(size, { maskable }) {
  const px = Buffer.alloc(size * size * 4);
  const S = 4; // 4x4 supersampling
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let bg = 0,
        fg = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const u = (x + (sx + 0.5) / S) / size;
          const v = (y + (sy + 0.5) / S) / size;
          if (!maskable && !insideRoundedRect(u, v, 0.22)) continue;
          bg++;
          // maskable icons keep the motif inside the central 80% safe zone
          const k = maskable ? 0.72 : 0.9;
          if (motif((u - 0.5) / k + 0.5, (v - 0.5) / k + 0.5)) fg++;
        }
      }
      const t = y / (size - 1);
      const i = (y * size + x) * 4;
      const a = bg / (S * S);
      const f = bg ? fg / bg : 0;
      for (let c = 0; c < 3; c++) {
        const base = TOP[c] * (1 - t) + BOTTOM[c] * t;
        px[i + c] = Math.round(base * (1 - f) + 255 * f);
      }
      px[i + 3] = Math.round(a * 255);
    }
  }
  return png(size, size, px);
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

function png(w, h, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (w * 4 + 1) + 1, y * w * 4, (y + 1) * w * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6366f1"/><stop offset="1" stop-color="#312e81"/></linearGradient></defs>
<rect width="100" height="100" rx="22" fill="url(#g)"/>
<g transform="translate(5 5) scale(.9)" fill="none" stroke="#fff" stroke-width="5.5" stroke-linecap="round" stroke-linejoin="round">
<circle cx="30" cy="58" r="16"/><circle cx="70" cy="58" r="16"/><path d="M30 58H70M30 58L38 30H62L70 58"/>
</g></svg>
`;

function write(rel, data) {
  const file = join(out, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
  console.log(`${rel}: ${data.length} bytes`);
}

write('icons/icon-192.png', render(192, { maskable: false }));
write('icons/icon-512.png', render(512, { maskable: false }));
write('icons/icon-maskable-512.png', render(512, { maskable: true }));
write('apple-touch-icon.png', render(180, { maskable: true }));
write('favicon.svg', svg);
