/**
 * Canonical request paths only (issue 9): a request whose target, exactly as it arrived, holds
 * a dot segment (`/./`, `/../`), an encoded dot, slash or backslash (`%2E`, `%2F`, `%5C`, and
 * `%00`), a backslash, or an empty segment (`//`) is refused with 400 `bad_request` before
 * anything else looks at it.
 *
 * Why: URL parsing normalises such targets (`/v1/x/../mailboxes` and `/v1/%2E/mailboxes` both
 * become `/v1/mailboxes`), and request signatures bind the normalised path (middleware/auth.ts),
 * so without this one signed request would verify under many spellings, and anything in front
 * of the relay that filters by path (a proxy rule, a log search) would see one path while the
 * relay served another. No client of the relay ever needs such a path: route parameters are
 * base64url, and browsers normalise before sending.
 *
 * The raw target comes from node:http (`c.env.incoming.url`, absolute form included); without
 * it (`app.request()` in tests) the URL Hono was given is checked, which has lost its dot
 * segments already but keeps the rest. A trailing slash is left alone (`/` is the app's root).
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { RelayError } from '../errors.ts';

/** `scheme://authority` of an absolute-form target (RFC 9112 §3.2.2). */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;
/** Encoded dot, slash, backslash or NUL, in either case. */
const ENCODED = /%(2e|2f|5c|00)/i;

/** The path of a request target: without scheme and authority, query or fragment. */
const pathOf = (target: string): string => target.replace(ABSOLUTE_FORM, '').split(/[?#]/, 1)[0] ?? '';

/** True when `path` is already in the one form URL parsing would leave unchanged. */
export function isCanonicalPath(path: string): boolean {
  if (!path.startsWith('/') || path.includes('\\') || ENCODED.test(path)) return false;
  const segments = path.split('/').slice(1);
  return segments.every((s, i) => (s !== '' || i === segments.length - 1) && s !== '.' && s !== '..');
}

export const canonicalPath = (): MiddlewareHandler => async (c, next) => {
  const raw = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.url;
  const target = raw ?? new URL(c.req.url).pathname;
  if (!isCanonicalPath(pathOf(target))) throw new RelayError('bad_request', 'Request path is not canonical');
  await next();
};
