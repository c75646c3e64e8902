import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../../src/shared/migrate';
import { isAlive, newRunId, ownerPid, testNames } from './names';
import { deleteVhost } from './vhosts';

export const TEST_PG_BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgresql://postgres@127.0.0.1:5432';

/**
 * Once per `jest` run: a fresh PostgreSQL database (copied from a migrated template) and a
 * RabbitMQ vhost per Jest worker, named after this run, so that parallel workers and parallel
 * runs never see each other's data. The local run's database is never touched.
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  // The gate page's browser bundle (not committed): what `npm start` and `npm run build` make.
  execFileSync(process.execPath, [path.resolve(__dirname, '../../scripts/build-web.mjs')], {
    stdio: 'inherit',
  });
  const runId = newRunId();
  process.env.TEST_RUN_ID = runId;
  const templateName = testNames(runId, 'template').database;
  await migrateDatabase(`${TEST_PG_BASE}/${templateName}`);

  const admin = new pg.Client({ connectionString: `${TEST_PG_BASE}/postgres` });
  await admin.connect();
  try {
    const existing = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'tm_test_%'",
    );
    for (const { datname } of existing.rows) {
      const pid = ownerPid(datname);
      if (pid && pid !== process.pid && !isAlive(pid)) {
        await admin
          .query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`)
          .catch(() => undefined);
      }
    }
    for (let w = 1; w <= globalConfig.maxWorkers; w++) {
      await admin.query(
        `CREATE DATABASE ${pg.escapeIdentifier(testNames(runId, String(w)).database)} TEMPLATE ${pg.escapeIdentifier(templateName)}`,
      );
    }
  } finally {
    await admin.end();
  }

  const vhosts = execFileSync('rabbitmqctl', ['-q', 'list_vhosts', 'name'], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim());
  const stale = vhosts.filter((v) => {
    const pid = ownerPid(v);
    return pid !== undefined && pid !== process.pid && !isAlive(pid);
  });
  for (const v of stale) deleteVhost(v);
  for (let w = 1; w <= globalConfig.maxWorkers; w++) {
    const { vhost } = testNames(runId, String(w));
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], {
      stdio: 'ignore',
    });
  }
}
