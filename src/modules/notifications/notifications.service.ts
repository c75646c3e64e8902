import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db } from '../../shared/db';
import { InFlightError, isDependencyUnavailable } from '../../shared/errors';
import {
  classifyMailError,
  messageIdDomain,
  type MailAttachment,
  type Mailer,
  type MailDeliveryError,
} from '../../shared/mailer';
import * as repo from './notifications.repository';
import { renderEmail, type TemplateData, type TemplateName } from './notifications.templates';
import { isUuid } from '../../shared/uuid';

export interface NotificationsDeps {
  prisma: Db;
  clock: Clock;
  mailer: Mailer;
  /** MAIL_FROM: the sender, and the domain of our Message-IDs. */
  from: string;
  /**
   * How long a claim on an email protects a send in progress. It must exceed the longest a
   * send can take (the mailer's SMTP time-outs bound it); past it the sender is presumed dead.
   */
  claimLeaseMs: number;
}

/**
 * The email id of one recipient of an event sent to several people (every admin, say): a
 * name-based (version 5 layout) UUID of the event id and the recipient's user id, so that each
 * recipient's email is its own (event id, template) claim, sent once, with its own retries.
 */
export function recipientEventId(eventId: string, recipientId: string): string {
  const h = crypto
    .createHash('sha1')
    .update(`${eventId.toLowerCase()}/${recipientId.toLowerCase()}`)
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export interface SendEmailRequest<K extends TemplateName> {
  /**
   * The domain event that causes this email: with the template, the email's identity. For an
   * event sent to several people, each one's recipientEventId.
   */
  eventId: string;
  template: K;
  to: string;
  data: TemplateData[K];
  attachments?: MailAttachment[];
}

export type SendEmailOutcome =
  | { status: 'SENT'; messageId: string }
  /** Sent earlier for this (event id, template): nothing was sent now. */
  | { status: 'ALREADY_SENT'; messageId: string | null }
  /** The server refused it for good (5xx); not retried. `addressFailed` when the address itself was refused. */
  | { status: 'FAILED'; error: string; addressFailed: boolean }
  /** The address failed permanently before: not sent, not retried. */
  | { status: 'SUPPRESSED' };

/** Another worker holds a fresh claim on this email right now: try again later (retryable). */
export class EmailInFlightError extends InFlightError {
  constructor(eventId: string, template: string) {
    super(`email ${template} for event ${eventId} is being sent by another worker`);
    this.name = 'EmailInFlightError';
  }
}

/** Lower-cased, trimmed address: the key of the failed-address table. */
export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** The notifications module's use cases, bound to the database, clock and mail transport. */
export function createNotificationsService(deps: NotificationsDeps) {
  const { prisma, clock, mailer } = deps;
  const domain = messageIdDomain(deps.from);

  /**
   * Sends the email for (event id, template) at most once in normal operation, insert-then-send:
   *
   * 1. Claim: one statement inserts the sent_emails row as SENDING and commits at once, on its
   *    own connection and not in the caller's transaction, so a rolled-back handler cannot
   *    erase the record of a send that happened. A row already SENT, FAILED or SUPPRESSED ends
   *    here without sending; a fresh SENDING claim means another worker is sending right now
   *    (EmailInFlightError, retryable).
   * 2. Skip addresses recorded as permanently failing (SUPPRESSED).
   * 3. Send, then settle the row: SENT; FAILED on a 5xx (the address is recorded when the
   *    refusal was about it); RETRY on a 4xx or network error, rethrown so that the consumer
   *    retries with back-off and dead-letters after its last attempt (never retried forever).
   *
   * On a crash: before the claim commits, nothing happened and the redelivery starts over. After
   * the claim and before the server accepted the message, the row stays SENDING and the
   * redelivery takes it over once the claim is older than claimLeaseMs, so the email still
   * goes out. The one duplicate window is a crash between the server's 250 reply and the SENT
   * update (milliseconds; PostgreSQL unreachable there is waited out, see settleSent): the
   * takeover sends again, with the same Message-ID, which lets mail clients fold the two together. We choose this over never sending in that window, which
   * would lose tickets emails on every crash during the SMTP conversation.
   */
  async function sendEmailOnce<K extends TemplateName>(req: SendEmailRequest<K>): Promise<SendEmailOutcome> {
    if (!isUuid(req.eventId)) throw new Error(`eventId must be a uuid, got "${req.eventId}"`);
    const to = normaliseAddress(req.to);
    const now = clock.now();
    const claim = await repo.claimEmail(prisma, {
      id: crypto.randomUUID(),
      eventId: req.eventId,
      template: req.template,
      recipient: to,
      now,
      staleBefore: new Date(now.getTime() - deps.claimLeaseMs),
    });
    if (!claim) {
      const row = await repo.findEmail(prisma, req.eventId, req.template);
      if (row?.status === 'SENT') return { status: 'ALREADY_SENT', messageId: row.messageId };
      if (row?.status === 'FAILED')
        return {
          status: 'FAILED',
          error: row.lastError ?? 'failed earlier',
          addressFailed: await repo.isAddressFailed(prisma, row.recipient),
        };
      if (row?.status === 'SUPPRESSED') return { status: 'SUPPRESSED' };
      throw new EmailInFlightError(req.eventId, req.template);
    }
    if (await repo.isAddressFailed(prisma, to)) {
      await repo.settleEmail(prisma, claim.id, now, {
        status: 'SUPPRESSED',
        lastError: 'address failed permanently before',
      });
      return { status: 'SUPPRESSED' };
    }

    const rendered = renderEmail(req.template, req.data);
    const messageId = `<${req.eventId}.${req.template}@${domain}>`;
    let sent: { messageId: string };
    try {
      sent = await mailer.send({ to, ...rendered, attachments: req.attachments, messageId });
    } catch (err) {
      const failure: MailDeliveryError = classifyMailError(err);
      if (!failure.permanent) {
        await repo.settleEmail(prisma, claim.id, now, {
          status: 'RETRY',
          lastError: failure.message.slice(0, 1000),
        });
        throw failure;
      }
      if (failure.recipientRejected) {
        await repo.recordFailedAddress(prisma, {
          address: to,
          responseCode: failure.responseCode ?? null,
          response: (failure.response ?? failure.message).slice(0, 1000),
          eventId: req.eventId,
          failedAt: clock.now(),
        });
      }
      await repo.settleEmail(prisma, claim.id, now, {
        status: 'FAILED',
        lastError: failure.message.slice(0, 1000),
      });
      return { status: 'FAILED', error: failure.message, addressFailed: failure.recipientRejected };
    }
    // The server has the message: from here on a failure to record it is a database failure, never
    // a mail failure (marked RETRY, it would be sent again). Recording SENT is what keeps the
    // redelivery from sending a second copy, so it is retried while PostgreSQL is unreachable, for
    // half the claim's lease: no other worker takes the email over before that.
    await settleSent(claim.id, now, sent.messageId);
    return { status: 'SENT', messageId: sent.messageId };
  }

  async function settleSent(claimId: string, claimedAt: Date, messageId: string): Promise<void> {
    const giveUpAt = Date.now() + deps.claimLeaseMs / 2;
    for (let attempt = 1; ; attempt++) {
      try {
        await repo.settleEmail(prisma, claimId, claimedAt, {
          status: 'SENT',
          messageId,
          lastError: null,
          sentAt: clock.now(),
        });
        return;
      } catch (err) {
        if (!isDependencyUnavailable(err) || Date.now() >= giveUpAt) throw err;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }

  /** The state of the email for (event id, template), or null when it was never attempted. */
  async function getSentEmail(eventId: string, template: TemplateName) {
    return repo.findEmail(prisma, eventId, template);
  }

  /** Addresses a mail server refused permanently, newest first (for admins). */
  async function listFailedAddresses() {
    return repo.listFailedAddresses(prisma);
  }

  /** Lets an address receive email again (the user fixed their mailbox); true if it was recorded. */
  async function clearFailedAddress(address: string): Promise<boolean> {
    return repo.deleteFailedAddress(prisma, normaliseAddress(address));
  }

  return { sendEmailOnce, getSentEmail, listFailedAddresses, clearFailedAddress };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

/**
 * Dependencies from configuration. The claim lease is twice the SMTP time-out: a live send is
 * bounded by those time-outs, and with the default consumer back-off (1 s, 4 s, 16 s, 64 s)
 * the last retry of a crashed send comes after the lease, so it takes the claim over.
 */
export function notificationsDepsFromConfig(
  config: Pick<Config, 'MAIL_FROM' | 'SMTP_TIMEOUT_MS'>,
  rest: Pick<NotificationsDeps, 'prisma' | 'clock' | 'mailer'>,
): NotificationsDeps {
  return { ...rest, from: config.MAIL_FROM, claimLeaseMs: 2 * config.SMTP_TIMEOUT_MS };
}
