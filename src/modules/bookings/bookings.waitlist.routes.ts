import { Router, type Request } from 'express';
import { AppError } from '../../shared/errors';
import { defineApi } from '../../shared/http/api';
import { actorOf, requireSignIn, signInUrl } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { flash } from '../../shared/http/session';
import { int, parseInput, uuid, z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { getCampaignsByIds, getTicketTypesByIds } from '../campaigns';
import { bookingDto } from './bookings.dto';
import type { BookingsService } from './bookings.service';
import type { WaitlistEntryView } from './bookings.waitlist';
import type { WaitlistEntryRecord, WaitlistOfferRecord } from './bookings.waitlist.repository';

const joinBody = z.strictObject({
  ticketTypeId: uuid('a ticket type id'),
  quantity: int(1, 100, 'an integer from 1 to 100').optional(),
});
const byType = z.object({ ticketTypeId: uuid('not a valid id') });
const byOffer = z.object({ id: uuid('not a valid id') });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function offerDto(o: WaitlistOfferRecord) {
  return {
    id: o.id,
    ticketTypeId: o.ticketTypeId,
    campaignId: o.campaignId,
    quantity: o.quantity,
    status: o.status,
    expiresAt: iso(o.expiresAt),
    bookingId: o.bookingId,
  };
}

export function entryDto(e: WaitlistEntryRecord | WaitlistEntryView, place?: number) {
  return {
    id: e.id,
    ticketTypeId: e.ticketTypeId,
    campaignId: e.campaignId,
    quantity: e.quantity,
    status: e.status,
    createdAt: iso(e.createdAt),
    ...(place !== undefined ? { place } : {}),
    ...('offer' in e ? { offer: e.offer ? offerDto(e.offer) : null } : {}),
  };
}

/** Waiting lists: join a sold-out type, leave, list, and claim an offer (API). */
export function waitlistApi(platform: Platform, service: BookingsService): ApiModule {
  const { config, redis } = platform;
  const api = defineApi({ name: 'waitlist', prefix: '/api/v1/waitlist', tags: ['bookings'] });
  const limit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'waitlist',
    windowMs: config.BOOKING_RATE_LIMIT_WINDOW_MS,
    limit: config.BOOKING_RATE_LIMIT_MAX,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });

  api.post(
    '/',
    {
      summary: "Join a sold-out ticket type's waiting list (one entry per buyer and type)",
      description:
        'When tickets come back (a hold expiring, a cancellation, a refund, more capacity) the next people in line are ' +
        'emailed an offer: the tickets held for them for WAITLIST_OFFER_MINUTES, claimable from a link. Joining again ' +
        'answers the same entry (200).',
      security: 'csrf',
      use: [requireSignIn(), limit],
      body: joinBody,
      responses: {
        201: '{ id, status, place, … } the new entry',
        200: 'The entry the buyer already had',
        400: 'VALIDATION_FAILED',
        401: 'Not signed in',
        404: 'TICKET_TYPE_NOT_FOUND',
        422: 'WAITLIST_NOT_SOLD_OUT, CAMPAIGN_NOT_ON_SALE, QUANTITY_OUT_OF_RANGE',
        429: 'RATE_LIMITED',
      },
    },
    async ({ body }, req, res) => {
      const r = await service.joinWaitlist(actorOf(req), body.ticketTypeId, body.quantity ?? 1);
      res.status(r.created ? 201 : 200).json(entryDto(r.entry, r.place));
    },
  );

  api.get(
    '/',
    {
      summary: "The signed-in buyer's waiting-list entries and offers, newest first",
      security: 'session',
      use: [requireSignIn()],
      responses: { 200: '{ items, nextCursor: null }', 401: 'Not signed in' },
    },
    async (_input, req, res) => {
      const items = await service.listMyWaitlist(actorOf(req));
      res.json({ items: items.map((e) => entryDto(e)), nextCursor: null });
    },
  );

  api.delete(
    '/:ticketTypeId',
    {
      summary: "Leave a ticket type's waiting list",
      security: 'csrf',
      use: [requireSignIn(), limit],
      params: byType,
      responses: { 204: 'Left', 401: 'Not signed in', 404: 'WAITLIST_ENTRY_NOT_FOUND', 429: 'RATE_LIMITED' },
    },
    async ({ params }, req, res) => {
      await service.leaveWaitlist(actorOf(req), params.ticketTypeId);
      res.status(204).end();
    },
  );

  api.get(
    '/offers/:id',
    {
      summary: 'A waiting-list offer (only the person it was made to)',
      security: 'session',
      use: [requireSignIn()],
      params: byOffer,
      responses: { 200: 'The offer', 401: 'Not signed in', 404: 'WAITLIST_OFFER_NOT_FOUND' },
    },
    async ({ params }, req, res) => {
      res.json(offerDto(await service.getOfferForActor(actorOf(req), params.id)));
    },
  );

  api.post(
    '/offers/:id/claim',
    {
      summary: 'Claim an open offer: a booking holding its tickets, to pay as usual',
      description: 'Claiming again answers the same booking (200), even when claims arrive at the same time.',
      security: 'csrf',
      use: [requireSignIn(), limit],
      params: byOffer,
      responses: {
        201: 'The booking',
        200: 'The booking made by an earlier claim',
        401: 'Not signed in',
        404: 'WAITLIST_OFFER_NOT_FOUND',
        422: 'WAITLIST_OFFER_CLOSED, CAMPAIGN_NOT_ON_SALE, CUSTOMER_LIMIT_REACHED',
        429: 'RATE_LIMITED',
      },
    },
    async ({ params }, req, res) => {
      const r = await service.claimOffer(actorOf(req), params.id);
      res.status(r.created ? 201 : 200).json(bookingDto(r.booking));
    },
  );

  return api.module();
}

