import crypto from 'node:crypto';
import type { Db, Tx } from './db';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/**
 * Appends to the audit log on the caller's transaction: the entry exists exactly when the
 * decision it records committed. Never updated or deleted.
 */
export async function recordAudit(tx: Tx, entry: AuditEntry, at: Date): Promise<void> {
  await tx.auditLog.create({
    data: {
      id: crypto.randomUUID(),
      actorId: entry.actorId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: entry.before === undefined ? undefined : (JSON.parse(JSON.stringify(entry.before)) as object),
      after: entry.after === undefined ? undefined : (JSON.parse(JSON.stringify(entry.after)) as object),
      createdAt: at,
    },
  });
}

export async function listAudit(db: Db, targetType: string, targetId: string) {
  return db.auditLog.findMany({ where: { targetType, targetId }, orderBy: { createdAt: 'asc' } });
}
