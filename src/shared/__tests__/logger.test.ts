import { Writable } from 'node:stream';
import { Router } from 'express';
import request from 'supertest';
import winston from 'winston';
import { startApp, testConfig, type RunningApp } from '../../../test/support/platform';
import { webModules } from '../../modules/registry';
import { createLogger, redact } from '../logger';
import { createPlatform, type Platform } from '../platform';

const MESSAGE = Symbol.for('message');

type Line = Record<string, unknown> & { text: string };

/** Keeps every formatted line a logger writes, as the console transport would print it. */
function capture(): { lines: Line[]; transport: winston.transport } {
  const lines: Line[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string | symbol, unknown>, _enc, done) {
      lines.push({ ...(info as Record<string, unknown>), text: String(info[MESSAGE]) });
      done();
    },
  });
  return { lines, transport: new winston.transports.Stream({ stream }) };
}

const SECRETS = [
  'hunter2',
  'tok_live_abc',
  '4111111111111111',
  '123',
  'sid=s%3Aabc',
  'Bearer xyz',
  'flw-hash',
];

describe('logging', () => {
  describe('redaction', () => {
    it('when an object with secrets, tokens, cookies or card fields is logged, then their values are replaced', () => {
      const out = redact({
        email: 'a@example.com',
        password: 'hunter2',
        nested: { accessToken: 'tok_live_abc', list: [{ cvv: '123', amountMinor: 500 }] },
        card: { number: '4111111111111111' },
        cardNumber: '4111111111111111',
        expiry_month: '09',
        headers: {
          cookie: 'sid=s%3Aabc',
          authorization: 'Bearer xyz',
          'verif-hash': 'flw-hash',
          accept: 'json',
        },
      });
      expect(out).toEqual({
        email: 'a@example.com',
        password: '[redacted]',
        nested: { accessToken: '[redacted]', list: [{ cvv: '[redacted]', amountMinor: 500 }] },
        card: '[redacted]',
        cardNumber: '[redacted]',
        expiry_month: '[redacted]',
        headers: {
          cookie: '[redacted]',
          authorization: '[redacted]',
          'verif-hash': '[redacted]',
          accept: 'json',
        },
      });
    });

    for (const json of [true, false]) {
      it(`when a line is written (${json ? 'JSON, production' : 'readable, development'}), then no secret reaches it`, () => {
        const logger = createLogger({ json, level: 'info', service: 'test' });
        const { lines, transport } = capture();
        logger.clear().add(transport);

        logger.info('payment callback', {
          password: 'hunter2',
          sessionToken: 'tok_live_abc',
          payload: { card: { number: '4111111111111111', cvv: '123' } },
          headers: { cookie: 'sid=s%3Aabc', authorization: 'Bearer xyz', 'verif-hash': 'flw-hash' },
          amountMinor: 1500,
        });

        const [line] = lines;
        for (const secret of SECRETS) expect(line!.text).not.toContain(secret);
        expect(line!.text).toContain('payment callback');
        expect(line!.text).toContain('1500');
        if (json)
          expect(JSON.parse(line!.text)).toMatchObject({
            level: 'info',
            service: 'test',
            password: '[redacted]',
          });
      });
    }
  });

  describe('request ids', () => {
    let platform: Platform;
    let app: RunningApp;
    const { lines, transport } = capture();

    beforeAll(async () => {
      const config = testConfig({ LOG_LEVEL: 'info' });
      const logger = createLogger({ json: true, level: 'info', service: 'web' });
      logger.clear().add(transport);
      platform = await createPlatform(config, { service: 'web', logger });
      // A module like any other, mounted through the registry (behind sessions and rate limits).
      webModules.push((p) => {
        const router = Router();
        router.get('/:n', async (req, res) => {
          p.logger.info('step one', { n: req.params.n });
          await p.prisma.$queryRaw`SELECT pg_sleep(0.05)::text`;
          await p.redis.ping();
          p.logger.info('step two', { n: req.params.n });
          if (req.query.fail) throw new Error(`handler broke with password=${'hunter2'.length}`);
          res.json({ ok: true });
        });
        return {
          name: 'log-probe',
          api: [
            {
              name: 'log-probe',
              prefix: '/api/v1/log-probe',
              router,
              paths: {
                '/api/v1/log-probe/{n}': { get: { summary: 'test probe', responses: { '200': {} } } },
              },
            },
          ],
        };
      });
      app = await startApp(platform);
    });
    afterAll(async () => {
      webModules.pop();
      await app.close();
      await platform.close();
    });

    it('when two requests run at once, then every line logged while serving each carries its own request id', async () => {
      lines.length = 0;
      const [a, b] = await Promise.all([
        request(app.url).get('/api/v1/log-probe/1').set('X-Request-Id', 'req-aaa'),
        request(app.url).get('/api/v1/log-probe/2').set('X-Request-Id', 'req-bbb'),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);

      const byN = (n: string) => lines.filter((l) => l.n === n);
      expect(byN('1').map((l) => [l.message, l.requestId])).toEqual([
        ['step one', 'req-aaa'],
        ['step two', 'req-aaa'],
      ]);
      expect(byN('2').map((l) => [l.message, l.requestId])).toEqual([
        ['step one', 'req-bbb'],
        ['step two', 'req-bbb'],
      ]);
    });

    it('when a handler fails, then the error line carries the request id and the client gets a generic 500', async () => {
      lines.length = 0;
      const res = await request(app.url).get('/api/v1/log-probe/3?fail=1');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error: { code: 'INTERNAL', message: 'Something went wrong on our side', details: [] },
      });
      const id = res.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const failure = lines.find((l) => l.message === 'unhandled error');
      expect(failure).toMatchObject({ level: 'error', requestId: id, path: '/api/v1/log-probe/3' });
      expect(lines.filter((l) => l.n === '3').every((l) => l.requestId === id)).toBe(true);
    });
  });
});
