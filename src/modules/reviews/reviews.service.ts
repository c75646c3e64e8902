import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { recordAudit } from '../../shared/audit';
import type { Db } from '../../shared/db';
import { unlessUniqueViolation } from '../../shared/db';
import { AppError } from '../../shared/errors';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import { isAdmin, type Actor } from '../../shared/http/authorize';
import type { BookingRecord } from '../bookings';
import type { CampaignRecord } from '../campaigns';
import * as repo from './reviews.repository';
import type { ReviewRow } from './reviews.repository';

/** How long after posting the author may still change a review. */
export const REVIEW_EDIT_WINDOW_MS = 14 * 86_400_000;

/** What the reviews module reads from other modules (their public APIs, wired in the container). */
export interface ReviewsDeps {
  prisma: Db;
  clock: Clock;
  getBooking(bookingId: string): Promise<BookingRecord | null>;
  getCampaign(campaignId: string): Promise<CampaignRecord | null>;
  /** How many of the booking's tickets have been let in at least once (tickets module). */
  usedTickets(bookingId: string): Promise<number>;
  /** The actor's bookings (newest first, at most `limit`), for the campaign page's review form. */
  listMyBookings(actor: Actor, limit: number): Promise<BookingRecord[]>;
}

export const ReviewErrors = {
  notHolder: () =>
    AppError.forbidden('NOT_A_TICKET_HOLDER', 'Only a buyer with a confirmed or used ticket can review.'),
  notEnded: () => AppError.rule('CAMPAIGN_NOT_ENDED', 'Reviews open once the campaign has ended.'),
  cancelled: () => AppError.rule('CAMPAIGN_CANCELLED', 'A cancelled campaign cannot be reviewed.'),
  already: () => AppError.conflict('ALREADY_REVIEWED', 'This booking already has a review: edit it instead.'),
  notFound: () => AppError.notFound('REVIEW_NOT_FOUND', 'No such review'),
  editClosed: () =>
    AppError.rule('EDIT_WINDOW_CLOSED', 'A review can be changed for 14 days after it was written.'),
  notSeller: () =>
    AppError.forbidden('NOT_THE_SELLER', 'Only the seller of the campaign can answer a review.'),
  answered: () => AppError.conflict('ALREADY_ANSWERED', 'This review already has an answer.'),
};

export interface ReviewDto {
  id: string;
  campaignId: string;
  bookingId?: string;
  authorName: string;
  rating: number;
  body: string;
  createdAt: string;
  updatedAt: string;
  editableUntil: string;
  reply: { body: string; at: string } | null;
  hidden: boolean;
  hiddenReason?: string | null;
}

/** Public form of a review; the booking id and the hiding reason go to its author and admins only. */
export function reviewDto(r: ReviewRow, viewer?: Actor): ReviewDto {
  const privileged = Boolean(viewer && (viewer.userId === r.userId || isAdmin(viewer)));
  return {
    id: r.id,
    campaignId: r.campaignId,
    ...(privileged ? { bookingId: r.bookingId } : {}),
    authorName: r.authorName,
    rating: r.rating,
    body: r.body,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    editableUntil: r.editableUntil.toISOString(),
    reply: r.reply && r.repliedAt ? { body: r.reply, at: r.repliedAt.toISOString() } : null,
    hidden: r.hiddenAt !== null,
    ...(viewer && isAdmin(viewer) ? { hiddenReason: r.hiddenReason } : {}),
  };
}

/** "Ada Obi" → "Ada O.": reviews are public, full names are not. */
export function publicName(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return 'A buyer';
  const first = parts[0]!.slice(0, 40);
  const last = parts.length > 1 ? ` ${[...parts[parts.length - 1]!][0]!.toUpperCase()}.` : '';
  return `${first}${last}`;
}

export interface RatingSummary {
  count: number;
  /** Mean of the visible ratings, 2 decimals; null with no reviews. */
  average: number | null;
  byRating: Record<1 | 2 | 3 | 4 | 5, number>;
}

