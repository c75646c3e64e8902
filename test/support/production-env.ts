/**
 * Every setting production requires (secrets of its own, real endpoints), for tests that load
 * the configuration with NODE_ENV=production. A test removes or replaces one value to check
 * the refusal it cares about.
 */
export const productionSecrets = {
  NODE_ENV: 'production',
  SESSION_SECRET: 'a-production-session-secret-of-enough-length',
  PUBLIC_URL: 'https://tickets.example.com',
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'a-google-client-secret',
  TICKETS_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  FINANCE_KEYS: `k1:${Buffer.alloc(32, 8).toString('base64')}`,
  FINANCE_BLIND_INDEX_KEY: Buffer.alloc(32, 9).toString('base64'),
  SMTP_URL: 'smtp://user:pw@mail.internal:587',
  MAIL_FROM: 'Tickets <tickets@example.com>',
  FLUTTERWAVE_BASE_URL: 'https://api.flutterwave.com',
  FLUTTERWAVE_SECRET_KEY: 'FLWSECK-live-0123456789abcdef-X',
  FLUTTERWAVE_PUBLIC_KEY: 'FLWPUBK-live-0123456789abcdef-X',
  FLUTTERWAVE_SECRET_HASH: 'a-webhook-hash-of-our-own-choosing',
  METRICS_TOKEN: 'a-metrics-scrape-token-of-our-own',
} as const;

/** A complete production environment with external service URLs. */
export const productionEnv = {
  ...productionSecrets,
  DATABASE_URL: 'postgresql://app@db.internal:5432/ticketing',
  REDIS_URL: 'redis://cache.internal:6379/0',
  AMQP_URL: 'amqp://app:pw@mq.internal:5672',
} as const;
