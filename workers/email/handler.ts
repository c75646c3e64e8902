import {
  AuthEvents,
  getSellerApplication,
  getUserSummaries,
  listPlatformAdmins,
  listPlatformFinance,
} from '../../src/modules/auth';
import {
  FinanceEvents,
  maskLast4,
  PLATFORM_FINANCE_PAGE,
  SELLER_FINANCE_PAGE,
  type FinanceService,
  type PayoutMethodChangedPayload,
} from '../../src/modules/finance';
import { BookingEvents, type BookingRecord, type BookingsService } from '../../src/modules/bookings';
import { getCampaignsByIds, getTicketTypesByIds, type CampaignRecord } from '../../src/modules/campaigns';
import { PaymentEvents } from '../../src/modules/payments';
import {
  recipientEventId,
  type NotificationsService,
  type SendEmailOutcome,
  type TemplateData,
} from '../../src/modules/notifications';
import { TicketEvents, type TicketsWorkflows } from '../../src/modules/tickets';
import { PermanentError } from '../../src/shared/errors';
import type { NoInboxConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
import type { Logger } from '../../src/shared/logger';
import type { QueueTopology } from '../../src/shared/messaging/topology';
import { formatMoney } from '../../src/shared/money';
import type { Platform } from '../../src/shared/platform';
import { isUuid } from '../../src/shared/uuid';

/**
 * PaymentEvents.refundCompleted's payload (RefundEventPayload): `{ refundId, bookingId, userId,
 * amountMinor, currency, cancelsBooking, … }`. Read defensively: only bookingId, amountMinor and
 * currency are required here, and everything else is re-read.
 */
type RefundCompletedPayload = {
  refundId?: unknown;
  bookingId?: unknown;
  userId?: unknown;
  amountMinor?: unknown;
  currency?: unknown;
  cancelsBooking?: unknown;
  reason?: unknown;
};

function uuidField(event: DomainEvent<Record<string, unknown>>, field: string): string {
  const v = event.payload?.[field];
  if (typeof v !== 'string' || !isUuid(v))
    throw new PermanentError(`${event.name} ${event.id}: ${field} is not a uuid`);
  return v.toLowerCase();
}

/** A refund event's amount: positive integer minor units and an ISO 4217 code, or a PermanentError. */
function moneyOf(event: DomainEvent<Record<string, unknown>>): { amountMinor: number; currency: string } {
  const { amountMinor, currency } = event.payload ?? {};
  if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor) || amountMinor <= 0)
    throw new PermanentError(`${event.name} ${event.id}: amountMinor must be a positive integer`);
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
    throw new PermanentError(`${event.name} ${event.id}: currency must be an ISO 4217 code`);
  return { amountMinor, currency };
}

/** "Tuesday, 1 December 2026 at 20:00" in the campaign's own time zone. */
function formatWhen(c: CampaignRecord): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: c.timezone,
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(c.startsAt);
}

function venueOf(c: CampaignRecord): string {
  return [c.venueName, c.city].filter(Boolean).join(', ');
}

function logOutcome(
  logger: Logger,
  event: DomainEvent<object>,
  template: string,
  outcome: SendEmailOutcome,
): void {
  const meta = { eventId: event.id, event: event.name, template, status: outcome.status };
  // FAILED is final and recorded (sent_emails, email_failed_addresses): a warning, not a retry.
  if (outcome.status === 'FAILED')
    logger.warn('email refused for good', {
      ...meta,
      error: outcome.error,
      addressFailed: outcome.addressFailed,
    });
  else logger.info('email handled', meta);
}

