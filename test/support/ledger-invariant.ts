import type { Db } from '../../src/shared/db';

export interface LedgerViolation {
  kind: 'UNBALANCED_JOURNAL' | 'BALANCE_MISMATCH' | 'JOURNAL_WITHOUT_ENTRIES' | 'ENTRY_MUTABLE';
  id: string;
  details: Record<string, unknown>;
}

/**
 * The ledger invariant, checked in SQL over the whole database: every journal sums to zero per
 * currency and has at least two entries, every account's cached balance equals the sum of its
 * entries, and an UPDATE or DELETE of an entry fails (tried inside a savepoint that is rolled
 * back, so a broken trigger could not damage the data it reports on). Test-only code.
 */
export async function ledgerViolations(db: Db): Promise<LedgerViolation[]> {
  const out: LedgerViolation[] = [];
  const unbalanced = await db.$queryRawUnsafe<Array<{ journal_id: string; currency: string; total: bigint }>>(
    `SELECT journal_id::text, currency, SUM(amount_minor) AS total FROM finance_entries
     GROUP BY journal_id, currency HAVING SUM(amount_minor) <> 0`,
  );
  for (const r of unbalanced)
    out.push({
      kind: 'UNBALANCED_JOURNAL',
      id: r.journal_id,
      details: { currency: r.currency, total: Number(r.total) },
    });
  const empty = await db.$queryRawUnsafe<Array<{ id: string; n: bigint }>>(
    `SELECT j.id::text, COUNT(e.id) AS n FROM finance_journals j LEFT JOIN finance_entries e ON e.journal_id = j.id
     GROUP BY j.id HAVING COUNT(e.id) < 2`,
  );
  for (const r of empty)
    out.push({ kind: 'JOURNAL_WITHOUT_ENTRIES', id: r.id, details: { entries: Number(r.n) } });
  const mismatched = await db.$queryRawUnsafe<Array<{ id: string; cached: bigint; summed: bigint }>>(
    `SELECT a.id::text, a.balance_minor AS cached, COALESCE(SUM(e.amount_minor), 0) AS summed
     FROM finance_accounts a LEFT JOIN finance_entries e ON e.account_id = a.id
     GROUP BY a.id HAVING a.balance_minor <> COALESCE(SUM(e.amount_minor), 0)`,
  );
  for (const r of mismatched)
    out.push({
      kind: 'BALANCE_MISMATCH',
      id: r.id,
      details: { cached: Number(r.cached), summed: Number(r.summed) },
    });

  const one = await db.$queryRawUnsafe<Array<{ id: bigint }>>(
    `SELECT id FROM finance_entries ORDER BY id LIMIT 1`,
  );
  if (one.length) {
    const id = String(one[0]!.id);
    for (const statement of [
      `UPDATE finance_entries SET amount_minor = amount_minor + 1 WHERE id = ${id}`,
      `DELETE FROM finance_entries WHERE id = ${id}`,
    ]) {
      const refused = await db
        .$transaction(async (tx) => {
          await tx.$executeRawUnsafe(statement);
          throw new Error('ROLLBACK_ONLY');
        })
        .then(
          () => false,
          (err: Error) => err.message !== 'ROLLBACK_ONLY' && /append-only/.test(err.message),
        );
      if (!refused) out.push({ kind: 'ENTRY_MUTABLE', id, details: { statement } });
    }
  }
  return out;
}

/** Fails the test with the offending rows when the ledger invariant does not hold. */
export async function expectLedgerInvariant(db: Db): Promise<void> {
  const violations = await ledgerViolations(db);
  if (violations.length) {
    throw new Error(
      `ledger invariant broken (${violations.length}):\n${JSON.stringify(violations, null, 2)}`,
    );
  }
}
