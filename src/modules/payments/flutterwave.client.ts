import type { Config } from '../../shared/config';
import { AppError, type ErrorKind } from '../../shared/errors';
import { MoneyError, isCurrencyCode, toMajorNumber, type CurrencyCode } from '../../shared/money';
import type {
  FlwCreatePaymentRequest,
  FlwCreateTransferRequest,
  FlwEnvelope,
  FlwHostedLink,
  FlwRefund,
  FlwRefundRequest,
  FlwTransaction,
  FlwTransfer,
} from './flutterwave.types';

/**
 * A typed Flutterwave v3 client over fetch. The base URL and secret key come from configuration,
 * so the same code talks to api.flutterwave.com in production and to the local simulator
 * (tools/flutterwave-sim) in development and tests.
 *
 * Failure policy:
 * - Every attempt has a time-out (AbortSignal). Network errors, time-outs and 5xx answers are
 *   retried with exponential back-off and jitter; 4xx answers never are (the same request
 *   would fail the same way) and map to AppError codes (PROVIDER_REJECTED 422, ...).
 * - When retries run out the caller gets PROVIDER_UNAVAILABLE (503) with `retryable: true`, and
 *   `outcomeUnknown: true` if a request may have reached Flutterwave (a worker should then
 *   re-check with verify or the transfer webhook rather than assume nothing happened).
 *
 * Why a retry cannot move money twice:
 * - POST /v3/payments only creates a hosted checkout link for our `tx_ref`; no money moves until
 *   the buyer pays on the page. A retried call at worst yields a second link for the same
 *   tx_ref, and a payment is credited only after verify shows that tx_ref with the expected
 *   amount and currency, once per tx_ref (the payments table keeps tx_ref unique).
 * - POST /v3/transfers carries our `reference`, which Flutterwave keeps unique per account: if an
 *   earlier attempt was accepted but its answer was lost, the retry is refused as a duplicate
 *   (PROVIDER_DUPLICATE_REFERENCE, 409) instead of paying out again; the outcome then arrives
 *   with the transfer.completed webhook, which carries the same reference.
 * - POST /v3/transactions/:id/refund has no reference of ours, so it is retried only when the
 *   request provably never left (connection refused, DNS failure); after a time-out or 5xx the
 *   caller gets `outcomeUnknown: true` and must check before refunding again.
 *
 * The secret key is only ever put in the Authorization header of the outgoing request; log
 * lines carry method, path, attempt and status, and headers only in redacted form.
 */

export interface ClientLogger {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface FlutterwaveClientOptions {
  baseUrl: string;
  secretKey: string;
  logger: ClientLogger;
  /** Per-attempt time-out. */
  timeoutMs?: number;
  /** Retries after the first attempt (so maxRetries + 1 attempts at most). */
  maxRetries?: number;
  /** First back-off delay; doubles each retry, plus up to the same again in jitter. */
  retryBaseMs?: number;
  fetch?: typeof fetch;
}

export interface CallOptions {
  /** Cancels the call (and its retries); the caller's abort is rethrown as is. */
  signal?: AbortSignal;
}

/** POST /v3/payments input in our terms: minor units + ISO currency instead of a decimal amount. */
export type CreatePaymentParams = Omit<FlwCreatePaymentRequest, 'amount' | 'currency'> & {
  amountMinor: number;
  currency: CurrencyCode;
};

/** POST /v3/transfers input in our terms. */
export type CreateTransferParams = Omit<FlwCreateTransferRequest, 'amount' | 'currency'> & {
  amountMinor: number;
  currency: CurrencyCode;
};

/** Refund input: omit amountMinor for a full refund. */
export interface RefundParams {
  amountMinor?: number;
  /** Required with amountMinor (the transaction's currency). */
  currency?: CurrencyCode;
  comments?: string;
}

/** An AppError raised by the client, with what a caller needs to decide on a retry. */
export class FlutterwaveError extends AppError {
  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    readonly info: {
      /** HTTP status Flutterwave answered, if it answered. */
      httpStatus?: number;
      /** Flutterwave's own `message`, for logs and review screens. */
      providerMessage?: string;
      /** Worth trying again later (network trouble, 5xx, rate limit). */
      retryable: boolean;
      /** The request may have been processed even though we got no good answer. */
      outcomeUnknown: boolean;
      attempts: number;
    },
  ) {
    super(kind, code, message, info.providerMessage ? [{ message: info.providerMessage }] : []);
    this.name = 'FlutterwaveError';
  }
}

