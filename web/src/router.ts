/** Two routes, no library: `/` and `/s/:sessionId`. Same-origin link clicks navigate in place. */
import { createSignal } from 'solid-js';
import { parseRoute, type Route } from './lib/route.ts';
import { captureLink } from './features/session/follows-store.ts';

const [route, setRoute] = createSignal<Route>(parseRoute(location.pathname));
export { route };

function sync(): void {
  captureLink();
  setRoute(parseRoute(location.pathname));
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  sync();
  window.scrollTo(0, 0);
}

export function startRouter(): void {
  sync();
  window.addEventListener('popstate', sync);
  window.addEventListener('hashchange', sync);
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.getAttribute('rel') === 'external') return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}
