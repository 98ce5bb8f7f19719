/**
 * QR code as an SVG path: the encoder (`qrcode`'s core, no renderers) is loaded only when a
 * code is shown, so it stays out of the first load. The result is path data, never markup.
 */

export interface QrPath {
  /** Modules per side, plus the 4-module quiet zone on each side. */
  readonly size: number;
  /** One `M x y h1 v1 h-1 z` square per dark module. */
  readonly d: string;
}

/** Path data for a QR matrix (`data[row * size + col]` = 1 for dark). */
export function qrPath(modules: { size: number; data: ArrayLike<number> }, margin = 4): QrPath {
  const { size, data } = modules;
  let d = '';
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!data[row * size + col]) {
        col++;
        continue;
      }
      // one rectangle per horizontal run of dark modules keeps the path short
      let end = col;
      while (end < size && data[row * size + end]) end++;
      d += `M${col + margin} ${row + margin}h${end - col}v1h${col - end}z`;
      col = end;
    }
  }
  return { size: size + margin * 2, d };
}

export async function makeQr(text: string): Promise<QrPath> {
  // a CommonJS module: its exports are named exports or sit on default, depending on the bundler
  const mod: Partial<typeof import('qrcode/lib/core/qrcode.js')> & { default?: typeof import('qrcode/lib/core/qrcode.js') } = await import(
    'qrcode/lib/core/qrcode.js'
  );
  const create = mod.create ?? mod.default!.create;
  return qrPath(create(text, { errorCorrectionLevel: 'M' }).modules);
}
