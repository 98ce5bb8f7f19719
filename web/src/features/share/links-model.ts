/**
 * Share links as the owner sees them: the list the relay pushes (`links`) and the link just
 * made (`link.created`, the only time its token is known). Pure functions over plain data:
 * session.ts keeps the state in a signal. The words and order of the list: link-list.ts.
 */
import type { LinkInfo } from '@tandem/protocol';
import { sessionUrl } from '@tandem/protocol';

export interface CreatedLink {
  readonly link: LinkInfo;
  /** The full link to hand over (token in the fragment). Shown once: the relay keeps only a hash. */
  readonly url: string;
}

export interface ShareState {
  /** Every link of the session, as the relay last said (null until it has). */
  readonly links: readonly LinkInfo[] | null;
  /** The id of the `link.create` frame waiting for its answer. */
  readonly creating: string | null;
  readonly created: CreatedLink | null;
  readonly error: string | null;
}

export const emptyShare: ShareState = Object.freeze({ links: null, creating: null, created: null, error: null });

/** A `link.create` frame went out with this id. */
export function startCreate(s: ShareState, frameId: string): ShareState {
  return { ...s, creating: frameId, created: null, error: null };
}

/** The relay's `links` frame: the whole list, replacing ours. */
export function gotLinks(s: ShareState, links: readonly LinkInfo[]): ShareState {
  return { ...s, links };
}

/**
 * The relay's `link.created`: ours only when it answers the frame we are waiting for. The link
 * joins the list at once (the relay's `links` push follows and replaces it).
 */
export function gotCreated(
  s: ShareState,
  body: { link: LinkInfo; token: string; ref: string },
  where: { origin: string; sessionId: string },
): ShareState {
  if (body.ref !== s.creating) return s;
  const links = s.links ?? [];
  return {
    links: links.some((l) => l.linkId === body.link.linkId) ? links : [...links, body.link],
    creating: null,
    created: { link: body.link, url: sessionUrl(where.origin, where.sessionId, body.token) },
    error: null,
  };
}

/** An `error` frame: ours when it refers to the create we wait for. */
export function gotError(s: ShareState, err: { message: string; ref?: string | undefined }): ShareState {
  if (!err.ref || err.ref !== s.creating) return s;
  return { ...s, creating: null, error: err.message };
}

/** The connection dropped after a `link.create` went out: its answer is lost (the list shows whether the link was made). */
export function lostCreate(s: ShareState): ShareState {
  if (s.creating === null) return s;
  return { ...s, creating: null, error: 'The connection dropped while the link was being made. Check the list below, then try again.' };
}
