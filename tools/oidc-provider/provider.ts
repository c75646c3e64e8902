import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';

/**
 * A small OpenID Connect provider standing in for Google in the local run and in tests. It
 * speaks the parts of the protocol our Google strategy uses, the way Google does:
 * authorization code grant with PKCE and `state`, client authentication at /token, exact
 * redirect_uri matching, and a /userinfo endpoint with the standard claims (sub, email,
 * email_verified, name, given_name, family_name, picture).
 *
 * Its /authorize page is an account chooser (type an email and a name). A request carrying
 * `login_hint=<email>` is approved at once without a page, so scripts and tests sign in with
 * plain HTTP redirects. It signs in anyone as anyone: it must never guard a real deployment
 * (the configuration refuses it in production).
 */

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs, as Google requires them to be registered. */
  redirectUris: string[];
  /**
   * Development leniency: also accept any loopback origin (localhost, 127.0.0.1, [::1], any
   * port) with the path of a registered URI, so the app works whichever host name the
   * browser used.
   */
  allowLoopbackRedirects?: boolean;
}

export interface OidcAccount {
  email: string;
  name: string;
  emailVerified: boolean;
  picture?: string;
}

export interface OidcProviderOptions {
  clients: OidcClient[];
  /** Lifetime of an authorization code (Google: a few minutes; here one minute). */
  codeTtlMs?: number;
  accessTokenTtlMs?: number;
  /** Public base URL, when it differs from the listening address (set automatically by listen()). */
  issuer?: string;
}

export interface OidcProvider {
  app: express.Express;
  /** Base URL once listening (`http://127.0.0.1:port`). */
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** Adds or replaces an account (name, picture, whether its email is verified). */
  addAccount(account: OidcAccount): OidcAccount & { sub: string };
  registerRedirectUri(clientId: string, uri: string): void;
  /** The subject id this provider gives an email: stable across restarts, like Google's. */
  subjectFor(email: string): string;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  email: string;
  nonce?: string;
  scope: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
}

interface IssuedToken {
  email: string;
  scope: string;
  expiresAt: number;
}

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

/** A provider you can mount or listen with; see the file comment. */
/**
 * The subject id the local provider gives an email. Google subjects are 21-digit decimal
 * strings; this one is derived from the email alone, so the same person keeps the same id when
 * the provider restarts (and the demo seed's accounts are the ones people sign in as).
 */
export function localSubjectFor(email: string): string {
  const digest = crypto.createHash('sha256').update(`local-oidc:${email.toLowerCase()}`).digest();
  return `1${(digest.readBigUInt64BE(0) % 10n ** 20n).toString().padStart(20, '0')}`;
}

