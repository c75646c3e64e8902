import type { Tx } from '../../shared/db';

/**
 * The only code that touches the notifications module's tables (sent_emails,
 * email_failed_addresses). Each call is its own statement on the client it is given.
 */

export type EmailStatus = 'SENDING' | 'RETRY' | 'SENT' | 'FAILED' | 'SUPPRESSED';

export interface SentEmailRow {
  id: string;
  eventId: string;
  template: string;
  recipient: string;
  status: EmailStatus;
  attempts: number;
  claimedAt: Date | null;
  messageId: string | null;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/**
 * Claims the right to send (event id, template): inserts a SENDING row, or takes over an
 * existing one that is RETRY (the last attempt failed for sure) or SENDING with a claim older
 * than `staleBefore` (its sender died). Returns the claimed row, or null when someone else holds
 * it or it is already settled (SENT, FAILED, SUPPRESSED). One statement: two claimers serialise
 * on the unique key and only one gets a row back.
 */
export async function claimEmail(
  db: Tx,
  row: { id: string; eventId: string; template: string; recipient: string; now: Date; staleBefore: Date },
): Promise<{ id: string; attempts: number } | null> {
  const rows = await db.$queryRaw<Array<{ id: string; attempts: number }>>`
    INSERT INTO sent_emails (id, event_id, template, recipient, status, attempts, claimed_at, created_at)
    VALUES (${row.id}::uuid, ${row.eventId}::uuid, ${row.template}, ${row.recipient}, 'SENDING', 1, ${row.now}, ${row.now})
    ON CONFLICT (event_id, template) DO UPDATE
      SET status = 'SENDING', attempts = sent_emails.attempts + 1, claimed_at = EXCLUDED.claimed_at
      WHERE sent_emails.status = 'RETRY'
         OR (sent_emails.status = 'SENDING' AND sent_emails.claimed_at < ${row.staleBefore})
    RETURNING id::text AS id, attempts`;
  return rows[0] ?? null;
}

export async function findEmail(db: Tx, eventId: string, template: string): Promise<SentEmailRow | null> {
  return (await db.sentEmail.findUnique({
    where: { eventId_template: { eventId, template } },
  })) as SentEmailRow | null;
}

/** SENDING → a final or retry state; only the holder of the claim (same claimed_at) may settle it. */
export async function settleEmail(
  db: Tx,
  id: string,
  claimedAt: Date,
  data: {
    status: Exclude<EmailStatus, 'SENDING'>;
    messageId?: string;
    lastError?: string | null;
    sentAt?: Date;
  },
): Promise<boolean> {
  const r = await db.sentEmail.updateMany({
    where: { id, status: 'SENDING', claimedAt },
    data: { ...data, claimedAt: data.status === 'RETRY' ? null : claimedAt },
  });
  return r.count === 1;
}

export async function isAddressFailed(db: Tx, address: string): Promise<boolean> {
  return (await db.emailFailedAddress.count({ where: { address } })) > 0;
}

export async function recordFailedAddress(
  db: Tx,
  row: { address: string; responseCode: number | null; response: string; eventId: string; failedAt: Date },
): Promise<void> {
  await db.emailFailedAddress.upsert({
    where: { address: row.address },
    create: row,
    update: {
      responseCode: row.responseCode,
      response: row.response,
      eventId: row.eventId,
      failedAt: row.failedAt,
    },
  });
}

export async function deleteFailedAddress(db: Tx, address: string): Promise<boolean> {
  return (await db.emailFailedAddress.deleteMany({ where: { address } })).count > 0;
}

export async function listFailedAddresses(db: Tx) {
  return db.emailFailedAddress.findMany({ orderBy: { failedAt: 'desc' } });
}
