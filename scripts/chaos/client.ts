/**
 * The load's HTTP client: a signed-in buyer's cookie and CSRF token on every request, and a
 * tally of every answer (or its absence) across the run. A request that meets a dependency
 * outage (503) or a web process that is down (connection refused or reset) is retried with
 * back-off, as a browser's user or an API client would, until the operation's deadline.
 */

export interface Tally {
  /** Requests sent (every attempt counts). */
  sent: number;
  /** Answered with a status below 500. */
  served: number;
  /** Answered 503 (dependency unavailable), with Retry-After. */
  unavailable: number;
  /** 503 answers without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  /** No answer: connection refused or reset, or timed out. */
  noAnswer: number;
  /** Any other 5xx: always a defect. */
  serverErrors: Array<{ at: number; method: string; path: string; status: number; body: string }>;
  /** Operations abandoned after their deadline (still failing). */
  gaveUp: Array<{ at: number; what: string; last: string }>;
}

export function newTally(): Tally {
  return {
    sent: 0,
    served: 0,
    unavailable: 0,
    unavailableWithoutRetryAfter: 0,
    noAnswer: 0,
    serverErrors: [],
    gaveUp: [],
  };
}

export interface Session {
  email: string;
  userId: string;
  cookie: string;
  csrfToken: string;
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

export class GaveUpError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpClient {
  constructor(
    readonly baseUrl: string,
    readonly tally: Tally,
    private readonly opts: { requestTimeoutMs: number; operationDeadlineMs: number },
  ) {}

  /** One attempt: the answer, or null when there was none (recorded in the tally). */
  async once(
    session: Session | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer | null> {
    this.tally.sent++;
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (session) {
      h.cookie = session.cookie;
      if (method !== 'GET') h['x-csrf-token'] = session.csrfToken;
    }
    if (body !== undefined) h['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
    } catch {
      this.tally.noAnswer++;
      return null;
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // HTML pages (the payment callback) stay text
    }
    if (res.status === 503) {
      this.tally.unavailable++;
      if (!res.headers.get('retry-after')) this.tally.unavailableWithoutRetryAfter++;
    } else if (res.status >= 500) {
      this.tally.serverErrors.push({
        at: Date.now(),
        method,
        path: path.replace(/[0-9a-f-]{36}/g, ':id'),
        status: res.status,
        body: text.slice(0, 300),
      });
    } else {
      this.tally.served++;
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /**
   * Retries through 503, 429 and missing answers until an answer that is not one of those, or
   * the operation's deadline (then GaveUpError). Returns the first definite answer, 5xx included.
   */
  async call(
    session: Session | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const deadline = Date.now() + this.opts.operationDeadlineMs;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      const a = await this.once(session, method, path, body, headers);
      if (a && a.status !== 503 && a.status !== 429) return a;
      last = a ? String(a.status) : 'no answer';
      if (Date.now() > deadline) {
        this.tally.gaveUp.push({ at: Date.now(), what: `${method} ${path}`, last });
        throw new GaveUpError(`${method} ${path}: still ${last} after ${this.opts.operationDeadlineMs} ms`);
      }
      await sleep(Math.min(250 * attempt, 2000));
    }
  }
}
