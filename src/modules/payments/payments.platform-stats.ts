import type { Db, Tx } from '../../shared/db';

/** Completed refunds per currency and UTC day of completion, in [from, to) (admin statistics; read-only). */
export async function getPlatformRefundStats(
  db: Db | Tx,
  range: { from: Date; to: Date },
): Promise<{ day: string; currency: string; refunds: number; amountMinor: number }[]> {
  const rows = await db.$queryRaw<Array<{ day: string; currency: string; refunds: bigint; amount: bigint }>>`
    SELECT to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, currency::text AS currency,
           count(*) AS refunds, sum(amount_minor)::bigint AS amount
    FROM refunds
    WHERE status = 'COMPLETED' AND completed_at >= ${range.from} AND completed_at < ${range.to}
    GROUP BY 1, 2 ORDER BY 1, 2`;
  return rows.map((r) => ({
    day: r.day,
    currency: r.currency,
    refunds: Number(r.refunds),
    amountMinor: Number(r.amount),
  }));
}
