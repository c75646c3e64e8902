import { defineApi } from '../../shared/http/api';
import { actorOf, requireSignIn } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { uuid, z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { bookingDto } from '../bookings';
import type { PaymentsService } from './payments.service';

/*
 * "Confirm payment" from the marketplace's published API: POST /api/v1/bookings/:id/confirm. The
 * path is the bookings module's, the work is ours (payments depends on bookings, not the other
 * way round), so this router is mounted by the payments web module under the bookings prefix.
 * It never confirms on the caller's word: it asks Flutterwave now and applies the answer with the
 * same guarded settlement as the worker, then answers the booking's state.
 */

export const BOOKINGS_PREFIX = '/api/v1/bookings';

/** The per-user limit (across every web process) of the payments calls that may reach Flutterwave. */
export function paymentRateLimit({ config, redis }: Pick<Platform, 'config' | 'redis'>) {
  return createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'payments',
    windowMs: config.PAYMENT_RATE_LIMIT_WINDOW_MS,
    limit: config.PAYMENT_RATE_LIMIT_MAX,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });
}

export function confirmPaymentApi(platform: Platform, service: PaymentsService): ApiModule {
  const api = defineApi({ name: 'payments-confirm', prefix: BOOKINGS_PREFIX, tags: ['payments'] });
  api.post(
    '/:id/confirm',
    {
      summary: "Confirm payment: verify the buyer's open payment for this booking with Flutterwave now",
      description:
        "For the booking's buyer. The booking's open payment is verified with Flutterwave at once (by transaction id when " +
        'one is known, else by its tx_ref) and applied like a webhook would be: the booking becomes CONFIRMED only when ' +
        'Flutterwave reports a successful charge of the amount and currency asked for. Answers the booking as it is ' +
        'afterwards (still PENDING when nothing was paid). A booking whose payment settled already is answered as it is. ' +
        'No request body.',
      security: 'csrf',
      use: [requireSignIn(), paymentRateLimit(platform)],
      params: z.object({ id: uuid('not a valid id') }),
      responses: {
        200: { description: 'The booking after verification', schema: confirmedBookingSchema },
        400: 'VALIDATION_FAILED: not a valid id',
        401: 'UNAUTHENTICATED',
        403: 'CSRF_INVALID',
        404: "BOOKING_NOT_FOUND (also for another buyer's booking)",
        409: 'NO_PAYMENT_TO_VERIFY: the booking was never sent to the checkout',
        429: 'RATE_LIMITED',
        503: 'PROVIDER_UNAVAILABLE: Flutterwave did not answer; nothing changed, try again',
      },
    },
    async ({ params }, req, res) => {
      res.json(bookingDto(await service.confirmBookingPayment(actorOf(req), params.id)));
    },
  );
  return api.module();
}

const confirmedBookingSchema = {
  type: 'object',
  description: 'The booking, as GET /api/v1/bookings/{id} shows it',
  required: ['id', 'reference', 'status', 'totalMinor', 'currency'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    reference: { type: 'string' },
    status: { type: 'string', enum: ['PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED'] },
    totalMinor: { type: 'integer' },
    currency: { type: 'string' },
    confirmedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
