import { Router, type Request } from 'express';
import { body, param, query } from 'express-validator';
import { AppError } from '../../shared/errors';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import { actorOf, requireSignIn } from '../../shared/http/authorize';
import { errorResponse, type ApiModule, type OpenApiPaths } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { validate, validated } from '../../shared/http/validate';
import type { Platform } from '../../shared/platform';
import { bookingDto } from './bookings.dto';
import { BookingErrors } from './bookings.errors';
import type { BookingsService } from './bookings.service';
import { ISSUANCES, type ReserveInput } from './bookings.types';

const BODY_FIELDS = ['campaignId', 'items', 'issuance', 'accessCode'];
/** Visible ASCII, 1 to 255 characters (a UUID is the usual choice). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function onlyFields(req: Request, _res: unknown, next: (err?: unknown) => void) {
  const b: unknown = req.body;
  if (!b || typeof b !== 'object' || Array.isArray(b))
    return next(AppError.validation('The body must be a JSON object'));
  const unknown = Object.keys(b).filter((k) => !BODY_FIELDS.includes(k));
  if (unknown.length) {
    return next(
      AppError.validation(
        `Unknown fields: ${unknown.join(', ')}`,
        unknown.map((field) => ({ field, message: 'not a booking field' })),
        'FIELD_NOT_ALLOWED',
      ),
    );
  }
  next();
}

function idempotencyKeyOf(req: Request): string {
  const key = req.get('idempotency-key');
  if (!key || !IDEMPOTENCY_KEY.test(key)) throw BookingErrors.idempotencyKeyRequired();
  return key;
}

export function bookingsRoutes(platform: Platform, service: BookingsService): ApiModule {
  const router = Router();
  const { config, redis } = platform;
  // Per signed-in user across every web process: one person cannot hammer the hot rows.
  const reserveLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'bookings',
    windowMs: config.BOOKING_RATE_LIMIT_WINDOW_MS,
    limit: config.BOOKING_RATE_LIMIT_MAX,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });

  router.post(
    '/',
    requireSignIn(),
    reserveLimit,
    onlyFields,
    validate(
      body('campaignId').isUUID().withMessage('a campaign id'),
      body('items').isArray({ min: 1, max: 20 }).withMessage('1 to 20 items'),
      body('items.*.ticketTypeId').isUUID().withMessage('a ticket type id'),
      body('items.*.quantity').isInt({ min: 1, max: 1000 }).withMessage('an integer from 1').toInt(),
      body('issuance')
        .isIn([...ISSUANCES])
        .withMessage(`one of ${ISSUANCES.join(', ')}`),
      body('accessCode').optional().isString().isLength({ min: 1, max: 64 }),
    ),
    async (req, res) => {
      const key = idempotencyKeyOf(req);
      const input = validated<ReserveInput>(req);
      // Only the declared keys of each item reach the service (and the request hash).
      input.items = input.items.map((i) => ({ ticketTypeId: i.ticketTypeId, quantity: i.quantity }));
      const result = await service.reserveBooking(actorOf(req), key, input);
      if (result.replayed) res.set('Idempotent-Replayed', 'true');
      res.status(result.status).json(result.body);
    },
  );

  router.get(
    '/',
    requireSignIn(),
    validate(
      query('limit').optional().isInt({ min: 1, max: 50 }).toInt(),
      query('cursor').optional().isString().isLength({ max: 200 }),
    ),
    async (req, res) => {
      const q = validated<{ limit?: number; cursor?: string }>(req);
      const limit = q.limit ?? 20;
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      const rows = await service.listMyBookings(
        actorOf(req),
        limit + 1,
        after && { createdAt: after.at, id: after.id },
      );
      const page = pageOf(rows, limit, (b) => ({ at: b.createdAt, id: b.id }));
      res.json({ items: page.items.map(bookingDto), nextCursor: page.nextCursor });
    },
  );

  router.get(
    '/:id',
    requireSignIn(),
    validate(param('id').isUUID().withMessage('not a valid id')),
    async (req, res) => {
      res.json(bookingDto(await service.getBookingForActor(actorOf(req), String(req.params.id))));
    },
  );

  router.post(
    '/:id/cancel',
    requireSignIn(),
    validate(param('id').isUUID().withMessage('not a valid id')),
    async (req, res) => {
      res.json(bookingDto(await service.cancelBooking(actorOf(req), String(req.params.id))));
    },
  );

  return { name: 'bookings', prefix: '/api/v1/bookings', router, paths: openapi };
}

const tag = ['bookings'];
const signedIn = { security: [{ session: [], csrf: [] }] };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
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
    totalMinor: { type: 'integer' },
    currency: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
};
const booking = (description: string) => ({
  description,
  content: { 'application/json': { schema: bookingSchema } },
});

const openapi: OpenApiPaths = {
  '/api/v1/bookings': {
    post: {
      summary:
        'Reserve tickets: a PENDING booking holding stock until expiresAt (CONFIRMED at once when free)',
      description:
        'Requires an `Idempotency-Key` header (scoped to the user; a new UUID per attempt). The same key with the same body ' +
        'answers the first response (with `Idempotent-Replayed: true`), even for requests sent in parallel; with a different body, ' +
        '422 IDEMPOTENCY_KEY_REUSED. Refusals write nothing.',
      tags: tag,
      ...signedIn,
      parameters: [
        { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 255 } },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['campaignId', 'items', 'issuance'],
              properties: {
                campaignId: { type: 'string', format: 'uuid' },
                items: {
                  type: 'array',
                  minItems: 1,
                  maxItems: 20,
                  items: {
                    type: 'object',
                    required: ['ticketTypeId', 'quantity'],
                    properties: {
                      ticketTypeId: { type: 'string', format: 'uuid' },
                      quantity: { type: 'integer', minimum: 1 },
                    },
                  },
                },
                issuance: { type: 'string', enum: ['SINGLE', 'SEPARATE'] },
                accessCode: {
                  type: 'string',
                  description: "A hidden ticket type's access code (from its link)",
                },
              },
            },
          },
        },
      },
      responses: {
        '201': booking('The booking'),
        '400': errorResponse('VALIDATION_FAILED, IDEMPOTENCY_KEY_REQUIRED or FIELD_NOT_ALLOWED'),
        '401': errorResponse('Not signed in'),
        '404': errorResponse('CAMPAIGN_NOT_FOUND'),
        '409': errorResponse('SOLD_OUT: details name the ticket type and how many are left'),
        '422': errorResponse(
          'CAMPAIGN_NOT_ON_SALE, SALE_NOT_STARTED, SALE_ENDED, TICKET_TYPE_UNAVAILABLE, QUANTITY_OUT_OF_RANGE, CUSTOMER_LIMIT_REACHED, IDEMPOTENCY_KEY_REUSED',
        ),
        '429': errorResponse('RATE_LIMITED'),
      },
    },
    get: {
      summary: "The signed-in user's bookings, newest first",
      tags: tag,
      ...signedIn,
      parameters: ['limit', 'cursor'].map((name) => ({
        name,
        in: 'query',
        required: false,
        schema: { type: 'string' },
      })),
      responses: {
        '200': { description: '{ items, nextCursor }', content: { 'application/json': {} } },
        '400': errorResponse('INVALID_CURSOR'),
        '401': errorResponse('Not signed in'),
      },
    },
  },
  '/api/v1/bookings/{id}': {
    get: {
      summary: "A booking (its buyer, the campaign's seller and team, admins)",
      tags: tag,
      ...signedIn,
      parameters: [id],
      responses: {
        '200': booking('The booking'),
        '401': errorResponse('Not signed in'),
        '404': errorResponse('BOOKING_NOT_FOUND'),
      },
    },
  },
  '/api/v1/bookings/{id}/cancel': {
    post: {
      summary: 'Cancel a PENDING booking (its buyer): the held tickets go back on sale',
      tags: tag,
      ...signedIn,
      parameters: [id],
      responses: {
        '200': booking('The cancelled booking'),
        '401': errorResponse('Not signed in'),
        '404': errorResponse('BOOKING_NOT_FOUND'),
        '422': errorResponse('BOOKING_NOT_CANCELLABLE'),
      },
    },
  },
};
