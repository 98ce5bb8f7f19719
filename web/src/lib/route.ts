/** The app's two routes, `/` and `/s/:sessionId`, read from an address. Pure. */

const SESSION_ID = /^[\w.:-]{1,128}$/;

/** A session id as the relay makes them (a follow stored under anything else is dropped). */
export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

export type Route = { name: 'home' } | { name: 'session'; sessionId: string } | { name: 'not-found' };

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '' || pathname === '/index.html') return { name: 'home' };
  const m = /^\/s\/([^/]+)\/?$/.exec(pathname);
  if (m?.[1]) {
    let id: string;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      return { name: 'not-found' };
    }
    if (isSessionId(id)) return { name: 'session', sessionId: id };
  }
  return { name: 'not-found' };
}
