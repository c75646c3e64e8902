import type { RequestHandler } from 'express';
import { matchedData, validationResult, type ValidationChain } from 'express-validator';
import { AppError } from '../errors';

/**
 * Runs express-validator chains and answers 400 VALIDATION_FAILED with one detail per field.
 * Handlers then read only `validated(req)`: what the chains declared, nothing else.
 */
export function validate(...chains: ValidationChain[]): RequestHandler {
  return async (req, _res, next) => {
    for (const chain of chains) await chain.run(req);
    const result = validationResult(req);
    if (!result.isEmpty()) {
      const details = result.array({ onlyFirstError: true }).map((e) => ({
        field: e.type === 'field' ? e.path : undefined,
        location: e.type === 'field' ? e.location : undefined,
        message: String(e.msg),
      }));
      return next(AppError.validation('The request has invalid fields', details));
    }
    next();
  };
}

export function validated<T extends object>(req: Parameters<RequestHandler>[0]): T {
  return matchedData(req, { includeOptionals: false }) as T;
}
