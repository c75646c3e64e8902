import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createTestPlatform } from '../../../test/support/platform';
import { createLogger } from '../logger';
import type { Platform } from '../platform';

const MESSAGE = Symbol.for('message');

function capturingLogger(json: boolean): { logger: winston.Logger; text: () => string } {
  const out: string[] = [];
  const logger = createLogger({ level: 'debug', json, service: 'log-safety' });
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write(info: Record<string | symbol, unknown>, _enc, done) {
          out.push(String(info[MESSAGE]));
          done();
        },
      }),
    }),
  );
  return { logger, text: () => out.join('\n') };
}

/** Errors from the database quote the values they were given; none of them may reach a log line. */
describe('when database errors and connection URLs are logged', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await createTestPlatform({}, 'log-safety');
  });
  afterAll(async () => {
    await platform.close();
  });

  async function prismaError(): Promise<unknown> {
    const at = new Date();
    const user = {
      googleSub: `sub-${crypto.randomUUID()}`,
      email: 'private.person@example.test',
      name: 'Private Person',
      createdAt: at,
      updatedAt: at,
      lastSignInAt: at,
    };
    await platform.prisma.user.create({ data: { id: crypto.randomUUID(), ...user } });
    return platform.prisma.user
      .create({ data: { id: crypto.randomUUID(), ...user } })
      .catch((e: unknown) => e);
  }

  for (const json of [true, false]) {
    it(`when a Prisma unique violation and a PostgreSQL cast error are logged (${json ? 'JSON' : 'text'}), then their codes are there and the arguments are not`, async () => {
      const { logger, text } = capturingLogger(json);
      const unique = await prismaError();
      expect(unique).toBeInstanceOf(Error);
      const cast = await platform.prisma
        .$queryRawUnsafe('SELECT $1::uuid', 'private.person@example.test')
        .catch((e: unknown) => e);
      expect(String((cast as Error).message)).toContain('private.person@example.test');
      logger.error('unhandled error', { err: unique });
      logger.warn('query failed', { err: cast });
      const logged = text();
      expect(logged).toContain('P2002');
      expect(logged).toContain('unhandled error');
      expect(logged).not.toContain('private.person@example.test');
      expect(logged).not.toContain('Private Person');
    });
  }

  it('when a message or field carries a connection URL with a password, then the password is masked', () => {
    const { logger, text } = capturingLogger(true);
    logger.warn('cannot reach amqp://app:s3cret-pw@mq.internal:5672/vhost', {
      err: new Error('connect ECONNREFUSED postgresql://app:db-pass@db.internal/ticketing'),
      target: 'redis://:redis-pass@cache:6379',
    });
    const logged = text();
    for (const secret of ['s3cret-pw', 'db-pass', 'redis-pass']) expect(logged).not.toContain(secret);
    expect(logged).toContain('amqp://app:***@mq.internal:5672/vhost');
  });
});
