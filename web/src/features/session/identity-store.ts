/** Who this device is: its id (made once, kept), its label ("Chrome on Android") and the name others see. Signals over localStorage. */
import { createSignal } from 'solid-js';
import { deviceLabel } from '../../lib/device.ts';
import { randomId } from '../../lib/ids.ts';
import { readJson, writeJson } from '../../lib/storage.ts';

const NAME_KEY = 'tandem.name';
const DEVICE_KEY = 'tandem.deviceId';

function loadDeviceId(): string {
  const stored = readJson(DEVICE_KEY);
  if (typeof stored === 'string' && /^[\w-]{8,80}$/.test(stored)) return stored;
  const id = randomId('d', 12);
  writeJson(DEVICE_KEY, id);
  return id;
}

export const deviceId = loadDeviceId();
export const device = deviceLabel(typeof navigator === 'undefined' ? '' : navigator.userAgent);

function loadName(): string {
  const stored = readJson(NAME_KEY);
  return typeof stored === 'string' ? stored.trim().slice(0, 80) : '';
}

const [name, setNameSignal] = createSignal(loadName());
export { name };

export function setName(value: string): void {
  const clean = value.trim().slice(0, 80);
  if (!clean) return;
  writeJson(NAME_KEY, clean);
  setNameSignal(clean);
}

if (typeof window !== 'undefined') {
  // another tab changed the name
  window.addEventListener('storage', (e) => {
    if (e.key === NAME_KEY) setNameSignal(loadName());
  });
}
