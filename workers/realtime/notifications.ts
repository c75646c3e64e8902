import { AuthEvents, getSellerApplication } from '../../src/modules/auth';
import { BookingEvents, type BookingRecord } from '../../src/modules/bookings';
import {
  CampaignEvents,
  getCampaignsByIds,
  getCounters,
  getTicketTypesByIds,
  type CampaignRecord,
  type CampaignUpdatedPayload,
} from '../../src/modules/campaigns';
import type { Modules } from '../../src/modules/container';
import { FinanceEvents, maskLast4 } from '../../src/modules/finance';
import {
  notificationMessages as say,
  pushNotifications,
  reachedMilestones,
  type NotificationDraft,
  type PayoutStage,
  type RoomEmitter,
  type StoredNotifications,
} from '../../src/modules/notifications';
import { PaymentEvents } from '../../src/modules/payments';
import { TicketEvents } from '../../src/modules/tickets';
import type { Tx } from '../../src/shared/db';
import { PermanentError } from '../../src/shared/errors';
import type { ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
import type { QueueTopology } from '../../src/shared/messaging/topology';
import { isUuid } from '../../src/shared/uuid';

/** The in-app notification queue (declared by the relay from this constant; see workers/topology.ts). */
export const NotificationQueues = {
  inApp: {
    name: 'notifications.in-app',
    events: [
      BookingEvents.confirmed,
      BookingEvents.expiring,
      BookingEvents.waitlistOffered,
      TicketEvents.issued,
      PaymentEvents.refundCompleted,
      CampaignEvents.updated,
      CampaignEvents.cancelled,
      CampaignEvents.stockLow,
      AuthEvents.applicationDecided,
      FinanceEvents.withdrawalRequested,
      FinanceEvents.withdrawalApproved,
      FinanceEvents.withdrawalRejected,
      FinanceEvents.withdrawalCompleted,
      FinanceEvents.withdrawalFailed,
    ],
  },
} as const satisfies Record<string, QueueTopology>;

type Payload = Record<string, unknown>;
type Services = Pick<Modules, 'bookings' | 'finance' | 'inAppNotifications'>;

/** Buyers told about a change or cancellation per statement (each page is one INSERT). */
const BUYERS_PAGE = 1000;

function uuidField(event: DomainEvent<Payload>, field: string): string {
  const v = event.payload?.[field];
  if (typeof v !== 'string' || !isUuid(v))
    throw new PermanentError(`${event.name} ${event.id}: ${field} is not a uuid`);
  return v.toLowerCase();
}

const ticketCount = (b: BookingRecord) => b.items.reduce((n, i) => n + i.quantity, 0);

/**
 * The realtime worker's notification consumer: each event → the notifications of the people it
 * concerns, stored in the consumer's inbox transaction (so a redelivered event is skipped, and the
 * (user, source key) unique index stores one even if two copies race), then pushed to each user's
 * room with their absolute unread count. What a notification says is re-read by id (the booking,
 * the offer, the application, the withdrawal); an event whose subject has moved on (a hold already
 * paid, an offer already claimed) notifies nobody.
 *
 * The push goes out just before the transaction commits: should the commit then fail, the browser
 * showed a notification that the redelivery stores a moment later with the same id (a name-based
 * UUID of user and source), so nothing is shown twice and nothing stays shown that is not stored.
 */
export function notificationsConsumer(services: Services, emitter: RoomEmitter): ConsumerSpec<Payload> {
  const { bookings, finance, inAppNotifications: notices } = services;

  async function campaignOf(tx: Tx, event: DomainEvent<Payload>, id: string): Promise<CampaignRecord> {
    const [c] = await getCampaignsByIds(tx, [id]);
    if (!c) throw new PermanentError(`${event.name} ${event.id}: campaign ${id} does not exist`);
    return c;
  }

  async function bookingOf(tx: Tx, event: DomainEvent<Payload>): Promise<BookingRecord> {
    const id = uuidField(event, 'bookingId');
    const b = await bookings.getBooking(id, tx);
    if (!b) throw new PermanentError(`${event.name} ${event.id}: booking ${id} does not exist`);
    return b;
  }

  /** Drafts for every buyer of the campaign in the audience, a page at a time. */
  async function toBuyers(
    tx: Tx,
    campaignId: string,
    audience: 'HOLDERS' | 'CANCELLED',
    draft: (userId: string) => NotificationDraft,
    stored: StoredNotifications[],
  ): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const ids = await bookings.listCampaignBuyerIds(
        campaignId,
        audience,
        { limit: BUYERS_PAGE, afterUserId: after },
        tx,
      );
      if (!ids.length) return;
      stored.push(await notices.storeNotifications(tx, ids.map(draft)));
      if (ids.length < BUYERS_PAGE) return;
      after = ids[ids.length - 1];
    }
  }

  /** The notifications one event makes (stored in `tx`); what `handle` then pushes. */
  async function notify(tx: Tx, event: DomainEvent<Payload>): Promise<StoredNotifications[]> {
    const store = async (drafts: NotificationDraft[]) => [await notices.storeNotifications(tx, drafts)];
    const p = event.payload ?? {};
    switch (event.name) {
      case BookingEvents.confirmed: {
        const b = await bookingOf(tx, event);
        const c = await campaignOf(tx, event, b.campaignId);
        const out = await store([
          {
            userId: b.userId,
            kind: 'BOOKING_CONFIRMED',
            sourceKey: event.id,
            ...say.bookingConfirmed(
              {
                id: b.id,
                reference: b.reference,
                ticketCount: ticketCount(b),
                totalMinor: Number(b.totalMinor),
                currency: b.currency,
              },
              c,
            ),
          },
        ]);
        // Sale milestones of the whole campaign (all types), told to its seller once each.
        const counters = await getCounters(tx, c.id);
        const sold = counters.reduce((n, t) => n + t.sold, 0);
        const capacity = counters.reduce((n, t) => n + t.capacity, 0);
        const reached = reachedMilestones(sold, capacity);
        if (reached.length)
          out.push(
            await notices.storeNotifications(
              tx,
              reached.map((milestone) => ({
                userId: c.sellerId,
                kind: 'SALE_MILESTONE' as const,
                sourceKey: `milestone:${c.id}:${milestone}`,
                ...say.saleMilestone({ milestone, sold, capacity }, c),
              })),
            ),
          );
        return out;
      }
      case TicketEvents.issued: {
        const b = await bookingOf(tx, event);
        const c = await campaignOf(tx, event, b.campaignId);
        const ids = Array.isArray(p.ticketIds) ? p.ticketIds.length : 0;
        return store([
          {
            userId: b.userId,
            kind: 'TICKETS_ISSUED',
            sourceKey: event.id,
            ...say.ticketsIssued({ reference: b.reference, ticketCount: ids || ticketCount(b) }, c),
          },
        ]);
      }
      case BookingEvents.expiring: {
        const b = await bookingOf(tx, event);
        // Paid, cancelled or extended since: this warning is no longer true.
        if (b.status !== 'PENDING' || b.expiresAt.toISOString() !== p.expiresAt) return [];
        const c = await campaignOf(tx, event, b.campaignId);
        return store([
          {
            userId: b.userId,
            kind: 'HOLD_EXPIRING',
            sourceKey: event.id,
            ...say.holdExpiring(
              { id: b.id, reference: b.reference, ticketCount: ticketCount(b), expiresAt: b.expiresAt },
              c,
            ),
          },
        ]);
      }
      case PaymentEvents.refundCompleted: {
        const { amountMinor, currency } = p;
        if (
          typeof amountMinor !== 'number' ||
          !Number.isSafeInteger(amountMinor) ||
          typeof currency !== 'string'
        )
          throw new PermanentError(`${event.name} ${event.id}: no amount`);
        const b = await bookingOf(tx, event);
        const c = await campaignOf(tx, event, b.campaignId);
        return store([
          {
            userId: b.userId,
            kind: 'REFUND_COMPLETED',
            sourceKey: event.id,
            ...say.refundCompleted({ bookingId: b.id, reference: b.reference, amountMinor, currency }, c),
          },
        ]);
      }
      case CampaignEvents.updated: {
        const u = p as Partial<CampaignUpdatedPayload>;
        const changed = Array.isArray(u.changed) ? u.changed : [];
        const startsAtChanged = changed.includes('startsAt') || changed.includes('timezone');
        const venueChanged = changed.includes('venue');
        // Only the date and the place are news to buyers (a price or a description is not).
        if (!startsAtChanged && !venueChanged) return [];
        const c = await campaignOf(tx, event, uuidField(event, 'campaignId'));
        const message = say.campaignChanged(
          {
            startsAtChanged,
            previousStartsAt:
              typeof u.previousStartsAt === 'string' ? new Date(u.previousStartsAt) : undefined,
            venueChanged,
            venue: [c.venueName, c.venueAddress, c.city].filter(Boolean).join(', '),
            previousVenue: typeof u.previousVenue === 'string' ? u.previousVenue : undefined,
          },
          c,
        );
        const out: StoredNotifications[] = [];
        await toBuyers(
          tx,
          c.id,
          'HOLDERS',
          (userId) => ({ userId, kind: 'CAMPAIGN_CHANGED', sourceKey: event.id, ...message }),
          out,
        );
        return out;
      }
      case CampaignEvents.cancelled: {
        const c = await campaignOf(tx, event, uuidField(event, 'campaignId'));
        const message = say.campaignCancelled(
          c.cancelReason ?? (typeof p.reason === 'string' ? p.reason : null),
          c,
        );
        const out: StoredNotifications[] = [];
        await toBuyers(
          tx,
          c.id,
          'CANCELLED',
          (userId) => ({ userId, kind: 'CAMPAIGN_CANCELLED', sourceKey: event.id, ...message }),
          out,
        );
        return out;
      }
      case BookingEvents.waitlistOffered: {
        const offer = await bookings.getOffer(uuidField(event, 'offerId'));
        if (!offer || offer.status !== 'OPEN') return [];
        const c = await campaignOf(tx, event, offer.campaignId);
        const [type] = await getTicketTypesByIds(tx, [offer.ticketTypeId]);
        return store([
          {
            userId: offer.userId,
            kind: 'WAITLIST_OFFER',
            sourceKey: event.id,
            ...say.waitlistOffer(
              {
                id: offer.id,
                quantity: offer.quantity,
                typeName: type?.name ?? 'ticket',
                expiresAt: offer.expiresAt,
              },
              c,
            ),
          },
        ]);
      }
      case CampaignEvents.stockLow: {
        const c = await campaignOf(tx, event, uuidField(event, 'campaignId'));
        const [type] = await getTicketTypesByIds(tx, [uuidField(event, 'ticketTypeId')]);
        if (!type) return [];
        const available =
          typeof p.available === 'number' ? p.available : type.capacity - type.sold - type.reserved;
        return store([
          {
            userId: c.sellerId,
            kind: 'LOW_STOCK',
            sourceKey: event.id,
            ...say.lowStock({ typeName: type.name, available, capacity: type.capacity }, c),
          },
        ]);
      }
      case AuthEvents.applicationDecided: {
        const a = await getSellerApplication(tx, uuidField(event, 'applicationId'));
        // Decisions are final (PENDING → APPROVED | REJECTED once): the current status is the decision.
        if (!a || a.status === 'PENDING') return [];
        return store([
          {
            userId: a.userId,
            kind: 'APPLICATION_DECIDED',
            sourceKey: event.id,
            ...say.applicationDecided({
              approved: a.status === 'APPROVED',
              businessName: a.businessName,
              reason: a.rejectionReason,
            }),
          },
        ]);
      }
      default: {
        if (!event.name.startsWith('withdrawal.')) return [];
        const found = await finance.getWithdrawalWithMethod(tx, uuidField(event, 'withdrawalId'));
        if (!found) throw new PermanentError(`${event.name} ${event.id}: no such withdrawal`);
        const { withdrawal: w, method } = found;
        const stage: PayoutStage =
          event.name === FinanceEvents.withdrawalRequested
            ? 'REQUESTED'
            : event.name === FinanceEvents.withdrawalApproved
              ? 'APPROVED'
              : event.name === FinanceEvents.withdrawalRejected
                ? 'REJECTED'
                : event.name === FinanceEvents.withdrawalCompleted
                  ? 'PAID'
                  : p.reversed === true
                    ? 'REVERSED'
                    : 'FAILED';
        const message = say.payoutStatus({
          stage,
          amountMinor: w.amountMinor,
          currency: w.currency,
          destination: `${method.providerName} ${maskLast4(method.last4)}`,
          reason: typeof p.reason === 'string' ? p.reason : undefined,
        });
        return store(
          [...new Set([w.sellerId, w.requestedBy])].map((userId) => ({
            userId,
            kind: 'PAYOUT_STATUS' as const,
            sourceKey: event.id,
            ...message,
          })),
        );
      }
    }
  }

  return {
    ...NotificationQueues.inApp,
    concurrency: 4,
    async handle(event, { tx, logger }) {
      const stored = await notify(tx, event);
      for (const s of stored) pushNotifications(emitter, s);
      const n = stored.reduce((k, s) => k + s.created.length, 0);
      if (n) logger.info('notifications stored', { event: event.name, eventId: event.id, count: n });
    },
  };
}
