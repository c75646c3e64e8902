/** Error kinds and the HTTP status each maps to. */
export const ERROR_STATUS = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  business_rule: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorKind = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  field?: string;
  message: string;
  [key: string]: unknown;
}

/** The one error type services throw; the HTTP layer turns it into `{ error: { code, message, details } }`. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.kind];
  }

  static validation(message: string, details: ErrorDetail[] = [], code = 'VALIDATION_FAILED') {
    return new AppError('validation', code, message, details);
  }
  static notFound(code = 'NOT_FOUND', message = 'Not found') {
    return new AppError('not_found', code, message);
  }
  static unauthenticated(message = 'Sign in first') {
    return new AppError('unauthenticated', 'UNAUTHENTICATED', message);
  }
  static forbidden(code = 'FORBIDDEN', message = 'You may not do that') {
    return new AppError('forbidden', code, message);
  }
  static conflict(code: string, message: string, details: ErrorDetail[] = []) {
    return new AppError('conflict', code, message, details);
  }
  static rule(code: string, message: string, details: ErrorDetail[] = []) {
    return new AppError('business_rule', code, message, details);
  }
  /** What an unexpected failure answers: no detail of it reaches the client (it is logged). */
  static internal() {
    return new AppError('internal', 'INTERNAL', 'Something went wrong on our side');
  }
}

/** The JSON body of every error answer (ARCHITECTURE.md, HTTP surface). */
export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

/** Builds `{ error: { code, message, details } }`: the one place that shape is written. */
export function errorBody(err: Pick<AppError, 'code' | 'message' | 'details'>): ErrorBody {
  return { error: { code: err.code, message: err.message, details: err.details } };
}

/** Raised by message handlers for failures that a retry cannot fix: dead-lettered at once. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Raised by message handlers when the work is held by another attempt's lease (an email being
 * sent, a refund being asked for): a retry succeeds once that attempt's answer is applied or its
 * lease runs out, which always happens. The consumer retries it without counting an attempt, so
 * a lease left by a worker that died (or lost its database) mid-call never dead-letters the
 * message. Bounded by the lease, not by CONSUMER_MAX_ATTEMPTS.
 */
export class InFlightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InFlightError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * Prisma's codes for "the database cannot be reached or has no connection to spare" (P2037: the
 * server refused a new connection, "too many clients already", as a PostgreSQL shared with other
 * applications does when they take all its connections). P2010 (a raw query failed) and P2028
 * (transaction API) are not here: they count only when what is under them is of this class.
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
/**
 * The driver adapter's (@prisma/adapter-pg) kinds for a connection that failed, was closed or
 * timed out, or could not be had; Prisma keeps the DriverAdapterError in `meta.driverAdapterError`
 * of its own error (P2010 for raw queries, P1001/P1017/P2037 for the others), or throws it as is.
 */
const ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart) and 53300 (too many connections). */
const PG_UNAVAILABLE = /^(08\d{3}|57P0[1-5]|53300)$/;
const DRIVER_MESSAGES =
  /Connection terminated|connection (?:is )?(?:closed|ended)|timeout exceeded when trying to connect|Can't reach database server|Client has encountered a connection error|Client was closed and is not queryable|Server has closed the connection|The client is (?:closed|offline)|Socket closed unexpectedly|Connection timeout|Unable to start a transaction in the given time/i;
const DEPENDENCY_ERROR_NAMES =
  /^(ClientClosedError|ClientOfflineError|DisconnectsClientError|RedisUnresponsiveError|ConnectionTimeoutError|SocketClosedUnexpectedlyError|ReconnectStrategyError|PrismaClientInitializationError|AMQPConnectionError|AMQPChannelError)$/;

/** Whether one error object, by itself, says "a dependency could not be reached". */
function isUnavailableNode(e: Record<string, unknown>): boolean {
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && (NETWORK_CODES.has(code) || PRISMA_UNAVAILABLE.has(code) || PG_UNAVAILABLE.test(code)))
    return true;
  // The adapter's error payload: { kind, originalCode (the SQLSTATE), ... }.
  if (typeof e.kind === 'string' && ADAPTER_UNAVAILABLE.has(e.kind)) return true;
  if (typeof e.originalCode === 'string' && PG_UNAVAILABLE.test(e.originalCode)) return true;
  if (typeof e.name === 'string' && DEPENDENCY_ERROR_NAMES.test(e.name)) return true;
  return typeof e.message === 'string' && DRIVER_MESSAGES.test(e.message);
}

