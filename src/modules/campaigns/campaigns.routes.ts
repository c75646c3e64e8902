import express from 'express';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import { actorOf, requireRole } from '../../shared/http/authorize';
import { defineApi } from '../../shared/http/api';
import type { ApiModule } from '../../shared/http/openapi';
import {
  countryCode,
  date,
  int,
  jsonObject,
  num,
  oneOf,
  pageQuery,
  queryBool,
  text,
  uuid,
  z,
} from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { campaignDto, ticketTypeDto } from './campaigns.dto';
import type { CampaignsService } from './campaigns.service';
import { CAMPAIGN_KINDS } from './campaigns.types';
import { recordVisit } from './campaigns.views';
import { inspectCoverImage, MAX_COVER_BYTES } from './campaigns.images';
import type { Storage } from '../../shared/storage';
import { AppError } from '../../shared/errors';
import { MoneyInputError, parseMoneyInput } from '../../shared/money';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const TIMEZONES = new Set(Intl.supportedValuesOf('timeZone').concat(['UTC']));
const time = date('an ISO 8601 time');
const nullableTime = date('must be an ISO 8601 date or null').nullable().optional();

/*
 * Every writable field; which of them a campaign's state allows is the service's rule
 * (EDITABLE_CAMPAIGN_FIELDS). Strict: sold, reserved, sellerId, status… are FIELD_NOT_ALLOWED.
 */
const campaignFields = z.strictObject({
  kind: oneOf(CAMPAIGN_KINDS),
  title: text({ min: 3, max: 140, trim: true, message: '3 to 140 characters' }),
  slug: text({
    min: 3,
    max: 80,
    pattern: /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
    message: 'lowercase letters, digits and dashes',
  }).optional(),
  description: text({ max: 10_000 }).optional(),
  venueName: text({ min: 1, max: 200, trim: true }),
  venueAddress: text({ min: 1, max: 300, trim: true }),
  city: text({ min: 1, max: 100, trim: true }),
  country: countryCode('an ISO 3166 country code such as NG'),
  latitude: num(-90, 90).nullable().optional(),
  longitude: num(-180, 180).nullable().optional(),
  startsAt: time,
  endsAt: time,
  timezone: z.string().refine((v) => TIMEZONES.has(v), { error: 'an IANA time zone such as Africa/Lagos' }),
  saleStartsAt: nullableTime,
  saleEndsAt: nullableTime,
  currency: z
    .string()
    .refine((v) => CURRENCIES.has(v.toUpperCase()), { error: 'an ISO 4217 currency such as NGN' }),
  tags: z
    .array(text({ min: 1, max: 30, trim: true }))
    .max(12, { error: 'at most 12 tags' })
    .optional(),
  maxTicketsPerCustomer: int(1, 1000).optional(),
  entryMode: oneOf(['SINGLE', 'MULTI']).optional(),
  scansPerTicket: int(1, 100).optional(),
  refundPolicy: text({ max: 4000 }).optional(),
  refundDeadlineHours: int(0, 24 * 365, 'hours before the start, or null for no refunds')
    .nullable()
    .optional(),
  venueId: uuid('a venue id').optional().meta({
    description: "Create only: a seated campaign copies this venue's layout (seats and price zones)",
  }),
});
/** PATCH and PUT: any subset (PUT resets what it leaves out; the service says which is required). */
const campaignPatch = campaignFields.partial();

const ticketTypeFields = z.strictObject({
  name: text({ min: 1, max: 80, trim: true }),
  code: text({ min: 1, max: 32, pattern: /^[A-Za-z0-9_]+$/, message: 'letters, digits and _' }).optional(),
  description: text({ max: 2000 }).optional(),
  priceMinor: int(0, 2_000_000_000, 'an integer amount in minor units (0 for free)').optional(),
  /** The price as a person types it in major units ("5,000.00"); the page sends this, not priceMinor. */
  price: text({ min: 1, max: 40, trim: true }).optional(),
  capacity: int(0, 10_000_000),
  minPerOrder: int(1, 1000).optional(),
  maxPerOrder: int(1, 1000).optional(),
  saleStartsAt: nullableTime,
  saleEndsAt: nullableTime,
  entriesPerTicket: int(1, 100).optional(),
  hidden: z.boolean({ error: 'true or false' }).optional(),
  sortOrder: int(-10_000, 10_000).optional(),
  attributes: jsonObject(8192, 'a JSON object of at most 8 KB').optional(),
  lowStockThreshold: int(0, 10_000_000).nullable().optional().meta({
    description:
      'Warn at this many left or fewer (seller notification, "Few left" on the page); null: min(10, 10 % of capacity); 0: never',
  }),
  seatZone: text({ min: 1, max: 16, pattern: /^[A-Z0-9_]+$/, message: 'a price zone code of the layout' })
    .optional()
    .meta({
      description: "Create only: a seated type selling this price zone's seats (capacity = their number)",
    }),
});

