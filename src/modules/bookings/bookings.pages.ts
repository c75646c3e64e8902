import { Router } from 'express';
import { AppError } from '../../shared/errors';
import { requireSignIn } from '../../shared/http/authorize';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { getCampaignsByIds, type CampaignRecord } from '../campaigns';
import { bookingDto } from './bookings.dto';
import type { BookingsService } from './bookings.service';

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** What a booking page shows of its campaign. */
function campaignSummary(c: CampaignRecord) {
  return { id: c.id, title: c.title, slug: c.slug, startsAt: c.startsAt.toISOString(), timezone: c.timezone, venueName: c.venueName, city: c.city, status: c.status };
}

/** "My bookings" and a booking's page (hold countdown, cancel). */
export function bookingsPages(platform: Platform, service: BookingsService): Router {
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
    const campaigns = await campaignsOf([b.campaignId]);
    renderPage(req, res, 'bookings/show', {
      title: `Booking ${b.reference}`,
      booking: bookingDto(b),
      campaign: campaigns.get(b.campaignId) ?? null,
      isOwner: b.userId === req.actor!.userId,
      now: platform.clock.now().toISOString(),
    });
  });

  return router;
}
