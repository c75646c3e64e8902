/**
 * The notifications module's public API: transactional emails keyed by (event id, template),
 * sent at most once in normal operation, with permanently failing addresses recorded; and in-app
 * notifications (the bell), stored once per user and source event and pushed live to a personal
 * Socket.io room. The email worker calls sendEmailOnce for each event it handles; the transport is
 * src/shared/mailer.ts (SMTP, or .eml files in the outbox folder for local runs). The realtime
 * worker's notification consumers call storeNotifications and pushNotifications.
 */
import type { RequestHandler } from 'express';
import { createSessionReader } from '../../shared/http/session';
import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import type { InAppNotificationsService } from './notifications.inapp';
import { registerNotificationSockets } from './notifications.live';
import { notificationsApi, notificationsPages } from './notifications.routes';

export {
  createNotificationsService,
  notificationsDepsFromConfig,
  normaliseAddress,
  recipientEventId,
  EmailInFlightError,
  type NotificationsService,
  type NotificationsDeps,
  type SendEmailRequest,
  type SendEmailOutcome,
} from './notifications.service';
export {
  renderEmail,
  TEMPLATE_NAMES,
  type TemplateData,
  type TemplateName,
  type RenderedEmail,
} from './notifications.templates';
export type { EmailStatus } from './notifications.repository';
export {
  createInAppNotificationsService,
  NOTIFICATION_KINDS,
  type InAppNotificationsService,
  type NotificationDraft,
  type NotificationDto,
  type NotificationKind,
  type StoredNotifications,
} from './notifications.inapp';
export {
  messages as notificationMessages,
  reachedMilestones,
  SALE_MILESTONES,
  type CampaignFacts,
  type PayoutStage,
  type SaleMilestone,
} from './notifications.messages';
export {
  NOTIFICATION_EVENT,
  NOTIFICATIONS_JOIN,
  pushNotifications,
  userRoomOf,
  type RoomEmitter,
} from './notifications.live';

/**
 * The bell and the notifications page and API. Its middleware puts the signed-in viewer's unread
 * count on every page (`it.unread`), and, once the process serves Socket.io, the flag that makes
 * the layout load the live bell script.
 */
export function notificationsWebModule(platform: Platform, service: InAppNotificationsService): WebModule {
  let live = false;
  const bell: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' || !req.actor || req.path.startsWith('/api/')) return next();
    res.locals.liveNotifications = live;
    service.unreadCount(req.actor.userId).then(
      (n) => {
        res.locals.unreadNotifications = n;
        next();
      },
      // A page still renders when the count cannot be read; the bell then shows no number.
      () => next(),
    );
  };
  return {
    name: 'notifications',
    middleware: [bell],
    api: [notificationsApi(platform, service)],
    pages: notificationsPages(platform, service),
    sockets: (io) => {
      registerNotificationSockets(
        io,
        createSessionReader(platform.config, platform.redis, platform.clock),
        service,
        platform.logger,
      );
      live = true;
    },
  };
}
