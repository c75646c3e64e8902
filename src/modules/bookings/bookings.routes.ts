import type { IncomingMessage } from 'node:http';
import { type Request } from 'express';
import type { FastRoute } from '../../shared/http/fast-lane';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import { actorOf, requireSignIn } from '../../shared/http/authorize';
import { defineApi } from '../../shared/http/api';
import type { ApiModule } from '../../shared/http/openapi';
import { apiRateLimit, createRateLimits } from '../../shared/http/rate-limit';
import { int, oneOf, pageQuery, text, uuid, z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { bookingDto } from './bookings.dto';
import { BookingErrors } from './bookings.errors';
import type { BookingsService } from './bookings.service';
import { ISSUANCES } from './bookings.types';

/** Visible ASCII, 1 to 255 characters (a UUID is the usual choice). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKeyOf(req: Request): string {
  const key = req.get('idempotency-key');
  if (!key || !IDEMPOTENCY_KEY.test(key)) throw BookingErrors.idempotencyKeyRequired();
  return key;
}

/** POST /api/v1/bookings. Strict: any other field is FIELD_NOT_ALLOWED; items keep only their two keys. */
export const reserveBody = z.strictObject({
  campaignId: uuid('a campaign id'),
  items: z
    .array(
      z
        .object({
          ticketTypeId: uuid('a ticket type id'),
          quantity: int(1, 1000, 'an integer from 1 to 1000').optional(),
          seatIds: z
            .array(uuid('a seat id'), { error: '1 to 50 seat ids' })
            .min(1, { error: '1 to 50 seat ids' })
            .max(50, { error: '1 to 50 seat ids' })
            .optional()
            .meta({ description: 'Seated types: the seats wanted (from GET /api/v1/campaigns/{id}/seats)' }),
          together: z.boolean({ error: 'true or false' }).optional().meta({
            description:
              'Seated types with quantity: the best available seats, adjacent in one row where possible',
          }),
        })
        .refine((i) => (i.quantity === undefined) !== (i.seatIds === undefined), {
          error: 'give quantity or seatIds (one of them)',
          path: ['quantity'],
        })
        .refine((i) => !(i.seatIds && i.together !== undefined), {
          error: 'together goes with quantity, not with seatIds',
          path: ['together'],
        })
        .transform((i) => ({ ...i, quantity: i.quantity ?? i.seatIds!.length })),
      { error: '1 to 20 items' },
    )
    .min(1, { error: '1 to 20 items' })
    .max(20, { error: '1 to 20 items' }),
  issuance: oneOf(ISSUANCES),
  accessCode: text({ min: 1, max: 64 })
    .optional()
    .meta({ description: "A hidden ticket type's access code (from its link)" }),
  promoCode: text({
    min: 3,
    max: 32,
    pattern: /^[A-Za-z0-9_-]+$/,
    message: '3 to 32 letters, digits, - or _',
  })
    .optional()
    .meta({
      description: "A promo code of the campaign (any case): its discount is applied to the booking's total",
    }),
});

const byId = z.object({ id: uuid('not a valid id') });

export const RESERVE_PATH = '/api/v1/bookings';

/**
 * Reservations from a browser with a JSON body: the hot route of a sale, taken on the fast lane
 * (shared/http/fast-lane.ts) with the session, the modules' middleware (CSRF, the actor) and the
 * route's own limiter and validation, all as the app runs them; anything else (another body type, a
 * query string) goes through the app.
 */
function isJsonBody(req: IncomingMessage): boolean {
  return /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}

export function bookingsRoutes(
  platform: Platform,
  service: BookingsService,
): ApiModule & { fastRoutes: FastRoute[] } {
  const { config, redis } = platform;
  const api = defineApi({ name: 'bookings', prefix: RESERVE_PATH, tags: ['bookings'] });
  // Per signed-in user across every web process: one person cannot hammer the hot rows. Counted
  // with the general API limit (this route is exempt from the app-wide one) in one Redis round
  // trip; before requireSignIn, so an anonymous caller still counts against the API limit by address.
  const reserveLimit = createRateLimits(redis, config.REDIS_PREFIX, [
    apiRateLimit(config),
    {
      name: 'bookings',
      windowMs: config.BOOKING_RATE_LIMIT_WINDOW_MS,
      limit: config.BOOKING_RATE_LIMIT_MAX,
      key: (req) => (req.actor ? `u:${req.actor.userId}` : null),
    },
  ]);

  api.post(
    '/',
    {
      summary:
        'Reserve tickets: a PENDING booking holding stock until expiresAt (CONFIRMED at once when free)',
      description:
        'Requires an `Idempotency-Key` header (scoped to the user; a new UUID per attempt). The same key with the same body ' +
        'answers the first response (with `Idempotent-Replayed: true`), even for requests sent in parallel; with a different body, ' +
        '422 IDEMPOTENCY_KEY_REUSED. Refusals write nothing.',
      security: 'csrf',
      use: [reserveLimit, requireSignIn()],
      parameters: [
        { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 255 } },
      ],
      body: reserveBody,
      responses: {
        201: booking('The booking'),
        400: 'VALIDATION_FAILED, IDEMPOTENCY_KEY_REQUIRED or FIELD_NOT_ALLOWED',
        401: 'Not signed in',
        404: 'CAMPAIGN_NOT_FOUND',
        409: 'SOLD_OUT: details name the ticket type and how many are left; PROMO_CODE_USED_UP; SEATS_TAKEN: details name each taken seat (seatId, section, row, seat)',
        422: 'CAMPAIGN_NOT_ON_SALE, SALE_NOT_STARTED, SALE_ENDED, TICKET_TYPE_UNAVAILABLE, QUANTITY_OUT_OF_RANGE, CUSTOMER_LIMIT_REACHED, IDEMPOTENCY_KEY_REUSED, PROMO_CODE_INVALID, PROMO_CODE_NOT_STARTED, PROMO_CODE_EXPIRED, PROMO_CODE_BUYER_LIMIT, PROMO_CODE_NOT_APPLICABLE, TICKET_TYPE_NOT_SEATED, SEAT_UNAVAILABLE',
        429: 'RATE_LIMITED',
      },
    },
    async ({ body }, req, res) => {
      const result = await service.reserveBooking(actorOf(req), idempotencyKeyOf(req), body);
      if (result.replayed) res.set('Idempotent-Replayed', 'true');
      res.status(result.status).json(result.body);
    },
  );

  api.get(
    '/',
    {
      summary: "The signed-in user's bookings, newest first",
      security: 'csrf',
      use: [requireSignIn()],
      query: z.object(pageQuery(50)),
      responses: { 200: '{ items, nextCursor }', 400: 'INVALID_CURSOR', 401: 'Not signed in' },
    },
    async ({ query }, req, res) => {
      const limit = query.limit ?? 20;
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await service.listMyBookings(
        actorOf(req),
        limit + 1,
        after && { createdAt: after.at, id: after.id },
      );
      const page = pageOf(rows, limit, (b) => ({ at: b.createdAt, id: b.id }));
      res.json({ items: page.items.map(bookingDto), nextCursor: page.nextCursor });
    },
  );

  api.get(
    '/:id',
    {
      summary: "A booking (its buyer, the campaign's seller and team, admins)",
      security: 'csrf',
      use: [requireSignIn()],
      params: byId,
      responses: { 200: booking('The booking'), 401: 'Not signed in', 404: 'BOOKING_NOT_FOUND' },
    },
    async ({ params }, req, res) => {
      res.json(bookingDto(await service.getBookingForActor(actorOf(req), params.id)));
    },
  );

  api.post(
    '/:id/cancel',
    {
      summary: 'Cancel a PENDING booking (its buyer): the held tickets go back on sale',
      security: 'csrf',
      use: [requireSignIn()],
      params: byId,
      responses: {
        200: booking('The cancelled booking'),
        401: 'Not signed in',
        404: 'BOOKING_NOT_FOUND',
        422: 'BOOKING_NOT_CANCELLABLE',
      },
    },
    async ({ params }, req, res) => {
      res.json(bookingDto(await service.cancelBooking(actorOf(req), params.id)));
    },
  );

  api.post(
    '/:id/extend',
    {
      summary: 'Extend a PENDING hold (its buyer), once, within the maximum hold time',
      description:
        'Moves expiresAt later by BOOKING_HOLD_EXTENSION_MINUTES, never past BOOKING_HOLD_MAX_MINUTES after the booking was made. ' +
        'Its tickets and seats stay held.',
      security: 'csrf',
      use: [reserveLimit, requireSignIn()],
      params: byId,
      responses: {
        200: booking('The booking with its new expiresAt'),
        401: 'Not signed in',
        404: 'BOOKING_NOT_FOUND',
        422: 'HOLD_NOT_EXTENDABLE: ended, already extended or at the maximum',
        429: 'RATE_LIMITED',
      },
    },
    async ({ params }, req, res) => {
      res.json(bookingDto(await service.extendHold(actorOf(req), params.id)));
    },
  );

  return {
    ...api.module(),
    fastRoutes: [
      {
        method: 'POST',
        path: RESERVE_PATH,
        session: true,
        takes: isJsonBody,
        handlers: api.handlers('post', '/'),
      },
    ],
  };
}

