import crypto from 'node:crypto';
import { Prisma, runSql, type Db, type SqlPool, type Tx } from '../../shared/db';
import type { Membership } from '../../shared/http/authorize';
import type { ApplicationStatus, BusinessType, GrantedRole, MemberStatus, TeamRole } from './auth.constants';

/**
 * The only code that reads or writes the auth module's tables (users, seller_applications,
 * team_members, team_member_campaigns). Returns plain objects; never opens a transaction
 * (services do).
 */

type Client = Db | Tx;

export interface UserRow {
  id: string;
  email: string;
  name: string;
  pictureUrl: string | null;
  roles: GrantedRole[];
  createdAt: Date;
}

export interface ApplicationRow {
  id: string;
  userId: string;
  businessName: string;
  businessType: BusinessType;
  contactPhone: string;
  country: string;
  description: string;
  status: ApplicationStatus;
  rejectionReason: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemberRow {
  id: string;
  sellerId: string;
  email: string;
  role: TeamRole;
  status: MemberStatus;
  userId: string | null;
  invitedBy: string;
  createdAt: Date;
  acceptedAt: Date | null;
  campaignIds: string[];
}

// ---------------------------------------------------------------- users

/**
 * Inserts the user for a Google subject or refreshes its email, name and picture. One
 * statement, so two simultaneous first sign-ins of the same person cannot create two users
 * (the unique google_sub index decides; the loser updates).
 */
export async function upsertGoogleUser(
  tx: Tx,
  u: { googleSub: string; email: string; name: string; pictureUrl: string | null; now: Date },
): Promise<{ id: string; roles: GrantedRole[]; inserted: boolean }> {
  const rows = await tx.$queryRaw<Array<{ id: string; roles: string[]; inserted: boolean }>>`
    INSERT INTO users (id, google_sub, email, name, picture_url, roles, created_at, updated_at, last_sign_in_at)
    VALUES (${crypto.randomUUID()}::uuid, ${u.googleSub}, ${u.email}, ${u.name}, ${u.pictureUrl}, ARRAY[]::text[], ${u.now}, ${u.now}, ${u.now})
    ON CONFLICT (google_sub) DO UPDATE
      SET email = EXCLUDED.email, name = EXCLUDED.name, picture_url = EXCLUDED.picture_url,
          updated_at = EXCLUDED.updated_at, last_sign_in_at = EXCLUDED.last_sign_in_at
    RETURNING id::text AS id, roles, (xmax = 0) AS inserted`;
  const row = rows[0]!;
  return { id: row.id, roles: row.roles as GrantedRole[], inserted: row.inserted };
}

export async function setUserRoles(tx: Tx, userId: string, roles: GrantedRole[], now: Date): Promise<void> {
  await tx.user.update({ where: { id: userId }, data: { roles, updatedAt: now } });
}

/** Adds a role if missing; true when it was added (false when the user already had it). */
export async function grantRole(tx: Tx, userId: string, role: GrantedRole, now: Date): Promise<boolean> {
  const n = await tx.$executeRaw`
    UPDATE users SET roles = array_append(roles, ${role}::text), updated_at = ${now}
    WHERE id = ${userId}::uuid AND NOT (${role}::text = ANY (roles))`;
  return n === 1;
}

export async function findUser(db: Client, id: string): Promise<UserRow | null> {
  const u = await db.user.findUnique({ where: { id } });
  return u ? toUser(u) : null;
}

export async function findUsers(db: Client, ids: string[]): Promise<UserRow[]> {
  if (!ids.length) return [];
  const rows = await db.user.findMany({ where: { id: { in: ids } } });
  return rows.map(toUser);
}

/** A user's id, name, email and picture as one JSON value (null when none), for a caller's single read statement on the pg pool. */
export function userSummaryJson(userId: string): Prisma.Sql {
  return Prisma.sql`(SELECT json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'pictureUrl', u.picture_url)
    FROM users u WHERE u.id = ${userId}::uuid)`;
}

/** Ids of users whose name or email contains `text` (case-insensitive), at most `limit`. */
export async function findUserIdsMatching(db: Client, text: string, limit: number): Promise<string[]> {
  const rows = await db.user.findMany({
    where: {
      OR: [
        { name: { contains: text, mode: 'insensitive' } },
        { email: { contains: text, mode: 'insensitive' } },
      ],
    },
    select: { id: true },
    take: limit,
  });
  return rows.map((r) => r.id);
}

/** Users holding a granted role, oldest account first. */
export async function findUsersWithRole(db: Client, role: GrantedRole): Promise<UserRow[]> {
  const rows = await db.user.findMany({
    where: { roles: { has: role } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(toUser);
}

export interface ActorRow {
  id: string;
  email: string;
  name: string;
  roles: string[];
  memberships: Membership[];
}

/**
 * The user and their live team memberships in one round trip: this runs on every request of
 * a signed-in user. A membership counts only while it is ACTIVE and its seller still holds
 * SELLER, so deleting the row (or revoking the seller) ends the member's rights at their next
 * request.
 */
export async function loadActorRow(db: Client, userId: string): Promise<ActorRow | null> {
  const rows = await db.$queryRaw<ActorRow[]>(actorRowsSql(Prisma.sql`u.id = ${userId}::uuid`));
  return rows[0] ?? null;
}

/**
 * loadActorRow for many users in one statement, on the pg pool under Prisma (the web process's
 * per-request actor load, coalesced per event-loop turn: see loadActorsCoalesced).
 */
export async function loadActorRows(pool: SqlPool, userIds: string[]): Promise<ActorRow[]> {
  return (await runSql<ActorRow>(pool, actorRowsSql(Prisma.sql`u.id = ANY(${userIds}::uuid[])`))).rows;
}

function actorRowsSql(which: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT u.id::text AS id, u.email, u.name, u.roles::text[] AS roles,
      COALESCE(
        (SELECT json_agg(json_build_object(
                  'sellerId', m.seller_id::text,
                  'role', m.role,
                  'campaignIds', COALESCE((SELECT json_agg(c.campaign_id ORDER BY c.campaign_id)
                                           FROM team_member_campaigns c WHERE c.member_id = m.id), '[]'::json))
                ORDER BY m.created_at, m.id)
         FROM team_members m JOIN users s ON s.id = m.seller_id
         WHERE m.user_id = u.id AND m.status = 'ACTIVE' AND 'SELLER' = ANY (s.roles)),
        '[]'::json) AS memberships
    FROM users u WHERE ${which}`;
}

/** Turns the invitations sent to `email` into active memberships of `userId`; returns their ids. */
export async function acceptInvitations(tx: Tx, email: string, userId: string, now: Date): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE team_members SET user_id = ${userId}::uuid, status = 'ACTIVE', accepted_at = ${now}
    WHERE email = ${email} AND status = 'INVITED' AND seller_id <> ${userId}::uuid
    RETURNING id::text AS id`;
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- seller applications

export async function insertApplication(
  tx: Tx,
  a: Pick<
    ApplicationRow,
    'userId' | 'businessName' | 'businessType' | 'contactPhone' | 'country' | 'description'
  > & { now: Date },
): Promise<ApplicationRow> {
  const row = await tx.sellerApplication.create({
    data: {
      id: crypto.randomUUID(),
      userId: a.userId,
      businessName: a.businessName,
      businessType: a.businessType,
      contactPhone: a.contactPhone,
      country: a.country,
      description: a.description,
      status: 'PENDING',
      createdAt: a.now,
      updatedAt: a.now,
    },
  });
  return toApplication(row);
}

export async function findApplication(db: Client, id: string): Promise<ApplicationRow | null> {
  const row = await db.sellerApplication.findUnique({ where: { id } });
  return row ? toApplication(row) : null;
}

export async function latestApplicationOf(db: Client, userId: string): Promise<ApplicationRow | null> {
  const row = await db.sellerApplication.findFirst({
    where: { userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return row ? toApplication(row) : null;
}

export async function latestApprovedApplicationOf(
  db: Client,
  userId: string,
): Promise<ApplicationRow | null> {
  const row = await db.sellerApplication.findFirst({
    where: { userId, status: 'APPROVED' },
    orderBy: [{ decidedAt: 'desc' }, { id: 'desc' }],
  });
  return row ? toApplication(row) : null;
}

export interface ApplicationListRow extends ApplicationRow {
  applicant: { id: string; email: string; name: string };
}

/** Oldest first (a queue), keyset-paginated on (created_at, id). */
export async function listApplications(
  db: Client,
  q: { status?: ApplicationStatus; after?: { createdAt: Date; id: string }; limit: number },
): Promise<ApplicationListRow[]> {
  const where: Prisma.SellerApplicationWhereInput = {
    ...(q.status ? { status: q.status } : {}),
    ...(q.after
      ? {
          OR: [
            { createdAt: { gt: q.after.createdAt } },
            { createdAt: q.after.createdAt, id: { gt: q.after.id } },
          ],
        }
      : {}),
  };
  const rows = await db.sellerApplication.findMany({
    where,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: q.limit,
    include: { user: { select: { id: true, email: true, name: true } } },
  });
  return rows.map((r) => ({ ...toApplication(r), applicant: r.user }));
}

/**
 * Guarded transition PENDING → APPROVED/REJECTED. Returns false when the application was not
 * PENDING any more (another admin decided first, or a double click): the caller then changes
 * nothing else, so a decision, its role grant, audit row and events happen exactly once.
 */
export async function decideApplication(
  tx: Tx,
  id: string,
  d: { status: 'APPROVED' | 'REJECTED'; rejectionReason: string | null; decidedBy: string; now: Date },
): Promise<boolean> {
  const { count } = await tx.sellerApplication.updateMany({
    where: { id, status: 'PENDING' },
    data: {
      status: d.status,
      rejectionReason: d.rejectionReason,
      decidedBy: d.decidedBy,
      decidedAt: d.now,
      updatedAt: d.now,
    },
  });
  return count === 1;
}

// ---------------------------------------------------------------- team

const memberInclude = {
  campaigns: { select: { campaignId: true }, orderBy: { campaignId: 'asc' } },
} as const;

export async function listMembers(
  db: Client,
  sellerId: string,
): Promise<Array<MemberRow & { user: { name: string } | null }>> {
  const rows = await db.teamMember.findMany({
    where: { sellerId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    include: { ...memberInclude, user: { select: { name: true } } },
  });
  return rows.map((r) => ({ ...toMember(r), user: r.user }));
}

export async function findMember(db: Client, sellerId: string, id: string): Promise<MemberRow | null> {
  const row = await db.teamMember.findFirst({ where: { id, sellerId }, include: memberInclude });
  return row ? toMember(row) : null;
}

export async function insertMember(
  tx: Tx,
  m: { sellerId: string; email: string; role: TeamRole; invitedBy: string; now: Date },
): Promise<MemberRow> {
  const row = await tx.teamMember.create({
    data: {
      id: crypto.randomUUID(),
      sellerId: m.sellerId,
      email: m.email,
      role: m.role,
      status: 'INVITED',
      invitedBy: m.invitedBy,
      createdAt: m.now,
    },
    include: memberInclude,
  });
  return toMember(row);
}

/** Deletes the member if it belongs to the seller; its campaign assignments go with it (cascade). */
export async function deleteMember(tx: Tx, sellerId: string, id: string): Promise<boolean> {
  const { count } = await tx.teamMember.deleteMany({ where: { id, sellerId } });
  return count === 1;
}

/** Replaces a member's campaign assignments with exactly `campaignIds`. */
export async function replaceMemberCampaigns(
  tx: Tx,
  memberId: string,
  campaignIds: string[],
  now: Date,
): Promise<void> {
  await tx.teamMemberCampaign.deleteMany({ where: { memberId, campaignId: { notIn: campaignIds } } });
  if (campaignIds.length) {
    await tx.teamMemberCampaign.createMany({
      data: campaignIds.map((campaignId) => ({ memberId, campaignId, assignedAt: now })),
      skipDuplicates: true,
    });
  }
}

/** Locks the member row for the rest of the transaction (serialises concurrent edits of one member). */
export async function lockMember(tx: Tx, sellerId: string, id: string): Promise<boolean> {
  const rows = await tx.$queryRaw<
    unknown[]
  >`SELECT 1 FROM team_members WHERE id = ${id}::uuid AND seller_id = ${sellerId}::uuid FOR UPDATE`;
  return rows.length === 1;
}

export interface MembershipView {
  id: string;
  sellerId: string;
  sellerName: string;
  role: TeamRole;
  status: MemberStatus;
  campaignIds: string[];
  createdAt: Date;
  acceptedAt: Date | null;
}

/** A user's active memberships and the invitations waiting for their email, with the sellers' names. */
export async function membershipsOf(db: Client, userId: string, email: string): Promise<MembershipView[]> {
  const rows = await db.teamMember.findMany({
    where: {
      OR: [
        { userId, status: 'ACTIVE' },
        { email, status: 'INVITED' },
      ],
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    include: { ...memberInclude, seller: { select: { name: true } } },
  });
  return rows.map((r) => {
    const m = toMember(r);
    return {
      id: m.id,
      sellerId: m.sellerId,
      sellerName: r.seller.name,
      role: m.role,
      status: m.status,
      campaignIds: m.campaignIds,
      createdAt: m.createdAt,
      acceptedAt: m.acceptedAt,
    };
  });
}

// ---------------------------------------------------------------- mapping

function toUser(u: {
  id: string;
  email: string;
  name: string;
  pictureUrl: string | null;
  roles: string[];
  createdAt: Date;
}): UserRow {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    pictureUrl: u.pictureUrl,
    roles: u.roles as GrantedRole[],
    createdAt: u.createdAt,
  };
}

function toApplication(r: Prisma.SellerApplicationGetPayload<object>): ApplicationRow {
  return {
    id: r.id,
    userId: r.userId,
    businessName: r.businessName,
    businessType: r.businessType as BusinessType,
    contactPhone: r.contactPhone,
    country: r.country,
    description: r.description,
    status: r.status as ApplicationStatus,
    rejectionReason: r.rejectionReason,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function toMember(
  r: Prisma.TeamMemberGetPayload<object> & { campaigns: Array<{ campaignId: string }> },
): MemberRow {
  return {
    id: r.id,
    sellerId: r.sellerId,
    email: r.email,
    role: r.role as TeamRole,
    status: r.status as MemberStatus,
    userId: r.userId,
    invitedBy: r.invitedBy,
    createdAt: r.createdAt,
    acceptedAt: r.acceptedAt,
    campaignIds: r.campaigns.map((c) => c.campaignId),
  };
}
