import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import type { Clock } from '../../shared/clock';
import { isUniqueViolation, unlessUniqueViolation, type Db, type Tx } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { actsForSeller, isAdmin } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import { CampaignErrors } from './campaigns.errors';
import { CampaignEvents } from './campaigns.events';
import * as repo from './campaigns.repository';
import {
  campaignForManager,
  checkDates,
  checkSaleWindows,
  EDITABLE_CAMPAIGN_FIELDS,
  lockForOwner,
  replacementPatch,
  slugify,
  type CampaignInput,
  type CampaignPatch,
} from './campaigns.rules';
import type { CampaignRecord, CampaignStatus } from './campaigns.types';
import { insertLayout } from './campaigns.seats.repository';
import { buyerFacingChanges } from './campaigns.low-stock';
import type { VenueLayout } from '../venues';

export interface CampaignDeps {
  prisma: Db;
  clock: Clock;
  /**
   * The tickets module's ensureCampaignKey: gives the campaign its Ed25519 signing key inside the
   * publish transaction (wired in src/modules/container.ts). Required: see publishCampaign.
   */
  ensureSigningKey: (tx: Tx, campaignId: string) => Promise<{ keyId: number }>;
  /**
   * The bookings module's cancelHoldsOfCampaign: cancels every open hold of the campaign inside
   * the cancelling transaction, at the campaign's own cancelledAt. Wired in
   * src/modules/container.ts; required: see cancelCampaign.
   */
  cancelOpenHolds: (tx: Tx, campaignId: string, at: Date) => Promise<number>;
  /**
   * The bookings module's offerFreedStock: when a ticket type gains room (a capacity increase),
   * the people on its waiting list get it before the public, in the same transaction. Optional
   * (unit tests of this module alone); wired in src/modules/container.ts.
   */
  offerFreedStock?: (tx: Tx, ticketTypeIds: string[]) => Promise<unknown>;
  /**
   * The venues module's layoutForCampaign: the layout a campaign created on a venue copies (404
   * VENUE_NOT_FOUND when the actor may not use the venue). Wired in src/modules/container.ts.
   */
  venueLayout?: (db: Db | Tx, actor: Actor, venueId: string) => Promise<VenueLayout>;
}

const SEAT_COPY_TX = { maxWait: 10_000, timeout: 120_000 };

/** A campaign's own use cases: create, edit, publish and the other state transitions, and reads. */
export function createCampaignLifecycle(deps: CampaignDeps) {
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
            {
              campaignId: id,
              sellerId: c.sellerId,
              fields: Object.keys(patch),
              ...buyerFacingChanges(c, updated),
            },
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
      if (input.venueId && !deps.venueLayout) throw new Error('campaigns: venueLayout is not wired');
      const explicitSlug = input.slug !== undefined;
      for (let attempt = 0; ; attempt++) {
        try {
          return await prisma.$transaction(async (tx) => {
            const c = await repo.insertCampaign(tx, data, now);
            // The layout is copied now, once: later edits of the venue never move these seats.
            if (input.venueId)
              await insertLayout(tx, c.id, await deps.venueLayout!(tx, actor, input.venueId), now);
            await recordAudit(tx, clock, {
              actorId: actor.userId,
              action: 'campaign.created',
              targetType: 'campaign',
              targetId: c.id,
              before: null,
              after: { status: 'DRAFT' },
            });
            return c;
            // Copying a stadium's seats (up to 100 000 rows) takes longer than the default 5 s.
          }, SEAT_COPY_TX);
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

    /**
     * DRAFT → ACTIVE once the campaign is sellable: a visible ticket type, coherent dates and sale
     * windows, and a signing key made in the same transaction.
     *
     * Invariant: a published campaign always has an ACTIVE signing key, so the tickets worker can
     * sign every ticket it ever sells. The key is created (by the tickets module, through the
     * required `ensureSigningKey` constructor argument) inside the publish transaction, after the
     * checks: a failure to make it rolls the publication back, and a failed publication leaves no
     * key behind. If this broke, bookings of the campaign would confirm and then fail issuance.
     */
    async publishCampaign(actor: Actor, id: string): Promise<CampaignRecord> {
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
          const key = await deps.ensureSigningKey(tx, c.id);
          if (!Number.isInteger(key?.keyId)) throw new Error(`campaign ${c.id} got no signing key`);
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

    /**
     * Any open state → CANCELLED with a reason; campaign.cancelled starts the refunds. Open holds
     * (PENDING bookings) are cancelled in the same transaction, their stock released: a buyer
     * never sees "Pay" on a booking of a cancelled campaign.
     */
    cancelCampaign(actor: Actor, id: string, reason: string) {
      return transition(
        actor,
        id,
        ['DRAFT', 'ACTIVE', 'PAUSED'],
        'CANCELLED',
        async (tx) => {
          const cancelledAt = clock.now();
          await deps.cancelOpenHolds(tx, id, cancelledAt);
          return { cancelledAt, cancelReason: reason };
        },
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

    /** Points the campaign at an uploaded cover image (already stored under `key`). */
    async setCoverImage(actor: Actor, id: string, key: string): Promise<CampaignRecord> {
      return prisma.$transaction(async (tx) => {
        const c = await lockForOwner(tx, actor, id);
        if (c.status === 'ENDED' || c.status === 'CANCELLED') throw CampaignErrors.closed(c.status);
        return repo.updateCampaignFields(tx, id, { coverImageKey: key }, clock.now());
      });
    },
  };
}
