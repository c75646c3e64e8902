/**
 * The notifications module's public API: transactional emails keyed by (event id, template),
 * sent at most once in normal operation, with permanently failing addresses recorded.
 * The email worker calls sendEmailOnce for each event it handles; the transport is
 * src/shared/mailer.ts (SMTP, or .eml files in the outbox folder for local runs).
 */
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
