import type { Db } from '../../src/shared/db';

export interface ScanViolation {
  ticketId: string;
  scanCount: number;
  maxScans: number;
  countedEntries: number;
  countedExits: number;
}

/**
 * The entry counter invariant of validation.scan.ts: for every ticket, scan_count equals its
 * counted entry scans minus its counted exit scans, and never exceeds max_scans; and no scan
 * id has two rows. Read-only SQL across the tickets and validation tables (a test-only check).
 */
export async function scanViolations(db: Db): Promise<ScanViolation[]> {
  const rows = await db.$queryRaw<
    Array<{ ticket_id: string; scan_count: number; max_scans: number; entries: bigint; exits: bigint }>
  >`
    SELECT t.id::text AS ticket_id, t.scan_count, t.max_scans,
      count(s.id) FILTER (WHERE s.counted AND s.type = 'entry') AS entries,
      count(s.id) FILTER (WHERE s.counted AND s.type = 'exit') AS exits
    FROM tickets t LEFT JOIN validation_scans s ON s.ticket_id = t.id
    GROUP BY t.id
    HAVING t.scan_count <> count(s.id) FILTER (WHERE s.counted AND s.type = 'entry')
                         - count(s.id) FILTER (WHERE s.counted AND s.type = 'exit')
        OR t.scan_count > t.max_scans OR t.scan_count < 0`;
  return rows.map((r) => ({
    ticketId: r.ticket_id,
    scanCount: r.scan_count,
    maxScans: r.max_scans,
    countedEntries: Number(r.entries),
    countedExits: Number(r.exits),
  }));
}

/**
 * Fails the test with the offending rows when the invariant does not hold. Throws rather than
 * calling Jest's expect: scripts/bench-scan.ts imports this file and `npm run build` compiles it
 * without Jest's types.
 */
export async function expectScanInvariant(db: Db): Promise<void> {
  const violations = await scanViolations(db);
  if (violations.length)
    throw new Error(
      `scan invariant broken for ${violations.length} ticket(s):\n${JSON.stringify(violations, null, 2)}`,
    );
  const dupes = await db.$queryRaw<Array<{ n: bigint }>>`
    SELECT count(*) AS n FROM (SELECT scan_id FROM validation_scans GROUP BY scan_id HAVING count(*) > 1) d`;
  if (Number(dupes[0]!.n) !== 0) throw new Error(`${Number(dupes[0]!.n)} scan id(s) have more than one row`);
}
