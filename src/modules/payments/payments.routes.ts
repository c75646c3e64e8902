import { Router, type Request } from 'express';
import { body, param } from 'express-validator';
import { AppError } from '../../shared/errors';
import { actorOf, requireSignIn, signInUrl } from '../../shared/http/authorize';
import { errorResponse, type ApiModule, type OpenApiPaths } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { validate, validated } from '../../shared/http/validate';
import type { Platform } from '../../shared/platform';
import { rawBodyOf } from '../../shared/http/raw-body';
import { renderPage } from '../../web/views';
import { paymentRateLimit } from './payments.confirm';
import { paymentDto, refundDto } from './payments.dto';
import type { PaymentsService } from './payments.service';

export const PAYMENTS_PREFIX = '/api/v1/payments';
export const CALLBACK_PATH = `${PAYMENTS_PREFIX}/callback`;
export const WEBHOOK_PATH = `${PAYMENTS_PREFIX}/webhook`;

function onlyFields(...allowed: string[]) {
  return (req: Request, _res: unknown, next: (err?: unknown) => void) => {
    const b: unknown = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b))
      return next(AppError.validation('The body must be a JSON object'));
    const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
    if (unknown.length) {
      return next(
        AppError.validation(
          `Unknown fields: ${unknown.join(', ')}`,
          unknown.map((field) => ({ field, message: 'not allowed here' })),
          'FIELD_NOT_ALLOWED',
        ),
      );
    }
    next();
  };
}

export function paymentsRoutes(platform: Platform, service: PaymentsService): ApiModule {
  const router = Router();
  const { config, redis } = platform;
  // Each of these may call Flutterwave: per user, across every web process.
  const paymentLimit = paymentRateLimit(platform);
  // Only webhook calls that fail authentication are counted (per client IP, the default key for a
  // request without a session): someone guessing
  // the hash is slowed down, while Flutterwave's own deliveries are never throttled.
  const webhookAuthFailures = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'webhook-auth',
    windowMs: config.WEBHOOK_AUTH_FAILURE_LIMIT_WINDOW_MS,
    limit: config.WEBHOOK_AUTH_FAILURE_LIMIT_MAX,
  });

  // A signed-in buyer's `{ bookingId }` request that may call Flutterwave: limited per user.
  const bookingRequest = [
    requireSignIn(),
    paymentLimit,
    onlyFields('bookingId'),
    validate(body('bookingId').isUUID().withMessage('a booking id')),
  ];

  /** Where Flutterwave sends the buyer back: one registered URL in production, else this host. */
  const redirectUrlFor = (req: Request) =>
    config.PAYMENT_REDIRECT_URL ??
    (config.NODE_ENV === 'production'
      ? new URL(CALLBACK_PATH, config.PUBLIC_URL).toString()
      : `${req.protocol}://${req.get('host')}${CALLBACK_PATH}`);

  router.post('/initialize', ...bookingRequest, async (req, res) => {
    const { bookingId } = validated<{ bookingId: string }>(req);
    const result = await service.initializePayment(actorOf(req), bookingId, redirectUrlFor(req));
    res
      .status(result.created ? 201 : 200)
      .json({ ...paymentDto(result.payment), link: result.link, reused: !result.created });
  });

  // Flutterwave's redirect. The query is a hint of which payment to look at, nothing more.
  router.get('/callback', async (req, res) => {
    const txRef = typeof req.query.tx_ref === 'string' ? req.query.tx_ref : '';
    // Only a hint of which transaction to verify by id: digits that make a safe integer, else none.
    const rawId = req.query.transaction_id;
    const transactionId =
      typeof rawId === 'string' && /^[1-9][0-9]{0,14}$/.test(rawId) ? Number(rawId) : null;
    const found = await service.handleCallback(txRef, transactionId);
    if (!found) {
      res.status(404);
      return renderPage(req, res, 'payments/callback', {
        title: 'Payment not found',
        state: 'unknown',
        txRef: '',
        booking: null,
        signInUrl: null,
      });
    }
    const { payment, view } = found;
    const owner = req.actor?.userId === payment.userId;
    renderPage(req, res, 'payments/callback', {
      title: 'Your payment',
      state: view.state,
      txRef: view.txRef,
      // Booking details only for its buyer; anyone else holding the tx_ref sees the state alone.
      booking: owner
        ? { id: payment.bookingId, amountMinor: payment.amountMinor, currency: payment.currency }
        : null,
      signInUrl: req.actor ? null : signInUrl(req.originalUrl),
    });
  });

  router.post('/webhook', async (req, res, next) => {
    let result: Awaited<ReturnType<PaymentsService['receiveWebhook']>>;
    try {
      result = await service.receiveWebhook(req.headers['verif-hash'], req.body, rawBodyOf(req));
    } catch (err) {
      // Counted as a failure; over the limit the limiter passes on its 429 instead of our 401.
      if (err instanceof AppError && err.code === 'WEBHOOK_SIGNATURE_INVALID') {
        return webhookAuthFailures(req, res, (limited?: unknown) => next(limited ?? err));
      }
      throw err;
    }
    res
      .status(200)
      .json({ received: true, duplicate: !result.stored && !result.ignored, ignored: result.ignored });
  });

  router.post('/refunds', ...bookingRequest, async (req, res) => {
    const { bookingId } = validated<{ bookingId: string }>(req);
    const { refund, created } = await service.requestRefund(actorOf(req), bookingId);
    res.status(created ? 202 : 200).json(refundDto(refund));
  });

  router.get(
    '/refunds/:id',
    requireSignIn(),
    validate(param('id').isUUID().withMessage('not a valid id')),
    async (req, res) => {
      res.json(refundDto(await service.getRefundForActor(actorOf(req), String(req.params.id))));
    },
  );

  router.get(
    '/:id',
    requireSignIn(),
    validate(param('id').isUUID().withMessage('not a valid id')),
    async (req, res) => {
      const { payment, refunds } = await service.getPaymentForActor(actorOf(req), String(req.params.id));
      res.json({ ...paymentDto(payment), refunds: refunds.map(refundDto) });
    },
  );

  return { name: 'payments', prefix: PAYMENTS_PREFIX, router, paths: openapi };
}

