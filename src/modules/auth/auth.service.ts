import type { Clock } from '../../shared/clock';
import { AppError } from '../../shared/errors';
import type { Config } from '../../shared/config';
import { coalescedLoader } from '../../shared/coalesce';
import type { Db, SqlPool, Tx } from '../../shared/db';
import { ROLES, type Actor, type Role } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import type { ApplicationStatus, BusinessType, GrantedRole } from './auth.constants';
import { AuthErrors } from './auth.errors';
import { AuthEvents, type UserRegisteredPayload } from './auth.events';
import * as repo from './auth.repository';

/** What the auth services need from the platform. */
export interface AuthDeps {
  prisma: Db;
  clock: Clock;
  config: Pick<Config, 'ADMIN_EMAILS' | 'FINANCE_EMAILS'>;
}

/** The claims we use from Google's (or the local provider's) userinfo. */
export interface GoogleIdentity {
  sub: string;
  email: string | undefined;
  emailVerified: unknown;
  name: string | undefined;
  pictureUrl: string | undefined;
}

/**
 * A sign-in rush on a busy database waits for a connection and runs longer than Prisma's 2 s / 5 s
 * defaults; past them the person got a 500 (P2028) for a sign-in that was only slow.
 */
const SIGN_IN_TX = { maxWait: 15_000, timeout: 20_000 };

/**
 * Upserts the user by Google subject id, refreshing email, name and picture; refuses a missing
 * or unverified email (an unverified address would let anyone claim a team invitation or an
 * admin email). Grants or revokes SUPER_ADMIN from ADMIN_EMAILS, accepts the team invitations
 * sent to this email, and announces a new user, all in one transaction.
 */
export async function signInWithGoogle(
  deps: AuthDeps,
  identity: GoogleIdentity,
): Promise<{ userId: string; created: boolean }> {
  const email = identity.email?.trim().toLowerCase();
  if (!email) throw AuthErrors.emailMissing();
  // Google sends a boolean; some OpenID providers send the string "true".
  if (identity.emailVerified !== true && identity.emailVerified !== 'true')
    throw AuthErrors.emailNotVerified();
  const name = identity.name?.trim() || email.split('@')[0]!;
  const isAdmin = deps.config.ADMIN_EMAILS.includes(email);
  const isPlatformFinance = deps.config.FINANCE_EMAILS.includes(email);

  return deps.prisma.$transaction(async (tx) => {
    const now = deps.clock.now();
    const user = await repo.upsertGoogleUser(tx, {
      googleSub: identity.sub,
      email,
      name: name.slice(0, 200),
      pictureUrl: identity.pictureUrl ?? null,
      now,
    });
    // ADMIN_EMAILS is the only source of SUPER_ADMIN: removing an address revokes it at the next sign-in.
    // Likewise FINANCE_EMAILS for PLATFORM_FINANCE (withdrawal approvals, reconciliation).
    const roles: GrantedRole[] = user.roles.filter((r) => r !== 'SUPER_ADMIN' && r !== 'PLATFORM_FINANCE');
    if (isAdmin) roles.push('SUPER_ADMIN');
    if (isPlatformFinance) roles.push('PLATFORM_FINANCE');
    if (roles.length !== user.roles.length || !roles.every((r) => user.roles.includes(r))) {
      await repo.setUserRoles(tx, user.id, roles, now);
    }
    await repo.acceptInvitations(tx, email, user.id, now);
    if (user.inserted) {
      await enqueue(
        tx,
        createEvent<UserRegisteredPayload>(AuthEvents.userRegistered, { userId: user.id }, deps.clock),
      );
    }
    return { userId: user.id, created: user.inserted };
  }, SIGN_IN_TX);
}

/**
 * The actor for a user id, read fresh from the database (roles and live memberships), or null
 * when the user no longer exists. Called on every request of a signed-in user.
 */