/** What an error wraps: its cause, Prisma's driver adapter error, an AggregateError's errors. */
function wrapped(e: Record<string, unknown>): unknown[] {
  const meta = e.meta as { driverAdapterError?: unknown } | undefined;
  return [e.cause, meta?.driverAdapterError, ...(Array.isArray(e.errors) ? e.errors : [])];
}

/**
 * True when an error says a dependency (PostgreSQL, Redis, RabbitMQ) could not be reached,
 * wherever it sits among what the error wraps (cause chain, Prisma's meta.driverAdapterError and
 * its payload, an AggregateError's errors): such a failure is 503 with Retry-After (the request
 * can succeed once the service is back), never a 500 that blames the request or our code. The
 * one place this is decided: the HTTP error handler (routes, passport's deserializeUser, the
 * session store) and the workers' retries all ask it.
 *
 * What counts, for PostgreSQL: Prisma's P1001/P1002/P1008/P1017/P2024/P2037; any Prisma error
 * (P2010 included) whose driver error is of the adapter's connection kinds or carries a
 * SQLSTATE of class 08 or 57P0x or 53300; node-postgres's own errors (socket codes such as
 * ECONNRESET and ECONNREFUSED, "Connection terminated unexpectedly", a pool's connect time-out).
 */
export function isDependencyUnavailable(err: unknown): boolean {
  const queue: unknown[] = [err];
  const seen = new Set<unknown>();
  while (queue.length && seen.size < 24) {
    const current = queue.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const e = current as Record<string, unknown>;
    if (isUnavailableNode(e)) return true;
    queue.push(...wrapped(e));
  }
  return false;
}

/** The 503 a request gets while a dependency is down (see isDependencyUnavailable). */
export function dependencyUnavailable(): AppError {
  return new AppError(
    'unavailable',
    'DEPENDENCY_UNAVAILABLE',
    'The service is briefly unavailable; please try again in a few seconds',
  );
}

export interface LoggableError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
}

/**
 * What of an error may reach a log line. Prisma and PostgreSQL messages quote the arguments of
 * the failing query (emails, names, payout details), so for those only the error's name, code
 * and the names of the constraint/table/column involved are kept; other errors keep their message.
 * The stack keeps its frames, with the first line rebuilt from the safe message.
 */
export function loggableError(err: unknown): LoggableError {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err).slice(0, 200) };
  const e = err as Error & { code?: unknown; constraint?: unknown; table?: unknown; column?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const fromDatabase =
    e.name.startsWith('PrismaClient') ||
    e.name === 'DriverAdapterError' ||
    e.name === 'DatabaseError' ||
    (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && 'severity' in e);
  let message = e.message;
  if (fromDatabase) {
    const where = (['constraint', 'table', 'column'] as const)
      .filter((k) => typeof e[k] === 'string')
      .map((k) => `${k} ${String(e[k])}`);
    // The driver's own code under Prisma's (a SQLSTATE, or the adapter's kind such as
    // ConnectionClosed): codes only, never the message that quotes arguments.
    const inner = innerDatabaseCode(err);
    message = [`database error${code ? ` ${code}` : ''}${inner ? ` (${inner})` : ''}`, ...where].join(', ');
  }
  const frames = e.stack?.split('\n').filter((line) => /^\s+at /.test(line));
  return {
    name: e.name,
    ...(code ? { code } : {}),
    message,
    ...(frames?.length ? { stack: [`${e.name}: ${message}`, ...frames].join('\n') } : {}),
  };
}

function innerDatabaseCode(err: unknown): string | undefined {
  const e = err as { cause?: unknown; meta?: unknown };
  const meta = e.meta as { code?: unknown } | undefined;
  if (meta && typeof meta.code === 'string' && meta.code !== 'N/A') return `SQLSTATE ${meta.code}`;
  const cause = e.cause as { originalCode?: unknown; code?: unknown; kind?: unknown } | undefined;
  if (!cause || typeof cause !== 'object') return undefined;
  const sqlstate = typeof cause.originalCode === 'string' ? cause.originalCode : cause.code;
  if (typeof sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(sqlstate)) return `SQLSTATE ${sqlstate}`;
  return typeof cause.kind === 'string' && /^[A-Za-z]{1,40}$/.test(cause.kind) ? cause.kind : undefined;
}
