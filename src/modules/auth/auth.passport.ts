import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { Strategy as GoogleStrategy, type Profile } from 'passport-google-oauth20';
import { AppError } from '../../shared/errors';
import type { Actor } from '../../shared/http/authorize';
import { rotateCsrfToken } from '../../shared/http/csrf';
import { flash } from '../../shared/http/session';
import type { Platform } from '../../shared/platform';
import { GOOGLE_CALLBACK_PATH } from './auth.constants';
import { safeReturnTo } from './auth.return-to';
import { loadActorsCoalesced, signInWithGoogle } from './auth.service';

const STRATEGY = 'google';
const OAUTH_ERRORS = new Set([
  'AuthorizationError',
  'TokenError',
  'InternalOAuthError',
  'UserInfoError',
  'GooglePlusAPIError',
]);

interface SessionUser {
  id: string;
}

/**
 * A Passport instance of this web app (not the library's global one, so that two apps in one
 * process, as in tests, never share strategies) with the Google strategy configured from
 * config: the same code talks to Google in production and to the local OpenID provider
 * elsewhere. State and PKCE are kept in the session by passport-oauth2, which makes the
 * callback refuse a response it did not ask for (login CSRF, code injection).
 */
export function createPassport(platform: Platform) {
  const { config, logger } = platform;
  const instance = new passport.Passport();
  const callbackURL =
    config.GOOGLE_CALLBACK_URL ??
    // Production registers one absolute URL with Google; locally the request's own host is used
    // so that localhost and 127.0.0.1 both work (the local provider accepts loopback hosts).
    (config.NODE_ENV === 'production'
      ? new URL(GOOGLE_CALLBACK_PATH, config.PUBLIC_URL).toString()
      : GOOGLE_CALLBACK_PATH);

  instance.use(
    STRATEGY,
    new GoogleStrategy(
      {
        clientID: config.GOOGLE_CLIENT_ID,
        clientSecret: config.GOOGLE_CLIENT_SECRET,
        authorizationURL: config.GOOGLE_AUTHORIZATION_URL,
        tokenURL: config.GOOGLE_TOKEN_URL,
        userProfileURL: config.GOOGLE_USERINFO_URL,
        callbackURL,
        scope: ['openid', 'email', 'profile'],
        state: true,
        pkce: true,
        proxy: config.TRUST_PROXY !== 'false',
      },
      (
        _accessToken: string,
        _refreshToken: string,
        profile: Profile,
        done: (err: unknown, user?: SessionUser | false) => void,
      ) => {
        const email = profile.emails?.[0];
        signInWithGoogle(platform, {
          sub: profile.id,
          email: email?.value,
          emailVerified: email?.verified,
          name: profile.displayName,
          pictureUrl: profile.photos?.[0]?.value,
        }).then(
          (r) => done(null, { id: r.userId }),
          (err: unknown) => done(err),
        );
      },
    ),
  );

  // Only the user id lives in the session; everything else is read from PostgreSQL per request
  // (the requests of one event-loop turn in one statement).
  const loadActor = loadActorsCoalesced(platform.sql);
  instance.serializeUser((user, done) => done(null, (user as SessionUser).id));
  instance.deserializeUser((id: string, done) => {
    loadActor(id).then(
      (actor) => done(null, actor ?? false),
      (err: unknown) => done(err),
    );
  });

  /** GET /google: starts the dance, remembering where to come back to in the OAuth state. */
  const start: RequestHandler = (req, res, next) => {
    const loginHint = typeof req.query.login_hint === 'string' ? req.query.login_hint.trim() : undefined;
    const returnTo = safeReturnTo(req.query.returnTo);
    instance.authenticate(STRATEGY, {
      state: { returnTo },
      ...(loginHint ? { loginHint } : { prompt: 'select_account' }),
    } as object)(req, res, next);
  };

  /**
   * GET /google/callback: exchanges the code, signs the user in on a NEW session id (fixation),
   * gives the session its creation time (absolute lifetime) and a new CSRF token, and goes
   * back to the remembered same-site path. A refusal (unverified email, denied consent, bad
   * state) lands on the home page with a message and no session user.
   */
  const callback: RequestHandler = (req, res, next) => {
    instance.authenticate(
      STRATEGY,
      { session: false },
      (err: unknown, user: SessionUser | false, info: unknown) => {
        if (err || !user) return refuse(req, res, next, err, info);
        const state = (info as { state?: { returnTo?: unknown } } | undefined)?.state;
        req.logIn(user, { session: true }, (loginErr?: unknown) => {
          if (loginErr) return next(loginErr);
          req.session.createdAt = platform.clock.now().getTime();
          rotateCsrfToken(req);
          res.redirect(303, safeReturnTo(state?.returnTo));
        });
      },
    )(req, res, next);
  };

  function refuse(req: Request, res: Response, next: NextFunction, err: unknown, info: unknown): void {
    let code = 'SIGN_IN_FAILED';
    let message = 'Sign-in did not complete; please try again';
    if (err instanceof AppError) {
      if (err.status >= 500) return next(err);
      ({ code, message } = err);
    } else if (err) {
      // Only the provider's own failures (token or userinfo call refused, provider down, error
      // in the redirect) are a refused sign-in; anything else (our database down) is a 500.
      if (!OAUTH_ERRORS.has((err as Error).name)) return next(err);
      logger.warn('google sign-in failed', { error: (err as Error).name, reason: (err as Error).message });
    } else {
      logger.info('google sign-in refused', { reason: (info as { message?: string } | undefined)?.message });
    }
    flash(req, 'error', message);
    res.redirect(303, `/?signInError=${encodeURIComponent(code)}`);
  }

  return {
    // compat: false: no req._passport per request (only passport < 0.5 strategies read it; ours do not).
    middleware: [instance.initialize({ compat: false }), instance.session()] as RequestHandler[],
    start,
    callback,
  };
}

/** The actor passport put on req.user (the deserialized Actor), if any. */
export function sessionActor(req: Request): Actor | undefined {
  return (req.user as Actor | undefined) ?? undefined;
}