type RetryPolicy = 'idempotent' | 'unsent-only';

interface Attempt {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  retry: RetryPolicy;
  signal?: AbortSignal;
}

/** Connection failures that happen before the request is written: safe to retry anything. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const NOT_FOUND_MESSAGE = /no transaction was found|not found/i;
const DUPLICATE_MESSAGE = /duplicate|already (exists|been used|used)/i;

export class FlutterwaveClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: FlutterwaveClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetries = opts.maxRetries ?? 2;
    this.retryBaseMs = opts.retryBaseMs ?? 250;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** Creates a hosted checkout for our tx_ref and returns its link; moves no money (safe to retry). */
  async createPayment(params: CreatePaymentParams, call: CallOptions = {}): Promise<FlwHostedLink> {
    const { amountMinor, currency, ...rest } = params;
    if (!rest.tx_ref) throw AppError.validation('tx_ref is required', [], 'PROVIDER_BAD_REQUEST');
    if (!(amountMinor > 0))
      throw AppError.validation('The amount must be positive', [], 'PROVIDER_BAD_REQUEST');
    const body: FlwCreatePaymentRequest = { ...rest, amount: wireAmount(amountMinor, currency), currency };
    const data = await this.send<FlwHostedLink>({
      method: 'POST',
      path: '/v3/payments',
      body,
      retry: 'idempotent',
      ...call,
    });
    if (!data || typeof data.link !== 'string')
      throw malformed('POST /v3/payments answered without data.link');
    return data;
  }

  /** The provider's record of a transaction by Flutterwave id: the only source to trust. */
  async verifyTransaction(id: number | string, call: CallOptions = {}): Promise<FlwTransaction> {
    const path = `/v3/transactions/${encodeURIComponent(String(id))}/verify`;
    return this.send<FlwTransaction>({ method: 'GET', path, retry: 'idempotent', ...call });
  }

  /** The provider's record of the transaction made for our tx_ref (the latest attempt). */
  async verifyTransactionByReference(txRef: string, call: CallOptions = {}): Promise<FlwTransaction> {
    const path = `/v3/transactions/verify_by_reference?tx_ref=${encodeURIComponent(txRef)}`;
    return this.send<FlwTransaction>({ method: 'GET', path, retry: 'idempotent', ...call });
  }

  /** Like verifyTransactionByReference, but null when the buyer never attempted a payment. */
  async findTransactionByReference(txRef: string, call: CallOptions = {}): Promise<FlwTransaction | null> {
    try {
      return await this.verifyTransactionByReference(txRef, call);
    } catch (err) {
      if (err instanceof FlutterwaveError && err.code === 'PROVIDER_NOT_FOUND') return null;
      throw err;
    }
  }

  /** Refunds a transaction in full, or partly when amountMinor is given; retried only if never sent. */
  async refundTransaction(
    id: number | string,
    params: RefundParams = {},
    call: CallOptions = {},
  ): Promise<FlwRefund> {
    const body: FlwRefundRequest = {};
    if (params.amountMinor !== undefined) {
      if (!params.currency)
        throw AppError.validation('A partial refund needs its currency', [], 'PROVIDER_BAD_REQUEST');
      body.amount = wireAmount(params.amountMinor, params.currency);
    }
    if (params.comments) body.comments = params.comments;
    const path = `/v3/transactions/${encodeURIComponent(String(id))}/refund`;
    return this.send<FlwRefund>({ method: 'POST', path, body, retry: 'unsent-only', ...call });
  }

  /** The provider's current record of a refund (GET /v3/refunds/:id): how a `pending` refund is read back. */
  async getRefund(id: number | string, call: CallOptions = {}): Promise<FlwRefund> {
    const path = `/v3/refunds/${encodeURIComponent(String(id))}`;
    return this.send<FlwRefund>({ method: 'GET', path, retry: 'idempotent', ...call });
  }

  /**
   * One page of the account's refunds created between two days (GET /v3/refunds?from&to&page, days
   * as YYYY-MM-DD, pages from 1): how a refund whose answer was lost is looked up before it is
   * asked for again. An empty page is past the last one.
   */
  async listRefunds(
    query: { from: string; to: string; page: number },
    call: CallOptions = {},
  ): Promise<FlwRefund[]> {
    const qs = new URLSearchParams({ from: query.from, to: query.to, page: String(query.page) });
    const data = await this.send<FlwRefund[] | null>({
      method: 'GET',
      path: `/v3/refunds?${qs.toString()}`,
      retry: 'idempotent',
      ...call,
    });
    if (data !== null && !Array.isArray(data)) throw malformed('GET /v3/refunds answered without a list');
    return data ?? [];
  }

  /** Queues a payout under our unique reference; a retry can never pay twice (see above). */
  async createTransfer(params: CreateTransferParams, call: CallOptions = {}): Promise<FlwTransfer> {
    const { amountMinor, currency, ...rest } = params;
    if (!rest.reference)
      throw AppError.validation('A transfer needs our reference', [], 'PROVIDER_BAD_REQUEST');
    if (!(amountMinor > 0))
      throw AppError.validation('The amount must be positive', [], 'PROVIDER_BAD_REQUEST');
    const body: FlwCreateTransferRequest = { ...rest, amount: wireAmount(amountMinor, currency), currency };
    return this.send<FlwTransfer>({
      method: 'POST',
      path: '/v3/transfers',
      body,
      retry: 'idempotent',
      ...call,
    });
  }

  /** The provider's current record of a transfer. */
  async getTransfer(id: number | string, call: CallOptions = {}): Promise<FlwTransfer> {
    const path = `/v3/transfers/${encodeURIComponent(String(id))}`;
    return this.send<FlwTransfer>({ method: 'GET', path, retry: 'idempotent', ...call });
  }

  private async send<T>(req: Attempt): Promise<T> {
    const { logger } = this.opts;
    const attempts = this.maxRetries + 1;
    let outcomeUnknown = false;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      const headers: Record<string, string> = {
        Accept: 'application/json',
        Authorization: `Bearer ${this.opts.secretKey}`,
      };
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      logger.debug('flutterwave request', {
        method: req.method,
        path: req.path,
        attempt,
        headers: redactHeaders(headers),
      });

      let failure: { reason: string; sent: boolean; status?: number; providerMessage?: string };
      try {
        const res = await this.fetchImpl(this.baseUrl + req.path, {
          method: req.method,
          headers,
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
          signal,
          redirect: 'error',
        });
        const text = await res.text();
        const envelope = parseEnvelope(text);
        const ms = Date.now() - started;
        logger.debug('flutterwave response', {
          method: req.method,
          path: req.path,
          attempt,
          status: res.status,
          ms,
        });
        if (res.ok) {
          if (envelope?.status === 'success') {
            if (attempt > 1 && outcomeUnknown) {
              logger.info('flutterwave call succeeded after an uncertain attempt', {
                method: req.method,
                path: req.path,
                attempt,
              });
            }
            return envelope.data as T;
          }
          if (envelope) throw this.rejected(req, res.status, envelope.message, attempt, outcomeUnknown);
          throw new FlutterwaveError(
            'unavailable',
            'PROVIDER_UNAVAILABLE',
            'The payment provider sent an unreadable answer',
            {
              httpStatus: res.status,
              retryable: true,
              outcomeUnknown: req.method === 'POST',
              attempts: attempt,
            },
          );
        }
        if (res.status < 500)
          throw this.rejected(req, res.status, envelope?.message, attempt, outcomeUnknown);
        failure = {
          reason: `HTTP ${res.status}`,
          sent: true,
          status: res.status,
          providerMessage: envelope?.message,
        };
      } catch (err) {
        if (err instanceof FlutterwaveError) throw err;
        if (req.signal?.aborted) throw req.signal.reason ?? err;
        failure = classifyNetworkError(err, timeout.aborted);
      }

      outcomeUnknown ||= failure.sent && req.method === 'POST';
      const mayRetry = req.retry === 'idempotent' || !failure.sent;
      if (attempt >= attempts || !mayRetry) {
        logger.warn('flutterwave call failed', {
          method: req.method,
          path: req.path,
          attempts: attempt,
          reason: failure.reason,
        });
        throw new FlutterwaveError(
          'unavailable',
          'PROVIDER_UNAVAILABLE',
          'The payment provider is not reachable right now; please try again shortly',
          {
            httpStatus: failure.status,
            providerMessage: failure.providerMessage,
            retryable: true,
            outcomeUnknown,
            attempts: attempt,
          },
        );
      }
      const delayMs = this.backoff(attempt);
      logger.warn('flutterwave call failed; retrying', {
        method: req.method,
        path: req.path,
        attempt,
        reason: failure.reason,
        delayMs,
      });
      await sleep(delayMs, req.signal);
    }
  }

  private rejected(
    req: Attempt,
    status: number,
    providerMessage: string | undefined,
    attempts: number,
    outcomeUnknown: boolean,
  ) {
    const info = { httpStatus: status, providerMessage, attempts, outcomeUnknown: false };
    if (status === 401 || status === 403) {
      // Our credentials are wrong: the buyer cannot fix that, and retrying will not either.
      return new FlutterwaveError(
        'unavailable',
        'PROVIDER_AUTH_FAILED',
        'Payments are misconfigured: the provider refused our key',
        {
          ...info,
          retryable: false,
        },
      );
    }
    if (status === 429) {
      return new FlutterwaveError(
        'unavailable',
        'PROVIDER_UNAVAILABLE',
        'The payment provider is busy; please try again shortly',
        {
          ...info,
          retryable: true,
        },
      );
    }
    if (
      status === 404 ||
      (providerMessage && NOT_FOUND_MESSAGE.test(providerMessage) && req.method === 'GET')
    ) {
      return new FlutterwaveError(
        'not_found',
        'PROVIDER_NOT_FOUND',
        'The payment provider has no such record',
        {
          ...info,
          retryable: false,
        },
      );
    }
    if (req.path === '/v3/transfers' && providerMessage && DUPLICATE_MESSAGE.test(providerMessage)) {
      // Either a caller reused a reference, or an earlier attempt of this very call went through.
      return new FlutterwaveError(
        'conflict',
        'PROVIDER_DUPLICATE_REFERENCE',
        'A transfer with this reference already exists',
        {
          ...info,
          outcomeUnknown,
          retryable: false,
        },
      );
    }
    return new FlutterwaveError(
      'business_rule',
      'PROVIDER_REJECTED',
      `The payment provider refused the request: ${providerMessage ?? `HTTP ${status}`}`,
      {
        ...info,
        retryable: false,
      },
    );
  }

  private backoff(attempt: number): number {
    const base = this.retryBaseMs * 2 ** (attempt - 1);
    return base + Math.floor(Math.random() * base);
  }
}

