import { testNames } from './names';

// Runs in every test file before anything is imported: point the configuration at this Jest
// worker's private database and vhost, and at a Redis prefix private to this test file (rate
// limit counters, sessions and message counters must not carry over from the previous file the
// worker ran). Teardown removes every key under the run's prefix.
const runId = process.env.TEST_RUN_ID;
if (!runId) throw new Error('TEST_RUN_ID is not set: run the tests with `npm test` (jest globalSetup)');
const names = testNames(runId, process.env.JEST_WORKER_ID ?? '1');
const pgBase = process.env.TEST_DATABASE_BASE_URL ?? 'postgresql://postgres@127.0.0.1:5432';
Object.assign(process.env, {
  NODE_ENV: 'test',
  DATABASE_URL: `${pgBase}/${names.database}`,
  AMQP_URL: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(names.vhost)}`,
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  REDIS_PREFIX: `${names.redisPrefix}${Math.random().toString(36).slice(2, 8)}:`,
  MIGRATE_ON_START: 'false',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
  CONSUMER_RETRY_BASE_MS: '50',
  OUTBOX_POLL_MS: '100',
});
