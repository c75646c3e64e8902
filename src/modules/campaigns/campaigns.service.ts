import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import { AppError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import { isUniqueViolation, unlessUniqueViolation, type Db, type Tx } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { actsForSeller, isAdmin } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import { CampaignErrors } from './campaigns.errors';
import { CampaignEvents } from './campaigns.events';
import * as repo from './campaigns.repository';
import type { CampaignRecord, CampaignStatus, TicketTypeRecord } from './campaigns.types';

export interface CampaignDeps {
  prisma: Db;
  clock: Clock;
}

export interface CampaignInput {
  kind: CampaignRecord['kind'];
  title: string;
  slug?: string;
  description?: string;
  venueName: string;
  venueAddress: string;
  city: string;
  country: string;
  latitude?: number | null;
  longitude?: number | null;
  startsAt: Date;
  endsAt: Date;
  timezone: string;
  saleStartsAt?: Date | null;
  saleEndsAt?: Date | null;
  currency: string;
  tags?: string[];
  maxTicketsPerCustomer?: number;
  entryMode?: 'SINGLE' | 'MULTI';
  scansPerTicket?: number;
  refundPolicy?: string;
  refundDeadlineHours?: number | null;
}

export type CampaignPatch = Partial<CampaignInput>;

/** What other modules do inside a campaign's own transitions (wired in the module registry). */
export interface CampaignHooks {
  /** Runs in the publish transaction, after the checks: a failure rolls the publication back. */
  onPublish?: (tx: Tx, campaign: CampaignRecord) => Promise<void>;
}

// After publication: buyers hold prices in this currency, links carry the slug and issued
// tickets carry their entry rules, so those stay fixed.
const PUBLISHED_CAMPAIGN_FIELDS: ReadonlyArray<keyof CampaignInput> = [
  'title',
  'description',
  'venueName',
  'venueAddress',
  'city',
  'country',
  'latitude',
  'longitude',
  'startsAt',
  'endsAt',
  'timezone',
  'saleStartsAt',
  'saleEndsAt',
  'tags',
  'maxTicketsPerCustomer',
  'refundPolicy',
  'refundDeadlineHours',
];

/** Fields a seller may change, by campaign state. Everything else is refused with 400. */
export const EDITABLE_CAMPAIGN_FIELDS: Record<CampaignStatus, ReadonlyArray<keyof CampaignInput>> = {
  // A draft can also change what publication fixes.
  DRAFT: [...PUBLISHED_CAMPAIGN_FIELDS, 'kind', 'slug', 'currency', 'entryMode', 'scansPerTicket'],
  // After publication: buyers hold prices in this currency, links carry the slug and issued
  // tickets carry their entry rules, so those stay fixed.
  ACTIVE: PUBLISHED_CAMPAIGN_FIELDS,
  PAUSED: PUBLISHED_CAMPAIGN_FIELDS,
  ENDED: [],
  CANCELLED: [],
};

/** What a field left out of a PUT becomes (as createCampaign defaults it); the slug is kept. */
const CAMPAIGN_DEFAULTS: CampaignPatch = {
  description: '',
  latitude: null,
  longitude: null,
  saleStartsAt: null,
  saleEndsAt: null,
  tags: [],
  maxTicketsPerCustomer: 10,
  entryMode: 'SINGLE',
  scansPerTicket: 1,
  refundPolicy: '',
  refundDeadlineHours: null,
};

/**
 * The patch a PUT amounts to for a campaign in `status`: every field the state allows, from the
 * input or its default. Fields the state does not allow come first as FIELD_NOT_ALLOWED; then an
 * allowed field with no default that was left out is VALIDATION_FAILED.
 */
function replacementPatch(status: CampaignStatus, input: CampaignPatch): CampaignPatch {
  const allowed = EDITABLE_CAMPAIGN_FIELDS[status];
  const refused = Object.keys(input).filter((k) => !allowed.includes(k as keyof CampaignInput));
  if (refused.length) throw CampaignErrors.fieldsNotAllowed(refused, status);
  const missing = allowed.filter((f) => input[f] === undefined && f !== 'slug' && !(f in CAMPAIGN_DEFAULTS));
  if (missing.length) {
    throw AppError.validation(
      `A PUT replaces the campaign: these fields are required: ${missing.join(', ')}`,
      missing.map((field) => ({ field, location: 'body', message: 'is required' })),
    );
  }
  const patch: Record<string, unknown> = {};
  for (const f of allowed) {
    if (input[f] !== undefined) patch[f] = input[f];
    else if (f in CAMPAIGN_DEFAULTS) patch[f] = CAMPAIGN_DEFAULTS[f];
  }
  return patch as CampaignPatch;
}

export interface TicketTypeInput {
  name: string;
  code?: string;
  description?: string;
  priceMinor: number;
  capacity: number;
  minPerOrder?: number;
  maxPerOrder?: number;
  saleStartsAt?: Date | null;
  saleEndsAt?: Date | null;
  entriesPerTicket?: number;
  hidden?: boolean;
  sortOrder?: number;
  attributes?: Record<string, unknown>;
}
export type TicketTypePatch = Partial<TicketTypeInput>;

export const EDITABLE_TICKET_TYPE_FIELDS: Record<
  'DRAFT' | 'PUBLISHED',
  ReadonlyArray<keyof TicketTypeInput>
> = {
  DRAFT: [
    'name',
    'code',
    'description',
    'priceMinor',
    'capacity',
    'minPerOrder',
    'maxPerOrder',
    'saleStartsAt',
    'saleEndsAt',
    'entriesPerTicket',
    'hidden',
    'sortOrder',
    'attributes',
  ],
  // A new price applies to new bookings only: bookings keep the unit price they were made at.
  PUBLISHED: [
    'name',
    'description',
    'priceMinor',
    'capacity',
    'minPerOrder',
    'maxPerOrder',
    'saleStartsAt',
    'saleEndsAt',
    'hidden',
    'sortOrder',
    'attributes',
  ],
};

function slugify(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'campaign'
  );
}

