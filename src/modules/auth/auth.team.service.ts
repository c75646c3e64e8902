import { recordAudit } from '../../shared/audit';
import { isUniqueViolation } from '../../shared/db';
import { actsForSeller, type Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import type { MemberStatus, TeamRole } from './auth.constants';
import { AuthErrors } from './auth.errors';
import { AuthEvents, type MemberInvitedPayload, type MemberRemovedPayload } from './auth.events';
import * as repo from './auth.repository';
import type { AuthDeps } from './auth.service';

/**
 * A seller's team. Every function acts on the actor's own team (sellerId = the actor), so a
 * seller can never read or change another seller's members: a foreign member id is simply
 * not found. Team changes are decisions about other people's access, so they are audited.
 */

export interface TeamMemberView {
  id: string;
  email: string;
  role: TeamRole;
  status: MemberStatus;
  userId: string | null;
  name: string | null;
  campaignIds: string[];
  invitedAt: Date;
  acceptedAt: Date | null;
}

function sellerOf(actor: Actor): string {
  // Routes already require the SELLER role itself (requireOwnRole); this keeps the rule for any other caller.
  if (!actsForSeller(actor, actor.userId)) throw AuthErrors.notASeller();
  return actor.userId;
}

/** The seller's members and open invitations, oldest first. */
export async function listTeamMembers(
  deps: Pick<AuthDeps, 'prisma'>,
  actor: Actor,
): Promise<TeamMemberView[]> {
  const rows = await repo.listMembers(deps.prisma, sellerOf(actor));
  return rows.map((r) => view(r, r.user?.name ?? null));
}

/**
 * Invites `email` into the seller's team with a role. The invitation becomes a membership
 * when that person signs in with that (verified) email; an invitation event lets the email
 * worker tell them. One row per (seller, email, role), enforced by a unique index.
 */
export async function inviteTeamMember(
  deps: AuthDeps,
  actor: Actor,
  input: { email: string; role: TeamRole },
): Promise<TeamMemberView> {
  const sellerId = sellerOf(actor);
  const email = input.email.trim().toLowerCase();
  if (email === actor.email.toLowerCase()) throw AuthErrors.cannotAddSelf();
  try {
    return await deps.prisma.$transaction(async (tx) => {
      const member = await repo.insertMember(tx, {
        sellerId,
        email,
        role: input.role,
        invitedBy: actor.userId,
        now: deps.clock.now(),
      });
      await recordAudit(tx, deps.clock, {
        actorId: actor.userId,
        action: 'team_member.invite',
        targetType: 'team_member',
        targetId: member.id,
        before: null,
        after: auditView(member),
      });
      await enqueue(
        tx,
        createEvent<MemberInvitedPayload>(
          AuthEvents.memberInvited,
          { memberId: member.id, sellerId, email, role: input.role },
          deps.clock,
        ),
      );
      return view(member, null);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw AuthErrors.memberExists();
    throw err;
  }
}

/**
 * Removes a member (or withdraws an invitation). Rights end at the member's next request:
 * every request re-reads memberships from the database (loadActor), nothing is cached in the
 * session.
 */
export async function removeTeamMember(deps: AuthDeps, actor: Actor, memberId: string): Promise<void> {
  const sellerId = sellerOf(actor);
  await deps.prisma.$transaction(async (tx) => {
    const before = await repo.findMember(tx, sellerId, memberId);
    if (!before) throw AuthErrors.memberNotFound();
    // Deleting by (id, seller_id) is the guard: a concurrent removal makes this one a 404.
    if (!(await repo.deleteMember(tx, sellerId, memberId))) throw AuthErrors.memberNotFound();
    await recordAudit(tx, deps.clock, {
      actorId: actor.userId,
      action: 'team_member.remove',
      targetType: 'team_member',
      targetId: memberId,
      before: auditView(before),
      after: null,
    });
    await enqueue(
      tx,
      createEvent<MemberRemovedPayload>(
        AuthEvents.memberRemoved,
        { memberId, sellerId, userId: before.userId, role: before.role },
        deps.clock,
      ),
    );
  });
}

/**
 * Sets the campaigns a gate manager may scan for (replacing the previous list). Campaign ids
 * are the campaigns module's and are not checked here: authorization to scan always checks
 * the campaign's seller too (canScanCampaign), so a foreign id grants nothing.
 */
export async function assignMemberCampaigns(
  deps: AuthDeps,
  actor: Actor,
  memberId: string,
  campaignIds: string[],
): Promise<TeamMemberView> {
  const sellerId = sellerOf(actor);
  const ids = [...new Set(campaignIds)].sort();
  return deps.prisma.$transaction(async (tx) => {
    // Row lock: two concurrent assignments to one member apply one after the other.
    if (!(await repo.lockMember(tx, sellerId, memberId))) throw AuthErrors.memberNotFound();
    const before = (await repo.findMember(tx, sellerId, memberId))!;
    if (before.role !== 'MANAGER') throw AuthErrors.notAManager();
    await repo.replaceMemberCampaigns(tx, memberId, ids, deps.clock.now());
    const after = (await repo.findMember(tx, sellerId, memberId))!;
    await recordAudit(tx, deps.clock, {
      actorId: actor.userId,
      action: 'team_member.assign_campaigns',
      targetType: 'team_member',
      targetId: memberId,
      before: { campaignIds: before.campaignIds },
      after: { campaignIds: after.campaignIds },
    });
    const users = after.userId ? await repo.findUsers(tx, [after.userId]) : [];
    return view(after, users[0]?.name ?? null);
  });
}

function view(m: repo.MemberRow, name: string | null): TeamMemberView {
  return {
    id: m.id,
    email: m.email,
    role: m.role,
    status: m.status,
    userId: m.userId,
    name,
    campaignIds: m.campaignIds,
    invitedAt: m.createdAt,
    acceptedAt: m.acceptedAt,
  };
}

function auditView(m: repo.MemberRow) {
  return {
    sellerId: m.sellerId,
    email: m.email,
    role: m.role,
    status: m.status,
    userId: m.userId,
    campaignIds: m.campaignIds,
  };
}
