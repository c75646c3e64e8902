import crypto from 'node:crypto';
import zlib from 'node:zlib';
import {
  applyToSell,
  approveSellerApplication,
  assignMemberCampaigns,
  inviteTeamMember,
  listSellerApplications,
  listTeamMembers,
  loadActor,
  signInWithGoogle,
  type BusinessType,
  type TeamRole,
} from '../src/modules/auth';
import type { BookingRecord } from '../src/modules/bookings';
import { inspectCoverImage, type CampaignInput, type CampaignKind } from '../src/modules/campaigns';
import type { Modules } from '../src/modules/container';
import { AppError } from '../src/shared/errors';
import type { Actor } from '../src/shared/http/authorize';
import type { Platform } from '../src/shared/platform';
import { localSubjectFor } from '../tools/oidc-provider/provider';

/*
 * The living demo: a few sellers with a campaign of each kind (cover image, ticket types), a
 * seated match on a venue with sections and price zones (some seats sold), some confirmed
 * bookings with issued tickets, and a seller's gate manager and finance member. Every
 * row is made through the modules' own use cases (the same rules as the pages), never raw SQL.
 *
 * Idempotent by stable keys, so running it twice adds nothing: accounts by email (the local
 * OpenID provider's subject for that email, so signing in as them later is the same user),
 * campaigns by (seller, title), venues by (seller, name) and their sections by name, ticket
 * types by (campaign, name), cover by content hash, team
 * members by (seller, email, role), bookings by (buyer, campaign): one demo booking each.
 *
 * Demo sales are confirmed with a "demo-…" payment reference through bookings.confirmBooking,
 * with no Flutterwave charge behind them: they have no payment or ledger rows.
 */

export const DEMO_DOMAIN = 'demo.tikiti.test';
const email = (local: string) => `${local}@${DEMO_DOMAIN}`;
const DAY = 86_400_000;
const HOUR = 3_600_000;

export const DEMO_ACCOUNTS = {
  admin: { email: email('admin'), name: 'Demo Admin' },
  buyer: { email: email('buyer'), name: 'Chioma Buyer' },
  buyer2: { email: email('tunde'), name: 'Tunde Adeyemi' },
  buyer3: { email: email('grace'), name: 'Grace Namutebi' },
  gate: { email: email('gate'), name: 'Musa Gate' },
  finance: { email: email('finance'), name: 'Ada Finance' },
} as const;

interface DemoType {
  name: string;
  priceMinor: number;
  capacity: number;
  description?: string;
  entriesPerTicket?: number;
  attributes?: Record<string, unknown>;
}

/**
 * A seated campaign's venue: made once by the seller (found again by name), its sections
 * generated from ranges and edited, then copied into the campaign when it is created. `types`
 * are one seated ticket type per zone; `sales` sell best-available seats together.
 */
interface DemoSeating {
  venue: { name: string; city: string; zones: Array<{ code: string; name: string; color: string }> };
  sections: Array<{
    name: string;
    rank: number;
    rows: { from: string; to: string };
    seats: { from: number; to: number };
    zone: string;
    edits?: SectionEdits;
  }>;
  types: Array<{ zone: string; name: string; priceMinor: number; description?: string }>;
}
type SectionEdits = NonNullable<Parameters<Modules['venues']['updateSection']>[3]['edits']>;

interface DemoCampaign {
  kind: CampaignKind;
  title: string;
  inDays: number;
  /** The start's hour in UTC (the local evening, kick-off or check-in time). */
  utcHour: number;
  hours: number;
  fields: Omit<CampaignInput, 'kind' | 'title' | 'startsAt' | 'endsAt'>;
  colors: [string, string];
  types: DemoType[];
  seating?: DemoSeating;
  /** [buyer key, type name, quantity] bought and confirmed (seated types: the best seats together). */
  sales: Array<[keyof typeof DEMO_ACCOUNTS, string, number]>;
}

interface DemoSeller {
  email: string;
  name: string;
  business: { businessName: string; businessType: BusinessType; country: string };
  campaigns: DemoCampaign[];
  team?: Array<{ account: keyof typeof DEMO_ACCOUNTS; role: TeamRole }>;
}

