import { z } from 'zod';

/**
 * One typed, validated view of the environment. Every other module reads settings from here,
 * never from process.env. Local defaults work with no .env; production refuses the
 * development secrets and missing ones.
 */

const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-0123456789';
// 32 bytes, base64. Encrypts campaign signing keys in a local run only; production refuses it.
export const DEV_TICKETS_MASTER_KEY = Buffer.from('dev-only-tickets-master-key-0000').toString('base64');
// Finance keys of a local run only (payout details at rest, blind index); production refuses them.
export const DEV_FINANCE_KEYS = `dev1:${Buffer.from('dev-only-finance-master-key-0000').toString('base64')}`;
export const DEV_FINANCE_BLIND_INDEX_KEY = Buffer.from('dev-only-finance-blind-index-000').toString('base64');

/**
 * Flutterwave credentials of the local simulator (tools/flutterwave-sim). With these defaults the
 * platform talks to the simulator; production refuses them (see loadConfig).
 */
export const FLUTTERWAVE_DEV_DEFAULTS = {
  FLUTTERWAVE_SECRET_KEY: 'FLWSECK_TEST-local-simulator-secret-key-X',
  FLUTTERWAVE_PUBLIC_KEY: 'FLWPUBK_TEST-local-simulator-public-key-X',
  FLUTTERWAVE_SECRET_HASH: 'dev-only-flutterwave-webhook-hash',
} as const;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
// For the URL settings modules add (provider endpoints); unused until the first one lands.

const url = (def: string) => z.url().default(def);
/** `NGN:10000,KES:500` → { NGN: 10000, KES: 500 }: an amount in minor units per currency. */
const perCurrencyMinor = z
  .string()
  .default('')
  .refine((s) => s.split(',').every((p) => !p.trim() || /^\s*[A-Z]{3}:\d{1,15}\s*$/.test(p)), {
    message: 'must be a list like NGN:10000,KES:500 (minor units per currency)',
  })
  .transform(
    (s) =>
      Object.fromEntries(
        s
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
          .map((p) => [p.slice(0, 3), Number(p.slice(4))] as const),
      ) as Record<string, number>,
  );
const emailList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
  );