function checkDates(c: Pick<CampaignRecord, 'startsAt' | 'endsAt' | 'saleStartsAt' | 'saleEndsAt'>): void {
  if (c.endsAt <= c.startsAt) throw CampaignErrors.datesIncoherent('endsAt must be after startsAt');
  if (c.saleStartsAt && c.saleEndsAt && c.saleEndsAt <= c.saleStartsAt) {
    throw CampaignErrors.datesIncoherent('saleEndsAt must be after saleStartsAt');
  }
  if (c.saleEndsAt && c.saleEndsAt > c.endsAt)
    throw CampaignErrors.datesIncoherent('sales must end by the end of the campaign');
}

/** The campaign if the actor may manage it (its seller, a team member, an admin); 404 otherwise. */
async function campaignForManager(db: Db | Tx, actor: Actor, id: string): Promise<CampaignRecord> {
  const c = await repo.findCampaign(db, id);
  // Someone else's campaign answers 404, not 403: its existence is not theirs to learn.
  if (!c || !(isAdmin(actor) || actsForSeller(actor, c.sellerId))) throw CampaignErrors.notFound();
  return c;
}

async function lockForOwner(tx: Tx, actor: Actor, id: string): Promise<CampaignRecord> {
  const c = await repo.lockCampaign(tx, id);
  if (!c || !(isAdmin(actor) || (actor.userId === c.sellerId && actor.roles.includes('SELLER')))) {
    throw CampaignErrors.notFound();
  }
  return c;
}