function summaryOf(s: {
  count: number;
  ratingSum: number;
  byRating: RatingSummary['byRating'];
}): RatingSummary {
  return {
    count: s.count,
    average: s.count ? Math.round((s.ratingSum * 100) / s.count) / 100 : null,
    byRating: s.byRating,
  };
}

/*
 * Reviews: a buyer rates a campaign they attended, once per booking.
 * - Who: the booking's own buyer, while the booking is CONFIRMED or one of its tickets was let in
 *   (a refunded booking whose ticket was used still counts: they were there). Anyone else: 403.
 * - When: after the campaign's end (endsAt ≤ now), never for a cancelled campaign (422).
 * - Once per booking: the unique index on reviews.booking_id decides, not a prior read, so two
 *   concurrent posts give one review and one 409 ALREADY_REVIEWED. If the index were missing,
 *   a double click would publish two reviews and count the rating twice in the average.
 * - Edits: the author only, while now < editable_until (created + 14 days), guarded in the UPDATE.
 * - Answer: the campaign's seller (or an admin acting for the platform), once: `reply IS NULL` is
 *   in the UPDATE, so two concurrent answers leave one and the other gets 409.
 * - Hiding: admins only, audited; a hidden review leaves the public list and the average.
 */
export function createReviewsService(deps: ReviewsDeps) {
  const { prisma, clock } = deps;

  async function loadReview(id: string): Promise<ReviewRow> {
    const r = await repo.findReview(prisma, id);
    if (!r) throw ReviewErrors.notFound();
    return r;
  }

  async function eligibleBooking(actor: Actor, booking: BookingRecord | null): Promise<BookingRecord> {
    if (!booking || booking.userId !== actor.userId) throw ReviewErrors.notHolder();
    if (booking.status !== 'CONFIRMED' && (await deps.usedTickets(booking.id)) === 0)
      throw ReviewErrors.notHolder();
    return booking;
  }

  function assertEnded(campaign: CampaignRecord | null, now: Date): CampaignRecord {
    if (!campaign) throw ReviewErrors.notHolder();
    if (campaign.status === 'CANCELLED') throw ReviewErrors.cancelled();
    if (campaign.endsAt.getTime() > now.getTime()) throw ReviewErrors.notEnded();
    return campaign;
  }

  return {
    /** Posts the actor's review of one of their bookings; at most one per booking, ever. */
    async createReview(actor: Actor, input: { bookingId: string; rating: number; body: string }) {
      const booking = await eligibleBooking(actor, await deps.getBooking(input.bookingId));
      const now = clock.now();
      assertEnded(await deps.getCampaign(booking.campaignId), now);
      const row = await unlessUniqueViolation(
        repo.insertReview(prisma, {
          id: crypto.randomUUID(),
          bookingId: booking.id,
          campaignId: booking.campaignId,
          sellerId: booking.sellerId,
          userId: actor.userId,
          authorName: publicName(actor.name),
          rating: input.rating,
          body: input.body,
          editableUntil: new Date(now.getTime() + REVIEW_EDIT_WINDOW_MS),
          reply: null,
          repliedAt: null,
          repliedBy: null,
          hiddenAt: null,
          hiddenBy: null,
          hiddenReason: null,
          createdAt: now,
          updatedAt: now,
        }),
        ReviewErrors.already,
      );
      return reviewDto(row, actor);
    },

    /** Changes the actor's own review while its 14-day window is open. */
    async updateReview(actor: Actor, id: string, input: { rating: number; body: string }) {
      const r = await loadReview(id);
      if (r.userId !== actor.userId) throw ReviewErrors.notFound();
      if (!(await repo.updateOwnReview(prisma, id, actor.userId, clock.now(), input)))
        throw ReviewErrors.editClosed();
      return reviewDto(await loadReview(id), actor);
    },

    /** The campaign's seller answers a review, once. */
    async replyToReview(actor: Actor, id: string, reply: string) {
      const r = await loadReview(id);
      if (!(actor.userId === r.sellerId || isAdmin(actor))) throw ReviewErrors.notSeller();
      if (!(await repo.setReply(prisma, id, actor.userId, clock.now(), reply))) throw ReviewErrors.answered();
      return reviewDto(await loadReview(id), actor);
    },

    /** An admin hides (or shows again) a review; the decision is audited. Idempotent. */
    async setReviewHidden(actor: Actor, id: string, hide: { reason: string } | null) {
      if (!isAdmin(actor)) throw AppError.forbidden('FORBIDDEN', 'Only platform admins can hide reviews.');
      const before = await loadReview(id);
      const now = clock.now();
      await prisma.$transaction(async (tx) => {
        const changed = await repo.setHidden(
          tx,
          id,
          hide ? { at: now, by: actor.userId, reason: hide.reason } : null,
          now,
        );
        if (changed)
          await recordAudit(tx, clock, {
            actorId: actor.userId,
            action: hide ? 'review.hide' : 'review.unhide',
            targetType: 'review',
            targetId: id,
            before: { hidden: before.hiddenAt !== null },
            after: { hidden: Boolean(hide), reason: hide?.reason ?? null },
          });
      });
      return reviewDto(await loadReview(id), actor);
    },

    /** A page of a campaign's reviews (hidden ones only for admins) and its rating summary. */
    async listCampaignReviews(
      viewer: Actor | undefined,
      campaignId: string,
      opts: { limit: number; cursor?: string },
    ) {
      const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
      const [rows, summary] = await Promise.all([
        repo.listCampaignReviews(prisma, campaignId, {
          limit: opts.limit + 1,
          includeHidden: Boolean(viewer && isAdmin(viewer)),
          after: after && { createdAt: after.at, id: after.id },
        }),
        repo.ratingSummary(prisma, { campaignId }),
      ]);
      const page = pageOf(rows, opts.limit, (r) => ({ at: r.createdAt, id: r.id }));
      return {
        summary: summaryOf(summary),
        items: page.items.map((r) => reviewDto(r, viewer)),
        nextCursor: page.nextCursor,
      };
    },

    /** The average and count of a seller's visible reviews across their campaigns. */
    async getSellerRating(sellerId: string): Promise<RatingSummary> {
      return summaryOf(await repo.ratingSummary(prisma, { sellerId }));
    },

    /**
     * What the campaign page shows: the summary, the newest reviews, and for a signed-in viewer
     * the bookings they can still review (after the end) and their own reviews they can edit.
     */
    async campaignSection(viewer: Actor | undefined, campaign: CampaignRecord) {
      const list = await this.listCampaignReviews(viewer, campaign.id, { limit: 20 });
      const now = clock.now();
      const ended = campaign.status !== 'CANCELLED' && campaign.endsAt.getTime() <= now.getTime();
      let reviewable: { id: string; reference: string }[] = [];
      let mine: ReviewDto[] = [];
      if (viewer) {
        const own = (await deps.listMyBookings(viewer, 100)).filter((b) => b.campaignId === campaign.id);
        const reviewed = await repo.findReviewsByBookings(
          prisma,
          own.map((b) => b.id),
        );
        const done = new Set(reviewed.map((r) => r.bookingId));
        mine = reviewed.map((r) => reviewDto(r, viewer));
        if (ended)
          reviewable = own
            .filter((b) => !done.has(b.id) && b.status === 'CONFIRMED')
            .map((b) => ({ id: b.id, reference: b.reference }));
      }
      return {
        ...list,
        ended,
        reviewable,
        mine: mine.filter((r) => Date.parse(r.editableUntil) > now.getTime()),
        canAnswer: Boolean(viewer && (viewer.userId === campaign.sellerId || isAdmin(viewer))),
        canHide: Boolean(viewer && isAdmin(viewer)),
      };
    },
  };
}

export type ReviewsService = ReturnType<typeof createReviewsService>;