const base64Key32 = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
    message: 'must be 32 bytes encoded in base64 (e.g. `openssl rand -base64 32`)',
  });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(3000, 0),
  HOST: z.string().default('127.0.0.1'),
  /** The address people and providers use to reach the web process; defaults to localhost:PORT. */
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug']).default('info'),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://postgres@127.0.0.1:5432/ticketing'),
  DATABASE_POOL_SIZE: int(10, 1),
  MIGRATE_ON_START: bool.default(true),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379/0'),
  REDIS_PREFIX: z.string().default('tm:'),
  /** A Redis command unanswered this long marks its connection dead (src/shared/redis.ts): requests answer 503 within about 1.5×. */
  REDIS_COMMAND_TIMEOUT_MS: int(3000, 50),
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// URL')
    .default('amqp://guest:guest@127.0.0.1:5672'),
  /**
   * A RabbitMQ cluster's nodes, `host:port` comma-separated (`rabbit1:5672,rabbit2:5672,rabbit3:5672`):
   * the client connects to the first that answers and moves to the next when its node goes away.
   * AMQP_URL still gives the user, password and vhost (its host is then not used).
   */
  AMQP_HOSTS: z
    .string()
    .regex(/^([A-Za-z0-9.-]+(:\d{1,5})?(,[A-Za-z0-9.-]+(:\d{1,5})?)*)?$/, 'must be host:port,host:port,...')
    .optional()
    .transform((v) => (v ? v.split(',') : undefined)),
  AMQP_EXCHANGE: z.string().min(1).default('domain'),
  AMQP_PREFETCH: int(16, 1),
  /** When set, GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (required in production). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_SESSION_SECRET),
  // Google sign-in. Without GOOGLE_CLIENT_ID the same strategy talks to the local OpenID
  // provider (tools/oidc-provider) that `npm start` runs; production refuses that.
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  GOOGLE_AUTHORIZATION_URL: z.url().optional(),
  GOOGLE_TOKEN_URL: z.url().optional(),
  GOOGLE_USERINFO_URL: z.url().optional(),
  /** Absolute callback URL registered with Google; default: PUBLIC_URL's in production, else the request's own host. */
  GOOGLE_CALLBACK_URL: z.url().optional(),
  LOCAL_OIDC_URL: url('http://127.0.0.1:4010'),
  /** Comma-separated emails that are SUPER_ADMIN (granted, and revoked when removed, at sign-in). */
  ADMIN_EMAILS: emailList,
  SIGN_IN_RATE_LIMIT_MAX: int(60, 1),
  SIGN_IN_RATE_LIMIT_WINDOW_MS: int(10 * 60_000, 1),
  APPLY_RATE_LIMIT_MAX: int(10, 1),
  APPLY_RATE_LIMIT_WINDOW_MS: int(60 * 60_000, 1),
  SESSION_IDLE_MINUTES: int(60 * 24, 1),
  SESSION_ABSOLUTE_HOURS: int(24 * 14, 1),
  TRUST_PROXY: z.string().default('loopback'),

  BODY_LIMIT: z.string().default('100kb'),
  /** How long an idle keep-alive connection stays open; longer than a proxy's or client's own idle timeout. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(65_000, 1000),
  RATE_LIMIT_WINDOW_MS: int(60_000, 1),
  RATE_LIMIT_MAX: int(300, 1),

  OUTBOX_POLL_MS: int(1000, 10),
  OUTBOX_BATCH_SIZE: int(100, 1),
  CONSUMER_MAX_ATTEMPTS: int(5, 1),
  CONSUMER_RETRY_BASE_MS: int(1000, 1),
  SHUTDOWN_TIMEOUT_MS: int(15_000, 100),
  SCHEDULER_TICK_MS: int(15_000, 50),

  // Bookings: how long a PENDING booking holds its tickets, the expiry job's batch size, how
  // long an Idempotency-Key is remembered, and the per-user cap on reservation requests.
  BOOKING_HOLD_MINUTES: int(15, 1),
  // A buyer may extend a hold once, by this many minutes, never past BOOKING_HOLD_MAX_MINUTES after it was made.
  BOOKING_HOLD_EXTENSION_MINUTES: int(10, 1),
  BOOKING_HOLD_MAX_MINUTES: int(30, 1),
  // The buyer is notified this many minutes before an unpaid hold lapses (0: never).
  BOOKING_EXPIRY_WARNING_MINUTES: int(3, 0),
  BOOKING_EXPIRY_BATCH_SIZE: int(200, 1),
  // How long a waiting-list offer holds its tickets for the person it was made to.
  WAITLIST_OFFER_MINUTES: int(30, 1),
  // Most reservations of one campaign one web process puts in one transaction (see bookings.reserve.ts).
  BOOKING_BATCH_MAX: int(100, 1),
  BOOKING_BATCH_OVERLAP_MIN: int(16, 1),
  // Live counters: a quiet campaign's refresh goes out at once; under load at most one per
  // campaign per this many ms (a hot sale's bookings are folded into one read and one broadcast;
  // 0 = one per event). It is most of the worst case from a booking to the browsers (issue 17:
  // p99 < 250 ms), so it stays well below that; each refresh is one message per watching browser.
  LIVE_COUNTERS_INTERVAL_MS: int(100, 0),
  // Live counters' send budget: messages per second per web process (each refresh of a campaign
  // costs one message per browser watching it). Under it a campaign's refresh goes out at once
  // (after the interval above); past it, refreshes queue in turn, so a hot sale's rooms are
  // refreshed less often instead of falling behind (workers/realtime/handler.ts, createSendBudget).
  // About 11 µs of one core per message on the web process (docs/benchmarks.md, issue 17), more
  // on a browser's; set it to the share of the web's CPU the live feed may take (0 = no budget,
  // the interval alone). Its share falls while a web process's event loop lags (budgetShare).
  LIVE_SEND_BUDGET: int(20_000, 0),
  IDEMPOTENCY_KEY_TTL_HOURS: int(24, 1),
  BOOKING_RATE_LIMIT_MAX: int(30, 1),
  BOOKING_RATE_LIMIT_WINDOW_MS: int(60_000, 1),
  // Gate scans per device (or signed-in person) per window: a busy lane scans one ticket a
  // second; phones behind one venue NAT each have their own bucket.
  SCAN_RATE_LIMIT_MAX: int(600, 1),
  SCAN_RATE_LIMIT_WINDOW_MS: int(60_000, 1),

  // Flutterwave v3. Without a base URL the client talks to the local simulator on its port.
  FLUTTERWAVE_BASE_URL: z.url().optional(),
  FLUTTERWAVE_SECRET_KEY: z.string().min(1).default(FLUTTERWAVE_DEV_DEFAULTS.FLUTTERWAVE_SECRET_KEY),
  FLUTTERWAVE_PUBLIC_KEY: z.string().min(1).default(FLUTTERWAVE_DEV_DEFAULTS.FLUTTERWAVE_PUBLIC_KEY),
  FLUTTERWAVE_SECRET_HASH: z
    .string()
    .min(16, 'must be at least 16 characters')
    .default(FLUTTERWAVE_DEV_DEFAULTS.FLUTTERWAVE_SECRET_HASH),
  FLUTTERWAVE_TIMEOUT_MS: int(10_000, 1),
  FLUTTERWAVE_MAX_RETRIES: int(2, 0),
  FLUTTERWAVE_RETRY_BASE_MS: int(250, 1),
  FLUTTERWAVE_SIM_PORT: int(3102, 0),
  FLUTTERWAVE_SIM_PUBLIC_URL: z.url().optional(),
  FLUTTERWAVE_SIM_WEBHOOK_URL: z.url().optional(),
  FLUTTERWAVE_SIM_CONTROL: bool.default(false),

  // Payouts (workers/payouts). A transfer still NEW/PENDING (or sent with no clear answer) this
  // long after its last look is re-verified with Flutterwave; the daily reconciliation compares
  // the ledger's clearing account with Flutterwave's transfers and balance.
  PAYOUT_RECHECK_AFTER_MINUTES: int(15, 0),
  PAYOUT_RECHECK_EVERY_MS: int(60_000, 50),
  PAYOUT_RECHECK_BATCH_SIZE: int(50, 1),
  PAYOUT_RECONCILE_EVERY_MS: int(24 * 60 * 60_000, 50),
  /** The sender M-Pesa (KES) transfers must name in meta (sender, sender_country, mobile_number). */
  PAYOUT_SENDER_NAME: z.string().min(1).default('Tikiti'),
  PAYOUT_SENDER_COUNTRY: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code')
    .default('NG'),
  PAYOUT_SENDER_MOBILE: z
    .string()
    .regex(/^\d{6,15}$/, 'digits with the country code')
    .default('2340000000000'),

  // Payments. The reconciliation job re-verifies OPEN/FAILED payments with verify_by_reference
  // once they are PAYMENT_RECONCILE_AFTER_MINUTES old, and again every as many minutes, until
  // PAYMENT_ABANDON_AFTER_MINUTES after the checkout closed with nothing paid (then EXPIRED).
  PAYMENT_RECONCILE_AFTER_MINUTES: int(10, 0),
  PAYMENT_RECONCILE_EVERY_MS: int(60_000, 50),
  PAYMENT_RECONCILE_BATCH_SIZE: int(50, 1),
  PAYMENT_ABANDON_AFTER_MINUTES: int(60, 0),
  /** A refund still PENDING this long after its last attempt (its message dead-lettered) is tried again. */
  REFUND_REDRIVE_AFTER_MINUTES: int(30, 1),
  /** A callback page load asks the worker to verify at most once per this many seconds per payment. */
  PAYMENT_VERIFY_COOLDOWN_SECONDS: int(5, 0),
  /** Absolute URL Flutterwave sends the buyer back to; default: PUBLIC_URL's in production, else the request's own host. */
  PAYMENT_REDIRECT_URL: z.url().optional(),
  /** Per user: payment initializations and refund requests (each may call Flutterwave). */
  PAYMENT_RATE_LIMIT_MAX: int(20, 1),
  PAYMENT_RATE_LIMIT_WINDOW_MS: int(60_000, 1),
  /** Per client IP: webhook calls with a wrong or missing verif-hash (authentic ones are never limited). */
  WEBHOOK_AUTH_FAILURE_LIMIT_MAX: int(30, 1),
  WEBHOOK_AUTH_FAILURE_LIMIT_WINDOW_MS: int(60_000, 1),

  // Tickets: AES-256-GCM key that encrypts every campaign's Ed25519 private key at rest.
  TICKETS_MASTER_KEY: base64Key32.default(DEV_TICKETS_MASTER_KEY),
  // Local folder behind the storage interface (ticket PDFs), relative to the working directory.
  STORAGE_DIR: z.string().min(1).default('var/storage'),
  // POST /api/v1/bookings/:id/resend-tickets per user (every resend is an email to their address).
  TICKETS_RESEND_RATE_LIMIT_MAX: int(5, 1),
  TICKETS_RESEND_RATE_LIMIT_WINDOW_MS: int(60 * 60_000, 1),
  // Threads the tickets worker renders PDFs in (worker_threads), beside the thread that reads the
  // queue and the database; 0 = render in that thread. One process then keeps two cores busy.
  TICKETS_RENDER_THREADS: int(1, 0),

  // Finance. FINANCE_EMAILS are the platform finance staff (PLATFORM_FINANCE: approve withdrawals,
  // watch reconciliation), granted and revoked at sign-in like ADMIN_EMAILS.
  FINANCE_EMAILS: emailList,
  // AES-256-GCM keys for payout details, `keyId:base64` comma-separated; the first encrypts new ones.
  FINANCE_KEYS: z
    .string()
    .refine(
      (v) =>
        v.split(',').every((p) => {
          const at = p.indexOf(':');
          return (
            at > 0 &&
            /^[\w-]{1,32}$/.test(p.slice(0, at)) &&
            Buffer.from(p.slice(at + 1), 'base64').length === 32
          );
        }),
      {
        message:
          'must be keyId:base64-of-32-bytes entries, comma-separated (e.g. k1:$(openssl rand -base64 32))',
      },
    )
    .default(DEV_FINANCE_KEYS),
  // HMAC key of the payout methods' blind index (duplicate detection without decrypting); never rotate casually.
  FINANCE_BLIND_INDEX_KEY: base64Key32.default(DEV_FINANCE_BLIND_INDEX_KEY),
  // Platform fee on every payment: basis points of the amount, plus a fixed amount per ticket per currency.
  FINANCE_FEE_BPS: int(500, 0).refine((v) => v <= 10_000, 'at most 10000 (100 %)'),
  FINANCE_FEE_PER_TICKET_MINOR: perCurrencyMinor,
  // Seller money becomes available this many hours after its campaign ended.
  SETTLEMENT_DELAY_HOURS: int(72, 0),
  SETTLEMENT_BATCH_SIZE: int(100, 1),
  // A new payout method pays out only after this many hours (a hijacked session cannot redirect a payout at once).
  FINANCE_METHOD_COOLING_OFF_HOURS: int(24, 0),
  // Smallest withdrawal per currency in minor units (currencies not listed: 1 minor unit).
  FINANCE_WITHDRAWAL_MIN_MINOR: perCurrencyMinor,
  // Per user: finance changes (payout methods, withdrawals, decisions).
  FINANCE_RATE_LIMIT_MAX: int(30, 1),
  FINANCE_RATE_LIMIT_WINDOW_MS: int(60_000, 1),

  // Email: SMTP when SMTP_URL is set (smtp:// or smtps://, credentials in the URL); otherwise
  // every message is written as an .eml file to MAIL_OUTBOX_DIR (local runs only).
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Ticketing <no-reply@localhost>'),
  MAIL_OUTBOX_DIR: z.string().min(1).default('var/mail-outbox'),
  SMTP_TIMEOUT_MS: int(30_000, 100),
});