const bookingSchema = {
  type: 'object',
  required: ['id', 'reference', 'status', 'items', 'totalMinor', 'currency', 'expiresAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    reference: { type: 'string', examples: ['K7D4-QX9M'] },
    status: { type: 'string', enum: ['PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED'] },
    campaignId: { type: 'string', format: 'uuid' },
    issuance: { type: 'string', enum: ['SINGLE', 'SEPARATE'] },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ticketTypeId: { type: 'string' },
          name: { type: 'string' },
          quantity: { type: 'integer' },
          unitPriceMinor: { type: 'integer' },
          lineTotalMinor: { type: 'integer' },
          entriesPerTicket: { type: 'integer' },
        },
      },
    },
    subtotalMinor: { type: 'integer', description: 'Before the promo discount' },
    discountMinor: { type: 'integer' },
    promoCode: { type: ['string', 'null'] },
    totalMinor: { type: 'integer', description: 'What is paid' },
    seats: {
      type: 'array',
      description: 'Seated items: the seats held or bought',
      items: {
        type: 'object',
        properties: {
          seatId: { type: 'string' },
          ticketTypeId: { type: 'string' },
          section: { type: 'string' },
          row: { type: 'string' },
          seat: { type: 'string' },
        },
      },
    },
    currency: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
};
const booking = (description: string) => ({ description, schema: bookingSchema });
