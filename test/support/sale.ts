import type { Actor } from '../../src/shared/http/authorize';
import { createModules } from '../../src/modules/container';
import type { Platform } from '../../src/shared/platform';
import type {
  CampaignInput,
  CampaignRecord,
  TicketTypeInput,
  TicketTypeRecord,
} from '../../src/modules/campaigns';
import crypto from 'node:crypto';
import type { BookingsService } from '../../src/modules/bookings';
import { actor, campaignBody, sellerActor, ticketTypeBody } from './factories';

export interface Sale {
  seller: Actor;
  campaign: CampaignRecord;
  types: TicketTypeRecord[];
}

/**
 * An ACTIVE campaign on sale now, made through the campaigns service of the container (its real
 * rules: publication gives it its signing key), with the given ticket types (default: one
 * "Regular" type of capacity 100). `platform` carries the clock the campaign is dated by.
 */
export async function createSale(
  platform: Platform,
  opts: { campaign?: Record<string, unknown>; types?: Array<Record<string, unknown>>; seller?: Actor } = {},
): Promise<Sale> {
  const deps = platform;
  const service = createModules(platform).campaigns;
  const seller = opts.seller ?? sellerActor();
  const draft = await service.createCampaign(
    seller,
    campaignBody(deps.clock.now(), opts.campaign ?? {}) as CampaignInput,
  );
  const types: TicketTypeRecord[] = [];
  for (const [n, t] of (opts.types ?? [{}]).entries()) {
    types.push(
      await service.createTicketType(
        seller,
        draft.id,
        ticketTypeBody({ name: `Type ${n + 1}`, ...t }) as TicketTypeInput,
      ),
    );
  }
  const campaign = await service.publishCampaign(seller, draft.id);
  return { seller, campaign, types };
}

/** A CONFIRMED booking of `quantity` of the sale's first (free) type by a new buyer, through the bookings service. */
export async function confirmedFreeBooking(
  bookings: Pick<BookingsService, 'reserveBooking'>,
  sale: Sale,
  quantity: number,
  issuance: 'SINGLE' | 'SEPARATE',
): Promise<string> {
  const res = await bookings.reserveBooking(actor(), crypto.randomUUID(), {
    campaignId: sale.campaign.id,
    items: [{ ticketTypeId: sale.types[0]!.id, quantity }],
    issuance,
  });
  const body = res.body as { id: string; status: string };
  if (body.status !== 'CONFIRMED') throw new Error(`booking not confirmed: ${JSON.stringify(res.body)}`);
  return body.id;
}

export interface SeatedSale extends Sale {
  venueId: string;
  /** Every seat of the campaign (id, type, section, row, col, labels), as the seat map lists them. */
  seats: Array<{
    id: string;
    ticketTypeId: string | null;
    sectionName: string;
    rowIndex: number;
    rowLabel: string;
    colIndex: number;
    seatLabel: string;
  }>;
}

/**
 * An ACTIVE seated campaign: a venue (one zone per section unless `zone` is given) made through
 * the venues service, a campaign created on it, one seated ticket type per zone (`types[zone]`
 * overrides), and general-admission `gaTypes`.
 */
export async function createSeatedSale(
  platform: Platform,
  opts: {
    sections: Array<{
      name: string;
      rows: [string, string];
      seats: [number, number];
      zone: string;
      rank?: number;
    }>;
    types?: Record<string, Record<string, unknown>>;
    gaTypes?: Array<Record<string, unknown>>;
    campaign?: Record<string, unknown>;
    seller?: Actor;
  },
): Promise<SeatedSale> {
  const modules = createModules(platform);
  const seller = opts.seller ?? sellerActor();
  const zones = [...new Set(opts.sections.map((s) => s.zone))];
  const venue = await modules.venues.createVenue(seller, {
    name: `Hall ${Math.random().toString(36).slice(2, 8)}`,
    zones: zones.map((code, i) => ({
      code,
      name: `Zone ${code}`,
      color: ['#1f77b4', '#d62728', '#2ca02c'][i % 3]!,
    })),
  });
  for (const s of opts.sections) {
    await modules.venues.addSection(seller, venue.id, {
      name: s.name,
      rank: s.rank,
      rows: { from: s.rows[0], to: s.rows[1] },
      seats: { from: s.seats[0], to: s.seats[1] },
      zone: s.zone,
    });
  }
  const draft = await modules.campaigns.createCampaign(seller, {
    ...(campaignBody(platform.clock.now(), opts.campaign ?? {}) as CampaignInput),
    venueId: venue.id,
  });
  const types: TicketTypeRecord[] = [];
  for (const zone of zones) {
    types.push(
      await modules.campaigns.createTicketType(
        seller,
        draft.id,
        ticketTypeBody({
          name: `Seats ${zone}`,
          seatZone: zone,
          maxPerOrder: 10,
          ...opts.types?.[zone],
        }) as TicketTypeInput,
      ),
    );
  }
  for (const [n, t] of (opts.gaTypes ?? []).entries()) {
    types.push(
      await modules.campaigns.createTicketType(
        seller,
        draft.id,
        ticketTypeBody({ name: `Standing ${n + 1}`, ...t }) as TicketTypeInput,
      ),
    );
  }
  const campaign = await modules.campaigns.publishCampaign(seller, draft.id);
  const seats = await platform.prisma.$queryRaw<SeatedSale['seats']>`
    SELECT id::text, ticket_type_id::text AS "ticketTypeId", section_name AS "sectionName", row_index AS "rowIndex",
      row_label AS "rowLabel", col_index AS "colIndex", seat_label AS "seatLabel"
    FROM campaign_seats WHERE campaign_id = ${campaign.id}::uuid ORDER BY section_rank, row_index, col_index`;
  return { seller, campaign, types, venueId: venue.id, seats };
}