/** Local OpenID provider client, used only when no Google client id is configured (never in production). */
export const LOCAL_OIDC_CLIENT = { id: 'local-dev-client', secret: 'local-dev-client-secret' } as const;

const GOOGLE_ENDPOINTS = {
  authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
  token: 'https://oauth2.googleapis.com/token',
  // An OpenID userinfo URL (path ends in /userinfo) is parsed by the strategy as standard claims.
  userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
};

const configSchema = schema.transform((c) => {
  const local = !c.GOOGLE_CLIENT_ID;
  const base = c.LOCAL_OIDC_URL.replace(/\/$/, '');
  return {
    ...c,
    PUBLIC_URL: c.PUBLIC_URL ?? `http://localhost:${c.PORT}`,
    // Without a base URL the Flutterwave client talks to the local simulator on its port.
    FLUTTERWAVE_BASE_URL: c.FLUTTERWAVE_BASE_URL ?? `http://127.0.0.1:${c.FLUTTERWAVE_SIM_PORT}`,
    /** True when sign-in goes to the local OpenID provider instead of Google. */
    GOOGLE_LOCAL_PROVIDER: local,
    GOOGLE_CLIENT_ID: c.GOOGLE_CLIENT_ID ?? LOCAL_OIDC_CLIENT.id,
    GOOGLE_CLIENT_SECRET: c.GOOGLE_CLIENT_SECRET ?? (local ? LOCAL_OIDC_CLIENT.secret : ''),
    GOOGLE_AUTHORIZATION_URL:
      c.GOOGLE_AUTHORIZATION_URL ?? (local ? `${base}/authorize` : GOOGLE_ENDPOINTS.authorization),
    GOOGLE_TOKEN_URL: c.GOOGLE_TOKEN_URL ?? (local ? `${base}/token` : GOOGLE_ENDPOINTS.token),
    GOOGLE_USERINFO_URL: c.GOOGLE_USERINFO_URL ?? (local ? `${base}/userinfo` : GOOGLE_ENDPOINTS.userinfo),
  };
});

