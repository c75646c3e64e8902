import crypto from 'node:crypto';
import request from 'supertest';
import { GOOGLE_CALLBACK_PATH } from '../../src/modules/auth';
import type { Actor } from '../../src/shared/http/authorize';
import type { Clock } from '../../src/shared/clock';
import type { Config } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { createPlatform, type Platform } from '../../src/shared/platform';
import { createOidcProvider, type OidcProvider } from '../../tools/oidc-provider/provider';
import { resetDatabase, startApp, testConfig, type RunningApp } from './platform';

/**
 * Sign-in for tests, through the real path: the app's Google strategy talks to our local
 * OpenID provider over HTTP, and signIn() follows the same redirects a browser would
 * (app → provider /authorize → app callback), with state, PKCE, the token exchange and
 * userinfo all happening for real. Nothing is stubbed or written to the database directly.
 *
 *   const env = await startAuthApp();
 *   const buyer = await signIn(env, 'buyer@example.test');
 *   await buyer.post('/api/v1/auth/apply-seller').send({...}).expect(201);
 *   const seller = await makeSeller(env, 'seller@example.test');
 *   await env.close();
 */

export const TEST_ADMIN_EMAIL = 'admin@example.test';
export const TEST_OIDC_CLIENT = { id: 'test-client', secret: 'test-client-secret-0123456789abcdef' } as const;

type Overrides = Partial<Record<keyof Config, string>>;

/** The local OpenID provider on a free loopback port. */
export async function startOidcProvider(): Promise<OidcProvider> {
  const provider = createOidcProvider({
    clients: [{ clientId: TEST_OIDC_CLIENT.id, clientSecret: TEST_OIDC_CLIENT.secret, redirectUris: [] }],
  });
  await provider.listen(0, '127.0.0.1');
  return provider;
}

