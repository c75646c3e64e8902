import { recordAudit } from '../../shared/audit';
import { isUniqueViolation } from '../../shared/db';
import { isPlatformStaff, type Actor } from '../../shared/http/authorize';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import { createEvent, type DomainEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import type { ApplicationStatus, BusinessType } from './auth.constants';
import { AuthErrors } from './auth.errors';
import {
  AuthEvents,
  type ApplicationDecidedPayload,
  type ApplicationSubmittedPayload,
  type SellerApprovedPayload,
} from './auth.events';
import * as repo from './auth.repository';
import type { AuthDeps } from './auth.service';

export interface ApplyToSellInput {
  businessName: string;
  businessType: BusinessType;
  contactPhone: string;
  country: string;
  description: string;
}

/**
 * Opens a seller application for the actor. One open (PENDING) application per user: the
 * check below gives the friendly answer, and the partial unique index
 * seller_applications_one_pending_per_user makes it hold when two requests race (the loser's
 * insert fails and is answered the same 409).
 */
export async function applyToSell(
  deps: AuthDeps,
  actor: Actor,
  input: ApplyToSellInput,
): Promise<repo.ApplicationRow> {
  if (actor.roles.includes('SELLER')) throw AuthErrors.alreadySeller();
  if (isPlatformStaff(actor.roles)) throw AuthErrors.staffCannotSell();
  try {
    return await deps.prisma.$transaction(async (tx) => {
      const latest = await repo.latestApplicationOf(tx, actor.userId);
      if (latest?.status === 'PENDING') throw AuthErrors.applicationOpen();
      const application = await repo.insertApplication(tx, {
        ...input,
        userId: actor.userId,
        now: deps.clock.now(),
      });
      await enqueue(
        tx,
        createEvent<ApplicationSubmittedPayload>(
          AuthEvents.applicationSubmitted,
          { applicationId: application.id, userId: actor.userId },
          deps.clock,
        ),
      );
      return application;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw AuthErrors.applicationOpen();
    throw err;
  }
}

export interface ApplicationPage {
  items: repo.ApplicationListRow[];
  nextCursor: string | null;
}

/** Applications for the admin queue, oldest first, optionally by status. */
export async function listSellerApplications(
  deps: Pick<AuthDeps, 'prisma'>,
  q: { status?: ApplicationStatus; cursor?: string; limit?: number },
): Promise<ApplicationPage> {
  const limit = q.limit ?? 50;
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  const after = cursor && { createdAt: cursor.at, id: cursor.id };
  const rows = await repo.listApplications(deps.prisma, { status: q.status, after, limit: limit + 1 });
  return pageOf(rows, limit, (a) => ({ at: a.createdAt, id: a.id }));
}

/**
 * Approves a PENDING application: in one transaction the guarded status change, the SELLER
 * role, the audit row and the seller.approved + decision events. If another admin decided
 * first, nothing is written and the answer is 409.
 */
export async function approveSellerApplication(
  deps: AuthDeps,
  admin: Actor,
  applicationId: string,
): Promise<repo.ApplicationRow> {
  return decide(deps, admin, applicationId, 'APPROVED', null);
}

/** Rejects a PENDING application with a reason the applicant sees; audited, with an email event. */
export async function rejectSellerApplication(
  deps: AuthDeps,
  admin: Actor,
  applicationId: string,
  reason: string,
): Promise<repo.ApplicationRow> {
  return decide(deps, admin, applicationId, 'REJECTED', reason);
}

async function decide(
  deps: AuthDeps,
  admin: Actor,
  applicationId: string,
  status: 'APPROVED' | 'REJECTED',
  reason: string | null,
): Promise<repo.ApplicationRow> {
  return deps.prisma.$transaction(async (tx) => {
    const before = await repo.findApplication(tx, applicationId);
    if (!before) throw AuthErrors.applicationNotFound();
    const now = deps.clock.now();
    // The WHERE status = 'PENDING' guard, not the read above, decides who wins a race.
    const decided = await repo.decideApplication(tx, applicationId, {
      status,
      rejectionReason: reason,
      decidedBy: admin.userId,
      now,
    });
    if (!decided) {
      const current = await repo.findApplication(tx, applicationId);
      throw AuthErrors.applicationDecided(current?.status ?? 'unknown');
    }
    const after = (await repo.findApplication(tx, applicationId))!;
    const events: DomainEvent[] = [
      createEvent<ApplicationDecidedPayload>(
        AuthEvents.applicationDecided,
        {
          applicationId,
          userId: after.userId,
          decision: status,
          rejectionReason: reason,
          decidedBy: admin.userId,
        },
        deps.clock,
      ),
    ];
    if (status === 'APPROVED') {
      await repo.grantRole(tx, after.userId, 'SELLER', now);
      events.unshift(
        createEvent<SellerApprovedPayload>(
          AuthEvents.sellerApproved,
          { userId: after.userId, applicationId },
          deps.clock,
        ),
      );
    }
    await recordAudit(tx, deps.clock, {
      actorId: admin.userId,
      action: status === 'APPROVED' ? 'seller_application.approve' : 'seller_application.reject',
      targetType: 'seller_application',
      targetId: applicationId,
      before: decisionView(before),
      after: decisionView(after),
    });
    await enqueue(tx, events);
    return after;
  });
}

/** What the audit log keeps of an application: the decision fields, not the applicant's contact details. */
function decisionView(a: repo.ApplicationRow) {
  return {
    status: a.status,
    userId: a.userId,
    businessName: a.businessName,
    rejectionReason: a.rejectionReason,
    decidedBy: a.decidedBy,
    decidedAt: a.decidedAt,
  };
}
