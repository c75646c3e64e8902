import request from 'supertest';
import { createTestPlatform, startApp, waitFor, type RunningApp } from '../../../test/support/platform';
import { TcpProxy } from '../../../test/support/tcp-proxy';
import type { Platform } from '../platform';

/**
 * /ready against real PostgreSQL, Redis and RabbitMQ, each reached through its own proxy so
 * that one dependency can vanish for this app alone while the servers keep running.
 */
describe('GET /ready', () => {
  const proxies = {
    postgres: new TcpProxy('127.0.0.1', 5432),
    redis: new TcpProxy('127.0.0.1', 6379),
    rabbitmq: new TcpProxy('127.0.0.1', 5672),
  };
  let platform: Platform;
  let app: RunningApp;

  beforeAll(async () => {
    for (const p of Object.values(proxies)) await p.start();
    platform = await createTestPlatform(
      {
        DATABASE_URL: proxies.postgres.url(process.env.DATABASE_URL!),
        REDIS_URL: proxies.redis.url(process.env.REDIS_URL!),
        AMQP_URL: proxies.rabbitmq.url(process.env.AMQP_URL!),
      },
      'ready-test',
    );
    app = await startApp(platform);
    await waitFor(() => platform.broker.connection.ready, 10_000, 'RabbitMQ to connect');
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
    for (const p of Object.values(proxies)) await p.close();
  });

  const ready = () => request(app.url).get('/ready');

  it('when every dependency answers, then 200 with each check passing', async () => {
    const res = await ready();
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['postgres', true],
      ['redis', true],
      ['rabbitmq', true],
    ]);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  for (const name of ['postgres', 'redis', 'rabbitmq'] as const) {
    it(`when ${name} becomes unreachable, then 503 naming ${name}; when it returns, then 200 again`, async () => {
      expect((await ready()).status).toBe(200);

      await proxies[name].cut();
      const down = (await waitFor(
        async () => {
          const res = await ready();
          return res.status === 503 ? res : undefined;
        },
        10_000,
        `/ready to report ${name} down`,
      ))!;
      expect(down.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(down.body.error.message).toBe(`Not ready: ${name} unreachable`);
      expect(down.body.error.details).toEqual([{ field: name, message: expect.any(String) }]);
      const others = down.body.checks.filter((c: { name: string }) => c.name !== name);
      expect(others.every((c: { ok: boolean }) => c.ok)).toBe(true);
      // The liveness probe does not depend on anything.
      expect((await request(app.url).get('/health')).status).toBe(200);

      await proxies[name].restore();
      await waitFor(
        async () => (await ready()).status === 200,
        20_000,
        `/ready to recover after ${name} returns`,
      );
    }, 40_000);
  }
});
