/**
 * Random ids for frames and the device. Uses getRandomValues, which (unlike
 * crypto.randomUUID) also exists on plain-http pages such as a LAN address.
 */
export function randomId(prefix = '', bytes = 16): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let hex = '';
  for (const b of buf) hex += b.toString(16).padStart(2, '0');
  return prefix + hex;
}
