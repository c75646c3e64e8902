import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { AppError } from '../errors';
import type { RedisClient } from '../redis';

export interface RateLimitOptions {
  name: string;
  windowMs: number;
  limit: number;
  /** Key for the caller; defaults to the signed-in user, else the client IP. */
  key?: (req: Request) => string;
}

/**
 * A Redis-backed limiter shared by every web process. Over the limit: 429 RATE_LIMITED with
 * Retry-After (set by express-rate-limit) and the JSON error body.
 */
export function createRateLimit(redis: RedisClient, prefix: string, opts: RateLimitOptions): RequestHandler {
  return rateLimit({
    windowMs: opts.windowMs,
    limit: opts.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator:
      opts.key ??
      ((req) => {
        const userId = req.actor?.userId;
        return userId ? `u:${userId}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
      }),
    store: new RedisStore({
      prefix: `${prefix}rl:${opts.name}:`,
      sendCommand: (...args: string[]) => redis.sendCommand(args),
    }),
    handler: (_req, _res, next) => {
      next(new AppError('rate_limited', 'RATE_LIMITED', 'Too many requests, slow down'));
    },
  });
}
