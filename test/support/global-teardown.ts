import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createClient } from 'redis';
import { testNames } from './names';
import { TEST_PG_BASE } from './global-setup';

/** Drops this run's databases, vhosts and Redis keys. */
export default async function globalTeardown(globalConfig: { maxWorkers: number }): Promise<void> {
  const runId = process.env.TEST_RUN_ID;
  if (!runId || process.env.KEEP_TEST_DATA === '1') return;
  const admin = new pg.Client({ connectionString: `${TEST_PG_BASE}/postgres` });
  await admin.connect();
  const workers = [...Array.from({ length: globalConfig.maxWorkers }, (_, i) => String(i + 1)), 'template'];
  try {
    for (const w of workers) {
      await admin.query(
        `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(testNames(runId, w).database)} WITH (FORCE)`,
      );
    }
  } finally {
    await admin.end();
  }
  for (let w = 1; w <= globalConfig.maxWorkers; w++) {
    try {
      execFileSync('rabbitmqctl', ['-q', 'delete_vhost', testNames(runId, String(w)).vhost], {
        stdio: 'ignore',
      });
    } catch {
      // already gone
    }
  }
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `tm_test:${runId}_*`, COUNT: 500 })) {
    if (keys.length) await redis.del(keys);
  }
  await redis.close();
}