export type Config = z.infer<typeof configSchema>;

/** Every environment variable the configuration reads (derived values like GOOGLE_LOCAL_PROVIDER are not settings). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape).sort();

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment into a Config, or throws one ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(input);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      const given = name in input ? ` (got "${redactValue(name, String(input[name]))}")` : '';
      problems.push(`${name}: ${issue.message}${given}`);
    }
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  if (config.NODE_ENV === 'production') {
    if (!env.SESSION_SECRET || config.SESSION_SECRET === DEV_SESSION_SECRET) {
      problems.push('SESSION_SECRET: must be set to a secret of your own in production');
    } else if (estimatedEntropyBits(config.SESSION_SECRET) < MIN_SECRET_BITS) {
      problems.push(
        `SESSION_SECRET: looks guessable (about ${Math.floor(estimatedEntropyBits(config.SESSION_SECRET))} bits); use 32+ random characters, e.g. \`openssl rand -base64 48\``,
      );
    }
    if (!env.METRICS_TOKEN)
      problems.push('METRICS_TOKEN: must be set in production (Prometheus sends it as a bearer token)');
    for (const name of HTTPS_IN_PRODUCTION) {
      const value = config[name];
      if (typeof value === 'string' && !isSecureUrl(value))
        problems.push(`${name}: must be an https:// URL in production (http:// only for localhost)`);
    }
    if (config.GOOGLE_CLIENT_ID === LOCAL_OIDC_CLIENT.id)
      problems.push('GOOGLE_CLIENT_ID: the local sign-in client is for development only');
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: must be set in production');
    if (!env.REDIS_URL) problems.push('REDIS_URL: must be set in production');
    if (!env.AMQP_URL) problems.push('AMQP_URL: must be set in production');
    if (!env.PUBLIC_URL) problems.push('PUBLIC_URL: must be set in production');
    for (const [name, devValue] of Object.entries(FLUTTERWAVE_DEV_DEFAULTS)) {
      if (!env[name] || config[name as keyof typeof FLUTTERWAVE_DEV_DEFAULTS] === devValue) {
        problems.push(`${name}: must be set to your Flutterwave account's value in production`);
      }
    }
    if (!env.FLUTTERWAVE_BASE_URL) {
      problems.push('FLUTTERWAVE_BASE_URL: must be set in production (https://api.flutterwave.com)');
    } else if (!config.FLUTTERWAVE_BASE_URL.startsWith('https://')) {
      problems.push('FLUTTERWAVE_BASE_URL: must be an https:// URL in production');
    }
    if (!env.TICKETS_MASTER_KEY || config.TICKETS_MASTER_KEY === DEV_TICKETS_MASTER_KEY) {
      problems.push('TICKETS_MASTER_KEY: must be set to a key of your own in production');
    }
    if (!env.FINANCE_KEYS || config.FINANCE_KEYS === DEV_FINANCE_KEYS) {
      problems.push('FINANCE_KEYS: must be set to keys of your own in production');
    }
    if (!env.FINANCE_BLIND_INDEX_KEY || config.FINANCE_BLIND_INDEX_KEY === DEV_FINANCE_BLIND_INDEX_KEY) {
      problems.push('FINANCE_BLIND_INDEX_KEY: must be set to a key of your own in production');
    }
    // The .eml outbox is for local runs: in production it would silently keep every email.
    if (!env.SMTP_URL) problems.push('SMTP_URL: must be set in production');
    if (/@localhost>?\s*$/i.test(config.MAIL_FROM))
      problems.push('MAIL_FROM: must be a sender of your own domain in production');
    // The local provider signs anyone in as any email: it must never guard a real deployment.
    if (config.GOOGLE_LOCAL_PROVIDER)
      problems.push(
        'GOOGLE_CLIENT_ID: must be set in production (the local sign-in provider is for development)',
      );
    else if (!config.GOOGLE_CLIENT_SECRET)
      problems.push('GOOGLE_CLIENT_SECRET: must be set with GOOGLE_CLIENT_ID');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/**
 * True when the platform runs against the local Flutterwave simulator (no real keys configured):
 * `npm start` then starts the simulator and pages show the sandbox badge.
 */
