import { Router } from 'express';
import { defineApi } from '../../shared/http/api';
import { actorOf, requireSignIn } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { pageQuery, parseInput, uuid, z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import type { InAppNotificationsService } from './notifications.inapp';

const byId = z.object({ id: uuid('not a valid id') });
const listQuery = z.object(pageQuery(100));
const readAllBody = z.object({ ids: z.array(uuid('not a valid id')).min(1).max(100).optional() });

function writeLimit(platform: Platform) {
  // Per user across every web process: a person taps a few of these a minute; this stops a script.
  return createRateLimit(platform.redis, platform.config.REDIS_PREFIX, {
    name: 'notifications-write',
    windowMs: 60_000,
    limit: 120,
  });
}

/** The notifications API: the caller's own list with its unread count, mark one read, mark all read. */
export function notificationsApi(platform: Platform, service: InAppNotificationsService): ApiModule {
  const limit = writeLimit(platform);
  const api = defineApi({ name: 'notifications', prefix: '/api/v1/notifications', tags: ['notifications'] });
  const common = { 400: 'VALIDATION_FAILED', 401: 'Not signed in', 429: 'RATE_LIMITED' };

  api.get(
    '/',
    {
      summary: 'Your notifications, newest first, with how many are unread',
      security: 'session',
      use: [requireSignIn()],
      query: listQuery,
      responses: {
        200: '{ items: [{ id, kind, title, body, url, createdAt, readAt }], nextCursor, unreadCount }',
        ...common,
        400: 'VALIDATION_FAILED or INVALID_CURSOR',
      },
    },
    async ({ query }, req, res) => {
      res.json(
        await service.listMyNotifications(actorOf(req), { limit: query.limit ?? 20, cursor: query.cursor }),
      );
    },
  );

  api.post(
    '/:id/read',
    {
      summary: 'Mark one of your notifications read',
      security: 'csrf',
      use: [requireSignIn(), limit],
      params: byId,
      responses: {
        200: '{ notification, unreadCount }',
        ...common,
        404: 'NOTIFICATION_NOT_FOUND (also for anyone else’s)',
      },
    },
    async ({ params }, req, res) => {
      res.json(await service.markNotificationRead(actorOf(req), params.id));
    },
  );

  api.post(
    '/read-all',
    {
      summary: 'Mark all your unread notifications read (or only `ids`)',
      security: 'csrf',
      use: [requireSignIn(), limit],
      body: readAllBody,
      responses: { 200: '{ updated, unreadCount }', ...common },
    },
    async ({ body }, req, res) => {
      res.json(await service.markAllNotificationsRead(actorOf(req), body.ids));
    },
  );

  return api.module();
}

/**
 * `/notifications`: the list (works without JavaScript). Opening the page marks what it shows as
 * read; those that were unread until now carry a "New" badge on this view.
 */
export function notificationsPages(platform: Platform, service: InAppNotificationsService): Router {
  const router = Router();
  const limit = writeLimit(platform);

  router.get('/notifications', requireSignIn(), async (req, res) => {
    const { cursor } = parseInput('query', listQuery, { cursor: req.query.cursor });
    const actor = req.actor!;
    const page = await service.listMyNotifications(actor, { limit: 30, cursor });
    const unreadIds = page.items.filter((n) => !n.readAt).map((n) => n.id);
    const after = unreadIds.length
      ? await service.markAllNotificationsRead(actor, unreadIds)
      : { unreadCount: page.unreadCount };
    res.locals.unreadNotifications = after.unreadCount;
    renderPage(req, res, 'notifications/list', {
      title: 'Notifications',
      items: page.items.map((n) => ({ ...n, isNew: !n.readAt })),
      nextCursor: page.nextCursor,
      unreadCount: after.unreadCount,
    });
  });

  router.post('/notifications/read-all', requireSignIn(), limit, async (req, res) => {
    await service.markAllNotificationsRead(req.actor!);
    res.redirect(303, '/notifications');
  });

  return router;
}
