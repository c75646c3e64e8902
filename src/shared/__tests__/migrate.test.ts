import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../migrate';

const root = path.resolve(__dirname, '../../..');
const base = process.env.TEST_DATABASE_BASE_URL ?? 'postgresql://postgres@127.0.0.1:5432';
// Named like the harness's databases, so a crashed run's leftovers are dropped by the next one.
const dbName = (what: string) =>
  `tm_test_${process.env.TEST_RUN_ID}_${what}_${Math.random().toString(16).slice(2, 8)}`;

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('database migrations', () => {
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created)
      await query(`${base}/postgres`, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  function fresh(what: string): string {
    const name = dbName(what);
    created.push(name);
    return `${base}/${name}`;
  }

  it('when `npm run db:migrate` runs on a missing database, then it creates it, applies every migration and records them like prisma migrate', () => {
    const url = fresh('cli');
    const migrations = fs.readdirSync(path.join(root, 'prisma/migrations')).sort();

    const first = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url },
      encoding: 'utf8',
    });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`created database ${url.split('/').pop()}`);
    expect(first.stdout).toContain(`${migrations.length} migration(s) applied`);

    const again = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url },
      encoding: 'utf8',
    });
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe('database is up to date');
  }, 60_000);

  it('when several processes migrate the same new database at once, then each migration is applied exactly once', async () => {
    const url = fresh('race');
    const results = await Promise.all([1, 2, 3, 4].map(() => migrateDatabase(url)));

    const names = fs.readdirSync(path.join(root, 'prisma/migrations')).sort();
    expect(results.flat().sort()).toEqual(names);
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      url,
      'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && r.finished_at)).toBe(true);
  });

  it('when an applied migration file was edited, or a new one fails, then migrating stops with a clear error and nothing half-applied', async () => {
    const url = fresh('edited');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-migrations-'));
    try {
      fs.mkdirSync(path.join(dir, '001_a'));
      fs.writeFileSync(path.join(dir, '001_a/migration.sql'), 'CREATE TABLE a (id int);');
      expect(await migrateDatabase(url, { dir })).toEqual(['001_a']);

      fs.mkdirSync(path.join(dir, '002_b'));
      fs.writeFileSync(
        path.join(dir, '002_b/migration.sql'),
        'CREATE TABLE b (id int); SELECT no_such_function();',
      );
      await expect(migrateDatabase(url, { dir })).rejects.toThrow(
        /migration 002_b failed: .*no_such_function/,
      );
      expect(await query(url, "SELECT 1 FROM pg_tables WHERE tablename = 'b'")).toEqual([]);

      fs.rmSync(path.join(dir, '002_b'), { recursive: true });
      fs.writeFileSync(path.join(dir, '001_a/migration.sql'), 'CREATE TABLE a (id bigint);');
      await expect(migrateDatabase(url, { dir })).rejects.toThrow(
        'migration 001_a was changed after it was applied',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
