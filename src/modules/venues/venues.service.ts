import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { isUniqueViolation, type Db, type Tx } from '../../shared/db';
import { isAdmin, type Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import { VenueErrors } from './venues.errors';
import { VenueEvents, type VenueUpdatedPayload } from './venues.events';
import {
  applyEdits,
  checkRows,
  generateRows,
  MAX_SEATS_PER_VENUE,
  MAX_SECTIONS_PER_VENUE,
  seatCount,
  zonesInUse,
  type SectionEdit,
} from './venues.layout';
import * as repo from './venues.repository';
import type { Row, VenueLayout, VenueRecord, Zone } from './venues.types';

/*
 * Venues: reusable templates a seller (their own) or a platform admin (shared, seller_id NULL)
 * draws once: sections of rows and seats, price zones. A campaign created on a venue copies
 * its layout (campaigns module, campaign_layouts + campaign_seats), so editing a venue later
 * never moves a sold seat: nothing here is referenced by a booking. Every edit runs under the
 * venue's row lock and bumps `version` (the copy records which version it took).
 */

export interface VenueInput {
  name: string;
  city?: string;
  zones: Zone[];
  shared?: boolean;
}
export interface SectionInput {
  name: string;
  rank?: number;
  rows: { from: string; to: string };
  seats: { from: number; to: number };
  zone: string;
}
export interface SectionPatch {
  name?: string;
  rank?: number;
  edits?: SectionEdit[];
}

function checkZones(zones: Zone[]): void {
  const seen = new Set<string>();
  for (const z of zones) {
    if (seen.has(z.code)) throw VenueErrors.duplicateZone(z.code);
    seen.add(z.code);
  }
}

/** A seller reads their own venues and the shared ones; an admin reads and writes all. */
const mayRead = (actor: Actor, v: VenueRecord) =>
  isAdmin(actor) || v.sellerId === null || v.sellerId === actor.userId;
const mayWrite = (actor: Actor, v: VenueRecord) =>
  isAdmin(actor) || (v.sellerId !== null && v.sellerId === actor.userId);

export function createVenuesService(deps: { prisma: Db; clock: Clock }) {
  const { prisma, clock } = deps;

  /** Locks the venue the actor may change: 404 when they may not see it, 403 for a shared one. */
  async function lockForWrite(tx: Tx, actor: Actor, id: string): Promise<VenueRecord> {
    const v = await repo.lockVenue(tx, id);
    if (!v || !mayRead(actor, v)) throw VenueErrors.notFound();
    if (!mayWrite(actor, v)) throw VenueErrors.readOnly();
    return v;
  }

  async function changed(tx: Tx, v: VenueRecord): Promise<VenueRecord> {
    const fresh = (await repo.findVenue(tx, v.id))!;
    const payload: VenueUpdatedPayload = { venueId: v.id, sellerId: v.sellerId, version: fresh.version };
    await enqueue(tx, createEvent(VenueEvents.updated, payload, clock));
    return fresh;
  }

  function checkSize(sections: Array<{ rows: Row[] }>): void {
    if (sections.length > MAX_SECTIONS_PER_VENUE)
      throw VenueErrors.tooLarge(`A venue has at most ${MAX_SECTIONS_PER_VENUE} sections`);
    if (sections.reduce((n, s) => n + seatCount(s.rows), 0) > MAX_SEATS_PER_VENUE)
      throw VenueErrors.tooLarge(`A venue has at most ${MAX_SEATS_PER_VENUE} seats`);
  }

  const inTx = <T>(fn: (tx: Tx) => Promise<T>) =>
    prisma.$transaction(fn).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw VenueErrors.sectionNameTaken();
      throw err;
    });

  return {
    /** A new venue owned by the seller; `shared` (platform admins only) makes it everyone's. */
    async createVenue(actor: Actor, input: VenueInput): Promise<VenueRecord> {
      if (input.shared && !isAdmin(actor)) throw VenueErrors.sharedNeedsAdmin();
      checkZones(input.zones);
      return repo.insertVenue(
        prisma,
        {
          id: crypto.randomUUID(),
          sellerId: input.shared ? null : actor.userId,
          name: input.name,
          city: input.city ?? '',
          zones: input.zones,
          createdBy: actor.userId,
        },
        clock.now(),
      );
    },

    /** The venues the actor may use: their own and the shared ones (admins: all). */
    listVenues(actor: Actor) {
      return repo.listVenues(prisma, isAdmin(actor) ? 'all' : { sellerId: actor.userId });
    },

    /** A venue with its sections, if the actor may use it (404 otherwise). */
    async getVenue(actor: Actor, id: string): Promise<VenueRecord> {
      const v = await repo.findVenue(prisma, id);
      if (!v || !mayRead(actor, v)) throw VenueErrors.notFound();
      return v;
    },

    /** Renames, moves or re-zones a venue; a zone that seats still use cannot be removed. */
    async updateVenue(
      actor: Actor,
      id: string,
      patch: Partial<Omit<VenueInput, 'shared'>>,
    ): Promise<VenueRecord> {
      return inTx(async (tx) => {
        const v = await lockForWrite(tx, actor, id);
        if (patch.zones) {
          checkZones(patch.zones);
          const kept = new Set(patch.zones.map((z) => z.code));
          const lost = [...zonesInUse(v.sections)].filter((z) => !kept.has(z));
          if (lost.length) throw VenueErrors.zoneInUse(lost);
        }
        await repo.updateVenue(tx, id, patch, clock.now());
        return changed(tx, v);
      });
    },

    /** Adds a section generated from ranges ("rows A–T, seats 1–30") in one zone. */
    async addSection(actor: Actor, venueId: string, input: SectionInput): Promise<VenueRecord> {
      return inTx(async (tx) => {
        const v = await lockForWrite(tx, actor, venueId);
        if (!v.zones.some((z) => z.code === input.zone)) throw VenueErrors.unknownZone(input.zone);
        const rows = generateRows(input.rows, input.seats, input.zone);
        checkSize([...v.sections, { rows }]);
        const now = clock.now();
        await repo.insertSection(
          tx,
          { id: crypto.randomUUID(), venueId, name: input.name, rank: input.rank ?? v.sections.length, rows },
          now,
        );
        await repo.updateVenue(tx, venueId, {}, now);
        return changed(tx, v);
      });
    },

    /** Renames, re-ranks or edits a section's seats (gaps, aisles, accessible, restricted view, zones). */
    async updateSection(
      actor: Actor,
      venueId: string,
      sectionId: string,
      patch: SectionPatch,
    ): Promise<VenueRecord> {
      return inTx(async (tx) => {
        const v = await lockForWrite(tx, actor, venueId);
        const s = v.sections.find((x) => x.id === sectionId);
        if (!s) throw VenueErrors.sectionNotFound();
        const rows = patch.edits ? applyEdits(s.rows, patch.edits, v.zones) : undefined;
        if (rows) {
          checkRows(rows);
          checkSize(v.sections.map((x) => (x.id === sectionId ? { rows } : x)));
        }
        const now = clock.now();
        await repo.updateSection(tx, sectionId, { name: patch.name, rank: patch.rank, rows }, now);
        await repo.updateVenue(tx, venueId, {}, now);
        return changed(tx, v);
      });
    },

    async deleteSection(actor: Actor, venueId: string, sectionId: string): Promise<VenueRecord> {
      return inTx(async (tx) => {
        const v = await lockForWrite(tx, actor, venueId);
        if (!v.sections.some((x) => x.id === sectionId)) throw VenueErrors.sectionNotFound();
        await repo.deleteSection(tx, sectionId);
        await repo.updateVenue(tx, venueId, {}, clock.now());
        return changed(tx, v);
      });
    },

    /**
     * For the campaigns module: the layout to copy into a new campaign, if `actor` may use the
     * venue (its seller, a shared venue, an admin); 404 VENUE_NOT_FOUND otherwise.
     */
    async layoutForCampaign(db: Db | Tx, actor: Actor, venueId: string): Promise<VenueLayout> {
      const v = await repo.findVenue(db, venueId);
      if (!v || !mayRead(actor, v)) throw VenueErrors.notFound();
      return {
        venueId: v.id,
        version: v.version,
        name: v.name,
        zones: v.zones,
        sections: v.sections.map((s) => ({ id: s.id, name: s.name, rank: s.rank, rows: s.rows })),
      };
    },
  };
}

export type VenuesService = ReturnType<typeof createVenuesService>;
