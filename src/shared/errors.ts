/** Error kinds and the HTTP status each maps to. */
export const ERROR_STATUS = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
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
