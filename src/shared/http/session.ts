import crypto from 'node:crypto';
import { RedisStore } from 'connect-redis';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import { systemClock, type Clock } from '../clock';
import type { Config } from '../config';
import type { RedisClient } from '../redis';

export interface FlashMessage {
  type: 'info' | 'success' | 'error';
  message: string;
}

declare module 'express-session' {
  interface SessionData {
    createdAt: number;
    /** When the session's idle lifetime was last renewed (see TOUCH_INTERVAL_MS). */
    touchedAt: number;
    flash: FlashMessage[];
  }
}

export const SESSION_COOKIE = 'tm.sid';

/**
 * A signed-in session's idle lifetime is renewed at most this often: the renewal is a Redis write
 * (and a Set-Cookie), and doing it on every request (express-session's rolling touch) was one of
 * the largest per-request costs of the hot API routes. The price: a session expires up to this
 * long before SESSION_IDLE_MINUTES after its last request, never later.
 */
export const TOUCH_INTERVAL_MS = 60_000;

/**
 * Cookie sessions stored in Redis, so that any web process serves any request and sessions
 * outlive a restart. Idle lifetime rolls with the requests (renewed at most once per
 * TOUCH_INTERVAL_MS, by saving the session, which also sends a fresh cookie); the absolute
 * lifetime is enforced here from the session's creation time.
 */
export function sessions(config: Config, redis: RedisClient, clock: Clock = systemClock): RequestHandler {
  const idleMs = config.SESSION_IDLE_MINUTES * 60_000;
  const absoluteMs = config.SESSION_ABSOLUTE_HOURS * 3_600_000;
  const store = sessionStore(config, redis);
  // Stamp the creation time on a session's first save (including the fresh session a sign-in
  // regenerates), so the absolute lifetime below has something to count from. Both sides use
  // the same clock: a stamp from another clock would make the lifetime depend on their skew.
  const save = store.set.bind(store);
  store.set = (sid, sess, cb) => {
    sess.createdAt ??= clock.now().getTime();
    return save(sid, sess, cb);
  };
  const middleware = session({
    name: SESSION_COOKIE,
    secret: config.SESSION_SECRET,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: config.NODE_ENV === 'production',
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.NODE_ENV === 'production',
      maxAge: idleMs,
    },
  });
  return (req, res, next) => {
    // express-session hands a store failure (Redis down) to this callback: pass it on, so the
    // error handler answers 503, instead of going on as if the visitor had no session.
    middleware(req, res, (err?: unknown) => {
      if (err) return next(err);
      const created = req.session?.createdAt;
      const now = clock.now().getTime();
      if (created && now - created > absoluteMs) {
        return req.session.regenerate((err) => next(err));
      }
      // Only a stored session (it has its creation stamp): changing a new one would save it.
      if (created && now - (req.session.touchedAt ?? created) >= TOUCH_INTERVAL_MS)
        req.session.touchedAt = now;
      next();
    });
  };
}

function sessionStore(config: Config, redis: RedisClient): RedisStore {
  return new RedisStore({
    client: redis,
    prefix: `${config.REDIS_PREFIX}sess:`,
    ttl: Math.ceil((config.SESSION_IDLE_MINUTES * 60_000) / 1000),
    // No EXPIRE per request: sessions() renews by saving the session instead, once a minute at most.
    disableTouch: true,
  });
}

/** The session id a `tm.sid` cookie carries, if its signature (express-session's `s:<id>.<hmac>`) is ours. */
function unsignedSessionId(cookieHeader: string | undefined, secret: string): string | null {
  if (!cookieHeader || cookieHeader.length > 8192) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
    if (!value.startsWith('s:')) return null;
    const dot = value.lastIndexOf('.');
    if (dot < 3) return null;
    const sid = value.slice(2, dot);
    const mac = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(
      crypto.createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, ''),
    );
    return mac.length === expected.length && crypto.timingSafeEqual(mac, expected) ? sid : null;
  }
  return null;
}

/**
 * Reads (never writes or rolls) the session a request's Cookie header names, for connections that
 * do not pass through Express (Socket.io's handshake): the signed-in user's id, or null for no,
 * a forged, an expired or an over-age session. Same store, cookie and lifetimes as `sessions`.
 */
export function createSessionReader(config: Config, redis: RedisClient, clock: Clock = systemClock) {
  const store = sessionStore(config, redis);
  const absoluteMs = config.SESSION_ABSOLUTE_HOURS * 3_600_000;
  return async (cookieHeader: string | undefined): Promise<{ userId: string } | null> => {
    const sid = unsignedSessionId(cookieHeader, config.SESSION_SECRET);
    if (!sid) return null;
    const data = await new Promise<Record<string, unknown> | null>((resolve, reject) =>
      store.get(sid, (err, sess) => (err ? reject(err) : resolve((sess as Record<string, unknown>) ?? null))),
    );
    if (!data) return null;
    const created = typeof data.createdAt === 'number' ? data.createdAt : null;
    if (created !== null && clock.now().getTime() - created > absoluteMs) return null;
    const user = (data.passport as { user?: unknown } | undefined)?.user;
    return typeof user === 'string' && user ? { userId: user } : null;
  };
}

export type SessionReader = ReturnType<typeof createSessionReader>;

/** Queues a message shown once on the next page the user sees. */
export function flash(req: Request, type: FlashMessage['type'], message: string): void {
  req.session.flash = [...(req.session.flash ?? []), { type, message }];
}

export function takeFlash(req: Request): FlashMessage[] {
  const messages = req.session?.flash ?? [];
  if (messages.length) delete req.session.flash;
  return messages;
}
