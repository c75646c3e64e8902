import { z } from 'zod';

/**
 * One typed, validated view of the environment. Every other module reads settings from here,
 * never from process.env. Local defaults work with no .env; production refuses the
 * development secrets and missing ones.
 */

const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-0123456789';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const url = (def: string) => z.url().default(def);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(3000, 0),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: url('http://localhost:3000'),
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
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// URL')
    .default('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_EXCHANGE: z.string().min(1).default('domain'),
  AMQP_PREFETCH: int(16, 1),

  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_SESSION_SECRET),
  SESSION_IDLE_MINUTES: int(60 * 24, 1),
  SESSION_ABSOLUTE_HOURS: int(24 * 14, 1),
  TRUST_PROXY: z.string().default('loopback'),

  BODY_LIMIT: z.string().default('100kb'),
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
  BOOKING_EXPIRY_BATCH_SIZE: int(200, 1),
  IDEMPOTENCY_KEY_TTL_HOURS: int(24, 1),
  BOOKING_RATE_LIMIT_MAX: int(30, 1),
  BOOKING_RATE_LIMIT_WINDOW_MS: int(60_000, 1),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment into a Config, or throws one ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(input);
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
    }
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: must be set in production');
    if (!env.REDIS_URL) problems.push('REDIS_URL: must be set in production');
    if (!env.AMQP_URL) problems.push('AMQP_URL: must be set in production');
    if (!env.PUBLIC_URL) problems.push('PUBLIC_URL: must be set in production');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function redactValue(name: string, value: string): string {
  return /SECRET|KEY|PASSWORD|TOKEN|HASH/i.test(name) ? '***' : value;
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
