import crypto from 'node:crypto';
import { ConfigError, DEV_TICKETS_MASTER_KEY, loadConfig } from '../config';
import { productionEnv } from '../../../test/support/production-env';

const productionBase = {
  ...productionEnv,
  NODE_ENV: 'production',
  SESSION_SECRET: 'a-production-session-secret-of-enough-length',
  DATABASE_URL: 'postgresql://app@db.internal:5432/ticketing',
  REDIS_URL: 'redis://cache.internal:6379/0',
  AMQP_URL: 'amqp://app:pw@mq.internal:5672',
  PUBLIC_URL: 'https://tickets.example.com',
  TICKETS_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
  SMTP_URL: 'smtp://user:pw@mail.internal:587',
  MAIL_FROM: 'Tickets <tickets@example.com>',
  FLUTTERWAVE_BASE_URL: 'https://api.flutterwave.com',
  FLUTTERWAVE_SECRET_KEY: 'FLWSECK-live-0123456789abcdef-X',
  FLUTTERWAVE_PUBLIC_KEY: 'FLWPUBK-live-0123456789abcdef-X',
  FLUTTERWAVE_SECRET_HASH: 'a-webhook-hash-of-our-own-choosing',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env as NodeJS.ProcessEnv);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('configuration of tickets, storage and mail', () => {
  it('when nothing is set in development, then the local defaults apply (dev master key, local folders, .eml outbox)', () => {
    const c = loadConfig({});
    expect(Buffer.from(c.TICKETS_MASTER_KEY, 'base64')).toHaveLength(32);
    expect(c).toMatchObject({ STORAGE_DIR: 'var/storage', MAIL_OUTBOX_DIR: 'var/mail-outbox' });
    expect(c.SMTP_URL).toBeUndefined();
  });

  it('when production has its own secrets, then it loads', () => {
    expect(problems(productionBase)).toEqual([]);
  });

  it('when production has no master key or the development one, then it refuses to start', () => {
    expect(problems({ ...productionBase, TICKETS_MASTER_KEY: undefined })).toEqual([
      expect.stringMatching(/^TICKETS_MASTER_KEY: must be set/),
    ]);
    expect(problems({ ...productionBase, TICKETS_MASTER_KEY: DEV_TICKETS_MASTER_KEY })).toEqual([
      expect.stringMatching(/^TICKETS_MASTER_KEY: must be set/),
    ]);
  });

  it('when production has no SMTP_URL, then it refuses to start rather than write emails to a folder', () => {
    expect(problems({ ...productionBase, SMTP_URL: undefined })).toEqual([
      expect.stringMatching(/^SMTP_URL: must be set/),
    ]);
  });

  it('when production keeps the local sender address, then it refuses to start', () => {
    expect(problems({ ...productionBase, MAIL_FROM: undefined })).toEqual([
      expect.stringMatching(/^MAIL_FROM: must be a sender of your own domain/),
    ]);
  });

  it('when the master key is not 32 bytes of base64 or SMTP_URL is not smtp://, then the value is refused without being echoed', () => {
    const p = problems({ TICKETS_MASTER_KEY: Buffer.alloc(16).toString('base64'), SMTP_URL: 'http://mail' });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^TICKETS_MASTER_KEY: must be 32 bytes.*\(got "\*\*\*"\)$/),
        expect.stringMatching(/^SMTP_URL: must be an smtp/),
      ]),
    );
  });
});