export async function loadActor(db: Db | Tx, userId: string): Promise<Actor | null> {
  const row = await repo.loadActorRow(db, userId);
  return row ? actorOfRow(row) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * loadActor for the web process's every signed-in request: the users asked for in one event-loop
 * turn are read together in one statement on the pg pool (coalescedLoader), each request still
 * getting its actor as read in this turn (a removed member loses access at their next request,
 * as before). node-postgres rather than Prisma here: this runs on every request, and the Prisma
 * client's per-query work cost about three times the statement's own CPU.
 */
export function loadActorsCoalesced(pool: SqlPool): (userId: string) => Promise<Actor | null> {
  return coalescedLoader<string, Actor | null>(async (ids) => {
    const valid = ids.filter((id) => UUID.test(id));
    const rows = valid.length ? await repo.loadActorRows(pool, valid) : [];
    const byId = new Map(rows.map((r) => [r.id, actorOfRow(r)]));
    return new Map(valid.map((id) => [id, byId.get(id.toLowerCase()) ?? null]));
  }, null);
}

function actorOfRow(row: repo.ActorRow): Actor {
  const roles = new Set<Role>(['CUSTOMER', ...(row.roles as Role[])]);
  for (const m of row.memberships) roles.add(m.role);
  return {
    userId: row.id,
    email: row.email,
    name: row.name,
    roles: ROLES.filter((r) => roles.has(r)),
    memberships: row.memberships,
  };
}

export interface Profile {
  user: { id: string; email: string; name: string; pictureUrl: string | null; createdAt: Date };
  roles: Role[];
  memberships: repo.MembershipView[];
  pendingInvitations: repo.MembershipView[];
  sellerApplication: {
    id: string;
    status: ApplicationStatus;
    businessName: string;
    businessType: BusinessType;
    rejectionReason: string | null;
    createdAt: Date;
    decidedAt: Date | null;
  } | null;
}

/** The actor's own profile: user, roles, team memberships and the latest seller application. */
export async function getProfile(deps: Pick<AuthDeps, 'prisma'>, actor: Actor): Promise<Profile> {
  const [user, memberships, application] = await Promise.all([
    repo.findUser(deps.prisma, actor.userId),
    repo.membershipsOf(deps.prisma, actor.userId, actor.email),
    repo.latestApplicationOf(deps.prisma, actor.userId),
  ]);
  if (!user) throw AppError.unauthenticated();
  return {
    user: {
      id: user.id,
      email: user.email,
      name: user.name,
      pictureUrl: user.pictureUrl,
      createdAt: user.createdAt,
    },
    roles: actor.roles,
    // Only memberships that give rights now (the actor's), so the page never shows a stale one.
    memberships: memberships.filter(
      (m) =>
        m.status === 'ACTIVE' &&
        actor.memberships.some((a) => a.sellerId === m.sellerId && a.role === m.role),
    ),
    pendingInvitations: memberships.filter((m) => m.status === 'INVITED'),
    sellerApplication: application
      ? {
          id: application.id,
          status: application.status,
          businessName: application.businessName,
          businessType: application.businessType,
          rejectionReason: application.rejectionReason,
          createdAt: application.createdAt,
          decidedAt: application.decidedAt,
        }
      : null,
  };
}

export interface UserSummary {
  id: string;
  name: string;
  email: string;
  pictureUrl: string | null;
}

/**
 * Names and emails of users by id, for other modules' pages and emails (missing ids are left
 * out). The caller decides who may see an email: this function does no authorization.
 */
export async function getUserSummaries(db: Db | Tx, ids: string[]): Promise<UserSummary[]> {
  const rows = await repo.findUsers(db, [...new Set(ids)]);
  return rows.map(summaryOf);
}

/** getUserSummaries for one user as part of a caller's single read statement on the pg pool (the tickets worker's issuance). */
export const userSummarySql = {
  read: repo.userSummaryJson,
  parse: (value: unknown): UserSummary | null => (value ? (value as UserSummary) : null),
};

/**
 * Ids of the users whose name or email contains `text`, for searching a campaign's attendees;
 * the caller limits the answer to its own rows (bookings of one campaign). No authorization here.
 */
export async function findUserIdsMatching(db: Db | Tx, text: string, limit = 500): Promise<string[]> {
  return repo.findUserIdsMatching(db, text, limit);
}

function summaryOf(u: repo.UserRow): UserSummary {
  return { id: u.id, name: u.name, email: u.email, pictureUrl: u.pictureUrl };
}

/** The platform admins (SUPER_ADMIN) as they are now: who is told when something needs review. */
export async function listPlatformAdmins(db: Db | Tx): Promise<UserSummary[]> {
  return (await repo.findUsersWithRole(db, 'SUPER_ADMIN')).map(summaryOf);
}

/** The platform finance staff (PLATFORM_FINANCE) as they are now: who is told when a withdrawal waits. */
export async function listPlatformFinance(db: Db | Tx): Promise<UserSummary[]> {
  return (await repo.findUsersWithRole(db, 'PLATFORM_FINANCE')).map(summaryOf);
}

export interface SellerPublicProfile {
  sellerId: string;
  businessName: string;
  businessType: BusinessType;
  country: string;
  description: string;
}

/** What buyers may see about a seller (from their approved application), or null if not a seller. */
export async function getSellerProfile(db: Db | Tx, sellerId: string): Promise<SellerPublicProfile | null> {
  const user = await repo.findUser(db, sellerId);
  if (!user?.roles.includes('SELLER')) return null;
  const application = await repo.latestApprovedApplicationOf(db, sellerId);
  if (!application) return null;
  return {
    sellerId,
    businessName: application.businessName,
    businessType: application.businessType,
    country: application.country,
    description: application.description,
  };
}

/** A seller application's decision as its applicant is told it (for the decision email). */
export interface SellerApplicationSummary {
  id: string;
  userId: string;
  businessName: string;
  businessType: BusinessType;
  country: string;
  status: ApplicationStatus;
  rejectionReason: string | null;
  decidedAt: Date | null;
}

/** One seller application by id, or null. No authorization: for other modules' workers. */
export async function getSellerApplication(
  db: Db | Tx,
  applicationId: string,
): Promise<SellerApplicationSummary | null> {
  const a = await repo.findApplication(db, applicationId);
  if (!a) return null;
  return {
    id: a.id,
    userId: a.userId,
    businessName: a.businessName,
    businessType: a.businessType,
    country: a.country,
    status: a.status,
    rejectionReason: a.rejectionReason,
    decidedAt: a.decidedAt,
  };
}
