/**
 * The relay Worker's entry: the Hono app (routes and authentication, app.ts) and the
 * SessionRoom Durable Object class (one per session, session-room.ts).
 */
import { app } from './app.ts';

export { SessionRoom } from './session-room.ts';
export default app;
