import request from 'supertest';
import {
  sellerApplication,
  signIn,
  startAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../test/support/auth';
import { waitFor } from '../../../test/support/platform';
import { TcpProxy } from '../../../test/support/tcp-proxy';

/**
 * A signed-in person's requests while PostgreSQL, Redis or RabbitMQ cannot be reached: each
 * service is cut for this app alone (a proxy in front of it), and the answer must say "come
 * back shortly" (503 + Retry-After), never blame our code (500); once the service returns,
 * the same request works again.
 */
describe('when a dependency is down', () => {
  const proxies = {
    postgres: new TcpProxy('127.0.0.1', 5432),
    redis: new TcpProxy('127.0.0.1', 6379),
    rabbitmq: new TcpProxy('127.0.0.1', 5672),
  };
  let env: AuthTestEnv;
  let buyer: TestSession;

  beforeAll(async () => {
    for (const p of Object.values(proxies)) await p.start();
    env = await startAuthApp({
      overrides: {
        DATABASE_URL: proxies.postgres.url(process.env.DATABASE_URL!),
        REDIS_URL: proxies.redis.url(process.env.REDIS_URL!),
        AMQP_URL: proxies.rabbitmq.url(process.env.AMQP_URL!),
      },
    });
    buyer = await signIn(env, 'dependency-down@example.test');
  });
  afterAll(async () => {
    await env.close();
    for (const p of Object.values(proxies)) await p.close();
  });

  const profile = () => request(env.url).get('/api/v1/auth/profile').set('Cookie', buyer.cookie);

  for (const name of ['postgres', 'redis'] as const) {
    it(`when ${name} is unreachable, then signed-in requests get 503 DEPENDENCY_UNAVAILABLE with Retry-After (pages too), and work again once it is back`, async () => {
      expect((await profile()).status).toBe(200);
      await proxies[name].cut();
      try {
        const api = await profile();
        expect(api.status).toBe(503);
        expect(api.headers['retry-after']).toBe('5');
        expect(api.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
        const page = await request(env.url)
          .get('/profile')
          .set('Cookie', buyer.cookie)
          .set('Accept', 'text/html');
        expect(page.status).toBe(503);
        expect(page.headers['content-type']).toMatch(/html/);
      } finally {
        await proxies[name].restore();
      }
      const back = await waitFor(
        async () => ((await profile()).status === 200 ? true : undefined),
        20_000,
        `the profile to answer 200 after ${name} returns`,
      );
      expect(back).toBe(true);
    }, 40_000);
  }

  /** A request's status and how long it took. */
  const timed = async (req: () => request.Test) => {
    const started = Date.now();
    const res = await req();
    return { res, ms: Date.now() - started };
  };
  const signInStart = () => request(env.url).get('/api/v1/auth/google').redirects(0);

  for (const outage of ['cut', 'stall'] as const) {
    it(`when redis is ${outage === 'cut' ? 'cut (connections reset)' : 'half-open (connections stay open, nothing answers)'}, then every request answers 503 with Retry-After within 3 s (signed-in, pages, rate-limited anonymous), and all work again by themselves once it is back`, async () => {
      const timeoutMs = env.platform.config.REDIS_COMMAND_TIMEOUT_MS;
      expect((await profile()).status).toBe(200);
      expect((await signInStart()).status).toBe(302);
      if (outage === 'cut') await proxies.redis.cut();
      else proxies.redis.stall();
      const answers: { status: number; retryAfter: unknown; ms: number }[] = [];
      try {
        // The first request after a stall waits on a command written to the silent socket (the
        // watchdog cuts it within about 1.5 × REDIS_COMMAND_TIMEOUT_MS); later ones fail at once.
        // Each kind is asked twice, in parallel and in turn, and the wait stays bounded throughout.
        for (let round = 0; round < 2; round++) {
          const page = () =>
            request(env.url).get('/profile').set('Cookie', buyer.cookie).set('Accept', 'text/html');
          const batch = await Promise.all([timed(profile), timed(page), timed(signInStart)]);
          for (const { res, ms } of batch)
            answers.push({ status: res.status, retryAfter: res.headers['retry-after'], ms });
          expect(batch[0].res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
          expect(batch[1].res.headers['content-type']).toMatch(/html/);
        }
      } finally {
        await proxies.redis.restore();
      }
      expect(answers.map((a) => [a.status, a.retryAfter])).toEqual(answers.map(() => [503, '5']));
      // Bound: 1.5 × the timeout plus a loaded machine's request time (2 cores shared by many).
      expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(3 * timeoutMs + 1000);
      const back = Date.now();
      await waitFor(
        async () =>
          (await profile()).status === 200 && (await signInStart()).status === 302 ? true : undefined,
        20_000,
        `the profile and sign-in to work again after redis returns (${outage})`,
      );
      // Reconnection back-off is capped at 2 s: recovery needs no restart and no request to trigger it.
      expect(Date.now() - back).toBeLessThan(10_000);
    }, 60_000);
  }

  it('when rabbitmq is unreachable, then a state change still succeeds (its events wait in the outbox)', async () => {
    const pending = () =>
      env.platform.prisma.outboxMessage.count({
        where: { eventName: 'seller.application.submitted', publishedAt: null },
      });
    // Other test files of this Jest worker may have left unpublished events (no relay runs here).
    const before = await pending();
    await proxies.rabbitmq.cut();
    try {
      const res = await request(env.url)
        .post('/api/v1/auth/apply-seller')
        .set('Cookie', buyer.cookie)
        .set('X-CSRF-Token', buyer.csrfToken)
        .send(sellerApplication());
      expect(res.status).toBe(201);
      expect(await pending()).toBe(before + 1);
    } finally {
      await proxies.rabbitmq.restore();
    }
  });
});
