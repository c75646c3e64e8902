/**
 * The server could not be asked now: no connection, a time-out, a 5xx (a proxy or a database
 * down) or 429 (slow down). The page decides offline and uploads later.
 */
export class NetworkError extends Error {}

/** The server answered with an error for the request itself (4xx). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 5000;

/**
 * JSON over fetch for the gate page. The page's cookies (device or session) go along; POSTs carry
 * the page's CSRF token. A gate can stand in a basement with one bar of signal: after
 * TIMEOUT_MS the request counts as failed and the page decides offline (the scanId makes a
 * late arrival of the same scan harmless).
 */
export async function request<T>(
  method: 'GET' | 'POST',
  url: string,
  opts: { body?: unknown; csrfToken?: string; timeoutMs?: number } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        Accept: 'application/json',
        ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(method === 'POST' && opts.csrfToken ? { 'X-CSRF-Token': opts.csrfToken } : {}),
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS),
    });
  } catch (err) {
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
  const data = (await res.json().catch(() => null)) as
    (T & { error?: { code?: string; message?: string } }) | null;
  if (res.status >= 500 || res.status === 429) throw new NetworkError(`server answered ${res.status}`);
  if (!res.ok) {
    throw new ApiError(
      res.status,
      data?.error?.code ?? `HTTP_${res.status}`,
      data?.error?.message ?? `Request failed (${res.status})`,
    );
  }
  return data as T;
}