export function createCampaignsService(deps: CampaignDeps) {
  const { prisma, clock } = deps;

  async function transition(
    actor: Actor,
    id: string,
    from: CampaignStatus[],
    to: CampaignStatus,
    prepare: (
      tx: Tx,
      c: CampaignRecord,
    ) => Promise<Partial<Pick<CampaignRecord, 'publishedAt' | 'endedAt' | 'cancelledAt' | 'cancelReason'>>>,
    event: string,
    extraPayload: Record<string, unknown> = {},
  ): Promise<CampaignRecord> {
    return prisma.$transaction(async (tx) => {
      const c = await lockForOwner(tx, actor, id);
      if (!from.includes(c.status)) throw CampaignErrors.invalidTransition(c.status, to);
      const now = clock.now();
      const extra = await prepare(tx, c);
      const updated = await repo.transitionCampaign(tx, id, from, to, extra, now);
      if (!updated) throw CampaignErrors.invalidTransition(c.status, to);
      await recordAudit(tx, clock, {
        actorId: actor.userId,
        action: event,
        targetType: 'campaign',
        targetId: id,
        before: { status: c.status },
        after: { status: to, ...extra },
      });
      await enqueue(tx, createEvent(event, { campaignId: id, sellerId: c.sellerId, ...extraPayload }, clock));
      return updated;
    });
  }

  /** updateCampaign and replaceCampaign: the patch is made from the locked row. */
  async function updateCampaignWith(
    actor: Actor,
    id: string,
    toPatch: (c: CampaignRecord) => CampaignPatch,
  ): Promise<CampaignRecord> {
    return prisma.$transaction(async (tx) => {
      const c = await lockForOwner(tx, actor, id);
      const allowed = EDITABLE_CAMPAIGN_FIELDS[c.status];
      if (!allowed.length) throw CampaignErrors.closed(c.status);
      const patch = toPatch(c);
      const refused = Object.keys(patch).filter((k) => !allowed.includes(k as keyof CampaignInput));
      if (refused.length) throw CampaignErrors.fieldsNotAllowed(refused, c.status);
      const data: Partial<repo.CampaignWrite> = { ...patch };
      if (patch.country) data.country = patch.country.toUpperCase();
      if (patch.currency) data.currency = patch.currency.toUpperCase();
      if (patch.tags) data.tags = [...new Set(patch.tags.map((t) => t.toLowerCase()))];
      if (patch.entryMode === 'SINGLE') data.scansPerTicket = 1;
      checkDates({ ...c, ...data });
      if (c.status !== 'DRAFT') {
        const types = await repo.listTicketTypes(tx, id);
        checkSaleWindows({ ...c, ...data }, types);
      }
      const now = clock.now();
      const updated = await unlessUniqueViolation(
        repo.updateCampaignFields(tx, id, data, now),
        CampaignErrors.slugTaken,
      );
      if (c.status !== 'DRAFT') {
        await enqueue(
          tx,
          createEvent(
            CampaignEvents.updated,
            { campaignId: id, sellerId: c.sellerId, fields: Object.keys(patch) },
            clock,
          ),
        );
      }
      return updated;
    });
  }

  return {
    /** Creates a DRAFT campaign owned by the signed-in seller; the slug is made unique. */
    async createCampaign(actor: Actor, input: CampaignInput): Promise<CampaignRecord> {
      const now = clock.now();
      const data: repo.CampaignWrite = {
        id: crypto.randomUUID(),
        sellerId: actor.userId,
        kind: input.kind,
        title: input.title,
        slug: input.slug ?? slugify(input.title),
        description: input.description ?? '',
        venueName: input.venueName,
        venueAddress: input.venueAddress,
        city: input.city,
        country: input.country.toUpperCase(),
        latitude: input.latitude ?? null,
        longitude: input.longitude ?? null,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        timezone: input.timezone,
        saleStartsAt: input.saleStartsAt ?? null,
        saleEndsAt: input.saleEndsAt ?? null,
        currency: input.currency.toUpperCase(),
        coverImageKey: null,
        tags: [...new Set((input.tags ?? []).map((t) => t.toLowerCase()))],
        maxTicketsPerCustomer: input.maxTicketsPerCustomer ?? 10,
        entryMode: input.entryMode ?? 'SINGLE',
        scansPerTicket: input.entryMode === 'MULTI' ? (input.scansPerTicket ?? 1) : 1,
        refundPolicy: input.refundPolicy ?? '',
        refundDeadlineHours: input.refundDeadlineHours ?? null,
      };
      checkDates(data);
      const explicitSlug = input.slug !== undefined;
      for (let attempt = 0; ; attempt++) {
        try {
          return await prisma.$transaction(async (tx) => {
            const c = await repo.insertCampaign(tx, data, now);
            await recordAudit(tx, clock, {
              actorId: actor.userId,
              action: 'campaign.created',
              targetType: 'campaign',
              targetId: c.id,
              before: null,
              after: { status: 'DRAFT' },
            });
            return c;
          });
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          if (explicitSlug || attempt >= 4) throw CampaignErrors.slugTaken();
          data.slug = `${slugify(input.title).slice(0, 52)}-${crypto.randomBytes(3).toString('hex')}`;
        }
      }
    },

    /** Applies an allow-listed patch for the campaign's state; anything else is refused, nothing written. */
    async updateCampaign(actor: Actor, id: string, patch: CampaignPatch): Promise<CampaignRecord> {
      return updateCampaignWith(actor, id, () => patch);
    },

    /**
     * Replaces every field the campaign's state allows (PUT): one left out goes back to its
     * default, or is refused when it has none; fields the state does not allow are refused as in
     * updateCampaign. Decided on the locked row, so a concurrent transition cannot widen it.
     */
    async replaceCampaign(actor: Actor, id: string, input: CampaignPatch): Promise<CampaignRecord> {
      return updateCampaignWith(actor, id, (c) => replacementPatch(c.status, input));
    },

    /** DRAFT → ACTIVE once the campaign is sellable: a visible ticket type, coherent dates and sale windows. */
    async publishCampaign(
      actor: Actor,
      id: string,
      onPublish?: (tx: Tx, campaign: CampaignRecord) => Promise<void>,
    ): Promise<CampaignRecord> {
      return transition(
        actor,
        id,
        ['DRAFT'],
        'ACTIVE',
        async (tx, c) => {
          const types = await repo.listTicketTypes(tx, id);
          const problems: string[] = [];
          if (!types.length) problems.push('add at least one ticket type');
          if (c.startsAt <= clock.now()) problems.push('startsAt must be in the future');
          try {
            checkDates(c);
            checkSaleWindows(c, types);
          } catch (err) {
            problems.push((err as Error).message);
          }
          if (problems.length) throw CampaignErrors.notPublishable(problems);
          await onPublish?.(tx, c);
          return { publishedAt: clock.now() };
        },
        CampaignEvents.published,
      );
    },

    /** ACTIVE → PAUSED: sales stop, nothing else changes. */
    pauseCampaign(actor: Actor, id: string) {
      return transition(actor, id, ['ACTIVE'], 'PAUSED', async () => ({}), CampaignEvents.paused);
    },

    /** PAUSED → ACTIVE. */
    resumeCampaign(actor: Actor, id: string) {
      return transition(actor, id, ['PAUSED'], 'ACTIVE', async () => ({}), CampaignEvents.resumed);
    },

    /** Any open state → CANCELLED with a reason; campaign.cancelled starts the refunds. */
    cancelCampaign(actor: Actor, id: string, reason: string) {
      return transition(
        actor,
        id,
        ['DRAFT', 'ACTIVE', 'PAUSED'],
        'CANCELLED',
        async () => ({ cancelledAt: clock.now(), cancelReason: reason }),
        CampaignEvents.cancelled,
        { reason },
      );
    },

    /**
     * Scheduler job: ACTIVE/PAUSED campaigns past ends_at → ENDED, in batches. Rows are claimed
     * with SKIP LOCKED so several schedulers can run; the guarded UPDATE means a campaign the
     * seller cancelled at the same moment stays CANCELLED. Returns how many ended.
     */
    async endDueCampaigns(batchSize = 100): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await prisma.$transaction(async (tx) => {
          const now = clock.now();
          const ids = await repo.lockDueToEnd(tx, now, batchSize);
          for (const id of ids) {
            const ended = await repo.transitionCampaign(
              tx,
              id,
              ['ACTIVE', 'PAUSED'],
              'ENDED',
              { endedAt: now },
              now,
            );
            if (!ended) continue;
            await recordAudit(tx, clock, {
              actorId: null,
              action: 'campaign.ended',
              targetType: 'campaign',
              targetId: id,
              before: null,
              after: { status: 'ENDED' },
            });
            await enqueue(
              tx,
              createEvent(CampaignEvents.ended, { campaignId: id, sellerId: ended.sellerId }, clock),
            );
          }
          return ids.length;
        });
        total += n;
        if (n < batchSize) return total;
      }
    },

    /** The campaign with its ticket types for someone who manages it (404 for everyone else). */
    async getManagedCampaign(actor: Actor, id: string) {
      const c = await campaignForManager(prisma, actor, id);
      return { campaign: c, ticketTypes: await repo.listTicketTypes(prisma, id) };
    },

    /** The seller's own campaigns, newest first. */
    listMyCampaigns(actor: Actor) {
      return repo.listSellerCampaigns(prisma, actor.userId);
    },

    /**
     * A campaign as the public sees it: ACTIVE/PAUSED/ENDED/CANCELLED ones (not drafts, unless the
     * viewer manages it), with visible ticket types plus hidden ones whose access code matches.
     */
    async getPublicCampaign(idOrSlug: string, viewer?: Actor, accessCode?: string) {
      const c = await repo.findCampaign(prisma, idOrSlug);
      const manages = Boolean(c && viewer && (isAdmin(viewer) || actsForSeller(viewer, c.sellerId)));
      if (!c || (c.status === 'DRAFT' && !manages)) throw CampaignErrors.notFound();
      const types = (await repo.listTicketTypes(prisma, c.id)).filter(
        (t) => manages || !t.hidden || (accessCode !== undefined && t.accessCode === accessCode),
      );
      return { campaign: c, ticketTypes: types };
    },

    browseCampaigns: (filters: repo.BrowseFilters) => repo.browseCampaigns(prisma, filters),

    async ticketTypesFor(campaignIds: string[]) {
      return repo.listTicketTypesForCampaigns(prisma, campaignIds);
    },

    /** Adds a ticket type (DRAFT, ACTIVE or PAUSED campaigns). */
    async createTicketType(
      actor: Actor,
      campaignId: string,
      input: TicketTypeInput,
    ): Promise<TicketTypeRecord> {
      return prisma.$transaction(async (tx) => {
        const c = await lockForOwner(tx, actor, campaignId);
        if (c.status === 'ENDED' || c.status === 'CANCELLED') throw CampaignErrors.closed(c.status);
        const data: repo.TicketTypeWrite = {
          id: crypto.randomUUID(),
          campaignId,
          name: input.name,
          code: (input.code ?? slugify(input.name)).toUpperCase().replace(/-/g, '_'),
          description: input.description ?? '',
          priceMinor: input.priceMinor,
          capacity: input.capacity,
          minPerOrder: input.minPerOrder ?? 1,
          maxPerOrder: input.maxPerOrder ?? Math.max(input.minPerOrder ?? 1, 10),
          saleStartsAt: input.saleStartsAt ?? null,
          saleEndsAt: input.saleEndsAt ?? null,
          entriesPerTicket: input.entriesPerTicket ?? (c.entryMode === 'MULTI' ? c.scansPerTicket : 1),
          hidden: input.hidden ?? false,
          accessCode: input.hidden ? crypto.randomBytes(9).toString('base64url') : null,
          sortOrder: input.sortOrder ?? 0,
          attributes: input.attributes ?? {},
        };
        checkTicketType(data);
        if (c.status !== 'DRAFT') checkSaleWindows(c, [data]);
        try {
          const t = await repo.insertTicketType(tx, data, clock.now());
          if (c.status !== 'DRAFT') {
            await enqueue(
              tx,
              createEvent(
                CampaignEvents.updated,
                { campaignId, sellerId: c.sellerId, fields: ['ticketTypes'], ticketTypeIds: [t.id] },
                clock,
              ),
            );
          }
          return t;
        } catch (err) {
          if (isUniqueViolation(err)) throw CampaignErrors.codeTaken();
          throw err;
        }
      });
    },

    /** Applies an allow-listed patch; capacity can never drop below sold + reserved. */
    async updateTicketType(
      actor: Actor,
      campaignId: string,
      id: string,
      patch: TicketTypePatch,
    ): Promise<TicketTypeRecord> {
      return prisma.$transaction(async (tx) => {
        const c = await lockForOwner(tx, actor, campaignId);
        if (c.status === 'ENDED' || c.status === 'CANCELLED') throw CampaignErrors.closed(c.status);
        const current = await repo.findTicketType(tx, campaignId, id);
        if (!current) throw CampaignErrors.ticketTypeNotFound();
        const allowed = EDITABLE_TICKET_TYPE_FIELDS[c.status === 'DRAFT' ? 'DRAFT' : 'PUBLISHED'];
        const refused = Object.keys(patch).filter((k) => !allowed.includes(k as keyof TicketTypeInput));
        if (refused.length) throw CampaignErrors.fieldsNotAllowed(refused, c.status);
        const { capacity, ...rest } = patch;
        const merged = { ...current, ...rest, capacity: capacity ?? current.capacity };
        if (rest.code) merged.code = rest.code.toUpperCase();
        checkTicketType(merged);
        if (c.status !== 'DRAFT') checkSaleWindows(c, [merged]);
        const now = clock.now();
        if (capacity !== undefined && !(await repo.setCapacity(tx, id, capacity, now))) {
          const fresh = await repo.findTicketType(tx, campaignId, id);
          throw CampaignErrors.capacityBelowHeld((fresh?.sold ?? 0) + (fresh?.reserved ?? 0));
        }
        const data: Partial<repo.TicketTypeWrite> = { ...rest };
        if (rest.code) data.code = merged.code;
        if (rest.hidden === true && !current.accessCode)
          data.accessCode = crypto.randomBytes(9).toString('base64url');
        const updated = await unlessUniqueViolation(
          repo.updateTicketTypeFields(tx, id, data, now),
          CampaignErrors.codeTaken,
        );
        if (c.status !== 'DRAFT') {
          await enqueue(
            tx,
            createEvent(
              CampaignEvents.updated,
              {
                campaignId,
                sellerId: c.sellerId,
                fields: Object.keys(patch).map((f) => `ticketType.${f}`),
                ticketTypeIds: [id],
              },
              clock,
            ),
          );
        }
        return updated;
      });
    },

    /** Deletes a ticket type that was never booked; one with bookings can only be hidden. */
    async deleteTicketType(actor: Actor, campaignId: string, id: string): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const c = await lockForOwner(tx, actor, campaignId);
        const current = await repo.findTicketType(tx, campaignId, id);
        if (!current) throw CampaignErrors.ticketTypeNotFound();
        if (c.status !== 'DRAFT' && (await repo.listTicketTypes(tx, campaignId)).length === 1) {
          throw CampaignErrors.ticketTypeInUse();
        }
        if (!(await repo.deleteUnbookedTicketType(tx, id))) throw CampaignErrors.ticketTypeInUse();
      });
    },

    /** Points the campaign at an uploaded cover image (already stored under `key`). */
    async setCoverImage(actor: Actor, id: string, key: string): Promise<CampaignRecord> {
      return prisma.$transaction(async (tx) => {
        const c = await lockForOwner(tx, actor, id);
        if (c.status === 'ENDED' || c.status === 'CANCELLED') throw CampaignErrors.closed(c.status);
        return repo.updateCampaignFields(tx, id, { coverImageKey: key }, clock.now());
      });
    },

    /** Absolute sold/reserved/available per ticket type of a campaign. */
    counters: (campaignId: string) => repo.counters(prisma, campaignId),
  };
}

