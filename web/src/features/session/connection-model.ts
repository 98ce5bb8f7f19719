/** What the session header says about the connection. Pure. */
import type { ConnStatus } from '../../connection.ts';

export function connectionText(s: ConnStatus): string {
  switch (s.state) {
    case 'connecting':
      return 'Connecting…';
    case 'catching-up':
      return 'Catching up…';
    case 'live':
      return 'Live';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'closed':
      return s.fatal ? `Closed: ${s.fatal.message}` : 'Closed';
  }
}