/** The email worker's queues: the relay declares them from this constant (workers/topology.ts). */
export const EmailQueues = {
  tickets: { name: 'email.tickets', events: [TicketEvents.issued, TicketEvents.resendRequested] },
  bookingExpired: { name: 'email.booking-expired', events: [BookingEvents.expired] },
  /** booking.cancelled of every kind arrives; only holds cancelled with their campaign are emailed. */
  bookingCancelled: { name: 'email.booking-cancelled', events: [BookingEvents.cancelled] },
  refundCompleted: { name: 'email.refund-completed', events: [PaymentEvents.refundCompleted] },
  paymentFlagged: { name: 'email.payment-flagged', events: [PaymentEvents.flagged] },
  refundFailed: { name: 'email.refund-failed', events: [PaymentEvents.refundFailed] },
  adminReview: {
    name: 'email.admin-review',
    events: [PaymentEvents.flagged, PaymentEvents.refundFailed, AuthEvents.applicationSubmitted],
  },
  sellerApplication: { name: 'email.seller-application', events: [AuthEvents.applicationDecided] },
  withdrawals: {
    name: 'email.withdrawals',
    events: [
      FinanceEvents.withdrawalRequested,
      FinanceEvents.withdrawalApproved,
      FinanceEvents.withdrawalRejected,
      FinanceEvents.withdrawalCompleted,
      FinanceEvents.withdrawalFailed,
    ],
  },
  payoutMethodChanged: { name: 'email.payout-method-changed', events: [FinanceEvents.payoutMethodChanged] },
  waitlistOffered: { name: 'email.waitlist-offered', events: [BookingEvents.waitlistOffered] },
} as const satisfies Record<string, QueueTopology>;

/** The services the email consumers use (the email worker's container, built with its mailer). */
export interface EmailServices {
  notifications: NotificationsService;
  tickets: TicketsWorkflows;
  bookings: BookingsService;
  finance: FinanceService;
}

/**
 * The email worker's consumers. Each re-reads what it reports (the booking, its tickets, the
 * buyer's address, the application) by id at send time and sends through sendEmailOnce, keyed
 * by (event id, template): a redelivery never sends twice, a resend (its own event) always sends.
 * A temporary SMTP failure is thrown, so the consumer retries with back-off and dead-letters
 * after its last attempt; a permanent one is recorded and the message is done.
 */