const SELLERS: DemoSeller[] = [
  {
    email: email('amaka'),
    name: 'Amaka Obi',
    business: { businessName: 'Eko Live Events', businessType: 'events', country: 'NG' },
    team: [
      { account: 'gate', role: 'MANAGER' },
      { account: 'finance', role: 'FINANCE' },
    ],
    campaigns: [
      {
        kind: 'EVENT',
        title: 'Lagoon Jazz Night',
        utcHour: 17,
        inDays: 12,
        hours: 5,
        colors: ['#0b5cad', '#f5a623'],
        fields: {
          description:
            'Two stages by the water: the Lagos Big Band, Ayo Keys trio and a late jam session.\n\nGates open at 17:00. Food and drinks on site.',
          venueName: 'Muri Okunola Park',
          venueAddress: 'Muri Okunola Street, Victoria Island',
          city: 'Lagos',
          country: 'NG',
          timezone: 'Africa/Lagos',
          currency: 'NGN',
          tags: ['music', 'jazz'],
          refundPolicy: 'Refunds until 48 hours before the start.',
          refundDeadlineHours: 48,
        },
        types: [
          { name: 'Early bird', priceMinor: 500_000, capacity: 5, description: 'Limited first release' },
          { name: 'Regular', priceMinor: 800_000, capacity: 300 },
          {
            name: 'VIP',
            priceMinor: 2_500_000,
            capacity: 40,
            attributes: { benefits: ['Front area', 'Welcome drink'] },
          },
        ],
        sales: [
          ['buyer', 'Early bird', 2],
          ['buyer2', 'Early bird', 3],
          ['buyer3', 'Regular', 4],
        ],
      },
      {
        kind: 'BAR',
        title: 'Rooftop Fridays at Sky Bar',
        utcHour: 19,
        inDays: 5,
        hours: 6,
        colors: ['#4a1d6b', '#e0457b'],
        fields: {
          description: 'DJ sets from sunset until late on the rooftop. Entry includes one cocktail.',
          venueName: 'Sky Bar',
          venueAddress: '12 Adetokunbo Ademola Street',
          city: 'Lagos',
          country: 'NG',
          timezone: 'Africa/Lagos',
          currency: 'NGN',
          tags: ['nightlife', 'dj'],
        },
        types: [
          { name: 'Entry + cocktail', priceMinor: 1_000_000, capacity: 120 },
          {
            name: 'VIP booth',
            priceMinor: 3_000_000,
            capacity: 2,
            description: 'A reserved booth by the DJ',
          },
        ],
        sales: [
          ['buyer', 'VIP booth', 1],
          ['buyer3', 'VIP booth', 1],
          ['buyer2', 'Entry + cocktail', 2],
        ],
      },
    ],
  },
  {
    email: email('kato'),
    name: 'Kato Ssemwogerere',
    business: { businessName: 'Kampala Match Days', businessType: 'sports', country: 'UG' },
    campaigns: [
      {
        kind: 'SPORTS',
        title: 'Kampala Derby: KCCA vs Vipers',
        utcHour: 13,
        inDays: 19,
        hours: 3,
        colors: ['#1d6b35', '#f2f2f2'],
        fields: {
          description: 'The league derby at Lugogo. Kick-off 16:00; gates open two hours before.',
          venueName: 'MTN Omondi Stadium',
          venueAddress: 'Lugogo Bypass',
          city: 'Kampala',
          country: 'UG',
          timezone: 'Africa/Kampala',
          currency: 'UGX',
          tags: ['football'],
        },
        types: [
          { name: 'Terrace', priceMinor: 20_000, capacity: 2000 },
          { name: 'Covered stand', priceMinor: 50_000, capacity: 500 },
        ],
        sales: [
          ['buyer', 'Covered stand', 2],
          ['buyer3', 'Terrace', 5],
        ],
      },
      {
        kind: 'SPORTS',
        title: 'Uganda Cranes vs Harambee Stars',
        utcHour: 13,
        inDays: 33,
        hours: 3,
        colors: ['#c8102e', '#fcd116'],
        fields: {
          description:
            'The East African qualifier at Namboole. Assigned seats: pick yours on the seat map, or ask for the best seats together.',
          venueName: 'Mandela National Stadium',
          venueAddress: 'Namboole, Kira',
          city: 'Kampala',
          country: 'UG',
          timezone: 'Africa/Kampala',
          currency: 'UGX',
          tags: ['football', 'seated'],
        },
        seating: {
          venue: {
            name: 'Mandela National Stadium (Namboole)',
            city: 'Kampala',
            zones: [
              { code: 'VIP', name: 'VIP (covered)', color: '#d4a017' },
              { code: 'EAST', name: 'East Stand', color: '#1f77b4' },
              { code: 'EAST_VIEW', name: 'East Stand, restricted view', color: '#7aa6c2' },
            ],
          },
          sections: [
            {
              name: 'Main Stand',
              rank: 0,
              rows: { from: 'A', to: 'F' },
              seats: { from: 1, to: 20 },
              zone: 'VIP',
              edits: [
                { op: 'aisle', afterSeat: '10' },
                { op: 'set', rows: ['A'], seats: ['1', '20'], accessible: true },
                { op: 'set', rows: ['F'], seats: ['1', '2', '19', '20'], kind: 'GAP' },
              ],
            },
            {
              name: 'East Stand',
              rank: 1,
              rows: { from: 'A', to: 'L' },
              seats: { from: 1, to: 30 },
              zone: 'EAST',
              edits: [
                { op: 'aisle', afterSeat: '15' },
                { op: 'set', rows: ['K', 'L'], zone: 'EAST_VIEW', restrictedView: true },
              ],
            },
          ],
          types: [
            { zone: 'VIP', name: 'VIP seat', priceMinor: 150_000, description: 'Covered, with a meal' },
            { zone: 'EAST', name: 'East Stand seat', priceMinor: 40_000 },
            { zone: 'EAST_VIEW', name: 'East Stand seat, restricted view', priceMinor: 25_000 },
          ],
        },
        types: [],
        sales: [
          ['buyer', 'VIP seat', 2],
          ['buyer2', 'East Stand seat', 4],
          ['buyer3', 'East Stand seat, restricted view', 3],
        ],
      },
    ],
  },
  {
    email: email('wanjiru'),
    name: 'Wanjiru Kamau',
    business: { businessName: 'Naivasha Lakeside Lodge', businessType: 'hotels', country: 'KE' },
    campaigns: [
      {
        kind: 'HOTEL',
        title: 'Lakeside weekend in Naivasha',
        utcHour: 11,
        inDays: 26,
        hours: 48,
        colors: ['#0f6d7a', '#c7e8c9'],
        fields: {
          description: 'Two nights by Lake Naivasha with breakfast, a boat ride and a guided walk.',
          venueName: 'Naivasha Lakeside Lodge',
          venueAddress: 'Moi South Lake Road',
          city: 'Naivasha',
          country: 'KE',
          timezone: 'Africa/Nairobi',
          currency: 'KES',
          tags: ['weekend', 'nature'],
        },
        types: [
          {
            name: 'Guest in a double room, 2 nights',
            priceMinor: 1_600_000,
            capacity: 12,
            description: 'One ticket per guest; two guests share a room',
            attributes: { nights: 2, roomType: 'double', benefits: ['Breakfast', 'Boat ride'] },
          },
          {
            name: 'Guest in a family cottage, 2 nights',
            priceMinor: 1_400_000,
            capacity: 4,
            description: 'One ticket per guest; up to four share a cottage',
            attributes: { nights: 2, roomType: 'cottage', benefits: ['Breakfast', 'Boat ride'] },
          },
        ],
        sales: [['buyer2', 'Guest in a double room, 2 nights', 2]],
      },
    ],
  },
];

