/** A short, human label for this device from its user agent, e.g. "Chrome on Android". */
export function deviceLabel(ua: string): string {
  const browser = browserName(ua);
  const os = osName(ua);
  const label = browser && os ? `${browser} on ${os}` : browser || os || 'Browser';
  return label.slice(0, 120);
}

function browserName(ua: string): string {
  if (/EdgA?\/|EdgiOS\//.test(ua)) return 'Edge';
  if (/OPR\/|Opera/.test(ua)) return 'Opera';
  if (/SamsungBrowser\//.test(ua)) return 'Samsung Internet';
  if (/Firefox\/|FxiOS\//.test(ua)) return 'Firefox';
  if (/CriOS\//.test(ua)) return 'Chrome';
  if (/(Headless)?Chrom(e|ium)\//.test(ua)) return 'Chrome';
  if (/Version\/[\d.]+.*Safari\//.test(ua) || /AppleWebKit\//.test(ua)) return 'Safari';
  return '';
}

function osName(ua: string): string {
  if (/Android/.test(ua)) return 'Android';
  if (/iPhone|iPod/.test(ua)) return 'iPhone';
  if (/iPad/.test(ua)) return 'iPad';
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Windows/.test(ua)) return 'Windows';
  if (/Mac OS X|Macintosh/.test(ua)) return 'Mac';
  if (/Linux/.test(ua)) return 'Linux';
  return '';
}
