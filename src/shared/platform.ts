import type { Config } from './config';
import { createPrisma, createSqlPool, type Db, type SqlPool } from './db';
import { createLogger, type Logger } from './logger';
import { createBroker, type Broker } from './messaging/broker';
import { SharedCounters } from './messaging/counters';
import { createRedis, type RedisClient } from './redis';
import { systemClock, type Clock } from './clock';

/**
 * The connections one process holds: PostgreSQL (Prisma), Redis and RabbitMQ. Web and worker
 * processes build one each and hand it to the code they run; tests build one per suite.
 */
export interface Platform {
  config: Config;
  logger: Logger;
  prisma: Db;
  /** The pool the Prisma client runs on, for the hot statements that skip the client (see SqlPool). */
  sql: SqlPool;
  redis: RedisClient;
  broker: Broker;
  counters: SharedCounters;
  clock: Clock;
  close(): Promise<void>;
}

export async function createPlatform(
  config: Config,
  opts: { service: string; logger?: Logger; clock?: Clock },
): Promise<Platform> {
  const logger =
    opts.logger ??
    createLogger({ level: config.LOG_LEVEL, json: config.NODE_ENV === 'production', service: opts.service });
  const sql = createSqlPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  sql.on('error', (err) => logger.warn('idle PostgreSQL connection failed', { error: err.message }));
  const prisma = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE, sql);
  const redis = await createRedis(config.REDIS_URL, opts.service, config.REDIS_COMMAND_TIMEOUT_MS);
  const broker = createBroker({
    url: config.AMQP_URL,
    hosts: config.AMQP_HOSTS,
    exchange: config.AMQP_EXCHANGE,
    name: opts.service,
    logger,
  });
  const counters = new SharedCounters(redis, `${config.REDIS_PREFIX}metrics:messages`);
  return {
    config,
    logger,
    prisma,
    sql,
    redis,
    broker,
    counters,
    clock: opts.clock ?? systemClock,
    async close() {
      await broker.close().catch(() => undefined);
      await redis.close().catch(() => undefined);
      await prisma.$disconnect().catch(() => undefined);
      // The adapter does not end a pool it was given.
      await sql.end().catch(() => undefined);
    },
  };
}
