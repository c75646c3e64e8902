import crypto from 'node:crypto';
import type { Clock } from './clock';
import { currentContext } from './context';
import type { Db, Tx } from './db';

/**
 * The audit log is shared infrastructure, like the outbox: any module that lets a person make
 * a decision about someone else's data (approving a seller, a withdrawal, a refund) records it
 * here in the decision's own transaction, so the log holds a row exactly when the decision
 * committed. It lives in shared/ rather than in one module because it has no owner's rules:
 * every module writes it the same way and an admin reads it across modules.
 */
export interface AuditEntry {
  /** The user who decided; null for the system (a scheduler, a webhook). */
  actorId: string | null;
  /** `<module>.<thing>.<verb>`, e.g. `seller_application.approve`. */
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  requestId: string | null;
  occurredAt: Date;
}

/** Records one decision on the caller's transaction (a Tx, never the root client). */
export async function recordAudit(tx: Tx, clock: Clock, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      id: crypto.randomUUID(),
      actorId: entry.actorId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: toJson(entry.before),
      after: toJson(entry.after),
      requestId: currentContext()?.requestId ?? null,
      occurredAt: clock.now(),
    },
  });
}

/** The audit trail of one target, oldest first. */
export async function listAudit(
  db: Db | Tx,
  target: { targetType: string; targetId: string },
): Promise<AuditRecord[]> {
  return db.auditLog.findMany({
    where: { targetType: target.targetType, targetId: target.targetId },
    orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
  });
}

function toJson(value: unknown): object | undefined {
  if (value === null || value === undefined) return undefined;
  // Dates and other class instances become their JSON form, as an API would show them.
  return JSON.parse(JSON.stringify(value)) as object;
}