/** A same-site path to go back to after a form; anything else goes to the campaigns list. */
function backTo(req: Request): string {
  const v = (req.body as { returnTo?: unknown } | undefined)?.returnTo;
  return typeof v === 'string' && /^\/campaigns\/[A-Za-z0-9._~%-]{1,200}$/.test(v) ? v : '/campaigns';
}

/** The join form of a sold-out type, an offer's claim page and its claim form, and "My waiting lists". */
export function waitlistPages(platform: Platform, service: BookingsService): Router {
  const router = Router();
  const { prisma, config, redis } = platform;
  // The same per-user budget as the API's (one counter: a form is no way around it).
  const limit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'waitlist',
    windowMs: config.BOOKING_RATE_LIMIT_WINDOW_MS,
    limit: config.BOOKING_RATE_LIMIT_MAX,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });

  router.post('/waitlist', limit, async (req, res) => {
    const back = backTo(req);
    if (!req.actor) return res.redirect(303, signInUrl(back));
    try {
      const { ticketTypeId } = parseInput('body', z.object({ ticketTypeId: uuid() }), {
        ticketTypeId: (req.body as { ticketTypeId?: unknown } | undefined)?.ticketTypeId,
      });
      const r = await service.joinWaitlist(req.actor, ticketTypeId, 1);
      flash(
        req,
        'success',
        r.created
          ? `You are on the waiting list (number ${r.place} in line). We will email you if tickets come back.`
          : `You are already on the waiting list (number ${r.place} in line).`,
      );
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403)
        throw err;
      flash(req, 'error', err.message);
    }
    res.redirect(303, back);
  });

  router.get('/waitlist', requireSignIn(), async (req, res) => {
    const entries = await service.listMyWaitlist(req.actor!);
    const types = new Map(
      (
        await getTicketTypesByIds(
          prisma,
          entries.map((e) => e.ticketTypeId),
        )
      ).map((t) => [t.id, t]),
    );
    const campaigns = new Map(
      (await getCampaignsByIds(prisma, [...new Set(entries.map((e) => e.campaignId))])).map((c) => [c.id, c]),
    );
    renderPage(req, res, 'bookings/waitlist', {
      title: 'My waiting lists',
      items: entries.map((e) => ({
        ...entryDto(e),
        typeName: types.get(e.ticketTypeId)?.name ?? '',
        campaign: campaigns.get(e.campaignId) ?? null,
      })),
    });
  });

  router.get('/waitlist/offers/:id', requireSignIn(), async (req, res) => {
    const { id } = parseInput('params', byOffer, req.params);
    const offer = await service.getOfferForActor(req.actor!, id);
    const [type] = await getTicketTypesByIds(prisma, [offer.ticketTypeId]);
    const [campaign] = await getCampaignsByIds(prisma, [offer.campaignId]);
    const now = platform.clock.now();
    renderPage(req, res, 'bookings/offer', {
      title: `Tickets held for you · ${campaign?.title ?? ''}`,
      offer: offerDto(offer),
      open: offer.status === 'OPEN' && now < offer.expiresAt,
      typeName: type?.name ?? '',
      priceMinor: type?.priceMinor ?? 0,
      campaign: campaign
        ? {
            title: campaign.title,
            slug: campaign.slug,
            timezone: campaign.timezone,
            currency: campaign.currency,
          }
        : null,
    });
  });

  router.post('/waitlist/offers/:id/claim', requireSignIn(), limit, async (req, res) => {
    const { id } = parseInput('params', byOffer, req.params);
    try {
      const { booking } = await service.claimOffer(req.actor!, id);
      return res.redirect(303, `/bookings/${booking.id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403)
        throw err;
      flash(req, 'error', err.message);
      return res.redirect(303, `/waitlist/offers/${id}`);
    }
  });

  return router;
}