export function createOidcProvider(options: OidcProviderOptions): OidcProvider {
  const clients = new Map(
    options.clients.map((c) => [c.clientId, { ...c, redirectUris: [...c.redirectUris] }]),
  );
  const accounts = new Map<string, OidcAccount>();
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, IssuedToken>();
  const codeTtlMs = options.codeTtlMs ?? 60_000;
  const tokenTtlMs = options.accessTokenTtlMs ?? 3_600_000;
  let issuer = options.issuer ?? '';
  let server: http.Server | undefined;

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  app.use(express.urlencoded({ extended: false, limit: '16kb' }));
  app.use(express.json({ limit: '16kb' }));

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [k, v] of codes) if (v.expiresAt < now) codes.delete(k);
    for (const [k, v] of tokens) if (v.expiresAt < now) tokens.delete(k);
  }, 30_000);
  sweep.unref();

  const subjectFor = localSubjectFor;

  function accountFor(email: string): OidcAccount {
    const key = email.toLowerCase();
    return accounts.get(key) ?? { email: key, name: nameFromEmail(key), emailVerified: true };
  }

  function claimsFor(email: string): Record<string, unknown> {
    const account = accountFor(email);
    const sub = subjectFor(account.email);
    const [given, ...family] = account.name.split(/\s+/);
    return {
      sub,
      email: account.email,
      email_verified: account.emailVerified,
      name: account.name,
      given_name: given,
      ...(family.length ? { family_name: family.join(' ') } : {}),
      picture: account.picture ?? `${issuer}/avatar/${sub}.svg`,
      locale: 'en',
    };
  }

  function redirectAllowed(client: OidcClient, uri: string): boolean {
    if (client.redirectUris.includes(uri)) return true;
    if (!client.allowLoopbackRedirects) return false;
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      return false;
    }
    const loopback = u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
    return (
      loopback && !u.search && !u.hash && client.redirectUris.some((r) => new URL(r).pathname === u.pathname)
    );
  }

  /** Checks client_id and redirect_uri; on failure answers an error page (never redirects to an unchecked URI). */
  function checkAuthorizationRequest(
    req: Request,
    res: Response,
    params: Record<string, string>,
  ): OidcClient | undefined {
    const client = clients.get(params.client_id ?? '');
    if (!client) {
      res.status(400).type('html').send(page('Sign-in error', '<p>Unknown client_id.</p>'));
      return undefined;
    }
    if (!params.redirect_uri || !redirectAllowed(client, params.redirect_uri)) {
      res
        .status(400)
        .type('html')
        .send(
          page(
            'Sign-in error',
            '<p>redirect_uri_mismatch: this redirect URI is not registered for the client.</p>',
          ),
        );
      return undefined;
    }
    return client;
  }

  function redirectBack(res: Response, params: Record<string, string>, values: Record<string, string>): void {
    const target = new URL(params.redirect_uri!);
    for (const [k, v] of Object.entries(values)) target.searchParams.set(k, v);
    if (params.state) target.searchParams.set('state', params.state);
    res.redirect(303, target.toString());
  }

  function approve(res: Response, params: Record<string, string>, email: string): void {
    if (params.response_type !== 'code') {
      return redirectBack(res, params, { error: 'unsupported_response_type' });
    }
    if (params.code_challenge && !['S256', 'plain', undefined].includes(params.code_challenge_method)) {
      return redirectBack(res, params, {
        error: 'invalid_request',
        error_description: 'unsupported code_challenge_method',
      });
    }
    const code = crypto.randomBytes(24).toString('base64url');
    codes.set(code, {
      clientId: params.client_id!,
      redirectUri: params.redirect_uri!,
      email: email.toLowerCase(),
      nonce: params.nonce,
      scope: params.scope ?? 'openid',
      codeChallenge: params.code_challenge,
      codeChallengeMethod: params.code_challenge ? (params.code_challenge_method ?? 'plain') : undefined,
      expiresAt: Date.now() + codeTtlMs,
    });
    redirectBack(res, params, { code });
  }

  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['HS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      code_challenge_methods_supported: ['S256', 'plain'],
      claims_supported: [
        'sub',
        'email',
        'email_verified',
        'name',
        'given_name',
        'family_name',
        'picture',
        'locale',
      ],
    });
  });

  app.get('/authorize', (req, res) => {
    const params = stringParams(req.query);
    if (!checkAuthorizationRequest(req, res, params)) return;
    const hint = params.login_hint?.trim();
    if (hint && EMAIL.test(hint)) return approve(res, params, hint);
    res.type('html').send(chooserPage(params, [...accounts.values()]));
  });

  app.post('/authorize', (req, res) => {
    const body = stringParams(req.body as Record<string, unknown>);
    const params = Object.fromEntries(Object.entries(body).filter(([k]) => AUTH_PARAMS.includes(k)));
    if (!checkAuthorizationRequest(req, res, params)) return;
    if (body.action === 'cancel') return redirectBack(res, params, { error: 'access_denied' });
    const email = (body.email ?? '').trim().toLowerCase();
    if (!EMAIL.test(email)) {
      return res
        .status(400)
        .type('html')
        .send(chooserPage(params, [...accounts.values()], 'Enter a valid email address.'));
    }
    const known = accounts.get(email);
    const name = (body.name ?? '').trim() || known?.name || nameFromEmail(email);
    // An unchecked box is absent from the form: unverified.
    accounts.set(email, {
      email,
      name,
      emailVerified: body.email_verified === 'true',
      picture: known?.picture,
    });
    approve(res, params, email);
  });

  app.post('/token', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const body = stringParams(req.body as Record<string, unknown>);
    const basic = parseBasic(req.get('authorization'));
    const clientId = basic?.id ?? body.client_id;
    const secret = basic?.secret ?? body.client_secret;
    const client = clients.get(clientId ?? '');
    if (!client || !secret || !safeEqual(secret, client.clientSecret)) {
      return res
        .status(401)
        .json({ error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    if (body.grant_type !== 'authorization_code') {
      return res.status(400).json({ error: 'unsupported_grant_type' });
    }
    const pending = codes.get(body.code ?? '');
    // A code is single-use whatever happens next (RFC 6749 §4.1.2).
    if (body.code) codes.delete(body.code);
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== client.clientId) {
      return res
        .status(400)
        .json({ error: 'invalid_grant', error_description: 'The code is invalid, expired or already used' });
    }
    if (body.redirect_uri !== pending.redirectUri) {
      return res.status(400).json({
        error: 'invalid_grant',
        error_description: 'redirect_uri does not match the authorization request',
      });
    }
    if (pending.codeChallenge) {
      const verifier = body.code_verifier ?? '';
      const computed =
        pending.codeChallengeMethod === 'S256'
          ? crypto.createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (!verifier || !safeEqual(computed, pending.codeChallenge)) {
        return res
          .status(400)
          .json({ error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
    }
    const accessToken = crypto.randomBytes(32).toString('base64url');
    tokens.set(accessToken, {
      email: pending.email,
      scope: pending.scope,
      expiresAt: Date.now() + tokenTtlMs,
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = claimsFor(pending.email);
    const idToken = signJwt(
      {
        iss: issuer,
        aud: client.clientId,
        iat: now,
        exp: now + 3600,
        ...(pending.nonce ? { nonce: pending.nonce } : {}),
        ...claims,
      },
      client.clientSecret,
    );
    res.json({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: Math.floor(tokenTtlMs / 1000),
      scope: pending.scope,
      id_token: idToken,
    });
  });

  const userinfo = (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    // RFC 6750: the header, a form body field or (as passport-oauth2 sends it, and Google
    // accepts) the access_token query parameter.
    const auth = req.get('authorization') ?? '';
    const fromBody = (req.body as Record<string, unknown> | undefined)?.access_token;
    const token =
      /^Bearer\s+(.+)$/i.exec(auth)?.[1] ??
      (typeof fromBody === 'string' ? fromBody : undefined) ??
      (typeof req.query.access_token === 'string' ? req.query.access_token : undefined);
    const issued = token ? tokens.get(token) : undefined;
    if (!issued || issued.expiresAt < Date.now()) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      return res
        .status(401)
        .json({ error: 'invalid_token', error_description: 'The access token is invalid or expired' });
    }
    res.json(claimsFor(issued.email));
  };
  app.get('/userinfo', userinfo);
  app.post('/userinfo', userinfo);

  app.get('/avatar/:file', (req, res) => {
    const sub = req.params.file.replace(/\.svg$/, '');
    const account = [...accounts.values()].find((a) => subjectFor(a.email) === sub);
    const initials = (account?.name ?? '?')
      .split(/\s+/)
      .map((w) => w[0] ?? '')
      .join('')
      .slice(0, 2)
      .toUpperCase();
    const hue = parseInt(sub.slice(-3), 10) % 360;
    res
      .type('image/svg+xml')
      .send(
        `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><rect width="96" height="96" fill="hsl(${hue},45%,45%)"/>` +
          `<text x="48" y="60" font-size="36" text-anchor="middle" fill="#fff" font-family="sans-serif">${esc(initials)}</text></svg>`,
      );
  });

  // For scripts: make an account (e.g. one whose email is not verified) before signing in with it.
  app.post('/accounts', (req, res) => {
    const body = req.body as Partial<{
      email: string;
      name: string;
      emailVerified: boolean;
      picture: string;
    }>;
    if (typeof body.email !== 'string' || !EMAIL.test(body.email))
      return res.status(400).json({ error: 'invalid email' });
    res.status(201).json(
      addAccount({
        email: body.email,
        name: body.name ?? nameFromEmail(body.email),
        emailVerified: body.emailVerified !== false,
        picture: body.picture,
      }),
    );
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  function addAccount(account: OidcAccount): OidcAccount & { sub: string } {
    const email = account.email.trim().toLowerCase();
    const stored = { ...account, email };
    accounts.set(email, stored);
    return { ...stored, sub: subjectFor(email) };
  }

  return {
    app,
    get url() {
      return issuer;
    },
    async listen(port = 0, host = '127.0.0.1') {
      server = http.createServer(app);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const h = host.includes(':') ? `[${host}]` : host;
      if (!options.issuer) issuer = `http://${h}:${address.port}`;
      return issuer;
    },
    async close() {
      clearInterval(sweep);
      if (!server) return;
      const s = server;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
    addAccount,
    registerRedirectUri(clientId, uri) {
      const client = clients.get(clientId);
      if (!client) throw new Error(`unknown client ${clientId}`);
      if (!client.redirectUris.includes(uri)) client.redirectUris.push(uri);
    },
    subjectFor,
  };
}

const AUTH_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'login_hint',
];

function stringParams(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!input || typeof input !== 'object') return out;
  for (const [k, v] of Object.entries(input as Record<string, unknown>))
    if (typeof v === 'string') out[k] = v;
  return out;
}

function nameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local
    .split(/[._+-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const m = header && /^Basic\s+(.+)$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function signJwt(payload: Record<string, unknown>, secret: string): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}`;
  return `${body}.${crypto.createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Local sign-in</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0;display:flex;justify-content:center;padding:3rem 1rem}
main{background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002;padding:2rem;max-width:26rem;width:100%}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem;font-weight:600}
input[type=email],input[type=text]{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #bbb;border-radius:6px;font-size:1rem}
button{margin-top:1rem;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#1a73e8;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e5e7eb;color:#111}.accounts button{display:block;width:100%;text-align:left;background:#f8fafc;color:#111;border:1px solid #ddd}
.note{color:#555;font-size:.9rem}.error{color:#b00020}.check{display:flex;gap:.5rem;align-items:center;font-weight:400}
</style></head><body><main>${body}</main></body></html>`;
}

function chooserPage(params: Record<string, string>, known: OidcAccount[], error?: string): string {
  const hidden = AUTH_PARAMS.filter((k) => k !== 'login_hint' && params[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${esc(params[k]!)}">`)
    .join('');
  const accountsList = known.length
    ? `<div class="accounts"><p>Continue as:</p>${known
        .map(
          (a) =>
            `<form method="post" action="/authorize">${hidden}<input type="hidden" name="email" value="${esc(a.email)}"><input type="hidden" name="name" value="${esc(a.name)}"><input type="hidden" name="email_verified" value="${String(a.emailVerified)}"><button type="submit">${esc(a.name)} &lt;${esc(a.email)}&gt;</button></form>`,
        )
        .join('')}</div><p>Or use another account:</p>`
    : '';
  return page(
    'Choose an account',
    `<h1>Choose an account</h1>
<p class="note">Local sign-in provider (stands in for Google on this machine). Type any email and name.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
${accountsList}
<form method="post" action="/authorize">${hidden}
<label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="email">
<label for="name">Name</label><input id="name" name="name" type="text" autocomplete="name">
<label class="check"><input type="checkbox" name="email_verified" value="true" checked> Email address is verified</label>
<button type="submit" name="action" value="approve">Continue</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</form>`,
  );
}