/** The client configured from the platform's settings. */
export function createFlutterwaveClient(
  config: Config,
  logger: ClientLogger,
  fetchImpl?: typeof fetch,
): FlutterwaveClient {
  return new FlutterwaveClient({
    baseUrl: config.FLUTTERWAVE_BASE_URL,
    secretKey: config.FLUTTERWAVE_SECRET_KEY,
    timeoutMs: config.FLUTTERWAVE_TIMEOUT_MS,
    maxRetries: config.FLUTTERWAVE_MAX_RETRIES,
    retryBaseMs: config.FLUTTERWAVE_RETRY_BASE_MS,
    logger,
    fetch: fetchImpl,
  });
}

function wireAmount(amountMinor: number, currency: string): number {
  if (!isCurrencyCode(currency))
    throw AppError.validation(`Unsupported currency ${currency}`, [], 'UNSUPPORTED_CURRENCY');
  try {
    return toMajorNumber(amountMinor, currency);
  } catch (err) {
    if (err instanceof MoneyError) throw AppError.validation(err.message, [], 'INVALID_AMOUNT');
    throw err;
  }
}

function parseEnvelope(text: string): FlwEnvelope<unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (
      v &&
      typeof v === 'object' &&
      'status' in v &&
      typeof (v as { status: unknown }).status === 'string'
    ) {
      const e = v as { status: string; message?: unknown; data?: unknown };
      return {
        status: e.status === 'success' ? 'success' : 'error',
        message: String(e.message ?? ''),
        data: e.data ?? null,
      };
    }
  } catch {
    // not JSON: a proxy's HTML error page, a truncated body
  }
  return undefined;
}

function classifyNetworkError(err: unknown, timedOut: boolean): { reason: string; sent: boolean } {
  if (timedOut) return { reason: 'timed out', sent: true };
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  const code = cause?.code ?? (err as { code?: string } | null)?.code;
  if (code && NOT_SENT_CODES.has(code)) return { reason: code, sent: false };
  return { reason: code ?? (err instanceof Error ? err.message : 'network error'), sent: true };
}

function malformed(message: string): FlutterwaveError {
  return new FlutterwaveError('unavailable', 'PROVIDER_UNAVAILABLE', message, {
    retryable: true,
    outcomeUnknown: true,
    attempts: 1,
  });
}

/** Headers as they may appear in logs. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = /authorization|verif-hash|cookie/i.test(k) ? '[redacted]' : v;
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
