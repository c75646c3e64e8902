import type { Db, Tx } from '../../shared/db';
import { actsForSeller, isAdmin, type Actor } from '../../shared/http/authorize';
import { AppError } from '../../shared/errors';
import { CampaignErrors } from './campaigns.errors';
import * as repo from './campaigns.repository';
import type { CampaignRecord, CampaignStatus, TicketTypeRecord } from './campaigns.types';

/*
 * The rules both halves of the campaigns service share (campaigns.lifecycle.ts for campaigns,
 * campaigns.ticket-types.ts for their ticket types): the inputs, the per-state allow-lists, date
 * coherence and who may manage a campaign.
 */

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
  /** Seated campaigns: the venue whose layout is copied at creation (never changed afterwards). */
  venueId?: string;
}

export type CampaignPatch = Partial<CampaignInput>;

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
export function replacementPatch(status: CampaignStatus, input: CampaignPatch): CampaignPatch {
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
  /** A seated type: the price zone of the campaign's layout it sells; its capacity is that zone's seat count. */
  seatZone?: string;
  /** Warn (seller notification, "Few left" on the page) at this many left or fewer; null: the default; 0: never. */
  lowStockThreshold?: number | null;
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
    'lowStockThreshold',
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
    'lowStockThreshold',
  ],
};

export function slugify(text: string): string {
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

export function checkDates(
  c: Pick<CampaignRecord, 'startsAt' | 'endsAt' | 'saleStartsAt' | 'saleEndsAt'>,
): void {
  if (c.endsAt <= c.startsAt) throw CampaignErrors.datesIncoherent('endsAt must be after startsAt');
  if (c.saleStartsAt && c.saleEndsAt && c.saleEndsAt <= c.saleStartsAt) {
    throw CampaignErrors.datesIncoherent('saleEndsAt must be after saleStartsAt');
  }
  if (c.saleEndsAt && c.saleEndsAt > c.endsAt)
    throw CampaignErrors.datesIncoherent('sales must end by the end of the campaign');
}

/** The campaign if the actor may manage it (its seller, a team member, an admin); 404 otherwise. */
export async function campaignForManager(db: Db | Tx, actor: Actor, id: string): Promise<CampaignRecord> {
  const c = await repo.findCampaign(db, id);
  // Someone else's campaign answers 404, not 403: its existence is not theirs to learn.
  if (!c || !(isAdmin(actor) || actsForSeller(actor, c.sellerId))) throw CampaignErrors.notFound();
  return c;
}

export async function lockForOwner(tx: Tx, actor: Actor, id: string): Promise<CampaignRecord> {
  const c = await repo.lockCampaign(tx, id);
  if (!c || !(isAdmin(actor) || (actor.userId === c.sellerId && actor.roles.includes('SELLER')))) {
    throw CampaignErrors.notFound();
  }
  return c;
}

export function checkTicketType(
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
export function checkSaleWindows(
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
