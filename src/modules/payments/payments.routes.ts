import type { Request } from 'express';
import { AppError } from '../../shared/errors';
import { actorOf, requireSignIn, signInUrl } from '../../shared/http/authorize';
import { defineApi } from '../../shared/http/api';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { text, uuid, z } from '../../shared/http/schema';
import { rawBodyOf } from '../../shared/http/raw-body';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { paymentRateLimit } from './payments.confirm';
import { paymentDto, refundDto } from './payments.dto';
import type { PaymentsService } from './payments.service';

export const PAYMENTS_PREFIX = '/api/v1/payments';
export const CALLBACK_PATH = `${PAYMENTS_PREFIX}/callback`;
export const WEBHOOK_PATH = `${PAYMENTS_PREFIX}/webhook`;

export function paymentsRoutes(platform: Platform, service: PaymentsService): ApiModule {
  const { config, redis } = platform;
  const api = defineApi({ name: 'payments', prefix: PAYMENTS_PREFIX, tags: ['payments'] });
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
  const bookingRequest = {
    security: 'csrf',
    use: [requireSignIn(), paymentLimit],
    body: z.strictObject({ bookingId: uuid('a booking id') }),
  } as const;

  /** Where Flutterwave sends the buyer back: one registered URL in production, else this host. */
  const redirectUrlFor = (req: Request) =>
    config.PAYMENT_REDIRECT_URL ??
    (config.NODE_ENV === 'production'
      ? new URL(CALLBACK_PATH, config.PUBLIC_URL).toString()
      : `${req.protocol}://${req.get('host')}${CALLBACK_PATH}`);

  const withLink = (description: string) => ({
    description,
    schema: {
      ...paymentSchema,
      properties: {
        ...paymentSchema.properties,
        link: { type: 'string', format: 'uri' },
        reused: { type: 'boolean' },
      },
    },
  });
  api.post(
    '/initialize',
    {
      summary: "Start paying the buyer's own PENDING booking: answers Flutterwave's hosted checkout link",
      description:
        'The amount and currency come from the booking. A booking has one live attempt: initializing again (another tab, a ' +
        'reload, a failed card) answers 200 with the same payment and tx_ref and a fresh link to the same checkout, so the ' +
        'buyer can never be charged twice for one booking. 201 when a new attempt was made.',
      ...bookingRequest,
      responses: {
        201: withLink('A new payment attempt and its checkout link'),
        200: withLink("The booking's open attempt, reused, with a fresh link"),
        400: 'VALIDATION_FAILED or FIELD_NOT_ALLOWED',
        401: 'Not signed in',
        404: "BOOKING_NOT_FOUND (also for another buyer's booking)",
        409: 'PAYMENT_UNDER_REVIEW: an earlier payment did not match and is being reviewed',
        422: 'CAMPAIGN_NOT_ON_SALE (paused, cancelled or ended), BOOKING_NOT_PAYABLE (not PENDING), HOLD_EXPIRED, UNSUPPORTED_CURRENCY',
        429: 'RATE_LIMITED',
        503: 'PROVIDER_UNAVAILABLE: Flutterwave did not answer; try again',
      },
    },
    async ({ body }, req, res) => {
      const result = await service.initializePayment(actorOf(req), body.bookingId, redirectUrlFor(req));
      res
        .status(result.created ? 201 : 200)
        .json({ ...paymentDto(result.payment), link: result.link, reused: !result.created });
    },
  );

  const htmlPage = (description: string) => ({
    description,
    content: { 'text/html': { schema: { type: 'string' } } },
  });
  // Flutterwave's redirect. The query is a hint of which payment to look at, nothing more.
  api.get(
    '/callback',
    {
      summary: "Flutterwave's redirect back after the hosted checkout (renders an HTML page)",
      description:
        'Flutterwave appends `status`, `tx_ref` and `transaction_id`. None of them is trusted: the tx_ref only names the ' +
        'payment to look at; the payments worker verifies it with Flutterwave (verify_by_reference). The page shows the ' +
        'state we know and turns to "confirmed" live over Socket.io (room of the unguessable tx_ref) or on reload.',
      query: z.object({
        tx_ref: text({ max: 200 }).optional(),
        status: text({ max: 200 }).optional().meta({ description: 'Ignored' }),
        transaction_id: text({ max: 200 }).optional().meta({
          description: 'A hint: verified by id with Flutterwave, never believed (digits only, else ignored)',
        }),
      }),
      responses: {
        200: htmlPage('HTML page with the payment state'),
        404: htmlPage('HTML page: no payment with this tx_ref'),
      },
    },
    async ({ query }, req, res) => {
      // Only a hint of which transaction to verify by id: digits that make a safe integer, else none.
      const rawId = query.transaction_id;
      const transactionId = rawId && /^[1-9][0-9]{0,14}$/.test(rawId) ? Number(rawId) : null;
      const found = await service.handleCallback(query.tx_ref ?? '', transactionId);
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
    },
  );

  // The payload is the provider's: the signature is checked first, and the service reads it.
  api.post(
    '/webhook',
    {
      summary:
        "Flutterwave's webhook (charge.completed, transfer.completed, and the older top-level charge body)",
      description:
        'Authenticated by the `verif-hash` header (your Flutterwave secret hash), compared in constant time. Both charge ' +
        'shapes are accepted: `{ event, data }` and the older top-level body (`{ id, txRef, status, ... }` with `event.type` ' +
        'such as CARD_TRANSACTION). The event is stored once per Flutterwave event, with its raw body, and answered at ' +
        'once; the payments worker verifies the charge with Flutterwave by id before anything is confirmed. Carries no session cookie, so no CSRF token; exempt from the general API rate limit ' +
        '(only failed authentications are limited, per IP).',
      parameters: [{ name: 'verif-hash', in: 'header', required: true, schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      responses: {
        200: {
          description: 'Received (also for a duplicate or an event we do not handle)',
          schema: {
            type: 'object',
            properties: {
              received: { type: 'boolean' },
              duplicate: { type: 'boolean' },
              ignored: { type: 'boolean' },
            },
          },
        },
        401: 'WEBHOOK_SIGNATURE_INVALID: nothing was stored',
        429: 'RATE_LIMITED: too many failed authentications from this address',
      },
    },
    async (_input, req, res) => {
      let result: Awaited<ReturnType<PaymentsService['receiveWebhook']>>;
      try {
        result = await service.receiveWebhook(req.headers['verif-hash'], req.body, rawBodyOf(req));
      } catch (err) {
        // Counted as a failure; over the limit the limiter passes on its 429 instead of our 401.
        if (err instanceof AppError && err.code === 'WEBHOOK_SIGNATURE_INVALID') {
          await new Promise((_resolve, reject) =>
            webhookAuthFailures(req, res, (limited?: unknown) => reject(limited ?? err)),
          );
        }
        throw err;
      }
      res
        .status(200)
        .json({ received: true, duplicate: !result.stored && !result.ignored, ignored: result.ignored });
    },
  );

  api.post(
    '/refunds',
    {
      summary: 'Cancel your CONFIRMED booking for a refund, when the campaign allows it',
      description:
        'Allowed until `refundDeadlineHours` before the campaign starts (no refunds when that is null), or at any time once the ' +
        'campaign was cancelled. The whole payment goes back through Flutterwave; the booking becomes REFUNDED (tickets ' +
        'revoked, stock back on sale) when the refund completes. Asking again answers the same refund (200).',
      ...bookingRequest,
      responses: {
        202: { description: 'The refund, PENDING', schema: refundSchema },
        200: { description: 'The refund already requested for this booking', schema: refundSchema },
        400: 'VALIDATION_FAILED or FIELD_NOT_ALLOWED',
        401: 'Not signed in',
        404: 'BOOKING_NOT_FOUND',
        422: 'BOOKING_NOT_REFUNDABLE, NOTHING_TO_REFUND, REFUNDS_NOT_OFFERED, REFUND_DEADLINE_PASSED',
        429: 'RATE_LIMITED',
      },
    },
    async ({ body }, req, res) => {
      const { refund, created } = await service.requestRefund(actorOf(req), body.bookingId);
      res.status(created ? 202 : 200).json(refundDto(refund));
    },
  );

  api.get(
    '/refunds/:id',
    {
      summary: 'A refund (its buyer, admins)',
      security: 'csrf',
      use: [requireSignIn()],
      params: byId,
      responses: {
        200: { description: 'The refund', schema: refundSchema },
        401: 'Not signed in',
        404: 'REFUND_NOT_FOUND',
      },
    },
    async ({ params }, req, res) => {
      res.json(refundDto(await service.getRefundForActor(actorOf(req), params.id)));
    },
  );

  api.get(
    '/:id',
    {
      summary: 'A payment attempt with its refunds (its buyer, admins)',
      security: 'csrf',
      use: [requireSignIn()],
      params: byId,
      responses: {
        200: {
          description: 'The payment',
          schema: {
            ...paymentSchema,
            properties: { ...paymentSchema.properties, refunds: { type: 'array', items: refundSchema } },
          },
        },
        401: 'Not signed in',
        404: 'PAYMENT_NOT_FOUND',
      },
    },
    async ({ params }, req, res) => {
      const { payment, refunds } = await service.getPaymentForActor(actorOf(req), params.id);
      res.json({ ...paymentDto(payment), refunds: refunds.map(refundDto) });
    },
  );

  return api.module();
}

const byId = z.object({ id: uuid('not a valid id') });
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