export interface SeedSummary {
  sellers: number;
  campaigns: number;
  ticketTypes: number;
  bookings: number;
  tickets: number;
}

const codeOf = (err: unknown) => (err instanceof AppError ? err.code : null);

/** Makes (or finds) the demo data; running it again changes nothing. */
export async function seedDemo(
  platform: Platform,
  modules: Modules,
  log: (line: string) => void = () => {},
): Promise<SeedSummary> {
  const deps = { prisma: platform.prisma, clock: platform.clock, config: platform.config };
  const now = platform.clock.now();

  async function account(a: { email: string; name: string }): Promise<Actor> {
    const { userId } = await signInWithGoogle(deps, {
      sub: localSubjectFor(a.email),
      email: a.email,
      emailVerified: true,
      name: a.name,
      pictureUrl: undefined,
    });
    return (await loadActor(platform.prisma, userId))!;
  }

  const admin = await account(DEMO_ACCOUNTS.admin);
  const summary: SeedSummary = { sellers: 0, campaigns: 0, ticketTypes: 0, bookings: 0, tickets: 0 };

  for (const s of SELLERS) {
    let seller = await account(s);
    if (!seller.roles.includes('SELLER')) {
      try {
        await applyToSell(deps, seller, {
          ...s.business,
          contactPhone: '+234 800 000 0000',
          description: `${s.business.businessName}: demo seller.`,
        });
      } catch (err) {
        if (codeOf(err) !== 'APPLICATION_ALREADY_OPEN') throw err;
      }
      const pending = await listSellerApplications(deps, { status: 'PENDING', limit: 200 });
      const mine = pending.items.find((a) => a.userId === seller.userId);
      if (mine) await approveSellerApplication(deps, admin, mine.id);
      seller = (await loadActor(platform.prisma, seller.userId))!;
    }
    summary.sellers += 1;

    const existing = await modules.campaigns.listMyCampaigns(seller);
    const campaignIds: string[] = [];
    for (const c of s.campaigns) {
      let campaign = existing.find((e) => e.title === c.title);
      if (!campaign) {
        const day = Math.floor(now.getTime() / DAY) + c.inDays;
        const startsAt = new Date(day * DAY + c.utcHour * HOUR);
        const venueId = c.seating ? await demoVenue(modules, seller, c.seating) : undefined;
        campaign = await modules.campaigns.createCampaign(seller, {
          kind: c.kind,
          title: c.title,
          startsAt,
          endsAt: new Date(startsAt.getTime() + c.hours * HOUR),
          ...c.fields,
          ...(venueId ? { venueId } : {}),
        });
        log(`[seed] campaign "${c.title}" created${venueId ? ' with a seat map' : ''}`);
      }
      campaignIds.push(campaign.id);
      let { ticketTypes } = await modules.campaigns.getManagedCampaign(seller, campaign.id);
      for (const [i, t] of c.types.entries()) {
        if (ticketTypes.some((x) => x.name === t.name)) continue;
        await modules.campaigns.createTicketType(seller, campaign.id, { ...t, sortOrder: i });
      }
      for (const [i, t] of (c.seating?.types ?? []).entries()) {
        if (ticketTypes.some((x) => x.name === t.name)) continue;
        // A seated type's capacity is its zone's seats (the campaigns module counts them).
        await modules.campaigns.createTicketType(seller, campaign.id, {
          name: t.name,
          description: t.description,
          priceMinor: t.priceMinor,
          capacity: 0,
          seatZone: t.zone,
          maxPerOrder: 6,
          sortOrder: c.types.length + i,
        });
      }
      ticketTypes = (await modules.campaigns.getManagedCampaign(seller, campaign.id)).ticketTypes;
      summary.ticketTypes += ticketTypes.length;
      if (!campaign.coverImageKey) {
        const png = coverImage(c.colors, c.kind);
        const { key } = inspectCoverImage(campaign.id, png);
        await modules.storage.put(key, png);
        campaign = await modules.campaigns.setCoverImage(seller, campaign.id, key);
      }
      if (campaign.status === 'DRAFT')
        campaign = await modules.campaigns.publishCampaign(seller, campaign.id);
      summary.campaigns += 1;

      for (const [buyerKey, typeName, quantity] of c.sales) {
        const buyer = await account(DEMO_ACCOUNTS[buyerKey]);
        const type = ticketTypes.find((t) => t.name === typeName)!;
        const item = { ticketTypeId: type.id, quantity, ...(type.seatZone ? { together: true } : {}) };
        const booking = await demoBooking(modules, buyer, campaign.id, item);
        if (!booking) continue;
        summary.bookings += 1;
        summary.tickets += await issueTickets(platform, modules, booking);
      }
    }

    for (const m of s.team ?? []) {
      const who = DEMO_ACCOUNTS[m.account];
      try {
        await inviteTeamMember(deps, seller, { email: who.email, role: m.role });
      } catch (err) {
        if (codeOf(err) !== 'MEMBER_EXISTS') throw err;
      }
      const member = (await listTeamMembers(deps, seller)).find(
        (x) => x.email === who.email && x.role === m.role,
      )!;
      if (m.role === 'MANAGER') await assignMemberCampaigns(deps, seller, member.id, campaignIds);
      await account(who); // signing in accepts the invitation
    }
  }
  return summary;
}

