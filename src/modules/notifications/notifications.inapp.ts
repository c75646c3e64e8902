import type { Clock } from '../../shared/clock';
import type { Db, Tx } from '../../shared/db';
import { AppError } from '../../shared/errors';
import type { Actor } from '../../shared/http/authorize';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import * as repo from './notifications.inapp.repository';
import { recipientEventId } from './notifications.service';

/*
 * In-app notifications: what the bell counts and the notifications page lists. Consumers of domain
 * events (workers/realtime/notifications.ts) turn each event into rows here, inside their inbox
 * transaction, and push them live to the user's room (notifications.live.ts).
 *
 * Idempotency, twice over: the consumer's inbox row (consumer, event id) skips a redelivered
 * message, and each notification's (user, source key) is unique, with the source key the event id
 * (or, for a once-only fact like "half sold", a key naming it). So a redelivery, a replay into a
 * new queue, or two workers racing on one event store one notification per user. The row id is a
 * name-based UUID of (user, source key): a push repeated after a crash carries the same id, and a
 * browser that already shows it does not show it twice.
 */

export const NOTIFICATION_KINDS = [
  'BOOKING_CONFIRMED',
  'TICKETS_ISSUED',
  'HOLD_EXPIRING',
  'REFUND_COMPLETED',
  'CAMPAIGN_CHANGED',
  'CAMPAIGN_CANCELLED',
  'WAITLIST_OFFER',
  'APPLICATION_DECIDED',
  'SALE_MILESTONE',
  'LOW_STOCK',
  'PAYOUT_STATUS',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** What a consumer asks to store: the words are final (rendered in the campaign's zone and currency). */
export interface NotificationDraft {
  userId: string;
  kind: NotificationKind;
  /** The domain event's id, or a key naming a once-only fact (`milestone:<campaign>:HALF`). */
  sourceKey: string;
  title: string;
  body: string;
  /** A path on this site (`/bookings/…`): where the notification leads. */
  url: string;
}

export interface NotificationDto {
  id: string;
  kind: string;
  title: string;
  body: string;
  url: string;
  createdAt: string;
  readAt: string | null;
}

export function notificationDto(r: repo.NotificationRow): NotificationDto {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    url: r.url,
    createdAt: r.createdAt.toISOString(),
    readAt: r.readAt ? r.readAt.toISOString() : null,
  };
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** The notifications of a stored batch, and the unread count of every user it touched (absolute). */
export interface StoredNotifications {
  created: Array<NotificationDto & { userId: string }>;
  unread: Map<string, number>;
}

/** The in-app notification use cases. */
export function createInAppNotificationsService(deps: { prisma: Db; clock: Clock }) {
  const { prisma, clock } = deps;

  async function unreadCount(userId: string, db: Db | Tx = prisma): Promise<number> {
    return (await repo.unreadCounts(db, [userId])).get(userId) ?? 0;
  }

  return {
    /**
     * Stores the drafts on the caller's transaction, each (user, source key) once; answers the rows
     * stored now (none for a repeat) and the touched users' unread counts, read in that transaction.
     */
    async storeNotifications(tx: Tx, drafts: NotificationDraft[]): Promise<StoredNotifications> {
      const now = clock.now();
      const rows = drafts
        .filter((d) => d.url.startsWith('/') && !d.url.startsWith('//'))
        .map((d) => ({
          id: recipientEventId(d.sourceKey, d.userId),
          userId: d.userId.toLowerCase(),
          kind: d.kind,
          sourceKey: clip(d.sourceKey, 300),
          title: clip(d.title, 200),
          body: clip(d.body, 1000),
          url: clip(d.url, 500),
          createdAt: now,
        }));
      const inserted = await repo.insertNotifications(tx, rows);
      const unread = await repo.unreadCounts(tx, [...new Set(inserted.map((r) => r.userId))]);
      return { created: inserted.map((r) => ({ ...notificationDto(r), userId: r.userId })), unread };
    },

    /** The actor's own notifications, newest first, keyset-paginated, with their unread count. */
    async listMyNotifications(
      actor: Actor,
      page: { limit: number; cursor?: string },
    ): Promise<{ items: NotificationDto[]; nextCursor: string | null; unreadCount: number }> {
      const after = page.cursor ? decodeCursor(page.cursor) : undefined;
      const rows = await repo.listForUser(prisma, actor.userId, page.limit + 1, after);
      const { items, nextCursor } = pageOf(rows, page.limit, (r) => ({ at: r.createdAt, id: r.id }));
      return { items: items.map(notificationDto), nextCursor, unreadCount: await unreadCount(actor.userId) };
    },

    /** Marks one of the actor's notifications read (the first time counts); 404 for anyone else's. */
    async markNotificationRead(
      actor: Actor,
      id: string,
    ): Promise<{ notification: NotificationDto; unreadCount: number }> {
      const row = await repo.markRead(prisma, actor.userId, id.toLowerCase(), clock.now());
      if (!row) throw AppError.notFound('NOTIFICATION_NOT_FOUND', 'There is no such notification');
      return { notification: notificationDto(row), unreadCount: await unreadCount(actor.userId) };
    },

    /** Marks the actor's unread notifications read (only `ids` when given); answers how many changed. */
    async markAllNotificationsRead(
      actor: Actor,
      ids?: string[],
    ): Promise<{ updated: number; unreadCount: number }> {
      const updated = await repo.markAllRead(prisma, actor.userId, clock.now(), ids);
      return { updated, unreadCount: await unreadCount(actor.userId) };
    },

    /** The bell's number for a user. */
    unreadCount,
  };
}

export type InAppNotificationsService = ReturnType<typeof createInAppNotificationsService>;
