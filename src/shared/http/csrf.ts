import crypto from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';
import { SESSION_COOKIE } from './session';

declare module 'express-session' {
  interface SessionData {
    csrfToken: string;
  }
}

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Synchroniser-token CSRF protection (OWASP's first choice for stateful apps): one random token
 * per session, kept in the session (Redis), sent back by pages in a hidden `_csrf` field and by
 * fetch/API calls in the X-CSRF-Token header.
 *
 * Which requests are checked: every state-changing request that carries our session cookie.
 * A forged cross-site request can only hurt someone through their cookie; a request without
 * the cookie acts for nobody (webhooks, anonymous forms), so it passes. A cookie whose session
 * has expired has no token, so it fails closed. SameSite=Lax is a second, independent layer.
 *
 * The token is rotated with the session id at sign-in (a new session gets a new token), so a
 * token learnt before sign-in is worthless after it.
 */
export function csrfProtection(): RequestHandler {
  return (req, res, next) => {
    const cookieSession = hasSessionCookie(req);
    if (cookieSession) {
      // Made when the session is first seen, so pages and /csrf can always hand one out.
      req.session.csrfToken ??= newToken();
      res.locals.csrfToken = req.session.csrfToken;
    }
    if (SAFE_METHODS.has(req.method) || !cookieSession) return next();
    const sent = req.get(CSRF_HEADER) ?? bodyToken(req);
    if (!sent || !sameToken(sent, req.session.csrfToken)) {
      return next(
        AppError.forbidden(
          'CSRF_INVALID',
          'The form or request is missing a valid CSRF token; reload the page and try again',
        ),
      );
    }
    next();
  };
}

/** The session's token, creating the session and token if needed (GET /api/v1/auth/csrf). */
export function ensureCsrfToken(req: Request): string {
  req.session.csrfToken ??= newToken();
  return req.session.csrfToken;
}

/** Gives a freshly regenerated session (sign-in) its own token. */
export function rotateCsrfToken(req: Request): string {
  req.session.csrfToken = newToken();
  return req.session.csrfToken;
}

/**
 * Whether the request carries our session cookie, read with the parser express-session itself
 * uses (`cookie` 0.7, pinned to express-session's version): any difference between the two
 * readings is a bypass. A hand-made match on `tm.sid=` missed `tm.sid =<sid>`, which the
 * session layer trims and loads, so the request acted for the user without a CSRF check.
 */
export function hasSessionCookie(req: Request): boolean {
  const header = req.headers.cookie;
  if (!header) return false;
  return parseCookies(header)[SESSION_COOKIE] !== undefined;
}

function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function bodyToken(req: Request): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function sameToken(sent: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
