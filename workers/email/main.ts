import { createModules } from '../../src/modules/container';
import { createMailer } from '../../src/shared/mailer';
import { runWorkerProcess } from '../../src/shared/worker';
import { emailConsumers } from './handler';

/**
 * Email worker: the buyer's tickets (PDF attached) on tickets.issued and on a resend request,
 * and plain messages for an expired booking, a completed refund and a seller application's
 * decision. SMTP when SMTP_URL is set; otherwise .eml files in MAIL_OUTBOX_DIR.
 */
runWorkerProcess('email', (platform) => {
  const mailer = createMailer(platform.config);
  platform.logger.info(
    mailer.mode === 'smtp'
      ? 'email goes out over SMTP'
      : `no SMTP_URL: emails are written as .eml files to ${platform.config.MAIL_OUTBOX_DIR}`,
  );
  return {
    consumers: emailConsumers(platform, createModules(platform, { mailer })),
    close: async () => mailer.close(),
  };
});
