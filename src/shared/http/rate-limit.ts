import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Config } from '../config';
import { coalescedCalls } from '../coalesce';
import { AppError } from '../errors';
import type { RedisClient } from '../redis';

export interface RateLimitOptions {
  name: string;
  windowMs: number;
  limit: number;
  /**
   * Key for the caller; defaults to the signed-in user (req.actor), else the client IP. Null:
   * this bucket does not apply to the request (e.g. a per-user bucket for an anonymous caller).
   */
  key?: (req: Request) => string | null;
}

/*
 * Fixed-window limits in Redis, shared by every web process (the same counting as
 * rate-limit-redis: the first hit of a window sets the key with the window as its expiry, later
 * hits INCR it; over `limit` hits in the window is 429).
 *
 * One round trip for many hits: every bucket a request counts against (a route's own limit and
 * the general API one, see createRateLimits) and every request of the same event-loop turn go to
 * Redis as ONE script call (coalescedCalls). Under load that is one Redis write per turn instead
 * of one or two per request; each request still gets its own exact count, as if the hits had run
 * one after another in arrival order. All the keys of one call are in one script, which on a
 * Redis Cluster would need them in one hash slot: this runs on a single Redis (sessions and the
 * Socket.io adapter assume the same).
 */
const HIT_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local windowMs = tonumber(ARGV[2 * i - 1])
  local n = tonumber(ARGV[2 * i])
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl <= 0 then
    redis.call('SET', KEYS[i], n, 'PX', windowMs)
    out[2 * i - 1] = n
    out[2 * i] = windowMs
  else
    out[2 * i - 1] = redis.call('INCRBY', KEYS[i], n)
    out[2 * i] = ttl
  end
end
return out`;
const HIT_SHA = crypto.createHash('sha1').update(HIT_SCRIPT).digest('hex');

interface Hit {
  key: string;
  windowMs: number;
}
/** A hit's count in its window (this hit included) and the ms until the window resets. */
interface Count {
  hits: number;
  resetMs: number;
}

const hitters = new WeakMap<RedisClient, (hits: Hit[]) => Promise<Count[]>>();

/** The process's coalesced hit counter on this Redis client (one per client, so one call per turn). */
function hitterOf(redis: RedisClient): (hits: Hit[]) => Promise<Count[]> {
  let hitter = hitters.get(redis);
  if (hitter) return hitter;
  hitter = coalescedCalls<Hit[], Count[]>(async (requests) => {
    // The same key several times in one call: counted once with its total, each hit given its place.
    const totals = new Map<string, { windowMs: number; n: number }>();
    for (const hits of requests)
      for (const h of hits) {
        const t = totals.get(h.key);
        if (t) t.n++;
        else totals.set(h.key, { windowMs: h.windowMs, n: 1 });
      }
    const keys = [...totals.keys()];
    const args = [...totals.values()].flatMap((t) => [String(t.windowMs), String(t.n)]);
    const run = (cmd: string, body: string) =>
      redis.sendCommand([cmd, body, String(keys.length), ...keys, ...args]) as Promise<number[]>;
    const reply = await run('EVALSHA', HIT_SHA).catch((err: unknown) => {
      if (err instanceof Error && /^NOSCRIPT/.test(err.message)) return run('EVAL', HIT_SCRIPT);
      throw err;
    });
    const after = new Map(keys.map((k, i) => [k, { total: reply[2 * i]!, resetMs: reply[2 * i + 1]! }]));
    const seen = new Map<string, number>();
    return requests.map((hits) =>
      hits.map((h) => {
        const a = after.get(h.key)!;
        const place = (seen.get(h.key) ?? 0) + 1;
        seen.set(h.key, place);
        return { hits: a.total - totals.get(h.key)!.n + place, resetMs: a.resetMs };
      }),
    );
  });
  hitters.set(redis, hitter);
  return hitter;
}

function defaultKey(req: Request): string {
  const userId = req.actor?.userId;
  return userId ? `u:${userId}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
}

/**
 * Several limits counted in one round trip: the request counts against each applicable bucket;
 * over any of them is 429 RATE_LIMITED with Retry-After (until that bucket's window resets) and
 * the JSON error body. `RateLimit-Policy` / `RateLimit` headers (IETF draft 8) name each bucket.
 */
export function createRateLimits(
  redis: RedisClient,
  prefix: string,
  list: RateLimitOptions[],
): RequestHandler {
  const hit = hitterOf(redis);
  const policy = list.map((o) => `"${o.name}"; q=${o.limit}; w=${Math.ceil(o.windowMs / 1000)}`);
  return (req, res, next) => {
    const applied: Array<{ o: RateLimitOptions; i: number; hit: Hit }> = [];
    list.forEach((o, i) => {
      const key = (o.key ?? defaultKey)(req);
      if (key !== null)
        applied.push({ o, i, hit: { key: `${prefix}rl:${o.name}:${key}`, windowMs: o.windowMs } });
    });
    if (!applied.length) return next();
    hit(applied.map((a) => a.hit)).then(
      (counts) => {
        let over: Count | undefined;
        const state = applied.map(({ o }, j) => {
          const c = counts[j]!;
          if (c.hits > o.limit && (!over || c.resetMs > over.resetMs)) over = c;
          return `"${o.name}"; r=${Math.max(0, o.limit - c.hits)}; t=${Math.ceil(c.resetMs / 1000)}`;
        });
        res.set('RateLimit-Policy', applied.map((a) => policy[a.i]!).join(', '));
        res.set('RateLimit', state.join(', '));
        if (!over) return next();
        res.set('Retry-After', String(Math.max(1, Math.ceil(over.resetMs / 1000))));
        next(new AppError('rate_limited', 'RATE_LIMITED', 'Too many requests, slow down'));
      },
      (err: unknown) => next(err),
    );
  };
}

/** One Redis-backed limit shared by every web process (see createRateLimits). */
export function createRateLimit(redis: RedisClient, prefix: string, opts: RateLimitOptions): RequestHandler {
  return createRateLimits(redis, prefix, [opts]);
}

/** The general API limit (every /api request of a caller), also counted by routes that combine it with their own. */
export function apiRateLimit(
  config: Pick<Config, 'RATE_LIMIT_WINDOW_MS' | 'RATE_LIMIT_MAX'>,
): RateLimitOptions {
  return { name: 'api', windowMs: config.RATE_LIMIT_WINDOW_MS, limit: config.RATE_LIMIT_MAX };
}
