import type { Server } from 'socket.io';
import type { SessionReader } from '../../shared/http/session';
import type { Logger } from '../../shared/logger';
import type { InAppNotificationsService, StoredNotifications } from './notifications.inapp';

/*
 * Live notifications over Socket.io. Each signed-in user has a personal room, `user:<id>`, that
 * ONLY the server puts a socket in: at connection, from the session its handshake's cookie names
 * (read from the session store, the same one Express uses). No client message can name a room:
 * `notifications:join` takes no room and answers the caller's own unread count, and a socket that
 * passes another user's id there is refused and joins nothing. A socket without a valid session
 * joins no user room at all. Workers push `notification:new` to the room through the Redis
 * emitter, with the ABSOLUTE unread count, so a lost push is healed by the next one or a reload.
 */

export const NOTIFICATION_EVENT = 'notification:new';
export const NOTIFICATIONS_JOIN = 'notifications:join';
export const userRoomOf = (userId: string) => `user:${userId.toLowerCase()}`;

/** Anything that can emit to a room: the web process's Server or a worker's Redis emitter. */
export interface RoomEmitter {
  to(room: string): { emit(event: string, ...args: unknown[]): unknown };
}

/** Web side: joins every authenticated socket to its user's room; `notifications:join` re-reads the count. */
export function registerNotificationSockets(
  io: Server,
  readSession: SessionReader,
  service: InAppNotificationsService,
  logger: Logger,
): void {
  io.use((socket, next) => {
    readSession(socket.handshake.headers.cookie)
      .then((s) => {
        if (s) socket.data.userId = s.userId.toLowerCase();
      })
      // The session store unreachable: the socket still connects, as an anonymous one.
      .catch((err: Error) => logger.warn('socket session read failed', { err: err.message }))
      .finally(() => next());
  });
  io.on('connection', (socket) => {
    const userId = typeof socket.data.userId === 'string' ? socket.data.userId : null;
    if (userId) void socket.join(userRoomOf(userId));
    socket.on(NOTIFICATIONS_JOIN, async (asked: unknown, ack?: unknown) => {
      const reply =
        typeof ack === 'function'
          ? (ack as (r: object) => void)
          : typeof asked === 'function'
            ? (asked as (r: object) => void)
            : () => undefined;
      const other = typeof asked === 'string' && asked.toLowerCase() !== userId;
      if (!userId || other) return reply({ ok: false });
      await socket.join(userRoomOf(userId));
      const unreadCount = await service.unreadCount(userId).catch(() => null);
      reply({ ok: true, unreadCount });
    });
  });
}

/** Worker side: each stored notification to its user's room, with that user's unread count. */
export function pushNotifications(emitter: RoomEmitter, stored: StoredNotifications): void {
  for (const n of stored.created) {
    const { userId, ...notification } = n;
    emitter
      .to(userRoomOf(userId))
      .emit(NOTIFICATION_EVENT, { notification, unreadCount: stored.unread.get(userId) ?? 0 });
  }
}
