import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError, dependencyUnavailable, errorBody, isDependencyUnavailable } from '../errors';
import type { Logger } from '../logger';

export function wantsHtml(req: Request): boolean {
  if (req.accepts(['json', 'html']) !== 'html') return false;
  // A person who opens an API link itself (an old PDF link, a bookmark) reads a page, not JSON.
  return !req.path.startsWith('/api/') || req.get('sec-fetch-dest') === 'document';
}

export function sendError(res: Response, err: AppError): void {
  res.status(err.status).json(errorBody(err));
}

/** Unknown routes: JSON 404 for the API, the HTML page for people. */
export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(AppError.notFound('ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`));
  };
}

/** Seconds a client is asked to wait while a dependency is down. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The one error handler. AppErrors answer their own status and code; the 4xx errors of
 * body-parser and the router (malformed JSON, bodies too large or undecodable, too many
 * parameters, broken percent-escapes in a path) keep their status with a JSON code; a
 * dependency that cannot be reached is 503 with Retry-After; anything else is a 500 with a
 * generic message, logged with the request id (the logger keeps no query arguments).
 */
export function errorHandler(
  logger: Logger,
  render?: (res: Response, status: number, err: AppError) => void,
): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    let final = toAppError(err);
    if (!final && isDependencyUnavailable(err)) {
      logger.warn('dependency unavailable', { err, method: req.method, path: req.path });
      final = dependencyUnavailable();
    }
    if (!final) {
      logger.error('unhandled error', { err, method: req.method, path: req.path });
      final = AppError.internal();
    }
    if (final.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    if (render && wantsHtml(req)) return render(res.status(final.status), final.status, final);
    sendError(res, final);
  };
}

/** body-parser error types → our codes; their status is kept as body-parser set it. */
const BODY_ERRORS: Record<string, { code: string; message: string }> = {
  'entity.parse.failed': { code: 'MALFORMED_JSON', message: 'The request body is not valid JSON' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large' },
  'parameters.too.many': { code: 'TOO_MANY_PARAMETERS', message: 'The form has too many fields' },
  'encoding.unsupported': { code: 'UNSUPPORTED_ENCODING', message: 'Unsupported body encoding' },
  'charset.unsupported': { code: 'UNSUPPORTED_ENCODING', message: 'Unsupported body character set' },
  'request.aborted': { code: 'REQUEST_ABORTED', message: 'The request was aborted' },
  'request.size.invalid': { code: 'MALFORMED_BODY', message: 'The body does not match its Content-Length' },
  'stream.encoding.set': { code: 'MALFORMED_BODY', message: 'The request body could not be read' },
};

const KIND_OF_STATUS: Partial<Record<number, ConstructorParameters<typeof AppError>[0]>> = {
  400: 'validation',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'business_rule',
  429: 'rate_limited',
};

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; name?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  const status = Number(e.status ?? e.statusCode);
  if (!Number.isInteger(status) || status < 400 || status > 499) return undefined;
  const kind = KIND_OF_STATUS[status] ?? 'validation';
  const known = typeof e.type === 'string' ? BODY_ERRORS[e.type] : undefined;
  if (known) return new AppError(kind, known.code, known.message);
  // The router's decodeURIComponent of a path parameter (`/bookings/%E0%A4%A`).
  if (e.name === 'URIError')
    return new AppError(kind, 'MALFORMED_URL', 'The address contains a broken %-escape');
  // body-parser's inflate errors (a gzip/deflate/br Content-Encoding over bytes that are not) have no type.
  if (status === 400) return new AppError(kind, 'MALFORMED_BODY', 'The request body could not be decoded');
  return new AppError(kind, 'BAD_REQUEST', 'The request could not be understood');
}