const tag = ['payments'];
const signedIn = { security: [{ session: [], csrf: [] }] };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const bookingIdBody = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['bookingId'],
        properties: { bookingId: { type: 'string', format: 'uuid' } },
      },
    },
  },
};
const paymentSchema = {
  type: 'object',
  required: ['id', 'bookingId', 'txRef', 'status', 'amountMinor', 'currency'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    bookingId: { type: 'string', format: 'uuid' },
    txRef: { type: 'string', description: 'Our unique reference at Flutterwave' },
    status: { type: 'string', enum: ['OPEN', 'FAILED', 'SUCCEEDED', 'FLAGGED', 'EXPIRED'] },
    amountMinor: { type: 'integer' },
    currency: { type: 'string' },
    paidMinor: { type: ['integer', 'null'] },
    bookingOutcome: { type: ['string', 'null'], enum: ['CONFIRMED', 'REFUND_REQUIRED', null] },
    outcomeReason: { type: ['string', 'null'] },
    checkoutExpiresAt: { type: 'string', format: 'date-time' },
    succeededAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};
const refundSchema = {
  type: 'object',
  required: ['id', 'paymentId', 'bookingId', 'status', 'reason', 'amountMinor', 'currency'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    paymentId: { type: 'string', format: 'uuid' },
    bookingId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['PENDING', 'COMPLETED', 'FAILED'] },
    reason: {
      type: 'string',
      enum: [
        'BUYER_REQUEST',
        'CAMPAIGN_CANCELLED',
        'FLAGGED_PAYMENT',
        'OVERPAYMENT',
        'SOLD_OUT',
        'DUPLICATE_PAYMENT',
        'ALREADY_REFUNDED',
        'CAMPAIGN_CLOSED',
        'CUSTOMER_LIMIT',
      ],
    },
    portion: {
      type: 'string',
      enum: ['CHARGE', 'EXCESS'],
      description:
        'CHARGE: what the charge paid for (all of it, or the price); EXCESS: what it paid beyond the price',
    },
    amountMinor: { type: 'integer' },
    currency: { type: 'string' },
    failureReason: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    completedAt: { type: ['string', 'null'], format: 'date-time' },
    failedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
const json = (description: string, schema: unknown) => ({
  description,
  content: { 'application/json': { schema } },
});

const openapi: OpenApiPaths = {
  '/api/v1/payments/initialize': {
    post: {
      summary: "Start paying the buyer's own PENDING booking: answers Flutterwave's hosted checkout link",
      description:
        'The amount and currency come from the booking. A booking has one live attempt: initializing again (another tab, a ' +
        'reload, a failed card) answers 200 with the same payment and tx_ref and a fresh link to the same checkout, so the ' +
        'buyer can never be charged twice for one booking. 201 when a new attempt was made.',
      tags: tag,
      ...signedIn,
      requestBody: bookingIdBody,
      responses: {
        '201': json('A new payment attempt and its checkout link', {
          ...paymentSchema,
          properties: {
            ...paymentSchema.properties,
            link: { type: 'string', format: 'uri' },
            reused: { type: 'boolean' },
          },
        }),
        '200': json("The booking's open attempt, reused, with a fresh link", {
          ...paymentSchema,
          properties: {
            ...paymentSchema.properties,
            link: { type: 'string', format: 'uri' },
            reused: { type: 'boolean' },
          },
        }),
        '400': errorResponse('VALIDATION_FAILED or FIELD_NOT_ALLOWED'),
        '401': errorResponse('Not signed in'),
        '404': errorResponse("BOOKING_NOT_FOUND (also for another buyer's booking)"),
        '409': errorResponse('PAYMENT_UNDER_REVIEW: an earlier payment did not match and is being reviewed'),
        '422': errorResponse('BOOKING_NOT_PAYABLE (not PENDING), HOLD_EXPIRED, UNSUPPORTED_CURRENCY'),
        '429': errorResponse('RATE_LIMITED'),
        '503': errorResponse('PROVIDER_UNAVAILABLE: Flutterwave did not answer; try again'),
      },
    },
  },
  '/api/v1/payments/callback': {
    get: {
      summary: "Flutterwave's redirect back after the hosted checkout (renders an HTML page)",
      description:
        'Flutterwave appends `status`, `tx_ref` and `transaction_id`. None of them is trusted: the tx_ref only names the ' +
        'payment to look at; the payments worker verifies it with Flutterwave (verify_by_reference). The page shows the ' +
        'state we know and turns to "confirmed" live over Socket.io (room of the unguessable tx_ref) or on reload.',
      tags: tag,
      parameters: [
        { name: 'tx_ref', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'status', in: 'query', required: false, schema: { type: 'string' }, description: 'Ignored' },
        {
          name: 'transaction_id',
          in: 'query',
          required: false,
          schema: { type: 'string' },
          description: 'A hint: verified by id with Flutterwave, never believed (digits only, else ignored)',
        },
      ],
      responses: {
        '200': {
          description: 'HTML page with the payment state',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        '404': {
          description: 'HTML page: no payment with this tx_ref',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
  },
  '/api/v1/payments/webhook': {
    post: {
      summary:
        "Flutterwave's webhook (charge.completed, transfer.completed, and the older top-level charge body)",
      description:
        'Authenticated by the `verif-hash` header (your Flutterwave secret hash), compared in constant time. Both charge ' +
        'shapes are accepted: `{ event, data }` and the older top-level body (`{ id, txRef, status, ... }` with `event.type` ' +
        'such as CARD_TRANSACTION). The event is stored once per Flutterwave event, with its raw body, and answered at ' +
        'once; the payments worker verifies the charge with Flutterwave by id ' +
        'before anything is confirmed. Carries no session cookie, so no CSRF token; exempt from the general API rate limit ' +
        '(only failed authentications are limited, per IP).',
      tags: tag,
      parameters: [{ name: 'verif-hash', in: 'header', required: true, schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      responses: {
        '200': json('Received (also for a duplicate or an event we do not handle)', {
          type: 'object',
          properties: {
            received: { type: 'boolean' },
            duplicate: { type: 'boolean' },
            ignored: { type: 'boolean' },
          },
        }),
        '401': errorResponse('WEBHOOK_SIGNATURE_INVALID: nothing was stored'),
        '429': errorResponse('RATE_LIMITED: too many failed authentications from this address'),
      },
    },
  },
  '/api/v1/payments/refunds': {
    post: {
      summary: 'Cancel your CONFIRMED booking for a refund, when the campaign allows it',
      description:
        'Allowed until `refundDeadlineHours` before the campaign starts (no refunds when that is null), or at any time once the ' +
        'campaign was cancelled. The whole payment goes back through Flutterwave; the booking becomes REFUNDED (tickets ' +
        'revoked, stock back on sale) when the refund completes. Asking again answers the same refund (200).',
      tags: tag,
      ...signedIn,
      requestBody: bookingIdBody,
      responses: {
        '202': json('The refund, PENDING', refundSchema),
        '200': json('The refund already requested for this booking', refundSchema),
        '400': errorResponse('VALIDATION_FAILED'),
        '401': errorResponse('Not signed in'),
        '404': errorResponse('BOOKING_NOT_FOUND'),
        '422': errorResponse(
          'BOOKING_NOT_REFUNDABLE, NOTHING_TO_REFUND, REFUNDS_NOT_OFFERED, REFUND_DEADLINE_PASSED',
        ),
        '429': errorResponse('RATE_LIMITED'),
      },
    },
  },
  '/api/v1/payments/refunds/{id}': {
    get: {
      summary: 'A refund (its buyer, admins)',
      tags: tag,
      ...signedIn,
      parameters: [id],
      responses: {
        '200': json('The refund', refundSchema),
        '401': errorResponse('Not signed in'),
        '404': errorResponse('REFUND_NOT_FOUND'),
      },
    },
  },
  '/api/v1/payments/{id}': {
    get: {
      summary: 'A payment attempt with its refunds (its buyer, admins)',
      tags: tag,
      ...signedIn,
      parameters: [id],
      responses: {
        '200': json('The payment', {
          ...paymentSchema,
          properties: { ...paymentSchema.properties, refunds: { type: 'array', items: refundSchema } },
        }),
        '401': errorResponse('Not signed in'),
        '404': errorResponse('PAYMENT_NOT_FOUND'),
      },
    },
  },
};
