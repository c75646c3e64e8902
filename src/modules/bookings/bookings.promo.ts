import type { Tx } from '../../shared/db';
import {
  countBuyerPromoUses,
  findPromoCodesForBooking,
  normalizePromoCode,
  priceDiscount,
  PromoErrors,
  takePromoUses,
  type PromoCodeRecord,
} from '../promotions';
import type { NewBooking } from './bookings.repository';

/*
 * Promo codes in a reservation batch (bookings.reserve.ts). Loaded once per batch, after the
 * campaign's sales lock: the codes' use counts and each buyer's uses can then only go down until
 * the batch commits (promotions.uses.ts explains why), so counting the uses handed out in the
 * batch on top of that read decides "used up" exactly as if the requests had run one by one.
 * A batch without any promoCode costs nothing here (no query).
 */

interface PromoRequest {
  actor: { userId: string };
  input: { promoCode?: string };
}

export interface PromoData {
  codes: Map<string, PromoCodeRecord>;
  /** `${codeId} ${userId}` → uses not given back, as read under the sales lock. */
  buyerUses: Map<string, number>;
}

/** The codes the batch's requests name, and their buyers' uses; null when no request names one. */
export async function loadPromoData(
  tx: Tx,
  campaignId: string,
  requests: PromoRequest[],
): Promise<PromoData | null> {
  const texts = requests.flatMap((r) => (r.input.promoCode ? [normalizePromoCode(r.input.promoCode)] : []));
  if (!texts.length) return null;
  const codes = await findPromoCodesForBooking(tx, campaignId, texts);
  const buyerUses = await countBuyerPromoUses(
    tx,
    codes.map((c) => c.id),
    [...new Set(requests.map((r) => r.actor.userId))],
  );
  return { codes: new Map(codes.map((c) => [c.code, c])), buyerUses };
}

type PlannedItem = NewBooking['items'][number];

/** One round of a batch's planning: counts the uses it hands out on top of what was read. */
export function promoPlanner(data: PromoData | null) {
  const taken = new Map<string, number>();
  const takenByBuyer = new Map<string, number>();
  const codeOf = (r: PromoRequest) =>
    r.input.promoCode ? (data?.codes.get(normalizePromoCode(r.input.promoCode)) ?? null) : null;

  return {
    /** Hidden ticket types the request's code makes bookable (a switched-off code unlocks nothing). */
    unlocked(r: PromoRequest): ReadonlySet<string> {
      const code = codeOf(r);
      return new Set(code?.active ? code.unlocksTicketTypeIds : []);
    },

    /**
     * Applies the request's code to its priced items, after every other check has passed: sets
     * each item's discountMinor and returns the booking's discount (null without a code), or
     * throws the code's refusal. Counts the use for the rest of the round.
     */
    apply(r: PromoRequest, items: PlannedItem[], now: Date): NewBooking['promo'] {
      if (!r.input.promoCode) return undefined;
      const code = codeOf(r);
      if (!code) throw PromoErrors.invalid();
      const buyerKey = `${code.id} ${r.actor.userId}`;
      const discount = priceDiscount(
        code,
        items,
        now,
        code.uses + (taken.get(code.id) ?? 0),
        (data?.buyerUses.get(buyerKey) ?? 0) + (takenByBuyer.get(buyerKey) ?? 0),
      );
      items.forEach((item, k) => {
        item.discountMinor = discount.lineDiscounts[k] ?? 0;
      });
      taken.set(code.id, (taken.get(code.id) ?? 0) + 1);
      takenByBuyer.set(buyerKey, (takenByBuyer.get(buyerKey) ?? 0) + 1);
      return {
        promoCodeId: discount.promoCodeId,
        code: discount.code,
        discountMinor: discount.discountMinor,
      };
    },
  };
}

export type PromoPlanner = ReturnType<typeof promoPlanner>;

/**
 * After the batch's bookings are inserted: writes the promo columns of those that used a code
 * (bookings and booking_items: this module's tables) and takes their uses (promotions). One
 * statement for the columns, nothing at all when no booking used a code.
 */
export async function recordPromoBookings(tx: Tx, bookings: NewBooking[], now: Date): Promise<void> {
  const used = bookings.filter((b) => b.promo);
  if (!used.length) return;
  const items = used.flatMap((b) => b.items.filter((i) => i.discountMinor > 0));
  await tx.$executeRaw`
    WITH b AS (
      UPDATE bookings SET promo_code_id = p.code_id, promo_code = p.code, discount_minor = p.discount
      FROM unnest(${used.map((b) => b.id)}::uuid[], ${used.map((b) => b.promo!.promoCodeId)}::uuid[],
        ${used.map((b) => b.promo!.code)}::text[], ${used.map((b) => String(b.promo!.discountMinor))}::bigint[])
        AS p(id, code_id, code, discount)
      WHERE bookings.id = p.id RETURNING bookings.id
    )
    UPDATE booking_items SET discount_minor = d.discount
    FROM unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => String(i.discountMinor))}::bigint[]) AS d(id, discount)
    WHERE booking_items.id = d.id`;
  await takePromoUses(
    tx,
    used.map((b) => ({
      bookingId: b.id,
      promoCodeId: b.promo!.promoCodeId,
      campaignId: b.campaignId,
      userId: b.userId,
      discountMinor: b.promo!.discountMinor,
      totalMinor: b.totalMinor,
      currency: b.currency,
      status: b.status === 'CONFIRMED' ? 'CONFIRMED' : 'HELD',
    })),
    now,
  );
}