/** The seller's demo venue (found by name), its sections made and edited once; answers its id. */
async function demoVenue(modules: Modules, seller: Actor, seating: DemoSeating): Promise<string> {
  const found = (await modules.venues.listVenues(seller)).find(
    (v) => v.name === seating.venue.name && v.sellerId === seller.userId,
  );
  let venue = found
    ? await modules.venues.getVenue(seller, found.id)
    : await modules.venues.createVenue(seller, seating.venue);
  for (const s of seating.sections) {
    if (venue.sections.some((x) => x.name === s.name)) continue;
    venue = await modules.venues.addSection(seller, venue.id, {
      name: s.name,
      rank: s.rank,
      rows: s.rows,
      seats: s.seats,
      zone: s.zone,
    });
    const section = venue.sections.find((x) => x.name === s.name)!;
    if (s.edits) venue = await modules.venues.updateSection(seller, venue.id, section.id, { edits: s.edits });
  }
  return venue.id;
}

/** The buyer's one demo booking of this campaign, reserved and confirmed; null when it cannot be sold. */
async function demoBooking(
  modules: Modules,
  buyer: Actor,
  campaignId: string,
  item: { ticketTypeId: string; quantity: number; together?: boolean },
): Promise<BookingRecord | null> {
  const { quantity } = item;
  const mine = await modules.bookings.listMyBookings(buyer, 100);
  let booking = mine.find((b) => b.campaignId === campaignId && b.status === 'CONFIRMED');
  if (!booking) {
    const result = await modules.bookings.reserveBooking(buyer, `demo-${campaignId}-${buyer.userId}`, {
      campaignId,
      items: [item],
      issuance: quantity > 2 ? 'SEPARATE' : 'SINGLE',
    });
    if (result.status !== 201 && result.status !== 200) return null;
    const id = (result.body as { id: string }).id;
    const confirmed = await modules.bookings.confirmBooking(undefined, id, `demo-${id}`);
    booking = confirmed.booking;
  }
  return booking.status === 'CONFIRMED' ? booking : null;
}