export function usesFlutterwaveSimulator(config: Config): boolean {
  return config.FLUTTERWAVE_SECRET_KEY === FLUTTERWAVE_DEV_DEFAULTS.FLUTTERWAVE_SECRET_KEY;
}

/** URLs people's browsers or our servers follow: plain http in production leaks sessions, tokens and payments. */
const HTTPS_IN_PRODUCTION = [
  'PUBLIC_URL',
  'GOOGLE_AUTHORIZATION_URL',
  'GOOGLE_TOKEN_URL',
  'GOOGLE_USERINFO_URL',
  'GOOGLE_CALLBACK_URL',
  'PAYMENT_REDIRECT_URL',
] as const;

function isSecureUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:') return true;
    // A trial of the production build on one's own machine (docker compose up on localhost).
    return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

/**
 * The estimate below reads 32 random hex digits (128 real bits) as about 114 bits, so the bar
 * sits under that; what it is for is refusing the usual mistakes, which score far lower.
 */
const MIN_SECRET_BITS = 96;

/**
 * A rough upper bound of a secret's entropy: the length of its shortest repeating unit times
 * the Shannon entropy of that unit's characters. It cannot prove a secret random, but it
 * refuses the usual mistakes (one character repeated, `0123456789` or a word typed over and
 * over) that a length check lets through.
 */
export function estimatedEntropyBits(secret: string): number {
  const chars = [...secret];
  let period = chars.length;
  for (let p = 1; p < chars.length; p++) {
    if (chars.every((ch, i) => i < p || ch === chars[i - p])) {
      period = p;
      break;
    }
  }
  const unit = chars.slice(0, period);
  const counts = new Map<string, number>();
  for (const ch of unit) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = unit.length;
  let perChar = 0;
  for (const c of counts.values()) perChar -= (c / n) * Math.log2(c / n);
  return perChar * n;
}

function redactValue(name: string, value: string): string {
  if (/SECRET|KEY|PASSWORD|TOKEN|HASH/i.test(name)) return '***';
  // Connection URLs carry their password (DATABASE_URL, REDIS_URL, AMQP_URL, SMTP_URL).
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s/?#@]*@/i, '$1:***@');
}

let cached: Config | undefined;

/** The process-wide configuration, parsed once. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Loads ./.env (if present) into process.env without overriding what is already set. */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
