import pg from 'pg';
import { createClient } from 'redis';
import { testNames } from './names';
import { deleteRecordedQueues, queueRecordFile } from './queue-hygiene';
import { deleteVhost } from './vhosts';
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
    const { vhost } = testNames(runId, String(w));
    // The last file's queues one by one first (see queue-hygiene.ts): the vhost is then empty.
    await deleteRecordedQueues(
      queueRecordFile(runId, String(w)),
      `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`,
    ).catch((err: Error) => console.warn(`[tests] emptying vhost ${vhost}: ${err.message}`));
    deleteVhost(vhost);
  }
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `tm_test:${runId}_*`, COUNT: 500 })) {
    if (keys.length) await redis.del(keys);
  }
  await redis.close();
}
