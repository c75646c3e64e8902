import winston from 'winston';
import { currentContext } from './context';
import { loggableError } from './errors';

/**
 * Keys whose values never reach a log line, wherever they appear in a logged object.
 * Card fields are on the list because Flutterwave payloads can carry masked card data; payout
 * destinations (account numbers, beneficiaries) because a transfer call or answer carries them.
 */
const SECRET_KEY =
  /pass(word)?|secret|token|authorization|cookie|session|api[-_]?key|verif-hash|card|cvv|cvc|expiry|pan$|pin$|otp|account[-_]?number|beneficiary|destination/i;
const REDACTED = '[redacted]';

/** `scheme://user:password@host` → `scheme://user:***@host`, anywhere in a text (URLs in errors and settings). */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s/?#@]*@/gi, '$1:***@');
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.includes('://') ? redactUrlCredentials(value) : value;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const e = loggableError(value);
    return {
      ...e,
      message: redactUrlCredentials(e.message),
      stack: e.stack && redactUrlCredentials(e.stack),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  if (typeof info.message === 'string' && info.message.includes('://'))
    info.message = redactUrlCredentials(info.message);
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    info[key] = SECRET_KEY.test(key) ? REDACTED : redact(info[key]);
  }
  return info;
});

const contextFormat = winston.format((info) => {
  const ctx = currentContext();
  if (ctx) {
    info.requestId ??= ctx.requestId;
    if (ctx.userId) info.userId ??= ctx.userId;
  }
  return info;
});

export interface LoggerOptions {
  level?: string;
  json?: boolean;
  service?: string;
}

export function createLogger(opts: LoggerOptions = {}): winston.Logger {
  const json = opts.json ?? process.env.NODE_ENV === 'production';
  const base = [
    winston.format.errors({ stack: true }),
    contextFormat(),
    redactFormat(),
    winston.format.timestamp(),
  ];
  const format = json
    ? winston.format.combine(...base, winston.format.json())
    : winston.format.combine(
        ...base,
        winston.format.colorize(),
        winston.format.printf(({ timestamp, level, message, service, requestId, stack, ...rest }) => {
          const id = requestId ? ` [${String(requestId)}]` : '';
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level} ${String(service ?? '')}${id}: ${String(message)}${extra}${stack ? `\n${String(stack)}` : ''}`;
        }),
      );
  return winston.createLogger({
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    defaultMeta: { service: opts.service ?? process.env.SERVICE_NAME ?? 'web' },
    format,
    transports: [new winston.transports.Console({ silent: process.env.LOG_SILENT === 'true' })],
  });
}

/** The process-wide logger. */
export const logger = createLogger();
export type Logger = winston.Logger;