export function emailConsumers(
  platform: Platform,
  services: EmailServices,
): NoInboxConsumerSpec<Record<string, unknown>>[] {
  const { prisma, config } = platform;
  const { notifications, bookings, finance } = services;
  const flows = services.tickets;
  const base = config.PUBLIC_URL.replace(/\/$/, '');

  async function bookingOf(event: DomainEvent<Record<string, unknown>>): Promise<BookingRecord> {
    const bookingId = uuidField(event, 'bookingId');
    const booking = await bookings.getBooking(bookingId);
    if (!booking) throw new PermanentError(`${event.name} ${event.id}: booking ${bookingId} does not exist`);
    return booking;
  }

  async function campaignOf(event: DomainEvent<object>, id: string): Promise<CampaignRecord> {
    const [campaign] = await getCampaignsByIds(prisma, [id]);
    if (!campaign) throw new PermanentError(`${event.name} ${event.id}: campaign ${id} does not exist`);
    return campaign;
  }

  /**
   * An email to the buyer of the event's booking (re-read by id; the booking's buyer is who paid,
   * a payload's userId is only a hint), with the data the template adds to the booking's basics.
   */
  async function sendAboutBooking<
    K extends
      | 'refund-completed'
      | 'payment-under-review'
      | 'refund-failed'
      | 'booking-expired'
      | 'booking-cancelled-by-seller',
  >(
    event: DomainEvent<Record<string, unknown>>,
    logger: Logger,
    template: K,
    data: (
      about: {
        buyerName: string;
        campaignTitle: string;
        bookingReference: string;
        /** What the seller told buyers when cancelling, once the campaign is CANCELLED. */
        cancelReason: string | null;
      },
      campaign: CampaignRecord,
    ) => TemplateData[K],
    /** Sends nothing when the booking, re-read, no longer says what the event said. */
    stillTrue: (booking: BookingRecord) => boolean = () => true,
  ): Promise<void> {
    const booking = await bookingOf(event);
    if (!stillTrue(booking)) {
      logger.info('the booking moved on: no email', {
        bookingId: booking.id,
        status: booking.status,
        template,
      });
      return;
    }
    const campaign = await campaignOf(event, booking.campaignId);
    const buyer = await userOf(event, booking.userId);
    const outcome = await notifications.sendEmailOnce({
      eventId: event.id,
      template,
      to: buyer.email,
      data: data(
        {
          buyerName: buyer.name,
          campaignTitle: campaign.title,
          bookingReference: booking.reference,
          cancelReason: campaign.status === 'CANCELLED' ? campaign.cancelReason : null,
        },
        campaign,
      ),
    });
    logOutcome(logger, event, template, outcome);
  }

  async function userOf(event: DomainEvent<object>, userId: string) {
    const [user] = await getUserSummaries(prisma, [userId]);
    if (!user?.email)
      throw new PermanentError(`${event.name} ${event.id}: user ${userId} has no email address`);
    return user;
  }

  /** What an admin is told about an event that put something in a review queue. */
  async function reviewNoticeOf(
    event: DomainEvent<Record<string, unknown>>,
  ): Promise<{ headline: string; facts: string[]; reviewUrl: string }> {
    if (event.name === AuthEvents.applicationSubmitted) {
      const applicationId = uuidField(event, 'applicationId');
      const application = await getSellerApplication(prisma, applicationId);
      if (!application)
        throw new PermanentError(`${event.name} ${event.id}: application ${applicationId} does not exist`);
      const applicant = await userOf(event, application.userId);
      return {
        headline: `A seller application from ${application.businessName}`,
        facts: [
          `Applicant: ${applicant.name} <${applicant.email}>`,
          `Business: ${application.businessName} (${application.businessType}, ${application.country})`,
        ],
        reviewUrl: `${base}/admin/seller-applications`,
      };
    }
    const booking = await bookingOf(event);
    const campaign = await campaignOf(event, booking.campaignId);
    const buyer = await userOf(event, booking.userId);
    const about = [
      `Booking: ${booking.reference} (${campaign.title})`,
      `Buyer: ${buyer.name} <${buyer.email}>`,
    ];
    const reviewUrl = `${base}/admin/payments`;
    if (event.name === PaymentEvents.flagged) {
      const problems = Array.isArray(event.payload.problems) ? event.payload.problems.map(String) : [];
      return {
        headline: `A payment did not match for booking ${booking.reference}`,
        facts: [...about, ...problems.map((p) => `Problem: ${p}`)],
        reviewUrl,
      };
    }
    const { amountMinor, currency } = moneyOf(event);
    const failure = typeof event.payload.failure === 'string' ? event.payload.failure : 'not given';
    return {
      headline: `A refund of ${formatMoney(amountMinor, currency, { display: 'code' })} failed for booking ${booking.reference}`,
      facts: [...about, `The provider said: ${failure}`],
      reviewUrl,
    };
  }

  const specs: Array<Omit<NoInboxConsumerSpec<Record<string, unknown>>, 'inbox'>> = [
    {
      ...EmailQueues.tickets,
      async handle(event, { logger }) {
        const bookingId = uuidField(event, 'bookingId');
        const tickets = await flows.tickets.listBookingTickets(bookingId);
        if (!tickets.length)
          throw new PermanentError(`${event.name} ${event.id}: booking ${bookingId} has no tickets`);
        if (tickets.some((t) => t.status === 'REVOKED')) {
          logger.info('tickets were revoked meanwhile: not emailed', { bookingId, eventId: event.id });
          return;
        }
        const booking = await bookingOf(event);
        const campaign = await campaignOf(event, booking.campaignId);
        const buyer = await userOf(event, tickets[0]!.userId);
        // The stored PDF, or the same document rendered again if the file has gone (derived data).
        const pdf = await flows.tickets.getBookingTicketsPdf(
          bookingId,
          await flows.pdfContextForTickets(tickets),
        );
        if (!pdf) throw new PermanentError(`${event.name} ${event.id}: booking ${bookingId} has no tickets`);
        const outcome = await notifications.sendEmailOnce({
          eventId: event.id,
          template: 'tickets-issued',
          to: buyer.email,
          data: {
            buyerName: buyer.name,
            campaignTitle: campaign.title,
            bookingReference: booking.reference,
            ticketCount: tickets.length,
            when: formatWhen(campaign),
            venue: venueOf(campaign),
            ticketsUrl: `${base}/tickets`,
            ...(tickets.some((t) => t.seat)
              ? {
                  seats: tickets.flatMap((t) =>
                    t.seat ? [`${t.seat.section} · row ${t.seat.row} · seat ${t.seat.seat}`] : [],
                  ),
                }
              : {}),
            ...(booking.seatsChangedAt ? { seatsChanged: true } : {}),
          },
          attachments: [
            { filename: `tickets-${booking.reference}.pdf`, content: pdf, contentType: 'application/pdf' },
          ],
        });
        logOutcome(logger, event, 'tickets-issued', outcome);
      },
    },
    {
      // Stock came back for someone on a waiting list: the claim link, while the offer is open.
      ...EmailQueues.waitlistOffered,
      async handle(event, { logger }) {
        const offerId = uuidField(event, 'offerId');
        const offer = await bookings.getOffer(offerId);
        if (!offer) throw new PermanentError(`${event.name} ${event.id}: offer ${offerId} does not exist`);
        if (offer.status !== 'OPEN') {
          logger.info('the offer moved on: no email', { offerId, status: offer.status });
          return;
        }
        const campaign = await campaignOf(event, offer.campaignId);
        const [type] = await getTicketTypesByIds(prisma, [offer.ticketTypeId]);
        const buyer = await userOf(event, offer.userId);
        const outcome = await notifications.sendEmailOnce({
          eventId: event.id,
          template: 'waitlist-offer',
          to: buyer.email,
          data: {
            buyerName: buyer.name,
            campaignTitle: campaign.title,
            ticketTypeName: type?.name ?? 'ticket',
            quantity: offer.quantity,
            until: new Intl.DateTimeFormat('en-GB', {
              timeZone: campaign.timezone,
              dateStyle: 'medium',
              timeStyle: 'short',
            }).format(offer.expiresAt),
            claimUrl: `${base}/waitlist/offers/${offer.id}`,
          },
        });
        logOutcome(logger, event, 'waitlist-offer', outcome);
      },
    },
    {
      ...EmailQueues.bookingExpired,
      async handle(event, { logger }) {
        // A payment that landed late may have confirmed it again: then "expired" would be wrong.
        await sendAboutBooking(
          event,
          logger,
          'booking-expired',
          (about, campaign) => ({
            ...about,
            campaignUrl: `${base}/campaigns/${encodeURIComponent(campaign.slug)}`,
          }),
          (booking) => booking.status === 'EXPIRED',
        );
      },
    },
    {
      ...EmailQueues.bookingCancelled,
      async handle(event, { logger }) {
        // The buyer's own cancel and refunds (their own emails) are not news to send here.
        if (event.payload?.cause !== 'CAMPAIGN_CANCELLED') return;
        await sendAboutBooking(
          event,
          logger,
          'booking-cancelled-by-seller',
          (about, campaign) => ({ ...about, reason: campaign.cancelReason ?? 'no reason given' }),
          (booking) => booking.cancelCause === 'CAMPAIGN_CANCELLED',
        );
      },
    },
    {
      ...EmailQueues.refundCompleted,
      async handle(event, { logger }) {
        const p = event.payload as RefundCompletedPayload;
        const money = moneyOf(event); // checked before anything is read
        await sendAboutBooking(event, logger, 'refund-completed', ({ cancelReason, ...about }) => ({
          ...about,
          ...money,
          ...(p.reason === 'CAMPAIGN_CANCELLED' && cancelReason ? { cancelReason } : {}),
          // Only an explicit false keeps the tickets: older messages without it cancelled the booking.
          cancelsBooking: p.cancelsBooking !== false,
          ...(typeof p.reason === 'string' ? { reason: p.reason } : {}),
        }));
      },
    },
    {
      // A charge that did not match: the buyer is told it did not confirm the booking and is reviewed.
      ...EmailQueues.paymentFlagged,
      async handle(event, { logger }) {
        await sendAboutBooking(
          event,
          logger,
          'payment-under-review',
          ({ cancelReason: _, ...about }) => about,
        );
      },
    },
    {
      // The provider refused a refund: the buyer is told it is delayed (admins retry it from the review queue).
      ...EmailQueues.refundFailed,
      async handle(event, { logger }) {
        const money = moneyOf(event);
        await sendAboutBooking(event, logger, 'refund-failed', ({ cancelReason: _, ...about }) => ({
          ...about,
          ...money,
        }));
      },
    },
    {
      // Every platform admin (as they are now) is told that something waits in a review queue:
      // one email each, with its own id, so one admin's bad address does not hold back the others.
      ...EmailQueues.adminReview,
      async handle(event, { logger }) {
        const notice = await reviewNoticeOf(event);
        const admins = await listPlatformAdmins(prisma);
        if (!admins.length) logger.warn('no platform admin to tell about a review', { event: event.name });
        let retry: unknown;
        for (const admin of admins) {
          try {
            const outcome = await notifications.sendEmailOnce({
              eventId: recipientEventId(event.id, admin.id),
              template: 'admin-review-needed',
              to: admin.email,
              data: { adminName: admin.name, ...notice },
            });
            logOutcome(logger, event, 'admin-review-needed', outcome);
          } catch (err) {
            // A temporary failure (a permanent one is a FAILED outcome): the others are still
            // tried, then the message is retried; who got theirs already is not sent it again.
            retry ??= err;
          }
        }
        if (retry) throw retry;
      },
    },
    {
      // A withdrawal's every step, to the seller and (when someone else asked) to the requester:
      // the amount and the masked destination re-read by id, one email per recipient and event.
      ...EmailQueues.withdrawals,
      async handle(event, { logger }) {
        const withdrawalId = uuidField(event, 'withdrawalId');
        const found = await finance.getWithdrawalWithMethod(prisma, withdrawalId);
        if (!found)
          throw new PermanentError(`${event.name} ${event.id}: withdrawal ${withdrawalId} does not exist`);
        const { withdrawal: w, method } = found;
        const stage =
          event.name === FinanceEvents.withdrawalRequested
            ? 'REQUESTED'
            : event.name === FinanceEvents.withdrawalApproved
              ? 'APPROVED'
              : event.name === FinanceEvents.withdrawalRejected
                ? 'REJECTED'
                : event.name === FinanceEvents.withdrawalCompleted
                  ? 'PAID'
                  : event.payload.reversed === true
                    ? 'REVERSED'
                    : 'FAILED';
        const reason = typeof event.payload.reason === 'string' ? event.payload.reason : undefined;
        const recipients = [...new Set([w.sellerId, w.requestedBy])];
        for (const id of recipients) {
          const user = await userOf(event, id);
          const outcome = await notifications.sendEmailOnce({
            eventId: recipientEventId(event.id, id),
            template: 'withdrawal-status',
            to: user.email,
            data: {
              recipientName: user.name,
              stage,
              amountMinor: w.amountMinor,
              currency: w.currency,
              destination: `${method.providerName} ${maskLast4(method.last4)}`,
              reason,
              financeUrl: `${base}${SELLER_FINANCE_PAGE}`,
            },
          });
          logOutcome(logger, event, 'withdrawal-status', outcome);
        }
        if (stage !== 'REQUESTED') return;
        // The platform finance staff are told that a withdrawal waits for a decision.
        for (const staff of await listPlatformFinance(prisma)) {
          if (staff.id === w.requestedBy) continue;
          const outcome = await notifications.sendEmailOnce({
            eventId: recipientEventId(event.id, staff.id),
            template: 'admin-review-needed',
            to: staff.email,
            data: {
              adminName: staff.name,
              headline: `A withdrawal of ${formatMoney(w.amountMinor, w.currency)} waits for approval`,
              facts: [`To: ${method.providerName} ${maskLast4(method.last4)}`, `Seller: ${w.sellerId}`],
              reviewUrl: `${base}${PLATFORM_FINANCE_PAGE}/withdrawals/${w.id}`,
            },
          });
          logOutcome(logger, event, 'admin-review-needed', outcome);
        }
      },
    },
    {
      ...EmailQueues.payoutMethodChanged,
      async handle(event, { logger }) {
        const p = event.payload as Partial<PayoutMethodChangedPayload>;
        const sellerId = uuidField(event, 'sellerId');
        const changedById = uuidField(event, 'changedBy');
        if (p.change !== 'ADDED' && p.change !== 'REMOVED')
          throw new PermanentError(`${event.name} ${event.id}: change must be ADDED or REMOVED`);
        const seller = await userOf(event, sellerId);
        const [by] = await getUserSummaries(prisma, [changedById]);
        const outcome = await notifications.sendEmailOnce({
          eventId: event.id,
          template: 'payout-method-changed',
          to: seller.email,
          data: {
            sellerName: seller.name,
            change: p.change,
            destination: `${String(p.providerName ?? 'Payout method')} ${maskLast4(String(p.last4 ?? '????'))}`,
            changedBy: changedById === sellerId ? 'You' : (by?.name ?? 'A team member'),
            usableFrom:
              p.change === 'ADDED' && typeof p.usableFrom === 'string'
                ? `${p.usableFrom.slice(0, 16).replace('T', ' ')} UTC`
                : undefined,
            financeUrl: `${base}${SELLER_FINANCE_PAGE}`,
          },
        });
        logOutcome(logger, event, 'payout-method-changed', outcome);
      },
    },
    {
      ...EmailQueues.sellerApplication,
      async handle(event, { logger }) {
        const applicationId = uuidField(event, 'applicationId');
        const application = await getSellerApplication(prisma, applicationId);
        if (!application)
          throw new PermanentError(`${event.name} ${event.id}: application ${applicationId} does not exist`);
        // Decisions are final (PENDING → APPROVED | REJECTED once), so the current status is the decision.
        if (application.status === 'PENDING') {
          throw new PermanentError(
            `${event.name} ${event.id}: application ${applicationId} is still pending`,
          );
        }
        const approved = application.status === 'APPROVED';
        const applicant = await userOf(event, application.userId);
        const outcome = await notifications.sendEmailOnce({
          eventId: event.id,
          template: 'seller-application-decided',
          to: applicant.email,
          data: {
            applicantName: applicant.name,
            businessName: application.businessName,
            approved,
            reason: approved ? undefined : (application.rejectionReason ?? undefined),
            dashboardUrl: approved ? `${base}/seller/campaigns` : `${base}/become-seller`,
          },
        });
        logOutcome(logger, event, 'seller-application-decided', outcome);
      },
    },
  ];
  // sendEmailOnce is the idempotency (one claim per event id and template), so no inbox row and
  // no transaction is held while a handler runs. Holding one would pin a pooled connection for
  // the whole SMTP conversation while the handler needs a second one for its own reads and its
  // claim: with more handlers in flight than the pool has connections (eight queues, four
  // each), a burst of events left every connection held by a transaction waiting for another.
  return specs.map((spec) => ({ ...spec, inbox: false as const }));
}
