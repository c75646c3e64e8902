import { Router } from 'express';
import { AppError } from '../../shared/errors';
import { requireSignIn } from '../../shared/http/authorize';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { getCampaignsByIds, refundDeadlineOf, type CampaignRecord } from '../campaigns';
import { bookingDto } from './bookings.dto';
import type { BookingsService } from './bookings.service';
import { isUuid } from '../../shared/uuid';
import { calendarFile } from '../../web/ics';

/** What a booking page shows of its campaign. */
function campaignSummary(c: CampaignRecord) {
  const refundDeadline = refundDeadlineOf(c);
  return {
    id: c.id,
    title: c.title,
    slug: c.slug,
    startsAt: c.startsAt.toISOString(),
    endsAt: c.endsAt.toISOString(),
    venueAddress: c.venueAddress,
    country: c.country,
    timezone: c.timezone,
    venueName: c.venueName,
    city: c.city,
    status: c.status,
    cancelReason: c.cancelReason,
    refundDeadline: refundDeadline ? refundDeadline.toISOString() : null,
  };
}

/** What the booking pages read from other modules (wired in src/modules/registry.ts). */
export interface BookingPageReads {
  /** True while a refund that ends the booking is asked for but not completed: its tickets are about to stop. */
  refundInProgress(bookingId: string): Promise<boolean>;
}

/** "My bookings", a booking's page (hold countdown, cancel) and its calendar file. */
export function bookingsPages(platform: Platform, service: BookingsService, reads: BookingPageReads): Router {
  const router = Router();
  const { prisma } = platform;

  async function campaignsOf(ids: string[]) {
    const rows = await getCampaignsByIds(prisma, [...new Set(ids)]);
    return new Map(rows.map((c) => [c.id, campaignSummary(c)]));
  }

  // Signed-out visitors are sent to sign in and brought back (requireSignIn does that for pages).
  router.get('/bookings', requireSignIn(), async (req, res) => {
    const rows = await service.listMyBookings(req.actor!, 100);
    const campaigns = await campaignsOf(rows.map((b) => b.campaignId));
    renderPage(req, res, 'bookings/list', {
      title: 'My bookings',
      items: rows.map((b) => ({ ...bookingDto(b), campaign: campaigns.get(b.campaignId) ?? null })),
    });
  });

  router.get('/bookings/:id', requireSignIn(), async (req, res) => {
    const id = String(req.params.id);
    if (!isUuid(id)) throw AppError.notFound('BOOKING_NOT_FOUND', 'No such booking');
    const b = await service.getBookingForActor(req.actor!, id);
    const campaign = (await campaignsOf([b.campaignId])).get(b.campaignId) ?? null;
    const now = platform.clock.now();
    const isOwner = b.userId === req.actor!.userId;
    // What the page offers; the payments API checks the same rules again when asked.
    const refundable =
      isOwner &&
      b.status === 'CONFIRMED' &&
      b.totalMinor > 0 &&
      campaign !== null &&
      (campaign.status === 'CANCELLED' ||
        (campaign.refundDeadline !== null && now < new Date(campaign.refundDeadline)));
    const refunding = b.status === 'CONFIRMED' && (await reads.refundInProgress(b.id));
    const onSale = campaign?.status === 'ACTIVE';
    const cancelledWithCampaign = b.status === 'CANCELLED' && b.cancelCause === 'CAMPAIGN_CANCELLED';
    // Extend hold (bookings.holds.ts decides again when asked): once, never past the maximum.
    const { BOOKING_HOLD_EXTENSION_MINUTES: extension, BOOKING_HOLD_MAX_MINUTES: max } = platform.config;
    const extendBy = Math.min(
      extension,
      Math.floor((b.createdAt.getTime() + max * 60_000 - b.expiresAt.getTime()) / 60_000),
    );
    const canExtend =
      isOwner && onSale && b.status === 'PENDING' && now < b.expiresAt && !b.holdExtendedAt && extendBy > 0;
    renderPage(req, res, 'bookings/show', {
      title: `Booking ${b.reference}`,
      booking: bookingDto(b),
      campaign,
      isOwner,
      onSale,
      cancelledWithCampaign,
      canPay: isOwner && onSale && b.status === 'PENDING' && b.totalMinor > 0 && now < b.expiresAt,
      canRefund: refundable && !refunding,
      canExtend,
      extendBy,
      refunding,
      // The PDF exists once issued and answers only while the tickets are valid.
      canDownload: isOwner && b.status === 'CONFIRMED' && !refunding,
      now: now.toISOString(),
    });
  });

  // Only a confirmed booking is something to put in a calendar; anyone else gets 404 as for the page.
  router.get('/bookings/:id/calendar.ics', requireSignIn(), async (req, res) => {
    const id = String(req.params.id);
    if (!isUuid(id)) throw AppError.notFound('BOOKING_NOT_FOUND', 'No such booking');
    const b = await service.getBookingForActor(req.actor!, id);
    const c = (await getCampaignsByIds(prisma, [b.campaignId]))[0];
    if (!c || b.status !== 'CONFIRMED') throw AppError.notFound('BOOKING_NOT_FOUND', 'No such booking');
    const base = platform.config.PUBLIC_URL.replace(/\/$/, '');
    const ics = calendarFile({
      uid: `booking-${b.id}@${new URL(base).hostname}`,
      stamp: b.confirmedAt ?? b.createdAt,
      start: c.startsAt,
      end: c.endsAt,
      summary: c.title,
      location: [c.venueName, c.venueAddress, c.city, c.country].filter(Boolean).join(', '),
      description: `Booking ${b.reference}. Your tickets: ${base}/tickets`,
      url: `${base}/campaigns/${c.slug}`,
    });
    res.set({
      'Content-Type': 'text/calendar; charset=utf-8',
      'Content-Disposition': `attachment; filename="${b.reference}.ics"`,
    });
    res.send(ics);
  });

  return router;
}