/**
 * `price` (typed major units) → `priceMinor` in the campaign's currency, exactly (parseMoneyInput);
 * a price with more decimals than the currency has is a 400, never rounded.
 */
function withPriceMinor<T extends { price?: string; priceMinor?: number }>(
  body: T,
  currency: string,
): Omit<T, 'price'> {
  const { price, ...rest } = body;
  if (price === undefined) return rest;
  if (rest.priceMinor !== undefined)
    throw AppError.validation('Give the price once', [
      { field: 'price', message: 'Send price or priceMinor, not both' },
    ]);
  try {
    return { ...rest, priceMinor: parseMoneyInput(price, currency, 2_000_000_000) };
  } catch (err) {
    if (err instanceof MoneyInputError)
      throw AppError.validation(err.message, [{ field: 'price', message: err.message }], err.code);
    throw err;
  }
}

const browseQuery = z.object({
  kind: oneOf(CAMPAIGN_KINDS).optional(),
  q: text({ min: 1, max: 100, trim: true }).optional(),
  city: text({ min: 1, max: 100, trim: true }).optional(),
  from: date().optional(),
  to: date().optional(),
  tag: text({ max: 100, trim: true }).toLowerCase().optional(),
  available: queryBool().optional(),
  sort: oneOf(['date', 'newest']).optional(),
  ...pageQuery(50),
});

const byId = z.object({ id: uuid('not a valid id') });
const byType = z.object({ id: uuid('not a valid id'), typeId: uuid('not a valid id') });
const common = {
  400: 'Invalid input or FIELD_NOT_ALLOWED',
  401: 'Not signed in',
  403: 'Not a seller',
  404: 'Not your campaign',
};

