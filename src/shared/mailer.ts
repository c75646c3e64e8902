import nodemailer from 'nodemailer';
import type { Config } from './config';
import { LocalStorage } from './storage';

/**
 * The mail transport: SMTP when SMTP_URL is set, otherwise RFC 5322 .eml files in
 * MAIL_OUTBOX_DIR (the default local run). Both paths build the message with the same
 * nodemailer composer, so a file in the outbox is exactly what SMTP would have carried.
 * This file knows nothing of templates or of who was emailed already: the notifications
 * module owns that (its tables), this is infrastructure like storage.
 */

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: MailAttachment[];
  /** Stable Message-ID (`<local@domain>`): the same email sent again carries the same id. */
  messageId?: string;
  from?: string;
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  response: string;
  /** The .eml file written (outbox mode only). */
  file?: string;
}

export interface Mailer {
  readonly mode: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

/**
 * A failed delivery, classified. `permanent`: the server said no with a 5xx reply and retrying
 * cannot help. `recipientRejected`: that refusal was about the recipient's address (RCPT TO
 * refused, or a 550/551/553 mailbox reply), so the address itself should be recorded as failing.
 * Everything else (4xx replies, connection errors, time-outs, authentication or TLS trouble
 * that an operator can fix) is retryable.
 */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly recipientRejected: boolean,
    readonly responseCode: number | undefined,
    readonly smtpCode: string | undefined,
    readonly response: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailDeliveryError';
  }
}

const MAILBOX_CODES = new Set([550, 551, 553]);

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** Turns whatever nodemailer (or the network) threw into a MailDeliveryError. */
export function classifyMailError(err: unknown): MailDeliveryError {
  if (err instanceof MailDeliveryError) return err;
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // A refused login (535) is 5xx too, but it is our configuration, not the message: retryable.
  const permanent = code !== undefined && code >= 500 && code < 600 && e.code !== 'EAUTH';
  const recipientRejected = permanent && (e.command === 'RCPT TO' || MAILBOX_CODES.has(code!));
  const summary = e.response ?? e.message ?? String(err);
  return new MailDeliveryError(
    `${permanent ? 'permanent' : 'temporary'} mail failure: ${summary}`,
    permanent,
    recipientRejected,
    code,
    e.code,
    e.response,
    { cause: err },
  );
}

function domainOf(address: string): string {
  const m = /@([^>\s]+)>?\s*$/.exec(address);
  return m?.[1] ?? 'localhost';
}

/** The domain used in Message-IDs: the sender's. */
export function messageIdDomain(from: string): string {
  return domainOf(from);
}

type MailConfig = Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_OUTBOX_DIR' | 'SMTP_TIMEOUT_MS'>;

/** The transport the configuration names: SMTP (SMTP_URL) or the .eml outbox folder. */
export function createMailer(config: MailConfig): Mailer {
  return config.SMTP_URL ? createSmtpMailer(config, config.SMTP_URL) : createOutboxMailer(config);
}

function toNodemailer(message: MailMessage, from: string) {
  return {
    from: message.from ?? from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    attachments: message.attachments?.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
    })),
    // Attachments come from our own storage; never let a message body read files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

function createSmtpMailer(config: MailConfig, url: string): Mailer {
  // One connection per message (no pool): a send that times out can be abandoned without
  // disturbing other sends, and its duration is bounded by the three time-outs below, which
  // the notifications module's claim lease relies on.
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: config.SMTP_TIMEOUT_MS,
    greetingTimeout: config.SMTP_TIMEOUT_MS,
    socketTimeout: config.SMTP_TIMEOUT_MS,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    mode: 'smtp',
    async send(message) {
      try {
        const info = await transport.sendMail(toNodemailer(message, config.MAIL_FROM));
        const rejected = (info.rejected ?? []).map(String);
        if (rejected.length) {
          throw new MailDeliveryError(
            `recipient rejected: ${rejected.join(', ')}`,
            true,
            true,
            undefined,
            'EENVELOPE',
            info.response,
          );
        }
        return {
          messageId: info.messageId,
          accepted: (info.accepted ?? []).map(String),
          response: info.response,
        };
      } catch (err) {
        throw classifyMailError(err);
      }
    },
    close: () => transport.close(),
  };
}

function createOutboxMailer(config: MailConfig): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const folder = new LocalStorage(config.MAIL_OUTBOX_DIR);
  return {
    mode: 'outbox',
    async send(message) {
      const info = await transport.sendMail(toNodemailer(message, config.MAIL_FROM));
      const raw = info.message as Buffer;
      // Named after the Message-ID: a message written twice replaces its own file (atomically).
      const name = `${info.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_')}.eml`;
      await folder.put(name, raw);
      return {
        messageId: info.messageId,
        accepted: [message.to],
        response: 'written to outbox',
        file: `${folder.root}/${name}`,
      };
    },
    close: () => transport.close(),
  };
}
