import { Router } from 'express';
import { actorOf, requireRole } from '../../shared/http/authorize';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import { defineApi } from '../../shared/http/api';
import type { ApiModule } from '../../shared/http/openapi';
import { pageQuery, uuid, z } from '../../shared/http/schema';
import { renderPage } from '../../web/views';
import { paymentDto, refundDto } from './payments.dto';
import type { PaymentsService } from './payments.service';
import type { ReviewContext } from './payments.types';

/*
 * The review queue (SUPER_ADMIN): payments that need a person.
 * - FLAGGED payments: Flutterwave took money for our tx_ref that was not what we asked for (too
 *   little, another currency, an amount that is not exact), so nothing was confirmed. The admin sends it back (a FLAGGED_PAYMENT refund of what
 *   was really charged); the booking is left as it is.
 * - FAILED refunds: the provider refused to refund. The admin tries again (a new refund of the
 *   same money); the failed one stays as history.
 * Both are one transaction with a guarded claim (one active refund per payment) and an audit row;
 * the refunds worker moves the money. There is no platform finance role yet, so this is admins'.
 */

export const REVIEW_PREFIX = '/api/v1/admin/payments';
export const REVIEW_PAGE = '/admin/payments';
const PAGE_SIZE = 50;

const withContext = (c: ReviewContext) => ({
  booking: c.booking,
  buyer: c.buyer,
  campaignTitle: c.campaignTitle,
});

/** One page of FLAGGED payments to review, as `{ items, nextCursor }` (keyset on flaggedAt, id). */
async function flaggedPage(service: PaymentsService, limit: number, cursor?: string) {
  const rows = await service.listFlaggedForReview({
    limit: limit + 1,
    after: cursor ? decodeCursor(cursor) : undefined,
  });
  const page = pageOf(rows, limit, (x) => ({
    at: x.payment.flaggedAt ?? x.payment.updatedAt,
    id: x.payment.id,
  }));
  return {
    items: page.items.map((x) => ({
      ...paymentDto(x.payment),
      problems: x.payment.problems ?? [],
      flaggedAt: x.payment.flaggedAt?.toISOString() ?? null,
      providerTransactionId: x.payment.flwTransactionId,
      ...withContext(x),
    })),
    nextCursor: page.nextCursor,
  };
}

/** One page of FAILED refunds to review, as `{ items, nextCursor }` (keyset on failedAt, id). */
async function failedRefundsPage(service: PaymentsService, limit: number, cursor?: string) {
  const rows = await service.listFailedRefundsForReview({
    limit: limit + 1,
    after: cursor ? decodeCursor(cursor) : undefined,
  });
  const page = pageOf(rows, limit, (x) => ({ at: x.refund.failedAt ?? x.refund.updatedAt, id: x.refund.id }));
  return {
    items: page.items.map((x) => ({ ...refundDto(x.refund), ...withContext(x) })),
    nextCursor: page.nextCursor,
  };
}

const byId = z.object({ id: uuid('not a valid id') });
const pageOfQuery = z.object(pageQuery(100));

