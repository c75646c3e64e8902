/// <reference types="jest" />
/** Headers that differ between any two answers (time, ids, body hashes, the limiter's count). */
const VOLATILE = new Set(['date', 'etag', 'content-length', 'x-request-id', 'ratelimit']);

/** An answer's headers without the volatile ones. */
export function stableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !VOLATILE.has(k)));
}

/**
 * A fast-lane answer (shared/http/fast-lane.ts) has the headers the app gives the same request
 * (`viaApp`): the cache policy, the security headers and the route's own rate limit (`limiter`).
 */
export function expectAppHeaders(
  fast: Record<string, string>,
  viaApp: Record<string, string>,
  limiter: string,
): void {
  expect(stableHeaders(fast)).toEqual(stableHeaders(viaApp));
  expect(fast).toMatchObject({
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': expect.stringContaining("form-action 'self'"),
    'ratelimit-policy': expect.stringContaining(`"${limiter}"`),
  });
}
