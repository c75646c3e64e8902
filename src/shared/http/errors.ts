import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors';
import type { Logger } from '../logger';

export function wantsHtml(req: Request): boolean {
  return !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html';
}

export function sendError(res: Response, err: AppError): void {
  res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
}

/** Unknown routes: JSON 404 for the API, the HTML page for people. */
export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(AppError.notFound('ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`));
  };
}

/**
 * The one error handler. AppErrors answer their own status and code; body-parser's errors
 * become MALFORMED_JSON (400) and PAYLOAD_TOO_LARGE (413); anything else is a 500 with a
 * generic message, logged with the request id.
 */
export function errorHandler(
  logger: Logger,
  render?: (res: Response, status: number, err: AppError) => void,
): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const appError = toAppError(err);
    if (!appError) {
      logger.error('unhandled error', { err, method: req.method, path: req.path });
    }
    const final = appError ?? new AppError('unavailable', 'INTERNAL', 'Something went wrong on our side');
    const status = appError ? appError.status : 500;
    if (render && wantsHtml(req)) return render(res.status(status), status, final);
    res.status(status).json({ error: { code: final.code, message: final.message, details: final.details } });
  };
}

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  // Express's router could not percent-decode a path parameter (`/x/%FF`).
  if (err instanceof URIError) return AppError.validation('The URL is not valid', [], 'MALFORMED_URL');
  const e = err as { type?: string; status?: number; message?: string } | null;
  switch (e?.type) {
    case 'entity.parse.failed':
      return AppError.validation('The request body is not valid JSON', [], 'MALFORMED_JSON');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'PAYLOAD_TOO_LARGE', 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return AppError.validation('Unsupported body encoding', [], 'UNSUPPORTED_ENCODING');
    default:
      return undefined;
  }
}
