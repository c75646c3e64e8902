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
