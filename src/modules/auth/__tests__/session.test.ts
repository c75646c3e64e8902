import request from 'supertest';
import {
  oauthDance,
  sessionFor,
  signIn,
  startAuthApp,
  startFreshAuthApp,
  startOidcProvider,
  type AuthTestEnv,
} from '../../../../test/support/auth';
import { fixedClock } from '../../../shared/clock';
import { TOUCH_INTERVAL_MS } from '../../../shared/http/session';
import type { OidcProvider } from '../../../../tools/oidc-provider/provider';
import { productionSecrets } from '../../../../test/support/production-env';

describe('sessions', () => {
  let provider: OidcProvider;
  let env: AuthTestEnv;

  beforeAll(async () => {
    provider = await startOidcProvider();
    env = await startFreshAuthApp({ provider });
  });
  afterAll(async () => {
    await env.close();
    await provider.close();
  });

  it('when the web process restarts, then the session cookie still signs the user in (sessions live in Redis)', async () => {
    const first = await startAuthApp({ provider, service: 'web-1' });
    const session = await signIn(first, 'restart@example.test');
    await first.close(); // the whole process state goes: app, Redis and database connections

    const second = await startAuthApp({ provider, service: 'web-2' });
    try {
      expect(second.url).not.toBe(first.url);
      const res = await request(second.url)
        .get('/api/v1/auth/profile')
        .set('Cookie', session.cookie)
        .expect(200);
      expect(res.body.user.email).toBe('restart@example.test');
      // The CSRF token survives too: a state-changing call works on the new instance.
      const again = await sessionFor(second.url, session.cookie);
      expect(again.csrfToken).toBe(session.csrfToken);
    } finally {
      await second.close();
    }
  });

  it('when the user logs out, then the session is destroyed and the old cookie cannot be replayed', async () => {
    const session = await signIn(env, 'logout@example.test');
    await session.get('/api/v1/auth/profile').expect(200);

    const out = await session.post('/api/v1/auth/logout').expect(204);
    expect(out.headers['set-cookie']?.[0]).toMatch(/^tm\.sid=;.*Expires=Thu, 01 Jan 1970/);

    await request(env.url).get('/api/v1/auth/profile').set('Cookie', session.cookie).expect(401);
    // Replaying the old cookie with the old token changes nothing either: the session is gone.
    const replay = await request(env.url)
      .post('/api/v1/auth/apply-seller')
      .set('Cookie', session.cookie)
      .set('X-CSRF-Token', session.csrfToken)
      .send({});
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('CSRF_INVALID');
    const keys = await env.platform.redis.keys(`${env.platform.config.REDIS_PREFIX}sess:*`);
    const sid = decodeURIComponent(session.cookie.split('=')[1]!).slice(2).split('.')[0]!;
    expect(keys).not.toContain(`${env.platform.config.REDIS_PREFIX}sess:${sid}`);
  });

  it('when a person signs out from a page, then they are redirected home signed out', async () => {
    const session = await signIn(env, 'page-logout@example.test');
    const res = await request(env.url)
      .post('/sign-out')
      .type('form')
      .set('Cookie', session.cookie)
      .send({ _csrf: session.csrfToken })
      .expect(303);
    expect(res.headers.location).toBe('/');
    await request(env.url).get('/api/v1/auth/profile').set('Cookie', session.cookie).expect(401);
  });

  it('when one of two sessions of a user logs out, then the other stays signed in', async () => {
    const a = await signIn(env, 'two-devices@example.test');
    const b = await signIn(env, 'two-devices@example.test');
    await a.post('/api/v1/auth/logout').expect(204);
    await b.get('/api/v1/auth/profile').expect(200);
  });

  it('when the session cookie is set, then it is HttpOnly, SameSite=Lax, path / with the idle lifetime, and not Secure outside production', async () => {
    // The sign-in set it; a request past the renewal interval sets it again (see the next test).
    const dance = await oauthDance(env, 'cookie@example.test');
    const key = `${env.platform.config.REDIS_PREFIX}sess:${decodeURIComponent(dance.cookie.split('=')[1]!).slice(2).split('.')[0]!}`;
    const idleMs = env.platform.config.SESSION_IDLE_MINUTES * 60_000;
    expect(await env.platform.redis.ttl(key)).toBeGreaterThan(idleMs / 1000 - 60);
    // Make the stored session look older than the renewal interval: the next request renews it.
    const stored = JSON.parse((await env.platform.redis.get(key))!) as Record<string, unknown>;
    await env.platform.redis.set(
      key,
      JSON.stringify({ ...stored, touchedAt: Date.now() - TOUCH_INTERVAL_MS - 1_000 }),
      {
        PX: 30_000,
      },
    );
    const res = await request(env.url).get('/api/v1/auth/profile').set('Cookie', dance.cookie).expect(200);
    const cookie = res.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/^tm\.sid=s%3A/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
    const expires = new Date(/Expires=([^;]+)/.exec(cookie)![1]!).getTime();
    expect(Math.abs(expires - Date.now() - idleMs)).toBeLessThan(60_000);
    expect(await env.platform.redis.ttl(key)).toBeGreaterThan(idleMs / 1000 - 60);
  });

  it('when a signed-in user sends requests within the renewal interval, then the session is not written (no Redis write, no Set-Cookie) and stays signed in', async () => {
    const clock = fixedClock('2026-11-22T08:00:00Z');
    const timed = await startAuthApp({ provider, clock });
    try {
      const dance = await oauthDance(timed, 'quiet@example.test');
      const key = `${timed.platform.config.REDIS_PREFIX}sess:${decodeURIComponent(dance.cookie.split('=')[1]!).slice(2).split('.')[0]!}`;
      // A short TTL to watch: a renewal would set it back to the idle lifetime.
      await timed.platform.redis.pExpire(key, 30_000);
      for (let i = 0; i < 3; i++) {
        clock.advance(15_000);
        const res = await request(timed.url)
          .get('/api/v1/auth/profile')
          .set('Cookie', dance.cookie)
          .expect(200);
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expect(await timed.platform.redis.pTTL(key)).toBeLessThanOrEqual(30_000);
      // Past the interval since sign-in: renewed once, the idle lifetime counted again from now.
      clock.advance(TOUCH_INTERVAL_MS);
      const renewed = await request(timed.url)
        .get('/api/v1/auth/profile')
        .set('Cookie', dance.cookie)
        .expect(200);
      expect(renewed.headers['set-cookie']?.[0]).toMatch(/^tm\.sid=/);
      const idleMs = timed.platform.config.SESSION_IDLE_MINUTES * 60_000;
      expect(await timed.platform.redis.pTTL(key)).toBeGreaterThan(idleMs - 60_000);
      const next = await request(timed.url)
        .get('/api/v1/auth/profile')
        .set('Cookie', dance.cookie)
        .expect(200);
      expect(next.headers['set-cookie']).toBeUndefined();
    } finally {
      await timed.close();
    }
  });

  it('when the session is older than the absolute lifetime, then the user is signed out even though they stayed active', async () => {
    const clock = fixedClock('2026-11-22T08:00:00Z');
    const timed = await startAuthApp({ provider, clock, overrides: { SESSION_ABSOLUTE_HOURS: '12' } });
    try {
      const session = await signIn(timed, 'absolute@example.test');
      clock.advance(11 * 3_600_000);
      await session.get('/api/v1/auth/profile').expect(200);
      clock.advance(2 * 3_600_000);
      await session.get('/api/v1/auth/profile').expect(401);
    } finally {
      await timed.close();
    }
  });
});

const { GOOGLE_CLIENT_ID: _id, GOOGLE_CLIENT_SECRET: _secret, ...withoutGoogle } = productionSecrets;

describe('sessions in production', () => {
  let env: AuthTestEnv;
  beforeAll(async () => {
    env = await startAuthApp({
      overrides: {
        // startAuthApp points the Google strategy at the local provider with its own client.
        ...withoutGoogle,
        DATABASE_URL: process.env.DATABASE_URL,
        REDIS_URL: process.env.REDIS_URL,
        AMQP_URL: process.env.AMQP_URL,
        PUBLIC_URL: 'https://tickets.example.test',
      },
    });
  });
  afterAll(async () => {
    await env.close();
  });

  it('when the app runs in production behind TLS, then the session cookie is Secure', async () => {
    const res = await request(env.url).get('/api/v1/auth/csrf').set('X-Forwarded-Proto', 'https').expect(200);
    const cookie = res.headers['set-cookie']![0]!;
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
  });

  it('when the app runs in production, then the Google callback is the absolute PUBLIC_URL one', async () => {
    const res = await request(env.url)
      .get('/api/v1/auth/google')
      .set('X-Forwarded-Proto', 'https')
      .expect(302);
    expect(new URL(res.headers.location!).searchParams.get('redirect_uri')).toBe(
      'https://tickets.example.test/api/v1/auth/google/callback',
    );
  });
});