/** Issues the booking's tickets now (the tickets worker would, seconds later); a second run issues nothing. */
async function issueTickets(platform: Platform, modules: Modules, booking: BookingRecord): Promise<number> {
  // Seeding is a one-off on a machine that may be busy (a first start, a test run): give the
  // transaction room rather than Prisma's 5 s default.
  const outcome = await platform.prisma.$transaction(
    (tx) => modules.tickets.issueForConfirmedBooking(tx, booking.id),
    { timeout: 60_000, maxWait: 30_000 },
  );
  return 'tickets' in outcome ? outcome.tickets.length : 0;
}

// ------------------------------------------------------------------ cover images, made in code

/**
 * A 960×540 PNG: a diagonal gradient between two colours with a few soft circles, so each kind
 * of campaign has its own cover without shipping image files. Deterministic, so the same
 * campaign gets the same content-hashed key on every run.
 */
export function coverImage(colors: [string, string], kind: string, width = 960, height = 540): Buffer {
  const [a, b] = colors.map(hex) as [number[], number[]];
  const seed = crypto.createHash('sha256').update(kind).digest();
  const circles = [0, 1, 2].map((i) => ({
    x: (seed[i * 3]! / 255) * width,
    y: (seed[i * 3 + 1]! / 255) * height,
    r: 80 + (seed[i * 3 + 2]! / 255) * 160,
  }));
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      let light = 0;
      for (const c of circles) if ((x - c.x) ** 2 + (y - c.y) ** 2 < c.r ** 2) light += 0.12;
      for (let ch = 0; ch < 3; ch++) {
        const v = a[ch]! + (b[ch]! - a[ch]!) * t;
        raw[o++] = Math.min(255, Math.round(v + (255 - v) * light));
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function hex(color: string): number[] {
  const n = parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}
