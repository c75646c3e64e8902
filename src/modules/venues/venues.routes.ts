import { actorOf, requireRole } from '../../shared/http/authorize';
import { defineApi } from '../../shared/http/api';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { int, oneOf, text, uuid, z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { venueDto, venueSummaryDto } from './venues.dto';
import type { VenuesService } from './venues.service';

const zoneCode = text({ min: 1, max: 16, pattern: /^[A-Z0-9_]+$/, message: '1 to 16 of A-Z, 0-9 and _' });
const zones = z
  .array(
    z.strictObject({
      code: zoneCode,
      name: text({ min: 1, max: 60, trim: true }),
      color: text({ min: 7, max: 7, pattern: /^#[0-9a-fA-F]{6}$/, message: 'a colour like #1f77b4' }),
    }),
    { error: '1 to 20 zones' },
  )
  .min(1, { error: '1 to 20 zones' })
  .max(20, { error: '1 to 20 zones' });
const rowLabel = text({ min: 1, max: 4, pattern: /^[A-Za-z0-9]+$/, message: 'a row label like A, AA or 12' });
const seatLabel = text({ min: 1, max: 8, pattern: /^[A-Za-z0-9]+$/, message: 'a seat label like 12' });
const labels = (of: ReturnType<typeof text>) =>
  z
    .array(of, { error: '1 to 200 labels' })
    .min(1, { error: '1 to 200 labels' })
    .max(200, { error: '1 to 200 labels' });

const venueBody = z.strictObject({
  name: text({ min: 1, max: 120, trim: true }),
  city: text({ max: 100, trim: true }).optional(),
  zones,
  shared: z
    .boolean({ error: 'true or false' })
    .optional()
    .meta({ description: 'Platform admins only: a venue every seller can use' }),
});
const venuePatch = venueBody.omit({ shared: true }).partial();

const sectionBody = z.strictObject({
  name: text({ min: 1, max: 80, trim: true }),
  rank: int(0, 1000)
    .optional()
    .meta({ description: 'Best first: best-available looks at lower ranks first' }),
  rows: z.strictObject({ from: rowLabel, to: rowLabel }),
  seats: z.strictObject({ from: int(0, 9999), to: int(0, 9999) }),
  zone: zoneCode,
});

const edit = z.discriminatedUnion(
  'op',
  [
    z.strictObject({
      op: z.literal('set'),
      rows: labels(rowLabel).optional(),
      seats: labels(seatLabel).optional(),
      kind: oneOf(['SEAT', 'GAP']).optional(),
      zone: zoneCode.optional(),
      accessible: z.boolean({ error: 'true or false' }).optional(),
      restrictedView: z.boolean({ error: 'true or false' }).optional(),
    }),
    z.strictObject({ op: z.literal('aisle'), rows: labels(rowLabel).optional(), afterSeat: seatLabel }),
    z.strictObject({ op: z.literal('removeAisle'), rows: labels(rowLabel).optional(), afterSeat: seatLabel }),
    z.strictObject({ op: z.literal('removeRow'), row: rowLabel }),
  ],
  { error: 'op is set, aisle, removeAisle or removeRow' },
);
const sectionPatch = z.strictObject({
  name: text({ min: 1, max: 80, trim: true }).optional(),
  rank: int(0, 1000).optional(),
  edits: z.array(edit, { error: 'at most 200 edits' }).max(200, { error: 'at most 200 edits' }).optional(),
});

const byId = z.object({ id: uuid('not a valid id') });
const bySection = z.object({ id: uuid('not a valid id'), sectionId: uuid('not a valid id') });
const venue = { description: 'The venue with its sections, rows and cells', schema: { type: 'object' } };
const errors = {
  400: 'VALIDATION_FAILED, FIELD_NOT_ALLOWED or BAD_RANGE',
  401: 'Not signed in',
  403: 'FORBIDDEN: not a seller; VENUE_READ_ONLY: a shared venue (admins only)',
  404: 'VENUE_NOT_FOUND or SECTION_NOT_FOUND',
  422: 'UNKNOWN_ZONE, ZONE_IN_USE, ROW_NOT_IN_SECTION, SEAT_NOT_IN_SECTION, VENUE_TOO_LARGE',
  429: 'RATE_LIMITED',
};

/** /api/v1/venues: a seller's venue templates (and the shared ones); admins keep the shared ones. */
export function venuesRoutes(platform: Platform, service: VenuesService): ApiModule {
  const { config, redis } = platform;
  const api = defineApi({ name: 'venues', prefix: '/api/v1/venues', tags: ['venues'] });
  const changes = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'venues',
    windowMs: 60_000,
    limit: 120,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });
  const seller = [requireRole('SELLER')] as const;
  const writer = [...seller, changes] as const;

  api.get(
    '/',
    {
      summary: 'The venues the seller can use: their own and the shared ones (admins: every venue)',
      security: 'session',
      use: seller,
      responses: { 200: '{ items, nextCursor }', 401: errors[401], 403: errors[403] },
    },
    async (_input, req, res) => {
      const rows = await service.listVenues(actorOf(req));
      res.json({ items: rows.map(venueSummaryDto), nextCursor: null });
    },
  );

  api.post(
    '/',
    {
      summary: 'Create a venue with its price zones (sections are added next)',
      security: 'csrf',
      use: writer,
      body: venueBody,
      responses: { 201: venue, ...errors },
    },
    async ({ body }, req, res) => {
      res.status(201).json(venueDto(await service.createVenue(actorOf(req), body)));
    },
  );

  api.get(
    '/:id',
    {
      summary: 'A venue with its sections, rows and cells',
      security: 'session',
      use: seller,
      params: byId,
      responses: { 200: venue, 401: errors[401], 403: errors[403], 404: errors[404] },
    },
    async ({ params }, req, res) => {
      res.json(venueDto(await service.getVenue(actorOf(req), params.id)));
    },
  );

  api.patch(
    '/:id',
    {
      summary: 'Rename a venue or change its price zones (a zone seats use cannot be removed)',
      security: 'csrf',
      use: writer,
      params: byId,
      body: venuePatch,
      responses: { 200: venue, ...errors },
    },
    async ({ params, body }, req, res) => {
      res.json(venueDto(await service.updateVenue(actorOf(req), params.id, body)));
    },
  );

  api.post(
    '/:id/sections',
    {
      summary: 'Add a section generated from ranges: rows from–to (A–T, 1–20), seats from–to, one zone',
      security: 'csrf',
      use: writer,
      params: byId,
      body: sectionBody,
      responses: { 201: venue, 409: 'SECTION_NAME_TAKEN', ...errors },
    },
    async ({ params, body }, req, res) => {
      res.status(201).json(venueDto(await service.addSection(actorOf(req), params.id, body)));
    },
  );

  api.patch(
    '/:id/sections/:sectionId',
    {
      summary:
        'Edit a section: name, rank, and seat edits (gaps, aisles, accessible, restricted view, zones)',
      description:
        'Edits apply in order. `set` changes seats (all seats of the rows when `seats` is absent, all rows when ' +
        '`rows` is absent): kind SEAT or GAP, zone, accessible, restrictedView. `aisle` adds an aisle after a seat. ' +
        '`removeAisle` takes away the aisle right after a seat. `removeRow` drops a row. Campaigns already created keep the layout they copied.',
      security: 'csrf',
      use: writer,
      params: bySection,
      body: sectionPatch,
      responses: { 200: venue, 409: 'SECTION_NAME_TAKEN', ...errors },
    },
    async ({ params, body }, req, res) => {
      res.json(venueDto(await service.updateSection(actorOf(req), params.id, params.sectionId, body)));
    },
  );

  api.delete(
    '/:id/sections/:sectionId',
    {
      summary: 'Remove a section from a venue (campaigns keep their copy)',
      security: 'csrf',
      use: writer,
      params: bySection,
      responses: { 200: venue, ...errors },
    },
    async ({ params }, req, res) => {
      res.json(venueDto(await service.deleteSection(actorOf(req), params.id, params.sectionId)));
    },
  );

  return api.module();
}