export type CampaignsService = ReturnType<typeof createCampaignsService>;

function checkTicketType(
  t: Pick<
    TicketTypeRecord,
    'minPerOrder' | 'maxPerOrder' | 'saleStartsAt' | 'saleEndsAt' | 'capacity' | 'priceMinor'
  >,
) {
  if (t.maxPerOrder < t.minPerOrder)
    throw CampaignErrors.datesIncoherent('maxPerOrder must be at least minPerOrder');
  if (t.saleStartsAt && t.saleEndsAt && t.saleEndsAt <= t.saleStartsAt) {
    throw CampaignErrors.datesIncoherent('a ticket type sale window must end after it starts');
  }
}

/** Ticket type sale windows must sit inside the campaign's sale window and end by the campaign's end. */
function checkSaleWindows(
  c: Pick<CampaignRecord, 'saleStartsAt' | 'saleEndsAt' | 'endsAt'>,
  types: Array<Pick<TicketTypeRecord, 'name' | 'saleStartsAt' | 'saleEndsAt'>>,
): void {
  for (const t of types) {
    if (t.saleStartsAt && c.saleStartsAt && t.saleStartsAt < c.saleStartsAt) {
      throw CampaignErrors.datesIncoherent(
        `ticket type "${t.name}" goes on sale before the campaign's sale window`,
      );
    }
    const end = c.saleEndsAt ?? c.endsAt;
    if (t.saleEndsAt && t.saleEndsAt > end) {
      throw CampaignErrors.datesIncoherent(`ticket type "${t.name}" sells after the campaign's sale window`);
    }
  }
}
