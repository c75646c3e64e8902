import type { Db, Tx } from '../../shared/db';

/*
 * The only code that touches the notifications table (in-app notifications). Each call is one
 * statement on the client it is given, so a consumer can write its rows in its inbox transaction.
 */

export interface NotificationRow {
  id: string;
  userId: string;
  kind: string;
  title: string;
  body: string;
  url: string;
  createdAt: Date;
  readAt: Date | null;
}

export interface NewNotificationRow {
  id: string;
  userId: string;
  kind: string;
  sourceKey: string;
  title: string;
  body: string;
  url: string;
  createdAt: Date;
}

type Client = Db | Tx;

/**
 * Inserts the rows that are new; a row whose (user, source) is stored already is left as it is
 * (ON CONFLICT DO NOTHING: two transactions inserting the same key serialise on the unique index,
 * and the second inserts nothing). Answers only the rows inserted now.
 */
export async function insertNotifications(
  db: Client,
  rows: NewNotificationRow[],
): Promise<NotificationRow[]> {
  if (!rows.length) return [];
  const col = <K extends keyof NewNotificationRow>(k: K) => rows.map((r) => r[k]);
  return db.$queryRaw<NotificationRow[]>`
    INSERT INTO notifications (id, user_id, kind, source_key, title, body, url, created_at)
    SELECT * FROM unnest(${col('id')}::uuid[], ${col('userId')}::uuid[], ${col('kind')}::text[],
      ${col('sourceKey')}::text[], ${col('title')}::text[], ${col('body')}::text[], ${col('url')}::text[],
      ${col('createdAt')}::timestamptz[])
    ON CONFLICT (user_id, source_key) DO NOTHING
    RETURNING id::text AS id, user_id::text AS "userId", kind, title, body, url, created_at AS "createdAt",
      read_at AS "readAt"`;
}

/** Unread counts of these users (a user with none is absent). */
export async function unreadCounts(db: Client, userIds: string[]): Promise<Map<string, number>> {
  if (!userIds.length) return new Map();
  const rows = await db.$queryRaw<Array<{ userId: string; n: number }>>`
    SELECT user_id::text AS "userId", count(*)::int AS n FROM notifications
    WHERE user_id = ANY(${userIds}::uuid[]) AND read_at IS NULL GROUP BY user_id`;
  return new Map(rows.map((r) => [r.userId, r.n]));
}

/** A user's notifications, newest first, after a keyset (created_at, id). */
export async function listForUser(
  db: Client,
  userId: string,
  limit: number,
  after?: { at: Date; id: string },
): Promise<NotificationRow[]> {
  return db.notification.findMany({
    where: {
      userId,
      ...(after
        ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
    select: {
      id: true,
      userId: true,
      kind: true,
      title: true,
      body: true,
      url: true,
      createdAt: true,
      readAt: true,
    },
  });
}

/** Marks one of the user's notifications read (once: read_at keeps the first time). False: not theirs. */
export async function markRead(
  db: Client,
  userId: string,
  id: string,
  at: Date,
): Promise<NotificationRow | null> {
  await db.notification.updateMany({ where: { id, userId, readAt: null }, data: { readAt: at } });
  return db.notification.findFirst({
    where: { id, userId },
    select: {
      id: true,
      userId: true,
      kind: true,
      title: true,
      body: true,
      url: true,
      createdAt: true,
      readAt: true,
    },
  });
}

/** Marks the user's unread notifications read (those with these ids, or all); answers how many changed. */
export async function markAllRead(db: Client, userId: string, at: Date, ids?: string[]): Promise<number> {
  const r = await db.notification.updateMany({
    where: { userId, readAt: null, ...(ids ? { id: { in: ids } } : {}) },
    data: { readAt: at },
  });
  return r.count;
}
