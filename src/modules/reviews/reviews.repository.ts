import type { Db, Tx } from '../../shared/db';

/** The only code that touches the reviews table. */
export interface ReviewRow {
  id: string;
  bookingId: string;
  campaignId: string;
  sellerId: string;
  userId: string;
  authorName: string;
  rating: number;
  body: string;
  editableUntil: Date;
  reply: string | null;
  repliedAt: Date | null;
  repliedBy: string | null;
  hiddenAt: Date | null;
  hiddenBy: string | null;
  hiddenReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export function insertReview(db: Db | Tx, row: ReviewRow): Promise<ReviewRow> {
  return db.review.create({ data: row });
}

export function findReview(db: Db | Tx, id: string): Promise<ReviewRow | null> {
  return db.review.findUnique({ where: { id } });
}

export function findReviewsByBookings(db: Db | Tx, bookingIds: string[]): Promise<ReviewRow[]> {
  return bookingIds.length
    ? db.review.findMany({ where: { bookingId: { in: bookingIds } } })
    : Promise.resolve([]);
}

/** Guarded edit: only the author, only before editable_until. Returns whether a row changed. */
export async function updateOwnReview(
  db: Db | Tx,
  id: string,
  userId: string,
  now: Date,
  data: { rating: number; body: string },
): Promise<boolean> {
  const r = await db.review.updateMany({
    where: { id, userId, editableUntil: { gt: now } },
    data: { ...data, updatedAt: now },
  });
  return r.count === 1;
}

/** Guarded answer: set once (reply IS NULL), so two concurrent answers leave exactly one. */
export async function setReply(
  db: Db | Tx,
  id: string,
  by: string,
  now: Date,
  reply: string,
): Promise<boolean> {
  const r = await db.review.updateMany({
    where: { id, reply: null },
    data: { reply, repliedAt: now, repliedBy: by, updatedAt: now },
  });
  return r.count === 1;
}

export async function setHidden(
  db: Db | Tx,
  id: string,
  hidden: { at: Date; by: string; reason: string } | null,
  now: Date,
): Promise<boolean> {
  const r = await db.review.updateMany({
    where: { id, hiddenAt: hidden ? null : { not: null } },
    data: hidden
      ? { hiddenAt: hidden.at, hiddenBy: hidden.by, hiddenReason: hidden.reason, updatedAt: now }
      : { hiddenAt: null, hiddenBy: null, hiddenReason: null, updatedAt: now },
  });
  return r.count === 1;
}

/** A page of a campaign's reviews, newest first (keyset on created_at, id). */
export function listCampaignReviews(
  db: Db | Tx,
  campaignId: string,
  opts: { limit: number; includeHidden: boolean; after?: { createdAt: Date; id: string } },
): Promise<ReviewRow[]> {
  const after = opts.after;
  return db.review.findMany({
    where: {
      campaignId,
      ...(opts.includeHidden ? {} : { hiddenAt: null }),
      ...(after
        ? {
            OR: [
              { createdAt: { lt: after.createdAt } },
              { createdAt: after.createdAt, id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: opts.limit,
  });
}

/** Count and rating sum of the visible reviews of a campaign (or of every campaign of a seller). */
export async function ratingSummary(
  db: Db | Tx,
  where: { campaignId: string } | { sellerId: string },
): Promise<{ count: number; ratingSum: number; byRating: Record<1 | 2 | 3 | 4 | 5, number> }> {
  const rows = await db.review.groupBy({
    by: ['rating'],
    where: { ...where, hiddenAt: null },
    _count: { _all: true },
  });
  const byRating = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } as Record<1 | 2 | 3 | 4 | 5, number>;
  let count = 0;
  let ratingSum = 0;
  for (const r of rows) {
    byRating[r.rating as 1 | 2 | 3 | 4 | 5] = r._count._all;
    count += r._count._all;
    ratingSum += r.rating * r._count._all;
  }
  return { count, ratingSum, byRating };
}
