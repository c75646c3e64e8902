import crypto from 'node:crypto';
import { isUniqueViolation, unlessUniqueViolation } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import { CampaignErrors } from './campaigns.errors';
import { CampaignEvents } from './campaigns.events';
import * as repo from './campaigns.repository';
import {
  checkSaleWindows,
  checkTicketType,
  EDITABLE_TICKET_TYPE_FIELDS,
  lockForOwner,
  slugify,
  type TicketTypeInput,
  type TicketTypePatch,
} from './campaigns.rules';
import type { CampaignDeps } from './campaigns.lifecycle';
import type { TicketTypeRecord } from './campaigns.types';
import { assignZone, countZoneSeats, findLayout } from './campaigns.seats.repository';

/** A campaign's ticket types: add, edit (capacity never below what is held), delete, read. */
export function createTicketTypes(deps: Pick<CampaignDeps, 'prisma' | 'clock' | 'offerFreedStock'>) {
  const { prisma, clock } = deps;
  return {
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
          seatZone: input.seatZone ?? null,
          lowStockLimit: input.lowStockThreshold ?? null,
        };
        if (input.seatZone !== undefined) {
          // A seated type sells the seats of one zone: its capacity is their number, never typed.
          const layout = await findLayout(tx, campaignId);
          if (!layout) throw CampaignErrors.notSeated();
          const zones = layout.zones as Array<{ code: string }>;
          if (!zones.some((z) => z.code === input.seatZone)) throw CampaignErrors.unknownZone(input.seatZone);
          const types = await repo.listTicketTypes(tx, campaignId);
          if (types.some((t) => t.seatZone === input.seatZone))
            throw CampaignErrors.zoneTaken(input.seatZone);
          data.capacity = await countZoneSeats(tx, campaignId, input.seatZone);
        }
        checkTicketType(data);
        if (c.status !== 'DRAFT') checkSaleWindows(c, [data]);
        try {
          const t = await repo.insertTicketType(tx, data, clock.now());
          if (t.seatZone) await assignZone(tx, campaignId, t.seatZone, t.id);
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
        const { capacity, lowStockThreshold, ...rest } = patch;
        if (capacity !== undefined && current.seatZone && capacity !== current.capacity)
          throw CampaignErrors.seatedCapacityFixed();
        const merged = { ...current, ...rest, capacity: capacity ?? current.capacity };
        if (rest.code) merged.code = rest.code.toUpperCase();
        checkTicketType(merged);
        if (c.status !== 'DRAFT') checkSaleWindows(c, [merged]);
        const now = clock.now();
        if (capacity !== undefined && !(await repo.setCapacity(tx, id, capacity, now))) {
          const fresh = await repo.findTicketType(tx, campaignId, id);
          throw CampaignErrors.capacityBelowHeld((fresh?.sold ?? 0) + (fresh?.reserved ?? 0));
        }
        // New room goes to the type's waiting list first (row still locked by setCapacity).
        if (capacity !== undefined && capacity > current.capacity && c.status === 'ACTIVE')
          await deps.offerFreedStock?.(tx, [id]);
        const data: Partial<repo.TicketTypeWrite> = { ...rest };
        if (lowStockThreshold !== undefined) data.lowStockLimit = lowStockThreshold;
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
        if (current.seatZone) await assignZone(tx, campaignId, null, id);
        if (!(await repo.deleteUnbookedTicketType(tx, id))) throw CampaignErrors.ticketTypeInUse();
      });
    },

    /** Absolute sold/reserved/available per ticket type of a campaign. */
    counters: (campaignId: string) => repo.counters(prisma, campaignId),
  };
}
