import type { Tx } from '../../shared/db';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import { PromoErrors } from './promotions.errors';
import { PromoEvents, type PromoUsedPayload } from './promotions.events';
import * as repo from './promotions.repository';
import type { Discount, DiscountLine, PromoCodeRecord } from './promotions.types';

/*
 * Promo code uses, inside the booking module's transaction (a cross-module write through this
 * module's public functions, never through its tables).
 *
 * Invariant: a code's `uses` = the number of its use rows not RELEASED, and uses ≤ max_uses for
 * every use taken at reservation. It holds because:
 *  - a use is taken only by a reservation, which holds the campaign's sales lock (bookings), so
 *    reservations of one campaign, and therefore of one code, never run at the same time: the
 *    count read under that lock can only go DOWN before the commit (a release), never up. The
 *    batch counts the uses it hands out on top of that read, and `addUses` re-checks the limit
 *    in its UPDATE anyway: if it finds no room the batch rolls back, nothing is oversold.
 *  - a use is given back only by the guarded move of its row (HELD/CONFIRMED → RELEASED) in the
 *    transaction that moved the booking out of PENDING/CONFIRMED; the counter moves only by what
 *    that UPDATE moved, so expiring, cancelling or refunding twice gives nothing back twice.
 *  - every writer of `uses` locks the code rows in id order first: two transactions never wait on
 *    each other in a cycle.
 * One exception, on purpose: a booking paid after its hold lapsed keeps the price it was paid at
 * and takes its use again without a limit check (confirmPromoUse), so a code can end one use over
 * its limit rather than the buyer losing the ticket they paid for.
 * If the sales lock were not held around reservation batches, two batches could read the same
 * count; the guarded UPDATE would still refuse the second, but only by rolling it back.
 */

/** Promo codes as typed by buyers: trimmed, upper case. */
export function normalizePromoCode(code: string): string {
  return code.trim().toUpperCase();
}

/** A campaign's codes with these texts (already normalized), read on the booking's transaction. */
export function findPromoCodesForBooking(
  tx: Tx,
  campaignId: string,
  codes: string[],
): Promise<PromoCodeRecord[]> {
  return repo.findPromoCodesByText(tx, campaignId, [...new Set(codes)]);
}

/** Uses not given back per (code, buyer), keyed `${codeId} ${userId}` (read under the sales lock). */
export function countBuyerPromoUses(
  tx: Tx,
  codeIds: string[],
  userIds: string[],
): Promise<Map<string, number>> {
  return repo.buyerUses(tx, codeIds, userIds);
}

/**
 * Checks that the code may be used now by this buyer and prices its discount on the booking's
 * lines (throws the AppError a buyer sees otherwise). `usesTaken` is the code's use count including
 * uses handed out earlier in the same batch; `buyerUses` the buyer's, likewise. The discount never
 * exceeds the eligible lines' total, so a booking total never goes negative; 100 % makes it free.
 */
export function priceDiscount(
  code: PromoCodeRecord,
  lines: DiscountLine[],
  now: Date,
  usesTaken: number,
  buyerUses: number,
): Discount {
  if (!code.active) throw PromoErrors.invalid();
  if (code.validFrom && now < code.validFrom) throw PromoErrors.notStarted(code.validFrom);
  if (code.validUntil && now >= code.validUntil) throw PromoErrors.expired();
  if (code.maxUses !== null && usesTaken >= code.maxUses) throw PromoErrors.usedUp();
  if (code.maxUsesPerBuyer !== null && buyerUses >= code.maxUsesPerBuyer)
    throw PromoErrors.buyerLimit(code.maxUsesPerBuyer);

  const all = code.ticketTypeIds.length === 0;
  const eligible = lines.map((l) => all || code.ticketTypeIds.includes(l.ticketTypeId));
  const eligibleTotal = lines.reduce((n, l, k) => n + (eligible[k] ? l.lineTotalMinor : 0), 0);
  const unlocksOnly = code.kind === 'PERCENT' && code.percentOff === 0;
  if (!unlocksOnly && !eligible.some(Boolean)) throw PromoErrors.notApplicable();

  // BigInt: a large total times 100 may pass 2^53.
  const discountMinor =
    code.kind === 'PERCENT'
      ? Number((BigInt(eligibleTotal) * BigInt(code.percentOff ?? 0)) / 100n)
      : Math.min(code.amountOffMinor ?? 0, eligibleTotal);
  return {
    promoCodeId: code.id,
    code: code.code,
    discountMinor,
    lineDiscounts: shareOut(
      discountMinor,
      lines.map((l, k) => (eligible[k] ? l.lineTotalMinor : 0)),
    ),
  };
}

/**
 * Splits `amount` over lines in proportion to their weights, whole minor units, by largest
 * remainder: the shares sum to `amount` and none exceeds its weight (amount ≤ Σ weights).
 */
export function shareOut(amount: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (amount === 0 || total === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (BigInt(amount) * BigInt(w)) as bigint);
  const shares = exact.map((e) => Number(e / BigInt(total)));
  let left = amount - shares.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, k) => ({ k, rem: e % BigInt(total) }))
    .sort((a, b) => (a.rem === b.rem ? a.k - b.k : a.rem > b.rem ? -1 : 1));
  for (const { k } of order) {
    if (left <= 0) break;
    if (shares[k]! < weights[k]!) {
      shares[k]! += 1;
      left -= 1;
    }
  }
  return shares;
}

export interface PromoUse {
  bookingId: string;
  promoCodeId: string;
  campaignId: string;
  userId: string;
  discountMinor: number;
  /** The booking's total after the discount. */
  totalMinor: number;
  currency: string;
  /** CONFIRMED when the booking is (a free one); HELD while it waits for payment. */
  status: 'HELD' | 'CONFIRMED';
}

/**
 * Takes one use per booking, in the reservation's transaction (under the campaign's sales lock),
 * and records promo.used. Throws when a code has no room left (the caller's transaction then
 * rolls back; see the invariant above for why a batch that counted right never gets here).
 */
export async function takePromoUses(tx: Tx, uses: PromoUse[], now: Date): Promise<void> {
  if (!uses.length) return;
  const counts = new Map<string, number>();
  for (const u of uses) counts.set(u.promoCodeId, (counts.get(u.promoCodeId) ?? 0) + 1);
  const short = await repo.addUses(tx, counts, now);
  if (short.length) throw new Error(`promotions: no use left on code ${short[0]} for a planned booking`);
  await repo.insertUses(tx, uses, now);
  const clock = { now: () => now };
  await enqueue(
    tx,
    uses.map((u) =>
      createEvent<PromoUsedPayload>(
        PromoEvents.used,
        {
          promoCodeId: u.promoCodeId,
          bookingId: u.bookingId,
          campaignId: u.campaignId,
          userId: u.userId,
          discountMinor: u.discountMinor,
          currency: u.currency,
        },
        clock,
      ),
    ),
  );
}

/** Gives back the uses of bookings that left PENDING or CONFIRMED (expired, cancelled, refunded). Idempotent. */
export function releasePromoUses(tx: Tx, bookingIds: string[], now: Date): Promise<number> {
  return repo.releaseUses(tx, bookingIds, now);
}

/** The booking was paid: its use counts as confirmed (taken again if its hold had lapsed). */
export function confirmPromoUse(tx: Tx, bookingId: string, now: Date): Promise<void> {
  return repo.confirmUse(tx, bookingId, now);
}
