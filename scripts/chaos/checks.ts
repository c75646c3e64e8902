import type { Db } from '../../src/shared/db';
import type { FlutterwaveSimulator } from '../../tools/flutterwave-sim/simulator';
import { inventoryViolations } from '../../test/support/inventory-invariant';
import type { LocalSmtp } from '../../test/support/smtp-server';
import type { LoadFigures, Purchase } from './load';
import { listQueues } from './resources';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CheckContext {
  db: Db;
  sim: FlutterwaveSimulator;
  smtp: LocalSmtp;
  vhost: string;
  poisonIds: string[];
  poisonQueue: string;
  load: LoadFigures;
  purchases: Purchase[];
  campaignIds: string[];
}

const sample = (xs: unknown[]) => JSON.stringify(xs.slice(0, 5));

/**
 * What must hold once the platform has finished after the faults. Test-only reads: these
 * queries join several modules' tables, which no production code may do.
 */
export async function runChecks(ctx: CheckContext): Promise<Check[]> {
  const { db } = ctx;
  const checks: Check[] = [];

  // 1. Every successful charge bought its booking (CONFIRMED, tickets issued) or was refunded.
  const charges = ctx.sim.transactions().filter((t) => t.status === 'successful');
  const refundedMajor = new Map<number, number>();
  for (const r of ctx.sim.refunds()) {
    if (r.status === 'completed')
      refundedMajor.set(r.tx_id, (refundedMajor.get(r.tx_id) ?? 0) + r.amount_refunded);
  }
  const rows = await db.$queryRawUnsafe<
    Array<{
      tx_ref: string;
      payment_status: string;
      booking_id: string;
      booking_status: string;
      issuance: string;
      expected_tickets: number;
      tickets: number;
    }>
  >(
    `SELECT p.tx_ref, p.status AS payment_status, b.id::text AS booking_id, b.status AS booking_status, b.issuance,
            (SELECT CASE WHEN b.issuance = 'SINGLE' THEN COUNT(*) ELSE COALESCE(SUM(i.quantity), 0) END
               FROM booking_items i WHERE i.booking_id = b.id)::int AS expected_tickets,
            (SELECT COUNT(*) FROM tickets t WHERE t.booking_id = b.id)::int AS tickets
     FROM payments p JOIN bookings b ON b.id = p.booking_id
     WHERE p.tx_ref = ANY($1::text[])`,
    charges.map((c) => c.tx_ref),
  );
  const byTxRef = new Map(rows.map((r) => [r.tx_ref, r]));
  const broken: unknown[] = [];
  let confirmed = 0;
  let refunded = 0;
  for (const c of charges) {
    const r = byTxRef.get(c.tx_ref);
    const back = refundedMajor.get(c.id) ?? 0;
    if (r && back === 0 && r.payment_status === 'SUCCEEDED' && r.booking_status === 'CONFIRMED') {
      if (r.tickets === r.expected_tickets) {
        confirmed++;
        continue;
      }
    } else if (r && back >= c.amount && r.booking_status !== 'CONFIRMED' && r.booking_status !== 'PENDING') {
      refunded++;
      continue;
    }
    broken.push({ txRef: c.tx_ref, charged: c.amount, refunded: back, ...r });
  }
  checks.push({
    name: 'every paid booking is CONFIRMED with its tickets, or refunded in full',
    ok: broken.length === 0 && charges.length >= ctx.purchases.length,
    detail: `${charges.length} charges: ${confirmed} confirmed with tickets, ${refunded} refunded${
      broken.length ? `; ${broken.length} not: ${sample(broken)}` : ''
    }`,
  });

  // 2. Tickets: once each (unique serial and position), gapless serials, none for an unpaid booking.
  const serials = await db.$queryRawUnsafe<
    Array<{
      campaign_id: string;
      n: number;
      distinct_serials: number;
      min: number;
      max: number;
      last: number;
    }>
  >(
    `SELECT t.campaign_id::text, COUNT(*)::int AS n, COUNT(DISTINCT t.serial)::int AS distinct_serials,
            MIN(t.serial)::int AS min, MAX(t.serial)::int AS max,
            (SELECT c.last_serial FROM ticket_serial_counters c WHERE c.campaign_id = t.campaign_id)::int AS last
     FROM tickets t WHERE t.campaign_id = ANY($1::uuid[]) GROUP BY t.campaign_id`,
    ctx.campaignIds,
  );
  const serialProblems = serials.filter(
    (s) => s.n !== s.distinct_serials || s.min !== 1 || s.max !== s.n || s.last !== s.n,
  );
  const unpaidWithTickets = await db.$queryRawUnsafe<Array<{ id: string; status: string }>>(
    `SELECT b.id::text, b.status FROM bookings b
     WHERE b.status IN ('PENDING', 'CANCELLED', 'EXPIRED') AND b.confirmed_at IS NULL
       AND EXISTS (SELECT 1 FROM tickets t WHERE t.booking_id = b.id)`,
  );
  checks.push({
    name: 'tickets issued exactly once, serials gapless',
    ok: serialProblems.length === 0 && unpaidWithTickets.length === 0,
    detail: `${serials.reduce((s, x) => s + x.n, 0)} tickets${
      serialProblems.length ? `; serials: ${sample(serialProblems)}` : ''
    }${unpaidWithTickets.length ? `; unpaid bookings with tickets: ${sample(unpaidWithTickets)}` : ''}`,
  });

  // 3. Nothing confirmed twice.
  const twice = await db.$queryRawUnsafe<Array<{ event_name: string; key: string; n: number }>>(
    `SELECT event_name, COALESCE(payload->'payload'->>'txRef', payload->'payload'->>'bookingId') AS key, COUNT(*)::int AS n
     FROM outbox_messages
     WHERE event_name IN ('payment.succeeded', 'booking.confirmed', 'tickets.issued')
     GROUP BY 1, 2 HAVING COUNT(*) > 1`,
  );
  const secondCharges = await db.$queryRawUnsafe<Array<{ payment_id: string; n: number }>>(
    `SELECT payment_id::text, COUNT(*)::int AS n FROM payment_charges GROUP BY payment_id HAVING COUNT(*) > 1`,
  );
  checks.push({
    name: 'no payment confirmed twice (nor a booking, nor its tickets issued twice)',
    ok: twice.length === 0 && secondCharges.length === 0,
    detail: twice.length || secondCharges.length ? sample([...twice, ...secondCharges]) : 'none',
  });

  // 4. Every committed outbox event published, and every queue drained.
  const unpublished = await db.$queryRawUnsafe<Array<{ n: number; total: number }>>(
    `SELECT COUNT(*) FILTER (WHERE published_at IS NULL)::int AS n, COUNT(*)::int AS total FROM outbox_messages`,
  );
  const queues = listQueues(ctx.vhost);
  const busy = queues.filter((q) => !q.name.endsWith('.dlq') && q.messages + q.unacked > 0);
  checks.push({
    name: 'every committed outbox event delivered (published, every consumer queue drained)',
    ok: unpublished[0]!.n === 0 && busy.length === 0,
    detail: `${unpublished[0]!.total} events, ${unpublished[0]!.n} unpublished; ${queues.length} queues${
      busy.length ? `, not drained: ${sample(busy)}` : ''
    }`,
  });

  // 5. Dead letters: only the deliberate poison, in the queue it was put on.
  const dlqs = queues.filter((q) => q.name.endsWith('.dlq') && q.messages + q.unacked > 0);
  const poisonDlq = `${ctx.poisonQueue}.dlq`;
  const expected = ctx.poisonIds.length;
  checks.push({
    name: 'no DLQ message except the deliberate poison',
    ok:
      dlqs.every((q) => q.name === poisonDlq) &&
      (expected === 0 ? dlqs.length === 0 : dlqs[0]?.messages === expected),
    detail: `${expected} poison message(s) put on ${ctx.poisonQueue}; DLQs holding messages: ${
      dlqs.length ? dlqs.map((q) => `${q.name}=${q.messages}`).join(', ') : 'none'
    }`,
  });

  // 6. The inventory invariant (test/support/inventory-invariant.ts).
  const violations = await inventoryViolations(db, ctx.campaignIds);
  checks.push({
    name: 'inventory invariant (sold + reserved <= capacity, counters = bookings)',
    ok: violations.length === 0,
    detail: violations.length ? sample(violations) : 'holds',
  });

  // 7. Email: no (event, template) sent twice; every confirmed booking's tickets mailed; nothing left unsent.
  const ids = new Map<string, number>();
  for (const m of ctx.smtp.messages) {
    const id = /^Message-ID:\s*(<[^>]+>)/im.exec(m.raw.toString('utf8'))?.[1] ?? '(none)';
    ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  const dupes = [...ids].filter(([, n]) => n > 1);
  const confirmedRefs = await db.$queryRawUnsafe<Array<{ reference: string }>>(
    `SELECT reference FROM bookings WHERE status = 'CONFIRMED'`,
  );
  const mailText = ctx.smtp.messages.map((m) => m.raw.toString('utf8')).join('\n');
  const unmailed = confirmedRefs.filter((b) => !mailText.includes(b.reference));
  const unsent = await db.$queryRawUnsafe<Array<{ template: string; status: string; n: number }>>(
    `SELECT template, status, COUNT(*)::int AS n FROM sent_emails WHERE status <> 'SENT' GROUP BY 1, 2`,
  );
  checks.push({
    name: 'no email sent twice for one event and template; every confirmed booking mailed its tickets',
    ok: dupes.length === 0 && unmailed.length === 0 && unsent.length === 0,
    detail: `${ctx.smtp.messages.length} emails received${dupes.length ? `; sent twice: ${sample(dupes)}` : ''}${
      unmailed.length ? `; ${unmailed.length} confirmed bookings without tickets email` : ''
    }${unsent.length ? `; not sent: ${sample(unsent)}` : ''}`,
  });

  // 8. Refunds asked for are done, and nothing is stuck PENDING.
  const refundRows = await db.$queryRawUnsafe<Array<{ status: string; n: number }>>(
    `SELECT status, COUNT(*)::int AS n FROM refunds GROUP BY status`,
  );
  const askedRefunds = ctx.purchases.filter((p) => p.refundRequested).map((p) => p.bookingId);
  const notRefunded = await db.$queryRawUnsafe<Array<{ id: string; status: string }>>(
    `SELECT id::text, status FROM bookings WHERE id = ANY($1::uuid[]) AND status <> 'REFUNDED'`,
    askedRefunds,
  );
  const pending = await db.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT COUNT(*)::int AS n FROM bookings b WHERE b.status = 'PENDING'
       AND EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = b.id AND p.status = 'SUCCEEDED')`,
  );
  checks.push({
    name: 'every refund asked for completed; no paid booking left PENDING',
    ok: notRefunded.length === 0 && refundRows.every((r) => r.status === 'COMPLETED') && pending[0]!.n === 0,
    detail: `refunds ${JSON.stringify(Object.fromEntries(refundRows.map((r) => [r.status, r.n])))}, ${
      askedRefunds.length
    } asked by buyers${notRefunded.length ? `; not REFUNDED: ${sample(notRefunded)}` : ''}${
      pending[0]!.n ? `; ${pending[0]!.n} paid bookings PENDING` : ''
    }`,
  });

  checks.push({
    name: 'no unexpected answer in the load (4xx the flow did not expect)',
    ok: ctx.load.unexpected.length === 0,
    detail: ctx.load.unexpected.length ? sample(ctx.load.unexpected) : 'none',
  });
  return checks;
}
