import { defineApi } from '../../shared/http/api';
import { actorOf, requireRole, requireSignIn } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { int, pageQuery, text, uuid, z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import type { ReviewsService } from './reviews.service';

const byId = z.object({ id: uuid('not a valid id') });
const reviewText = text({ max: 2000, trim: true });
const reviewBody = z.object({
  bookingId: uuid('not a valid id'),
  rating: int(1, 5),
  body: reviewText.optional(),
});
const editBody = z.object({ rating: int(1, 5), body: reviewText.optional() });
const replyBody = z.object({ body: text({ min: 1, max: 2000, trim: true }) });
const hideBody = z.object({ reason: text({ min: 1, max: 500, trim: true }) });
const listQuery = z.object(pageQuery(50));

/** The reviews API: write, edit, answer, hide, and a campaign's public list. */
export function reviewsRoutes(platform: Platform, service: ReviewsService): ApiModule[] {
  const { redis, config } = platform;
  // Per user across every web process: writing is rare; this stops a script, not a person.
  const writeLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'reviews-write',
    windowMs: 10 * 60_000,
    limit: 30,
  });
  const api = defineApi({ name: 'reviews', prefix: '/api/v1/reviews', tags: ['reviews'] });
  const common = { 400: 'VALIDATION_FAILED', 401: 'Not signed in', 429: 'RATE_LIMITED' };

  api.post(
    '/',
    {
      summary: 'Review a booking of an ended campaign: a rating 1–5 and a short text, once per booking',
      security: 'csrf',
      use: [requireSignIn(), writeLimit],
      body: reviewBody,
      responses: {
        201: 'The review',
        ...common,
        403: 'NOT_A_TICKET_HOLDER',
        409: 'ALREADY_REVIEWED',
        422: 'CAMPAIGN_NOT_ENDED or CAMPAIGN_CANCELLED',
      },
    },
    async ({ body }, req, res) => {
      res.status(201).json(
        await service.createReview(actorOf(req), {
          bookingId: body.bookingId,
          rating: body.rating,
          body: body.body ?? '',
        }),
      );
    },
  );

  api.patch(
    '/:id',
    {
      summary: 'Change your review (within 14 days of writing it)',
      security: 'csrf',
      use: [requireSignIn(), writeLimit],
      params: byId,
      body: editBody,
      responses: { 200: 'The review', ...common, 404: 'REVIEW_NOT_FOUND', 422: 'EDIT_WINDOW_CLOSED' },
    },
    async ({ params, body }, req, res) => {
      res.json(
        await service.updateReview(actorOf(req), params.id, { rating: body.rating, body: body.body ?? '' }),
      );
    },
  );

  api.post(
    '/:id/reply',
    {
      summary: "The campaign's seller answers a review (once)",
      security: 'csrf',
      use: [requireSignIn(), writeLimit],
      params: byId,
      body: replyBody,
      responses: {
        200: 'The review with its answer',
        ...common,
        403: 'NOT_THE_SELLER',
        404: 'REVIEW_NOT_FOUND',
        409: 'ALREADY_ANSWERED',
      },
    },
    async ({ params, body }, req, res) => {
      res.json(await service.replyToReview(actorOf(req), params.id, body.body));
    },
  );

  api.post(
    '/:id/hide',
    {
      summary: 'Hide an abusive review from the public list and the average (admins)',
      security: 'csrf',
      use: [requireRole('SUPER_ADMIN')],
      params: byId,
      body: hideBody,
      responses: { 200: 'The review', ...common, 403: 'Not an admin', 404: 'REVIEW_NOT_FOUND' },
    },
    async ({ params, body }, req, res) => {
      res.json(await service.setReviewHidden(actorOf(req), params.id, { reason: body.reason }));
    },
  );

  api.post(
    '/:id/unhide',
    {
      summary: 'Show a hidden review again (admins)',
      security: 'csrf',
      use: [requireRole('SUPER_ADMIN')],
      params: byId,
      responses: { 200: 'The review', ...common, 403: 'Not an admin', 404: 'REVIEW_NOT_FOUND' },
    },
    async ({ params }, req, res) => {
      res.json(await service.setReviewHidden(actorOf(req), params.id, null));
    },
  );

  const pub = defineApi({ name: 'campaign-reviews', prefix: '/api/v1/campaigns', tags: ['reviews'] });
  pub.get(
    '/:id/reviews',
    {
      summary:
        "A campaign's reviews, newest first, with the average rating (public; admins also see hidden ones)",
      params: byId,
      query: listQuery,
      responses: { 200: '{ summary, items, nextCursor }', 400: 'VALIDATION_FAILED or INVALID_CURSOR' },
    },
    async ({ params, query }, req, res) => {
      res.json(
        await service.listCampaignReviews(req.actor, params.id, {
          limit: query.limit ?? 20,
          cursor: query.cursor,
        }),
      );
    },
  );
  const sellers = defineApi({ name: 'seller-rating', prefix: '/api/v1/sellers', tags: ['reviews'] });
  sellers.get(
    '/:id/rating',
    {
      summary:
        "A seller's average rating and review count across their campaigns (public; hidden reviews left out)",
      params: byId,
      responses: { 200: '{ count, average, byRating }', 400: 'VALIDATION_FAILED' },
    },
    async ({ params }, _req, res) => {
      res.json(await service.getSellerRating(params.id));
    },
  );
  return [api.module(), pub.module(), sellers.module()];
}