export function paymentReviewApi(service: PaymentsService): ApiModule {
  const router = Router();
  router.use(requireRole('SUPER_ADMIN'));
  const api = defineApi({ name: 'payment-review', prefix: REVIEW_PREFIX, tags: ['admin'], router });

  api.get(
    '/flagged',
    {
      summary: 'FLAGGED payments whose money has not been sent back, oldest first (SUPER_ADMIN)',
      security: 'csrf',
      query: pageOfQuery,
      responses: reviewList({
        id: { type: 'string', format: 'uuid' },
        txRef: { type: 'string' },
        amountMinor: { type: 'integer', description: 'What we asked for' },
        currency: { type: 'string' },
        problems: { type: 'array', items: { type: 'string' } },
        flaggedAt: { type: ['string', 'null'], format: 'date-time' },
        providerTransactionId: { type: ['integer', 'null'] },
      }),
    },
    async ({ query }, _req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await flaggedPage(service, query.limit ?? PAGE_SIZE, query.cursor));
    },
  );

  api.get(
    '/failed-refunds',
    {
      summary: 'FAILED refunds not tried again (the latest per payment), oldest first (SUPER_ADMIN)',
      security: 'csrf',
      query: pageOfQuery,
      responses: reviewList({
        id: { type: 'string', format: 'uuid' },
        paymentId: { type: 'string', format: 'uuid' },
        amountMinor: { type: 'integer' },
        currency: { type: 'string' },
        reason: { type: 'string' },
        failureReason: { type: ['string', 'null'] },
        failedAt: { type: ['string', 'null'], format: 'date-time' },
      }),
    },
    async ({ query }, _req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await failedRefundsPage(service, query.limit ?? PAGE_SIZE, query.cursor));
    },
  );

  api.post(
    '/:id/refund',
    {
      summary: "Send a FLAGGED payment's money back (SUPER_ADMIN)",
      description:
        "Reads Flutterwave's record of the charge, then records one PENDING refund (reason FLAGGED_PAYMENT) of the amount " +
        'and currency really charged; the refunds worker carries it out and the buyer is emailed. The booking is not ' +
        'touched. Asking again answers the same refund with 200. Audited (payment.review.refund).',
      security: 'csrf',
      params: byId,
      responses: {
        202: { description: 'Refund requested', schema: refundRef },
        200: {
          description: 'This payment already had a pending or completed refund: that one',
          schema: refundRef,
        },
        400: 'VALIDATION_FAILED: not a valid id',
        ...denied,
        404: 'PAYMENT_NOT_FOUND',
        409: 'PAYMENT_NOT_FLAGGED, NOTHING_CHARGED (the provider reports no successful charge) or PROVIDER_RECORD_UNREADABLE',
        503: 'PROVIDER_UNAVAILABLE: Flutterwave could not be reached; nothing was recorded',
      },
    },
    async ({ params }, req, res) => {
      const { refund, created } = await service.refundFlaggedPayment(actorOf(req), params.id);
      res.status(created ? 202 : 200).json(refundDto(refund));
    },
  );

  api.post(
    '/refunds/:id/retry',
    {
      summary: 'Try a FAILED refund again (SUPER_ADMIN)',
      description:
        'Records a new PENDING refund with the same amount, currency, reason and effect on the booking; the failed one ' +
        'stays as history. At most one pending or completed refund per payment: if one exists (a second click, or the ' +
        "buyer's own new request), it is answered with 200. Audited (refund.retry).",
      security: 'csrf',
      params: byId,
      responses: {
        202: { description: 'Refund requested again', schema: refundRef },
        200: {
          description: 'The payment already had a pending or completed refund: that one',
          schema: refundRef,
        },
        400: 'VALIDATION_FAILED: not a valid id',
        ...denied,
        404: 'REFUND_NOT_FOUND',
        409: 'REFUND_NOT_FAILED',
      },
    },
    async ({ params }, req, res) => {
      const { refund, created } = await service.retryRefund(actorOf(req), params.id);
      res.status(created ? 202 : 200).json(refundDto(refund));
    },
  );

  return api.module();
}

/**
 * The review page: both lists, a button per item (static/js/payment-review.js calls the API),
 * and a "next page" link per list (`?flagged=` / `?refunds=` carry that list's cursor).
 */
export function paymentReviewPages(service: PaymentsService): Router {
  const router = Router();
  const cursorOf = (v: unknown) => (typeof v === 'string' && v.length <= 200 ? v : undefined);
  router.get(REVIEW_PAGE, requireRole('SUPER_ADMIN'), async (req, res) => {
    const flaggedCursor = cursorOf(req.query.flagged);
    const refundsCursor = cursorOf(req.query.refunds);
    const [flagged, refunds] = await Promise.all([
      flaggedPage(service, PAGE_SIZE, flaggedCursor),
      failedRefundsPage(service, PAGE_SIZE, refundsCursor),
    ]);
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'payments/review', {
      title: 'Payments to review',
      flagged,
      refunds,
      flaggedCursor: flaggedCursor ?? '',
      refundsCursor: refundsCursor ?? '',
    });
  });
  return router;
}

const context = {
  booking: {
    type: ['object', 'null'],
    properties: { reference: { type: 'string' }, status: { type: 'string' } },
  },
  buyer: { type: ['object', 'null'], properties: { name: { type: 'string' }, email: { type: 'string' } } },
  campaignTitle: { type: ['string', 'null'] },
};
const refundRef = {
  type: 'object',
  description: 'The refund, as GET /api/v1/payments/refunds/{id} shows it',
};
const denied = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN (not an admin) or CSRF_INVALID' };

/** The responses of a review list: `{ items, nextCursor }` of items with these properties and their context. */
const reviewList = (properties: Record<string, unknown>) => ({
  200: {
    description: '{ items, nextCursor }',
    schema: {
      type: 'object',
      properties: {
        items: { type: 'array', items: { type: 'object', properties: { ...properties, ...context } } },
        nextCursor: { type: ['string', 'null'] },
      },
    },
  },
  400: 'VALIDATION_FAILED or INVALID_CURSOR',
  ...denied,
});