export function campaignsRoutes(platform: Platform, service: CampaignsService, storage: Storage): ApiModule {
  const { redis, config, clock } = platform;
  const api = defineApi({ name: 'campaigns', prefix: '/api/v1/campaigns', tags: ['campaigns'] });
  const seller = [requireRole('SELLER')];

  api.get(
    '/',
    {
      summary:
        'Browse ACTIVE campaigns (filters: kind, q full-text, city, from, to, tag, available; sort date|newest; cursor pagination)',
      query: browseQuery,
      responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter or cursor' },
    },
    async ({ query: q }, _req, res) => {
      const sort = q.sort ?? 'date';
      const limit = q.limit ?? 20;
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      const rows = await service.browseCampaigns({
        kind: q.kind,
        q: q.q,
        city: q.city,
        from: q.from,
        to: q.to,
        tag: q.tag,
        availableOnly: q.available,
        sort,
        limit: limit + 1,
        after: after && { key: after.at, id: after.id },
      });
      // ACTIVE campaigns always have publishedAt; startsAt stands in only to keep the type whole.
      const { items: page, nextCursor } = pageOf(rows, limit, (c) => ({
        at: sort === 'date' ? c.startsAt : (c.publishedAt ?? c.startsAt),
        id: c.id,
      }));
      const types = await service.ticketTypesFor(page.map((c) => c.id));
      res.json({
        items: page.map((c) => {
          const visible = types.filter((t) => t.campaignId === c.id && !t.hidden);
          return {
            ...campaignDto(c),
            priceFromMinor: visible.length ? Math.min(...visible.map((t) => t.priceMinor)) : null,
            available: visible.reduce((n, t) => n + t.capacity - t.sold - t.reserved, 0),
          };
        }),
        nextCursor,
      });
    },
  );

  api.get(
    '/mine',
    {
      summary: "The signed-in seller's campaigns",
      security: 'csrf',
      use: seller,
      responses: { 200: '{ items, nextCursor }', 401: common[401], 403: common[403] },
    },
    async (_input, req, res) => {
      const rows = await service.listMyCampaigns(actorOf(req));
      res.json({ items: rows.map(campaignDto), nextCursor: null });
    },
  );

  api.post(
    '/',
    {
      summary: 'Create a DRAFT campaign (sellers)',
      security: 'csrf',
      use: seller,
      body: campaignFields,
      responses: { 201: 'The campaign', ...common, 409: 'SLUG_TAKEN', 422: 'DATES_INCOHERENT' },
    },
    async ({ body }, req, res) => {
      res.status(201).json(campaignDto(await service.createCampaign(actorOf(req), body)));
    },
  );

  api.get(
    '/:idOrSlug',
    {
      summary: 'A campaign with its ticket types and live availability (hidden types only with ?code=)',
      params: z.object({ idOrSlug: text({ min: 1, max: 80 }) }),
      query: z.object({ code: text({ max: 64 }).optional() }),
      responses: { 200: 'The campaign', 404: 'CAMPAIGN_NOT_FOUND' },
    },
    async ({ params, query }, req, res) => {
      const { campaign, ticketTypes } = await service.getPublicCampaign(
        params.idOrSlug,
        req.actor,
        query.code,
      );
      const manager = Boolean(
        req.actor && (req.actor.roles.includes('SUPER_ADMIN') || req.actor.userId === campaign.sellerId),
      );
      recordVisit(redis, config.REDIS_PREFIX, campaign, req, clock.now());
      res.json({
        ...campaignDto(campaign),
        ticketTypes: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency, { manager })),
      });
    },
  );

  api.patch(
    '/:id',
    {
      summary: "Update allow-listed fields for the campaign's state",
      security: 'csrf',
      use: seller,
      params: byId,
      body: campaignPatch,
      responses: { 200: 'The campaign', ...common, 422: 'CAMPAIGN_CLOSED or DATES_INCOHERENT' },
    },
    async ({ params, body }, req, res) => {
      res.json(campaignDto(await service.updateCampaign(actorOf(req), params.id, body)));
    },
  );

  api.put(
    '/:id',
    {
      summary: "Replace the writable fields the campaign's state allows (fields left out are reset)",
      description:
        'The same per-state allow-list as PATCH: a field the state does not allow is 400 FIELD_NOT_ALLOWED. Every field the ' +
        'state allows is replaced: one left out goes back to its default (description, refundPolicy empty; latitude, ' +
        'longitude, sale window, refundDeadlineHours null; tags empty; maxTicketsPerCustomer 10; entryMode SINGLE), or is ' +
        '400 VALIDATION_FAILED when it has none (kind, title, venueName, venueAddress, city, country, startsAt, endsAt, ' +
        'timezone, currency). The slug, made at creation, is kept when left out.',
      security: 'csrf',
      use: seller,
      params: byId,
      body: campaignPatch,
      responses: { 200: 'The campaign', ...common, 422: 'CAMPAIGN_CLOSED or DATES_INCOHERENT' },
    },
    async ({ params, body }, req, res) => {
      res.json(campaignDto(await service.replaceCampaign(actorOf(req), params.id, body)));
    },
  );

  const transition = (action: 'publish' | 'pause' | 'resume', summary: string, e422: string) =>
    api.post(
      `/:id/${action}`,
      {
        summary,
        security: 'csrf',
        use: seller,
        params: byId,
        responses: { 200: 'The campaign', ...common, 422: e422 },
      },
      async ({ params }, req, res) => {
        const actor = actorOf(req);
        const c =
          action === 'publish'
            ? await service.publishCampaign(actor, params.id)
            : action === 'pause'
              ? await service.pauseCampaign(actor, params.id)
              : await service.resumeCampaign(actor, params.id);
        res.json(campaignDto(c));
      },
    );
  transition('publish', 'DRAFT → ACTIVE', 'NOT_PUBLISHABLE or INVALID_TRANSITION');
  transition('pause', 'ACTIVE → PAUSED', 'INVALID_TRANSITION');
  transition('resume', 'PAUSED → ACTIVE', 'INVALID_TRANSITION');

  api.post(
    '/:id/cancel',
    {
      summary: 'Cancel with a reason (refunds follow)',
      security: 'csrf',
      use: seller,
      params: byId,
      body: z.object({
        reason: text({ min: 3, max: 1000, trim: true, message: 'say why (3 to 1000 characters)' }),
      }),
      responses: { 200: 'The campaign', ...common, 422: 'INVALID_TRANSITION' },
    },
    async ({ params, body }, req, res) => {
      res.json(campaignDto(await service.cancelCampaign(actorOf(req), params.id, body.reason)));
    },
  );

  api.put(
    '/:id/cover',
    {
      summary: 'Upload the cover image (JPEG, PNG or WebP, at most 5 MB, checked by content) as the raw body',
      security: 'csrf',
      use: [...seller, express.raw({ type: () => true, limit: MAX_COVER_BYTES })],
      params: byId,
      requestBody: { content: { 'image/jpeg': {}, 'image/png': {}, 'image/webp': {} } },
      responses: {
        200: 'The campaign with coverImageUrl',
        ...common,
        413: 'PAYLOAD_TOO_LARGE',
        422: 'CAMPAIGN_CLOSED',
      },
    },
    async ({ params: { id } }, req, res) => {
      // Ownership first: a stranger's upload is refused before anything is stored.
      await service.getManagedCampaign(actorOf(req), id);
      const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const { key } = inspectCoverImage(id, data);
      await storage.put(key, data);
      res.json(campaignDto(await service.setCoverImage(actorOf(req), id, key)));
    },
  );

  api.get(
    '/:id/seats',
    {
      summary: "A seated campaign's seat map: sections, rows, cells, price zones and every seat's state",
      description:
        'Public once published (drafts: the seller and team). `seats` lists every seat with AVAILABLE, HELD or SOLD; ' +
        'live changes arrive over Socket.io as `seat:states` in the room `campaign:<id>`.',
      params: byId,
      responses: {
        200: { description: 'The seat map', schema: { type: 'object' } },
        404: 'CAMPAIGN_NOT_FOUND',
        422: 'CAMPAIGN_NOT_SEATED',
      },
    },
    async ({ params }, req, res) => {
      const { campaign, map, ticketTypes } = await service.getCampaignSeatMap(params.id, req.actor);
      res.json({
        campaignId: campaign.id,
        ...map,
        ticketTypes: ticketTypes.map((t) => ({
          id: t.id,
          name: t.name,
          seatZone: t.seatZone,
          priceMinor: t.priceMinor,
          currency: campaign.currency,
          available: t.capacity - t.sold - t.reserved,
        })),
      });
    },
  );

  api.get(
    '/:id/ticket-types',
    {
      summary: 'Ticket types with counters (seller and team)',
      security: 'csrf',
      use: [requireRole('SELLER', 'MANAGER', 'FINANCE')],
      params: byId,
      responses: { 200: '{ items, nextCursor }', ...common },
    },
    async ({ params }, req, res) => {
      const { campaign, ticketTypes } = await service.getManagedCampaign(actorOf(req), params.id);
      res.json({
        items: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency, { manager: true })),
        nextCursor: null,
      });
    },
  );

  api.post(
    '/:id/ticket-types',
    {
      summary: 'Add a ticket type',
      security: 'csrf',
      use: seller,
      params: byId,
      body: ticketTypeFields,
      responses: { 201: 'The ticket type', ...common, 409: 'TICKET_TYPE_CODE_TAKEN', 422: 'CAMPAIGN_CLOSED' },
    },
    async ({ params: { id }, body }, req, res) => {
      const { campaign } = await service.getManagedCampaign(actorOf(req), id);
      const input = withPriceMinor(body, campaign.currency);
      if (input.priceMinor === undefined)
        throw AppError.validation('Give the price', [{ field: 'price', message: 'Give the price' }]);
      const t = await service.createTicketType(actorOf(req), id, { ...input, priceMinor: input.priceMinor });
      res.status(201).json(ticketTypeDto(t, campaign.currency, { manager: true }));
    },
  );

  api.patch(
    '/:id/ticket-types/:typeId',
    {
      summary: 'Update a ticket type (capacity never below sold + reserved)',
      security: 'csrf',
      use: seller,
      params: byType,
      body: ticketTypeFields.partial(),
      responses: { 200: 'The ticket type', ...common, 422: 'CAPACITY_BELOW_HELD' },
    },
    async ({ params: { id, typeId }, body }, req, res) => {
      const { campaign } = await service.getManagedCampaign(actorOf(req), id);
      const t = await service.updateTicketType(
        actorOf(req),
        id,
        typeId,
        withPriceMinor(body, campaign.currency),
      );
      res.json(ticketTypeDto(t, campaign.currency, { manager: true }));
    },
  );

  api.delete(
    '/:id/ticket-types/:typeId',
    {
      summary: 'Delete a ticket type without bookings',
      security: 'csrf',
      use: seller,
      params: byType,
      responses: { 204: 'Deleted', ...common, 422: 'TICKET_TYPE_HAS_BOOKINGS' },
    },
    async ({ params }, req, res) => {
      await service.deleteTicketType(actorOf(req), params.id, params.typeId);
      res.status(204).end();
    },
  );

  return api.module();
}
