import type { Db, Tx } from '../../shared/db';

/**
 * The platform's fee income per currency and UTC day, in [from, to): the net of the entries on
 * the PLATFORM_FEES accounts (a sale's fee credits it; a refund that gives the fee back debits
 * it), so it is what the ledger says the platform earned, not a fee schedule recomputed.
 */
export async function getPlatformFeeStats(
  db: Db | Tx,
  range: { from: Date; to: Date },
): Promise<{ day: string; currency: string; feesMinor: number }[]> {
  const rows = await db.$queryRaw<Array<{ day: string; currency: string; fees: bigint }>>`
    SELECT to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, e.currency::text AS currency,
           sum(e.amount_minor)::bigint AS fees
    FROM finance_entries e JOIN finance_accounts a ON a.id = e.account_id
    WHERE a.kind = 'PLATFORM_FEES' AND e.created_at >= ${range.from} AND e.created_at < ${range.to}
    GROUP BY 1, 2 ORDER BY 1, 2`;
  return rows.map((r) => ({ day: r.day, currency: r.currency, feesMinor: Number(r.fees) }));
}
