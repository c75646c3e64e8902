/**
 * PostgreSQL connection budgets for the benchmarks. The shared server allows `max_connections`
 * (100 here) for everyone, and a benchmark holds the web processes' pools and the raw baseline's
 * pool at the same time (the web pools keep their idle connections while the raw side runs), plus
 * its own set-up clients. Pools are sized from what is free when the run starts; a run that
 * cannot get a sensible pool stops before it starts anything, with a message that says why,
 * instead of dying halfway with "Connection terminated unexpectedly".
 */
import pg from 'pg';

export interface PoolSizes {
  /** DATABASE_POOL_SIZE of each web process. */
  dbPool: number;
  /** The raw baseline's pool: as large in total as the web tier's. */
  rawPool: number;
  /** What the sizing read: max_connections, reserved for superusers, in use when the run started. */
  budget: { max: number; reserved: number; inUse: number; free: number };
}

/**
 * Pool sizes for `webProcesses` web processes and a raw baseline as large as their pools together,
 * `wanted` per process at most (BENCH_DB_POOL), leaving `setUp` connections for the script's own
 * clients. Throws when fewer than 2 connections per web process fit.
 */
export async function sizePools(
  databaseUrl: string,
  opts: { webProcesses: number; wanted?: number; setUp: number },
): Promise<PoolSizes> {
  const admin = new pg.Client({ connectionString: new URL('/postgres', databaseUrl).toString() });
  await admin.connect();
  let budget: PoolSizes['budget'];
  try {
    const { rows } = await admin.query<{ max: number; reserved: number; in_use: number }>(
      `SELECT current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int AS reserved,
              (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use`,
    );
    const r = rows[0]!;
    // Our own admin connection is counted in in_use and goes away now.
    budget = {
      max: r.max,
      reserved: r.reserved,
      inUse: r.in_use - 1,
      free: r.max - r.reserved - r.in_use + 1,
    };
  } finally {
    await admin.end();
  }
  const fits = Math.floor((budget.free - opts.setUp) / (2 * opts.webProcesses));
  const dbPool = Math.min(opts.wanted ?? 20, fits);
  if (dbPool < 2)
    throw new Error(
      `PostgreSQL allows ${budget.max} connections (${budget.reserved} reserved for superusers) and ${budget.inUse} are in use by ` +
        `other work: ${budget.free} free, not enough for ${opts.webProcesses} web process(es) with a pool of at least 2 each, a raw ` +
        `baseline as large, and ${opts.setUp} for this script. Run with fewer BENCH_WEB_PROCESSES, or when the server is less busy.`,
    );
  if (opts.wanted !== undefined && dbPool < opts.wanted)
    console.log(
      `[bench] pool per web process ${dbPool} instead of BENCH_DB_POOL ${opts.wanted}: ${budget.free} of ${budget.max} PostgreSQL connections free`,
    );
  return { dbPool, rawPool: dbPool * opts.webProcesses, budget };
}

/**
 * The raw baselines' loop: `connections` concurrent clients over a pool of `poolSize`, each
 * looping BEGIN; `body(client)`; COMMIT until `durationS` is over. A failed iteration (a refused
 * connection included: it is taken inside the try) is rolled back and counted, never the end of
 * the script; the pool is always closed.
 */
export async function rawTransactions(
  databaseUrl: string,
  poolSize: number,
  connections: number,
  durationS: number,
  body: (client: pg.PoolClient) => Promise<void>,
  /** Runs once the loop is over, while the pool's connections are still open (e.g. to read their backends' CPU). */
  beforeClose?: () => Promise<void>,
): Promise<{ latencies: number[]; errors: number }> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: Math.min(poolSize || connections, connections),
  });
  // An idle client dropped by the server must not crash the script (the next query that meets it counts it).
  pool.on('error', () => undefined);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = Date.now() + durationS * 1000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < deadline) {
          const t0 = performance.now();
          let client: pg.PoolClient | undefined;
          try {
            client = await pool.connect();
            await client.query('BEGIN');
            await body(client);
            await client.query('COMMIT');
            latencies.push(performance.now() - t0);
          } catch {
            errors++;
            await client?.query('ROLLBACK').catch(() => undefined);
          } finally {
            client?.release();
          }
        }
      }),
    );
    await beforeClose?.();
  } finally {
    await pool.end();
  }
  return { latencies, errors };
}