/** Configuration pointing the Google strategy at `provider`; generous rate limits (tests sign in many users). */
export function authOverrides(provider: OidcProvider, adminEmails: string[] = [TEST_ADMIN_EMAIL]): Overrides {
  return {
    GOOGLE_CLIENT_ID: TEST_OIDC_CLIENT.id,
    GOOGLE_CLIENT_SECRET: TEST_OIDC_CLIENT.secret,
    GOOGLE_AUTHORIZATION_URL: `${provider.url}/authorize`,
    GOOGLE_TOKEN_URL: `${provider.url}/token`,
    GOOGLE_USERINFO_URL: `${provider.url}/userinfo`,
    ADMIN_EMAILS: adminEmails.join(','),
    RATE_LIMIT_MAX: '1000000',
    SIGN_IN_RATE_LIMIT_MAX: '1000000',
    APPLY_RATE_LIMIT_MAX: '1000000',
    // Rate-limit counters live in Redis under the prefix: keep this many-sign-ins traffic out of
    // the counters of other suites in the same Jest worker (which test their limits).
    REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'tm:'}auth:`,
  };
}

export interface AuthTestEnv {
  url: string;
  provider: OidcProvider;
  platform: Platform;
  app: RunningApp;
  /** Closes the app and platform (and the provider, when this env started it). */
  close(): Promise<void>;
}

export interface StartAuthAppOptions {
  /** Reuse a running provider (e.g. a second app instance in a restart test). */
  provider?: OidcProvider;
  overrides?: Overrides;
  adminEmails?: string[];
  clock?: Clock;
  service?: string;
  /** Attach Socket.io (live counters, live payment state) to the app. */
  realtime?: boolean;
}

/** A platform + app (buildApp on a free port) whose sign-in goes to the local provider. */
export async function startAuthApp(opts: StartAuthAppOptions = {}): Promise<AuthTestEnv> {
  const ownsProvider = !opts.provider;
  const provider = opts.provider ?? (await startOidcProvider());
  const config = testConfig({ ...authOverrides(provider, opts.adminEmails), ...opts.overrides });
  const service = opts.service ?? 'test';
  const platform = await createPlatform(config, {
    service,
    logger: createLogger({ level: config.LOG_LEVEL, service }),
    clock: opts.clock,
  });
  const app = await startApp(platform, { realtime: opts.realtime });
  provider.registerRedirectUri(TEST_OIDC_CLIENT.id, `${app.url}${GOOGLE_CALLBACK_PATH}`);
  return {
    url: app.url,
    provider,
    platform,
    app,
    async close() {
      await app.close();
      await platform.close();
      if (ownsProvider) await provider.close();
    },
  };
}

/** A signed-in browser-like client: its cookie and CSRF token go on every request it makes. */
export interface TestSession {
  email: string;
  userId: string;
  /** The Cookie header value (`tm.sid=...`). */
  cookie: string;
  csrfToken: string;
  get(path: string): request.Test;
  post(path: string): request.Test;
  put(path: string): request.Test;
  patch(path: string): request.Test;
  delete(path: string): request.Test;
  /** Reads the profile (roles, memberships) as the API reports it now. */
  profile(): Promise<{
    user: { id: string; email: string; name: string };
    roles: string[];
    memberships: unknown[];
  }>;
}

export interface SignInOptions {
  name?: string;
  /** Create the account at the provider with an unverified email (the app must refuse it). */
  emailVerified?: boolean;
  returnTo?: string;
}

export interface DanceResult {
  /** Where the app's callback finally sent the browser. */
  location: string;
  cookie: string;
  /** The session cookie as it was before sign-in (for fixation / replay tests). */
  cookieBeforeSignIn: string;
  statuses: number[];
}

/**
 * Follows the OAuth redirect dance over real HTTP, like a browser with `login_hint` (the local
 * provider approves such a request without its chooser page): returns where it ended up.
 */
export async function oauthDance(
  target: { url: string; provider: OidcProvider },
  email: string,
  opts: SignInOptions = {},
): Promise<DanceResult> {
  if (opts.name !== undefined || opts.emailVerified !== undefined) {
    target.provider.addAccount({
      email,
      name: opts.name ?? email.split('@')[0]!,
      emailVerified: opts.emailVerified ?? true,
    });
  }
  const jar = new Map<string, string>();
  const statuses: number[] = [];
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

  const query = new URLSearchParams({
    login_hint: email,
    ...(opts.returnTo ? { returnTo: opts.returnTo } : {}),
  });
  const start = await fetch(`${target.url}/api/v1/auth/google?${query}`, { redirect: 'manual' });
  statuses.push(start.status);
  absorbCookies(jar, start);
  const cookieBeforeSignIn = cookieHeader();
  const toProvider = expectRedirect(start, 'sign-in start');
  if (!toProvider.startsWith(target.provider.url))
    throw new Error(`sign-in start redirected to ${toProvider}, not the provider`);

  const authorize = await fetch(toProvider, { redirect: 'manual' });
  statuses.push(authorize.status);
  const toCallback = expectRedirect(authorize, 'provider /authorize');

  const callback = await fetch(toCallback, { redirect: 'manual', headers: { cookie: cookieHeader() } });
  statuses.push(callback.status);
  absorbCookies(jar, callback);
  const location = expectRedirect(callback, 'callback');
  return { location, cookie: cookieHeader(), cookieBeforeSignIn, statuses };
}

/** Signs `email` in through the real OAuth dance; fails loudly if the app refused. */
export async function signIn(
  target: { url: string; provider: OidcProvider },
  email: string,
  opts: SignInOptions = {},
): Promise<TestSession> {
  const dance = await oauthDance(target, email, opts);
  if (dance.location.includes('signInError='))
    throw new Error(`sign-in of ${email} was refused: ${dance.location}`);
  return sessionFor(target.url, dance.cookie, email);
}

/** Wraps an existing cookie (e.g. replayed on another app instance) into a TestSession. */
export async function sessionFor(url: string, cookie: string, email = ''): Promise<TestSession> {
  const [csrf, profile] = await Promise.all([
    request(url).get('/api/v1/auth/csrf').set('Cookie', cookie),
    request(url).get('/api/v1/auth/profile').set('Cookie', cookie),
  ]);
  if (profile.status !== 200)
    throw new Error(`session is not signed in (profile answered ${profile.status})`);
  const csrfToken = (csrf.body as { csrfToken: string }).csrfToken;
  const userId = (profile.body as { user: { id: string } }).user.id;
  const withHeaders = (t: request.Test) => t.set('Cookie', cookie).set('X-CSRF-Token', csrfToken);
  const session: TestSession = {
    email,
    userId,
    cookie,
    csrfToken,
    get: (p) => request(url).get(p).set('Cookie', cookie),
    post: (p) => withHeaders(request(url).post(p)),
    put: (p) => withHeaders(request(url).put(p)),
    patch: (p) => withHeaders(request(url).patch(p)),
    delete: (p) => withHeaders(request(url).delete(p)),
    async profile() {
      const res = await request(url).get('/api/v1/auth/profile').set('Cookie', cookie).expect(200);
      return res.body as Awaited<ReturnType<TestSession['profile']>>;
    },
  };
  return session;
}

/** A valid seller application body (unique business name per call). */
export function sellerApplication(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    businessName: `Test Events ${crypto.randomBytes(3).toString('hex')}`,
    businessType: 'events',
    contactPhone: '+256 700 123456',
    country: 'UG',
    description: 'Concerts and festivals in Kampala, about twelve a year.',
    ...overrides,
  };
}

/** Signs in the configured admin (SUPER_ADMIN through ADMIN_EMAILS). */
export function signInAdmin(
  env: { url: string; provider: OidcProvider },
  email = TEST_ADMIN_EMAIL,
): Promise<TestSession> {
  return signIn(env, email, { name: 'Test Admin' });
}

/**
 * Makes `email` an approved seller through the real routes: sign in, apply, the admin
 * approves. Returns the seller's session (roles are re-read per request, so it is a SELLER now).
 */
/** The actor a seller made by makeSeller acts as when a test calls a module directly. */
export function actorOfSeller(seller: { userId: string; email: string }): Actor {
  return {
    userId: seller.userId,
    email: seller.email,
    name: 'Seller',
    roles: ['CUSTOMER', 'SELLER'],
    memberships: [],
  };
}

export async function makeSeller(
  env: { url: string; provider: OidcProvider },
  email: string,
  opts: { admin?: TestSession; application?: Record<string, unknown>; name?: string } = {},
): Promise<TestSession & { applicationId: string }> {
  const user = await signIn(env, email, opts.name ? { name: opts.name } : {});
  const applied = await user.post('/api/v1/auth/apply-seller').send(sellerApplication(opts.application));
  if (applied.status !== 201)
    throw new Error(`apply-seller answered ${applied.status}: ${JSON.stringify(applied.body)}`);
  const applicationId = (applied.body as { id: string }).id;
  const admin = opts.admin ?? (await signInAdmin(env));
  const approved = await admin.post(`/api/v1/admin/seller-applications/${applicationId}/approve`);
  if (approved.status !== 200)
    throw new Error(`approve answered ${approved.status}: ${JSON.stringify(approved.body)}`);
  return Object.assign(user, { applicationId });
}

/** startAuthApp on an emptied database: how most HTTP test files begin. */
export async function startFreshAuthApp(opts: StartAuthAppOptions = {}): Promise<AuthTestEnv> {
  const env = await startAuthApp(opts);
  await resetDatabase(env.platform);
  return env;
}

/** startFreshAuthApp with a signed-in platform admin and one seller that admin approved. */
export async function startSellerApp(
  sellerEmail: string,
  seller: { name?: string } = {},
  opts: StartAuthAppOptions = {},
): Promise<{ env: AuthTestEnv; admin: TestSession; seller: TestSession & { applicationId: string } }> {
  const env = await startFreshAuthApp(opts);
  const admin = await signInAdmin(env);
  return { env, admin, seller: await makeSeller(env, sellerEmail, { ...seller, admin }) };
}

/**
 * Adds `email` to the seller's team with `role` and signs that person in (which accepts the
 * invitation). For MANAGER, `campaignIds` are assigned.
 */
export async function makeTeamMember(
  env: { url: string; provider: OidcProvider },
  seller: TestSession,
  email: string,
  role: 'MANAGER' | 'FINANCE',
  campaignIds: string[] = [],
): Promise<TestSession & { memberId: string }> {
  const invited = await seller.post('/api/v1/team/members').send({ email, role });
  if (invited.status !== 201)
    throw new Error(`invite answered ${invited.status}: ${JSON.stringify(invited.body)}`);
  const memberId = (invited.body as { id: string }).id;
  if (campaignIds.length) {
    const assigned = await seller.post(`/api/v1/team/members/${memberId}/campaigns`).send({ campaignIds });
    if (assigned.status !== 200)
      throw new Error(`assign answered ${assigned.status}: ${JSON.stringify(assigned.body)}`);
  }
  const member = await signIn(env, email);
  return Object.assign(member, { memberId });
}

function absorbCookies(jar: Map<string, string>, res: Response): void {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const i = pair!.indexOf('=');
    const name = pair!.slice(0, i).trim();
    const value = pair!.slice(i + 1).trim();
    const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
    if (expired) jar.delete(name);
    else jar.set(name, value);
  }
}

function expectRedirect(res: Response, step: string): string {
  const location = res.headers.get('location');
  if (res.status < 300 || res.status >= 400 || !location)
    throw new Error(`${step}: expected a redirect, got ${res.status}`);
  return new URL(location, res.url).toString();
}
