import { createSignal } from 'solid-js';

export interface Toast {
  id: number;
  message: string;
  tone: 'error' | 'info';
}

const [toasts, setToasts] = createSignal<Toast[]>([]);
export { toasts };

let next = 1;
const MAX = 3;
const LIFETIME_MS = 12_000;

export function toast(message: string, tone: Toast['tone'] = 'error'): number {
  const id = next++;
  setToasts((list) => [...list.filter((t) => t.message !== message), { id, message, tone }].slice(-MAX));
  setTimeout(() => dismiss(id), LIFETIME_MS);
  return id;
}

export function dismiss(id: number): void {
  setToasts((list) => list.filter((t) => t.id !== id));
}
