import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from '../generated/prisma/client';

export { Prisma, PrismaClient };

/** A Prisma transaction client: what repositories take so that a use case controls the transaction. */
export type Tx = Prisma.TransactionClient;
export type Db = PrismaClient;

/**
 * The node-postgres pool under the Prisma client (the same connections, the same size). For the
 * few hot statements where the Prisma client's own work per query (its request pipeline, the
 * row conversion of the driver adapter) costs more than the statement: a single statement sent
 * here is one round trip and runs in its own implicit transaction. Everything else uses Prisma.
 */
export type SqlPool = pg.Pool;

export function createPrisma(connectionString: string, poolSize = 10, pool?: SqlPool): PrismaClient {
  const adapter = new PrismaPg(pool ?? { connectionString, max: poolSize });
  return new PrismaClient({ adapter });
}

/** A pool for createPrisma to run on (its owner ends it, after `$disconnect`). */
export function createSqlPool(connectionString: string, poolSize = 10): SqlPool {
  return new pg.Pool({
    connectionString,
    max: poolSize,
    // Waiting for a connection (the pool busy, or a new one that never gets through) is bounded:
    // pg waits for ever by default, so a periodic job (payments reconciliation) or a request could
    // hang for good behind a pool that did not recover from an outage. The time-out is classed as
    // "dependency unavailable" (503, retried).
    connectionTimeoutMillis: POOL_WAIT_MS,
    keepAlive: true,
  });
}

/** The longest a query waits for a pooled connection: as long as a transaction waits (TX maxWait 30 s). */
const POOL_WAIT_MS = 30_000;

/** A connection taken from the pool for a transaction of its own (BEGIN … COMMIT on it). */
export type SqlClient = pg.PoolClient;

/**
 * Runs `work` on a client of its own from the pool; `work` sends its own BEGIN and COMMIT. If it
 * throws, a ROLLBACK is sent and a client that cannot even roll back is destroyed, not pooled.
 * pg emits 'error' on a checked-out client whose connection dies (PostgreSQL restarted) besides
 * failing its query; an 'error' nobody listens to takes the process down, so one is ignored here
 * while the failed query answers the caller.
 */
export async function withSqlClient<T>(pool: SqlPool, work: (client: SqlClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  client.on('error', ignoreClientError);
  let broken = false;
  try {
    return await work(client);
  } catch (err) {
    broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    throw err;
  } finally {
    client.off('error', ignoreClientError);
    client.release(broken);
  }
}

function ignoreClientError(): void {}

/** A statement built with Prisma.sql, run on the pool (or a client) as one round trip (`$1`-style placeholders). */
export async function runSql<R extends pg.QueryResultRow>(
  pool: SqlPool | SqlClient,
  statement: Prisma.Sql,
  /**
   * Prepares the statement under this name on each connection (parsed and planned once there):
   * only for a statement whose text never changes (node-postgres refuses another text under a
   * name it has prepared).
   */
  name?: string,
) {
  return pool.query<R>({
    text: statement.text,
    values: statement.values as unknown[],
    ...(name ? { name } : {}),
  });
}

/** True when the error is PostgreSQL's unique violation (Prisma P2002 or raw 23505). */
export function isUniqueViolation(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return err.code === 'P2002';
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code === '23505' || e?.cause?.code === '23505';
}

/** The write's result; a unique violation becomes the caller's domain error, anything else is rethrown. */
export async function unlessUniqueViolation<T>(write: Promise<T>, conflict: () => Error): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict();
    throw err;
  }
}
