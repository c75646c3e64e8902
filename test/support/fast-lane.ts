/** Headers that differ between any two answers (time, ids, body hashes, the limiter's count). */
const VOLATILE = new Set(['date', 'etag', 'content-length', 'x-request-id', 'ratelimit']);

/**
 * An answer's headers without the volatile ones: a fast-lane answer's must equal the app's for the
 * same request (shared/http/fast-lane.ts).
 */
export function stableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !VOLATILE.has(k)));
}
