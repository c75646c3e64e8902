import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Db, Tx } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { createEvent, type DomainEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import {
  commitStock,
  getCampaignForSale,
  getCampaignsByIds,
  getTicketTypesByIds,
  releaseStock,
  reserveStock,
  type StockItem,
} from '../campaigns';
import { BookingErrors } from './bookings.errors';
import { BookingEvents, type WaitlistOfferPayload } from './bookings.events';
import { newReference } from './bookings.reference';
import * as repo from './bookings.repository';
import type { BookingRecord } from './bookings.types';
import * as wl from './bookings.waitlist.repository';

/*
 * Waiting lists of sold-out ticket types, and the offers made from them.
 *
 *   join (type sold out) ─► WAITING ──stock comes back──► OFFERED ──claim──► CLAIMED (a PENDING booking)
 *                             │ leave                      │ offer lapses / campaign cancelled
 *                             ▼                            ▼
 *                            LEFT                        PASSED (the next in line gets the stock)
 *
 * Invariant (checked by test/support/inventory-invariant.ts): an OPEN offer holds its quantity in
 * the ticket type's `reserved` counter, like a PENDING booking, so for every type
 * reserved = Σ PENDING booking items + Σ OPEN offers. The public reserves only from
 * capacity − sold − reserved, so stock under an open offer is never sold to anyone else.
 *
 * Freed stock goes to the line before the public, atomically: every transaction that gives stock
 * back (a hold expiring or cancelled, a refund, an offer lapsing, a capacity increase) calls
 * offerFreedStock in the SAME transaction, after its own counter UPDATE. That UPDATE holds the
 * ticket type's row lock until COMMIT, so the room read here is still there when the offers
 * reserve it, and no reservation can see the freed stock in between: it commits as offers, or
 * not at all. Nothing is held twice: an offer reserves with the same guarded UPDATE as a booking
 * (sold + reserved + q ≤ capacity), each entry is offered once (one offer per entry, a unique
 * index), and claiming is a guarded OPEN → CLAIMED that moves the hold to the new booking without
 * touching the counters.
 * Lock order: booking / offer rows → campaign sales lock → ticket type rows → waiting-list entry
 * rows. If a transaction freed stock without calling offerFreedStock, that stock would go to the
 * public while people wait (not oversold, but unfair): every caller of releaseStock / unsellStock
 * in this module and the capacity update in campaigns call it.
 * Known gap: someone joining while a release is committing may miss that release (they joined a
 * type that was sold out a moment ago); they are offered the next stock that comes back.
 */

export interface WaitlistDeps {
  prisma: Db;
  clock: Clock;
  /** How long an offer is held for its person. */
  offerMs: number;
  /** How long the booking made by claiming an offer holds (the usual booking hold). */
  holdMs: number;
  batchSize: number;
  /** booking.reserved (and booking.confirmed when free) of a new booking. */
  eventsFor(booking: BookingRecord): DomainEvent[];
  txOptions: { maxWait: number; timeout: number };
}

export interface WaitlistEntryView extends wl.WaitlistEntryRecord {
  offer: wl.WaitlistOfferRecord | null;
}

export function createWaitlist(deps: WaitlistDeps) {
  const { prisma, clock, offerMs, holdMs } = deps;

  function offerEvent(name: string, o: wl.WaitlistOfferRecord | wl.NewOffer) {
    const payload: WaitlistOfferPayload = {
      offerId: o.id,
      entryId: o.entryId,
      userId: o.userId,
      campaignId: o.campaignId,
      ticketTypeIds: [o.ticketTypeId],
      quantity: o.quantity,
      expiresAt: o.expiresAt.toISOString(),
    };
    return createEvent(name, payload, clock);
  }

  /**
   * Offers the room of these ticket types to their waiting lists, first come first served, on the
   * caller's transaction (which has just moved these types' counters and so holds their rows).
   * A person asked for N and N or more free: an offer of N; fewer free: an offer of what there is.
   * Returns how many tickets were offered. No query beyond one index lookup when nobody waits.
   */
  async function offerFreedStock(tx: Tx, ticketTypeIds: string[]): Promise<number> {
    if (!ticketTypeIds.length) return 0;
    const waiting = await wl.typesWithWaiting(tx, [...new Set(ticketTypeIds)]);
    if (!waiting.length) return 0;
    const types = await getTicketTypesByIds(tx, waiting);
    const campaigns = new Map(
      (await getCampaignsByIds(tx, [...new Set(types.map((t) => t.campaignId))])).map((c) => [c.id, c]),
    );
    const now = clock.now();
    const offers: wl.NewOffer[] = [];
    for (const t of types.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      // Only a campaign still selling makes offers (a cancelled one passes its line instead).
      if (campaigns.get(t.campaignId)?.status !== 'ACTIVE') continue;
      let room = t.capacity - t.sold - t.reserved;
      if (room <= 0) continue;
      for (const e of await wl.lockLine(tx, t.id, room)) {
        if (room <= 0) break;
        const quantity = Math.min(e.quantity, room);
        room -= quantity;
        offers.push({
          id: crypto.randomUUID(),
          entryId: e.id,
          ticketTypeId: t.id,
          campaignId: t.campaignId,
          userId: e.userId,
          quantity,
          expiresAt: new Date(now.getTime() + offerMs),
        });
      }
    }
    if (!offers.length) return 0;
    const totals = new Map<string, number>();
    for (const o of offers) totals.set(o.ticketTypeId, (totals.get(o.ticketTypeId) ?? 0) + o.quantity);
    const short = await reserveStock(
      tx,
      [...totals].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity })),
    );
    // The caller holds these rows, so the room read above cannot have gone.
    if (short) throw new Error('bookings: freed stock moved under a waiting-list offer');
    await wl.insertOffers(tx, offers, now);
    await enqueue(
      tx,
      offers.map((o) => offerEvent(BookingEvents.waitlistOffered, o)),
    );
    return offers.reduce((n, o) => n + o.quantity, 0);
  }

  /** Gives back the stock of offers that just closed, then offers it to the next in line. */
  async function releaseOffers(tx: Tx, closed: wl.WaitlistOfferRecord[], passOn: boolean): Promise<void> {
    if (!closed.length) return;
    const byType = new Map<string, number>();
    for (const o of closed) byType.set(o.ticketTypeId, (byType.get(o.ticketTypeId) ?? 0) + o.quantity);
    const items: StockItem[] = [...byType].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity }));
    await releaseStock(tx, items);
    if (passOn) await offerFreedStock(tx, [...byType.keys()]);
  }

  return {
    offerFreedStock,

    /**
     * For cancelHoldsOfCampaign, in the cancelling transaction: every OPEN offer of the campaign →
     * WITHDRAWN (its stock released) and every WAITING entry → PASSED. Returns the offers withdrawn.
     */
    async withdrawOffersOfCampaign(tx: Tx, campaignId: string, now: Date): Promise<number> {
      const ids = await wl.lockOpenOffersOfCampaign(tx, campaignId);
      const closed = await wl.closeOffers(tx, ids, 'WITHDRAWN', now);
      await releaseOffers(tx, closed, false);
      await wl.passWaitingOfCampaign(tx, campaignId, now);
      return closed.length;
    },

    /**
     * Scheduler job: OPEN offers past expiresAt → EXPIRED, their entries PASSED, and their stock
     * offered to the next in line (or back on sale when nobody waits), in one transaction per
     * batch. SKIP LOCKED: an offer being claimed right now is left to its claim. Returns how many expired.
     */
    async expireDueOffers(batchSize = deps.batchSize): Promise<number> {
      let total = 0;
      for (;;) {
        const { claimed, expired } = await prisma.$transaction(async (tx) => {
          const now = clock.now();
          const ids = await wl.lockDueOffers(tx, now, batchSize);
          const closed = await wl.closeOffers(tx, ids, 'EXPIRED', now);
          await releaseOffers(tx, closed, true);
          await enqueue(
            tx,
            closed.map((o) => offerEvent(BookingEvents.waitlistOfferExpired, o)),
          );
          return { claimed: ids.length, expired: closed.length };
        }, deps.txOptions);
        total += expired;
        if (claimed < batchSize) return total;
      }
    },

    /**
     * Puts the signed-in buyer on a sold-out type's waiting list for `quantity` tickets. Joining
     * again while on it answers the same entry (one live entry per buyer and type). Refused while
     * tickets are on sale (WAITLIST_NOT_SOLD_OUT) and for a campaign not selling.
     */
    async joinWaitlist(
      actor: Actor,
      ticketTypeId: string,
      quantity: number,
    ): Promise<{ entry: wl.WaitlistEntryRecord; created: boolean; place: number }> {
      const [t] = await getTicketTypesByIds(prisma, [ticketTypeId]);
      const campaign = t ? (await getCampaignsByIds(prisma, [t.campaignId]))[0] : undefined;
      if (!t || !campaign || campaign.status === 'DRAFT' || t.hidden)
        throw BookingErrors.ticketTypeNotFound();
      if (campaign.status !== 'ACTIVE') throw BookingErrors.notOnSale(campaign.status);
      const existing = await wl.findLiveEntry(prisma, ticketTypeId, actor.userId);
      if (existing) return { entry: existing, created: false, place: await wl.placeInLine(prisma, existing) };
      if (t.capacity - t.sold - t.reserved > 0) throw BookingErrors.waitlistNotSoldOut(t.name);
      if (quantity > t.maxPerOrder || quantity > campaign.maxTicketsPerCustomer)
        throw BookingErrors.quantityOutOfRange(
          t.name,
          t.id,
          1,
          Math.min(t.maxPerOrder, campaign.maxTicketsPerCustomer),
        );
      const id = crypto.randomUUID();
      const created = await wl.insertEntry(
        prisma,
        { id, ticketTypeId, campaignId: t.campaignId, userId: actor.userId, quantity },
        clock.now(),
      );
      const entry = (await wl.findLiveEntry(prisma, ticketTypeId, actor.userId))!;
      return { entry, created, place: await wl.placeInLine(prisma, entry) };
    },

    /** Takes the buyer off a type's waiting list (only while WAITING; an open offer lapses by itself). */
    async leaveWaitlist(actor: Actor, ticketTypeId: string): Promise<void> {
      if (!(await wl.leaveEntry(prisma, ticketTypeId, actor.userId, clock.now()))) {
        const live = await wl.findLiveEntry(prisma, ticketTypeId, actor.userId);
        if (!live) throw BookingErrors.waitlistEntryNotFound();
      }
    },

    /** The buyer's waiting-list entries, newest first, with their offers. */
    async listMyWaitlist(actor: Actor, limit = 50): Promise<WaitlistEntryView[]> {
      return (await wl.listUserEntries(prisma, actor.userId, limit)).map(({ entry, offer }) => ({
        ...entry,
        offer,
      }));
    },

    /** An offer by id, for other modules (the email worker re-reads it before sending). */
    getOffer(offerId: string): Promise<wl.WaitlistOfferRecord | null> {
      return wl.findOffer(prisma, offerId);
    },

    /** An offer for the person it was made to; 404 for anyone else. */
    async getOfferForActor(actor: Actor, offerId: string): Promise<wl.WaitlistOfferRecord> {
      const o = await wl.findOffer(prisma, offerId);
      if (!o || o.userId !== actor.userId) throw BookingErrors.offerNotFound();
      return o;
    },

    /**
     * Claims an OPEN offer for the person it was made to: a PENDING booking (CONFIRMED when free)
     * holding the offer's tickets at today's price, with the usual hold time to pay. The hold
     * moves from the offer to the booking (counters unchanged). Claiming again, even at the same
     * time, answers that same booking (`created: false`): the offer row is locked and its
     * guarded OPEN → CLAIMED lets one claim through.
     */
    async claimOffer(actor: Actor, offerId: string): Promise<{ booking: BookingRecord; created: boolean }> {
      return prisma.$transaction(async (tx) => {
        const now = clock.now();
        const o = await wl.lockOffer(tx, offerId);
        if (!o || o.userId !== actor.userId) throw BookingErrors.offerNotFound();
        if (o.status === 'CLAIMED')
          return { booking: (await repo.findBooking(tx, o.bookingId!))!, created: false };
        if (o.status !== 'OPEN' || now >= o.expiresAt) throw BookingErrors.offerClosed();

        // The sales lock, as for any sale: the buyer's ticket count cannot move under us.
        await repo.lockCampaignSales(tx, o.campaignId);
        const sale = await getCampaignForSale(tx, o.campaignId, [o.ticketTypeId]);
        const t = sale?.ticketTypes[0];
        if (!sale || !t) throw BookingErrors.offerClosed();
        const c = sale.campaign;
        if (c.status !== 'ACTIVE') throw BookingErrors.notOnSale(c.status);
        const held = (await repo.ticketsHeldByCustomers(tx, c.id, [actor.userId])).get(actor.userId) ?? 0;
        if (held + o.quantity > c.maxTicketsPerCustomer)
          throw BookingErrors.customerLimit(c.maxTicketsPerCustomer, held);

        const totalMinor = t.priceMinor * o.quantity;
        const free = totalMinor === 0;
        const b: repo.NewBooking = {
          id: crypto.randomUUID(),
          reference: newReference(),
          userId: actor.userId,
          campaignId: c.id,
          sellerId: c.sellerId,
          status: free ? 'CONFIRMED' : 'PENDING',
          issuance: 'SINGLE',
          currency: c.currency,
          totalMinor,
          expiresAt: new Date(now.getTime() + holdMs),
          confirmedAt: free ? now : null,
          items: [
            {
              id: crypto.randomUUID(),
              ticketTypeId: t.id,
              ticketTypeName: t.name,
              unitPriceMinor: t.priceMinor,
              quantity: o.quantity,
              entriesPerTicket: t.entriesPerTicket,
              lineTotalMinor: totalMinor,
              discountMinor: 0,
            },
          ],
        };
        for (let attempt = 0; !(await repo.insertBookings(tx, [b], [], now)).has(b.id); attempt++) {
          if (attempt >= 5) throw new Error('bookings: could not draw a unique reference');
          b.reference = newReference();
        }
        if (!(await wl.claimOffer(tx, o.id, b.id, now)))
          throw new Error(`bookings: guarded claim of locked offer ${o.id} changed nothing`);
        if (free) await commitStock(tx, [{ ticketTypeId: t.id, quantity: o.quantity }]);
        const booking = (await repo.findBooking(tx, b.id))!;
        await enqueue(tx, deps.eventsFor(booking));
        return { booking, created: true };
      }, deps.txOptions);
    },
  };
}

export type Waitlist = ReturnType<typeof createWaitlist>;
