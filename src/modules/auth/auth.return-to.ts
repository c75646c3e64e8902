/**
 * Where to send a person after sign-in. Only a path on this site is allowed: an absolute URL,
 * a protocol-relative `//host` or a `/\host` (which browsers treat as `//host`) would make the
 * sign-in an open redirect.
 *
 * The check applies to what is returned, not only to what came in: URL normalisation can turn a
 * harmless-looking input into a dangerous output (`/.//evil.example/x` normalises to
 * `//evil.example/x`), so the normalised path is checked again before it is handed out.
 */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length > 2048) return fallback;
  if (!isLocalPath(value)) return fallback;
  const base = 'http://same.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  const result = `${url.pathname}${url.search}${url.hash}`;
  return isLocalPath(result) ? result : fallback;
}

function isLocalPath(value: string): boolean {
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f]/.test(value);
}
