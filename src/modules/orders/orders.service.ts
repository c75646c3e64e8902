import type { Actor } from '../../shared/http/authorize';
import { isAdmin } from '../../shared/http/authorize';
import type { Db } from '../../shared/db';
import { AppError } from '../../shared/errors';
import { findUserIdsMatching, getUserSummaries } from '../auth';
import type { BookingRecord, BookingStatus, BookingsService } from '../bookings';
import type { CampaignsService } from '../campaigns';
import type { PaymentsService } from '../payments';
import type { TicketsService } from '../tickets';

export interface OrdersDeps {
  prisma: Db;
  campaigns: CampaignsService;
  bookings: BookingsService;
  payments: PaymentsService;
  tickets: TicketsService;
}

export interface OrderQuery {
  /** A name, an email or a booking reference (or part of one). */
  q?: string;
  status?: BookingStatus;
  page: number;
  pageSize: number;
}

export interface OrderRow {
  id: string;
  reference: string;
  status: BookingStatus;
  totalMinor: number;
  currency: string;
  createdAt: Date;
  confirmedAt: Date | null;
  buyer: { name: string; email: string };
  items: { ticketTypeName: string; quantity: number; unitPriceMinor: number }[];
  tickets: number;
}

/** Bookings of one campaign as far as a search needs to go: this many buyers per name search. */
const MAX_MATCHED_BUYERS = 1000;

/**
 * A seller's orders: a read-and-act orchestration over the campaigns (who manages what),
 * bookings (the rows), auth (buyers' names and emails), payments (refunds) and tickets (resends)
 * modules' public APIs. It owns no tables. Who may do what:
 * - list, export, resend tickets: whoever manages the campaign (the seller, their team, admins),
 *   as getManagedCampaign decides;
 * - refund: the seller or an admin only (payments.requestSellerRefund checks it again).
 */
export function createOrdersService(deps: OrdersDeps) {
  const { prisma, campaigns, bookings, payments, tickets } = deps;

  async function rowsOf(campaignId: string, found: BookingRecord[], typeNames: Map<string, string>) {
    const buyers = new Map(
      (
        await getUserSummaries(
          prisma,
          found.map((b) => b.userId),
        )
      ).map((u) => [u.id, u]),
    );
    return found.map<OrderRow>((b) => {
      const buyer = buyers.get(b.userId);
      return {
        id: b.id,
        reference: b.reference,
        status: b.status,
        totalMinor: b.totalMinor,
        currency: b.currency,
        createdAt: b.createdAt,
        confirmedAt: b.confirmedAt,
        buyer: { name: buyer?.name ?? '', email: buyer?.email ?? '' },
        items: b.items.map((i) => ({
          ticketTypeName: typeNames.get(i.ticketTypeId) ?? '',
          quantity: i.quantity,
          unitPriceMinor: i.unitPriceMinor,
        })),
        tickets: b.items.reduce((n, i) => n + i.quantity, 0),
      };
    });
  }

  return {
    /** A page of the campaign's bookings matching the search, with buyers and ticket types; 404 unless the actor manages it. */
    async listOrders(actor: Actor, campaignId: string, query: OrderQuery) {
      const { campaign, ticketTypes } = await campaigns.getManagedCampaign(actor, campaignId);
      const q = query.q?.trim();
      const filter = {
        status: query.status,
        ...(q ? { reference: q, userIds: await findUserIdsMatching(prisma, q, MAX_MATCHED_BUYERS) } : {}),
      };
      const { items, total } = await bookings.listCampaignBookings(campaignId, filter, {
        limit: query.pageSize,
        offset: (query.page - 1) * query.pageSize,
      });
      const names = new Map(ticketTypes.map((t) => [t.id, t.name]));
      return {
        campaign,
        ticketTypes,
        total,
        page: query.page,
        pages: Math.max(1, Math.ceil(total / query.pageSize)),
        canRefund: isAdmin(actor) || actor.userId === campaign.sellerId,
        items: await rowsOf(campaignId, items, names),
      };
    },

    /** Refunds one paid booking in full through the payments module; the seller or an admin only. */
    async refundOrder(actor: Actor, campaignId: string, bookingId: string) {
      await this.bookingOfCampaign(actor, campaignId, bookingId);
      return payments.requestSellerRefund(actor, bookingId);
    },

    /** Emails the booking's tickets to its buyer again (the tickets module's resend). */
    async resendTickets(actor: Actor, campaignId: string, bookingId: string) {
      const booking = await this.bookingOfCampaign(actor, campaignId, bookingId);
      return tickets.requestTicketsResend(booking.userId, booking.id);
    },

    /** The booking, when it belongs to a campaign the actor manages; BOOKING_NOT_FOUND otherwise. */
    async bookingOfCampaign(actor: Actor, campaignId: string, bookingId: string): Promise<BookingRecord> {
      await campaigns.getManagedCampaign(actor, campaignId);
      const booking = await bookings.getBooking(bookingId);
      if (!booking || booking.campaignId !== campaignId)
        throw AppError.notFound('BOOKING_NOT_FOUND', 'No such booking in this campaign');
      return booking;
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
