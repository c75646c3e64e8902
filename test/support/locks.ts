import type { Db } from '../../src/shared/db';
import { waitFor } from './platform';

/** The server process id of the session a transaction runs on (for waitUntilBlockedBy). */
export async function backendPid(db: Pick<Db, '$queryRaw'>): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
  return row!.pid;
}

/** Whether some other session is waiting right now for a lock the session `holderPid` holds. */
export async function isBlockedBy(db: Pick<Db, '$queryRaw'>, holderPid: number): Promise<boolean> {
  const [row] = await db.$queryRaw<Array<{ waiting: number }>>`
    SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE ${holderPid}::int = ANY(pg_blocking_pids(pid))`;
  return row!.waiting > 0;
}

/**
 * Resolves once some other session is waiting for a lock that the session `holderPid` holds
 * (PostgreSQL's own pg_blocking_pids), i.e. a racing transaction has reached the locked row.
 * Tests use it instead of a sleep: on a slow machine a sleep can end before the racer gets there,
 * and the test then checks an ordinary sequential run instead of the race.
 */
export async function waitUntilBlockedBy(
  db: Pick<Db, '$queryRaw'>,
  holderPid: number,
  timeoutMs = 10_000,
): Promise<void> {
  await waitFor(
    () => isBlockedBy(db, holderPid),
    timeoutMs,
    `a session waiting for a lock held by backend ${holderPid}`,
  );
}
