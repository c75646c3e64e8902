import type { Clock } from '../../shared/clock';
import { withSqlClient, type Db, type SqlPool, type Tx } from '../../shared/db';
import { canScanCampaign, isAdmin, type Actor } from '../../shared/http/authorize';
import type { DomainEvent } from '../../shared/messaging/events';
import { getSellerProfile, getUserSummaries, userSummarySql } from '../auth';
import {
  bookingForIssueSql,
  type BookingForIssue,
  type BookingRecord,
  type BookingsService,
} from '../bookings';
import { getCampaignsByIds, getTicketTypesByIds, saleForBookingSql, type CampaignRecord } from '../campaigns';
import { TicketsErrors } from './tickets.errors';
import type { TicketsIssuedPayload } from './tickets.events';
import { renderTicketsPdf, type TicketPdfContext } from './tickets.pdf';
import type { RenderPdf } from './tickets.render-pool';

/** What a ticket page shows of its campaign, shared by every booking of it (cached). */
type CampaignPdfContext = Omit<TicketPdfContext, 'bookingReference'>;
import type { RevocationReason } from './tickets.repository';
import type {
  CampaignPublicKey,
  IssueTicketsInput,
  RevocationList,
  Ticket,
  TicketsService,
} from './tickets.service';

/**
 * The flows that join tickets to the modules around them, through their public APIs only:
 * bookings (who bought what, and whether it still stands), campaigns (what the ticket is for)
 * and auth (the buyer's and the seller's names). The tickets worker, the email worker and the
 * web routes use these; tickets.service.ts stays free of other modules.
 */

export interface TicketsWorkflowDeps {
  prisma: Db;
  clock: Clock;
  /** This process's tickets service and bookings service (built once, in the container). */
  tickets: TicketsService;
  bookings: BookingsService;
  /**
   * How long the tickets worker may reuse a campaign's presentation (title, venue, seller name,
   * ticket type names) for further bookings of it; 0 = read it for every PDF. See pdfContextFor.
   */
  presentationCacheMs?: number;
  /** Renders a booking's PDF in prepareIssue (the tickets worker's render pool); default: in this thread. */
  renderPdf?: RenderPdf;
  /** The pg pool under `prisma`: the tickets worker's common case runs on it (see issueOnPool). */
  sql?: SqlPool;
}

/** What the booking.confirmed event says of its booking: the ids the pool path reads by (checked against the booking). */
export interface IssueHint {
  campaignId: string;
  userId: string;
  ticketTypeIds: string[];
}

/*
 * Validity window signed into every QR code: from 12 hours before the campaign starts (doors,
 * early check-in, wristband collection the day before an early start) to 12 hours after it
 * ends (late exits, night events, hotel check-out mornings). A gate checks it offline.
 */
const VALID_BEFORE_START_MS = 12 * 3_600_000;
const VALID_AFTER_END_MS = 12 * 3_600_000;

export type IssueOutcome =
  | {
      outcome: 'ISSUED' | 'ALREADY_ISSUED';
      tickets: Ticket[];
      fileKey: string;
      event?: DomainEvent<TicketsIssuedPayload>;
    }
  /** The booking is no longer (or not yet) CONFIRMED: nothing to issue. */
  | { outcome: 'NOT_CONFIRMED'; status: BookingRecord['status'] }
  | { outcome: 'BOOKING_NOT_FOUND' }
  | { outcome: 'CAMPAIGN_NOT_FOUND'; campaignId: string };

/** What prepareIssue hands to fileIssued: the committed tickets and their rendered PDF (null: not needed). */
export type PreparedIssue =
  | Exclude<IssueOutcome, { tickets: Ticket[] }>
  | { outcome: 'UNFILED'; tickets: Ticket[]; created: boolean; pdf: Buffer | null };

export type RevokeOutcome =
  | { outcome: 'REVOKED'; ticketIds: string[]; reason: RevocationReason }
  /** The booking still stands (or is already handled): nothing revoked. */
  | { outcome: 'NOT_REVOCABLE'; status: BookingRecord['status'] }
  | { outcome: 'BOOKING_NOT_FOUND' };

/** What a ticket list shows of its campaign. */
export interface TicketCampaignSummary {
  id: string;
  title: string;
  slug: string;
  kind: string;
  startsAt: Date;
  endsAt: Date;
  venueName: string;
  city: string;
  timezone: string;
}

export interface TicketView extends Ticket {
  campaign: TicketCampaignSummary | null;
  ticketTypeName: string;
}

function summary(c: CampaignRecord): TicketCampaignSummary {
  return {
    id: c.id,
    title: c.title,
    slug: c.slug,
    kind: c.kind,
    startsAt: c.startsAt,
    endsAt: c.endsAt,
    venueName: c.venueName,
    city: c.city,
    timezone: c.timezone,
  };
}

/** The buyer's name as printed on the ticket: their account name, else their email's local part. */
function holderNameOf(user: { name: string; email: string } | undefined): string {
  const name = user?.name?.trim();
  if (name) return name.slice(0, 200);
  return user?.email?.split('@')[0]?.slice(0, 200) || 'Ticket holder';
}

/** The tickets service's cross-module flows for one process (`tickets` is the service itself). */
export function createTicketsWorkflows(deps: TicketsWorkflowDeps) {
  const { tickets, bookings } = deps;
  const renderPdf = deps.renderPdf ?? renderTicketsPdf;
  /*
   * Under a rush every booking of a campaign needs the same seller and ticket type rows (three
   * to four queries, a third of a job). The worker keeps them for presentationCacheMs, so a PDF
   * issued just after the seller renames a ticket type may still print the old name. Only what is
   * printed is cached, never what is signed: the campaign (whose dates make the QR's validity
   * window), the booking, its status, lines and buyer are read for every job.
   */
  const cacheMs = deps.presentationCacheMs ?? 0;
  const presentation = new Map<string, { until: number; ticketTypes: TicketPdfContext['ticketTypes'] }>();
  const sellerNames = new Map<string, { until: number; name: string }>();

  /** The seller's name as printed, if cached and still fresh (never with presentationCacheMs 0). */
  function cachedSellerName(sellerId: string): string | undefined {
    const hit = sellerNames.get(sellerId);
    return hit && hit.until > deps.clock.now().getTime() ? hit.name : undefined;
  }

  /** The seller's public name (its business name, else its account name), cached for presentationCacheMs. */
  async function sellerNameFor(db: Db | Tx, sellerId: string): Promise<string> {
    const cached = cachedSellerName(sellerId);
    if (cached !== undefined) return cached;
    const seller = await getSellerProfile(db, sellerId);
    const name = seller?.businessName ?? (await getUserSummaries(db, [sellerId]))[0]?.name ?? 'The organiser';
    if (cacheMs > 0) {
      if (sellerNames.size >= 1000) sellerNames.clear();
      sellerNames.set(sellerId, { until: deps.clock.now().getTime() + cacheMs, name });
    }
    return name;
  }

  function printedTypes(types: Array<{ id: string; name: string; attributes: unknown }>) {
    return Object.fromEntries(
      types.map((t) => [t.id, { name: t.name, attributes: t.attributes as Record<string, unknown> | null }]),
    ) as TicketPdfContext['ticketTypes'];
  }

  /**
   * Everything a ticket page shows that the tickets module does not own: the campaign, its
   * ticket types (names, attributes) and the seller's public name. Null when the campaign is gone.
   */
  async function pdfContextFor(
    db: Db | Tx,
    campaignId: string,
    ticketTypeIds: string[],
  ): Promise<CampaignPdfContext | null> {
    // Always read: its dates become the validity window signed into the QR codes.
    const [campaign] = await getCampaignsByIds(db, [campaignId]);
    if (!campaign) return null;
    const ids = [...new Set(ticketTypeIds)].sort();
    const cacheKey = `${campaignId}|${ids.join(',')}`;
    const now = deps.clock.now().getTime();
    let printed = cacheMs > 0 ? presentation.get(cacheKey) : undefined;
    if (!printed || printed.until <= now) {
      printed = { until: now + cacheMs, ticketTypes: printedTypes(await getTicketTypesByIds(db, ids)) };
      if (cacheMs > 0) {
        if (presentation.size >= 1000) presentation.clear();
        presentation.set(cacheKey, printed);
      }
    }
    return buildContext(campaign, await sellerNameFor(db, campaign.sellerId), printed.ticketTypes);
  }

  function buildContext(
    campaign: CampaignRecord,
    sellerName: string,
    ticketTypes: TicketPdfContext['ticketTypes'],
  ): CampaignPdfContext {
    return {
      campaign: {
        title: campaign.title,
        kind: campaign.kind,
        startsAt: campaign.startsAt,
        endsAt: campaign.endsAt,
        venue: [campaign.venueName, campaign.city].filter(Boolean).join(', '),
        timezone: campaign.timezone,
        sellerName,
      },
      ticketTypes,
    };
  }

  /** A seated line's seats, as the booking holds them (labels as reserved). */
  function seatsOf(booking: BookingForIssue, ticketTypeId: string) {
    const seats = (booking.seats ?? []).filter((s) => s.ticketTypeId === ticketTypeId);
    return seats.length
      ? { seats: seats.map((s) => ({ section: s.section, row: s.row, seat: s.seat })) }
      : {};
  }

  /** The issuance request for a confirmed booking: its lines, issuance and the campaign's window. */
  function issueInputFor(
    booking: BookingForIssue,
    campaign: TicketPdfContext['campaign'],
    holderName: string,
  ): IssueTicketsInput {
    const endsAt = campaign.endsAt ?? campaign.startsAt;
    return {
      bookingId: booking.id,
      campaignId: booking.campaignId,
      userId: booking.userId,
      holderName,
      issuance: booking.issuance,
      validFrom: new Date(campaign.startsAt.getTime() - VALID_BEFORE_START_MS),
      validUntil: new Date(endsAt.getTime() + VALID_AFTER_END_MS),
      items: booking.items.map((i) => ({
        ticketTypeId: i.ticketTypeId,
        quantity: i.quantity,
        // As sold: the booking snapshotted the entries per ticket with the price.
        entriesPerTicket: i.entriesPerTicket,
        ...seatsOf(booking, i.ticketTypeId),
      })),
    };
  }

  /**
   * The tickets worker's job for booking.confirmed, in the consumer's transaction: re-reads the
   * booking under the issuance lock (see lockBookingForIssuance), skips unless it is CONFIRMED,
   * then issues once, stores the PDF and queues tickets.issued (issueBookingTickets). Run again,
   * it creates nothing and queues nothing.
   */
  async function issueForConfirmedBooking(tx: Tx, bookingId: string): Promise<IssueOutcome> {
    const found = await confirmedIssueInput(tx, bookingId);
    if ('outcome' in found) return found;
    const issued = await tickets.issueBookingTickets(tx, found.input, found.pdf);
    return {
      outcome: issued.created ? 'ISSUED' : 'ALREADY_ISSUED',
      tickets: issued.tickets,
      fileKey: issued.fileKey,
      event: issued.event,
    };
  }

  /** Under the booking's issuance lock (taken here): what to issue for it, if it is CONFIRMED. */
  async function confirmedIssueInput(
    tx: Tx,
    bookingId: string,
  ): Promise<
    Exclude<IssueOutcome, { tickets: Ticket[] }> | { input: IssueTicketsInput; pdf: TicketPdfContext }
  > {
    await tickets.lockBookingForIssuance(tx, bookingId);
    const booking = await bookings.getBooking(bookingId, tx);
    if (!booking) return { outcome: 'BOOKING_NOT_FOUND' };
    if (booking.status !== 'CONFIRMED') return { outcome: 'NOT_CONFIRMED', status: booking.status };
    const printed = await pdfContextFor(
      tx,
      booking.campaignId,
      booking.items.map((i) => i.ticketTypeId),
    );
    if (!printed) return { outcome: 'CAMPAIGN_NOT_FOUND', campaignId: booking.campaignId };
    const pdf: TicketPdfContext = { ...printed, bookingReference: booking.reference };
    const [buyer] = await getUserSummaries(tx, [booking.userId]);
    return { input: issueInputFor(booking, pdf.campaign, holderNameOf(buyer)), pdf };
  }

  /**
   * The tickets worker's job for booking.confirmed, first step, before the consumer's inbox
   * transaction: in a short transaction of its own, under the issuance lock, re-reads the booking
   * and, if it is CONFIRMED, issues its tickets once (issueTicketsForBooking: serials, signatures,
   * the rows, no file yet) and commits; then renders their PDF holding no connection and no lock.
   * Rendering is most of a job's time: inside the transaction it held the campaign's serial
   * counter row, so every other issuer of the campaign (other jobs of this process, other worker
   * copies) waited for it. Run again (a redelivery), it creates nothing and renders only what
   * fileIssued still needs. The second step is fileIssued, in the inbox transaction.
   */
  async function prepareIssue(bookingId: string, hint?: IssueHint): Promise<PreparedIssue> {
    const found =
      (deps.sql && hint ? await issueOnPool(deps.sql, bookingId, hint) : null) ??
      (await deps.prisma.$transaction(async (tx) => {
        const f = await confirmedIssueInput(tx, bookingId);
        if ('outcome' in f) return f;
        return { ...(await tickets.issueTicketsForBooking(tx, f.input)), pdf: f.pdf };
      }));
    if ('outcome' in found) return found;
    const pdf = (await tickets.needsPdf(found.tickets)) ? await renderPdf(found.tickets, found.pdf) : null;
    return { outcome: 'UNFILED', tickets: found.tickets, created: found.created, pdf };
  }

  /**
   * prepareIssue's transaction on the pg pool (tickets.issueNewTicketsOn says why), for the
   * common case only: the booking CONFIRMED and without tickets, the campaign's ACTIVE key
   * decrypted in this process, its seller's name cached. BEGIN with the issuance lock, then ONE
   * read (the booking, the campaign with its ticket types, the buyer, the tickets' own state: a
   * snapshot after the lock, as confirmedIssueInput reads), then ONE write (serials and rows),
   * COMMIT: four round trips where the general path takes twelve. The reads are keyed by the ids
   * the event carries and checked against the booking's own (its campaign and buyer never change;
   * a mismatch, like anything else unusual, goes the general way). Null, with nothing written,
   * for every other case: the caller then runs the general path, which handles them all.
   */
  async function issueOnPool(
    sql: SqlPool,
    bookingId: string,
    hint: IssueHint,
  ): Promise<{ tickets: Ticket[]; created: true; pdf: TicketPdfContext } | null> {
    const campaignId = hint.campaignId.toLowerCase();
    return withSqlClient(sql, async (client) => {
      await tickets.beginIssuanceOn(client, bookingId);
      const reads = await tickets.readIssuanceOn(client, bookingId, campaignId, {
        booking: bookingForIssueSql.read(bookingId),
        sale: saleForBookingSql.read(campaignId, hint.ticketTypeIds),
        buyer: userSummarySql.read(hint.userId),
      });
      const booking = bookingForIssueSql.parse(reads.parts.booking);
      const sale = saleForBookingSql.parse(reads.parts.sale);
      const sellerName = sale ? cachedSellerName(sale.campaign.sellerId) : undefined;
      const usual =
        booking?.status === 'CONFIRMED' &&
        booking.campaignId === campaignId &&
        booking.userId === hint.userId.toLowerCase() &&
        booking.items.every((i) => sale?.ticketTypes.some((t) => t.id === i.ticketTypeId)) &&
        !reads.issuedFor &&
        reads.activeKeyId !== null;
      if (!usual || !sale || sellerName === undefined) {
        await client.query('ROLLBACK');
        return null;
      }
      const pdf: TicketPdfContext = {
        ...buildContext(sale.campaign, sellerName, printedTypes(sale.ticketTypes)),
        bookingReference: booking.reference,
      };
      const buyer = userSummarySql.parse(reads.parts.buyer) ?? undefined;
      const input = issueInputFor(booking, pdf.campaign, holderNameOf(buyer));
      const issued = await tickets.issueNewTicketsOn(client, input, reads.activeKeyId!);
      await client.query(issued ? 'COMMIT' : 'ROLLBACK');
      return issued ? { tickets: issued, created: true as const, pdf } : null;
    });
  }

  /**
   * The second step with the consumer's inbox row on the pg pool (tickets.fileIssuedTicketsOn),
   * when the PDF was rendered: ISSUED (filed, stored, tickets.issued queued), DUPLICATE (the
   * event was processed before), or null when the caller must run fileIssued in an inbox
   * transaction (no pool; nothing rendered; or the tickets were filed already or revoked).
   */
  async function fileIssuedOnPool(
    consumer: string,
    eventId: string,
    prepared: Extract<PreparedIssue, { outcome: 'UNFILED' }>,
  ): Promise<IssueOutcome | { outcome: 'DUPLICATE' } | null> {
    const { sql } = deps;
    const pdf = prepared.pdf;
    if (!sql || !pdf) return null;
    const filed = await withSqlClient(sql, (client) =>
      tickets.fileIssuedTicketsOn(client, consumer, eventId, prepared.tickets, pdf),
    );
    if (filed.outcome === 'NOT_FILED') return null;
    if (filed.outcome === 'DUPLICATE') return filed;
    return {
      outcome: 'ISSUED',
      tickets: prepared.tickets.map((t) => ({ ...t, fileKey: filed.fileKey })),
      fileKey: filed.fileKey,
      event: filed.event,
    };
  }

  /** Second step (see prepareIssue), in the consumer's inbox transaction: store, file, enqueue tickets.issued once. */
  async function fileIssued(
    tx: Tx,
    prepared: Extract<PreparedIssue, { outcome: 'UNFILED' }>,
  ): Promise<IssueOutcome | { outcome: 'REVOKED' }> {
    const filed = await tickets.fileIssuedTickets(tx, prepared.tickets, prepared.pdf);
    // Refunded or cancelled between the two steps: the revocation made them void, no file.
    if (filed.outcome === 'REVOKED') return { outcome: 'REVOKED' };
    return {
      outcome: filed.outcome === 'FILED' ? 'ISSUED' : 'ALREADY_ISSUED',
      tickets: prepared.tickets.map((t) => ({ ...t, fileKey: filed.fileKey })),
      fileKey: filed.fileKey,
      event: filed.event,
    };
  }

  /**
   * The tickets worker's job for booking.cancelled: when the booking is now REFUNDED or
   * CANCELLED, revokes its still-valid tickets (they join the campaign's revocation list) and
   * deletes their PDFs. Idempotent: a second run revokes nothing.
   */
  async function revokeForBooking(tx: Tx, bookingId: string): Promise<RevokeOutcome> {
    await tickets.lockBookingForIssuance(tx, bookingId);
    const booking = await bookings.getBooking(bookingId, tx);
    if (!booking) return { outcome: 'BOOKING_NOT_FOUND' };
    if (booking.status !== 'REFUNDED' && booking.status !== 'CANCELLED') {
      return { outcome: 'NOT_REVOCABLE', status: booking.status };
    }
    const reason: RevocationReason = booking.status === 'REFUNDED' ? 'REFUNDED' : 'CANCELLED';
    const ticketIds = await tickets.revokeTicketsForBooking(tx, booking.id, reason);
    return { outcome: 'REVOKED', ticketIds, reason };
  }

  /** The PDF context for tickets already issued (web downloads, emails), from their booking. */
  async function pdfContextForTickets(list: Ticket[]): Promise<TicketPdfContext> {
    const first = list[0]!;
    const booking = await bookings.getBooking(first.bookingId);
    // Bookings and campaigns are never deleted (they end, expire or are cancelled): a bug if gone.
    if (!booking) throw new Error(`booking ${first.bookingId} of ticket ${first.id} not found`);
    const ctx = await pdfContextFor(
      deps.prisma,
      first.campaignId,
      list.map((t) => t.ticketTypeId),
    );
    if (!ctx) throw new Error(`campaign ${first.campaignId} of ticket ${first.id} not found`);
    return { ...ctx, bookingReference: booking.reference };
  }

  /** The buyer's own ticket, or TICKET_NOT_FOUND for anyone else (as if it did not exist). */
  async function getOwnTicket(userId: string, ticketId: string): Promise<Ticket> {
    const ticket = await tickets.getTicket(ticketId);
    // The same error as a missing ticket: a stranger learns nothing about which ids exist.
    if (ticket.userId !== userId) throw TicketsErrors.ticketNotFound();
    return ticket;
  }

  /** One ticket's PDF for its buyer (TICKET_NOT_FOUND for anyone else, TICKET_REVOKED when revoked). */
  async function getTicketPdfForOwner(
    userId: string,
    ticketId: string,
  ): Promise<{ ticket: Ticket; pdf: Buffer }> {
    const ticket = await getOwnTicket(userId, ticketId);
    const pdf = await tickets.getTicketPdf(ticket, await pdfContextForTickets([ticket]));
    return { ticket, pdf };
  }

  /** All of a booking's tickets in one PDF for its buyer (TICKETS_NOT_FOUND for anyone else). */
  async function getBookingPdfForOwner(
    userId: string,
    bookingId: string,
  ): Promise<{ tickets: Ticket[]; pdf: Buffer; bookingReference: string }> {
    const list = await tickets.listBookingTickets(bookingId);
    if (!list.length || list[0]!.userId !== userId) throw TicketsErrors.bookingTicketsNotFound();
    const ctx = await pdfContextForTickets(list);
    const pdf = await tickets.getBookingTicketsPdf(bookingId, ctx);
    if (!pdf) throw TicketsErrors.bookingTicketsNotFound();
    return { tickets: list, pdf, bookingReference: ctx.bookingReference };
  }

  /** The user's tickets with what a list shows of their campaign and type, newest booking first. */
  async function listTicketsOf(userId: string, take: number, afterId?: string): Promise<TicketView[]> {
    const list = await tickets.listUserTickets(userId, take, afterId);
    if (!list.length) return [];
    const campaigns = new Map(
      (await getCampaignsByIds(deps.prisma, [...new Set(list.map((t) => t.campaignId))])).map((c) => [
        c.id,
        c,
      ]),
    );
    const types = new Map(
      (await getTicketTypesByIds(deps.prisma, [...new Set(list.map((t) => t.ticketTypeId))])).map((t) => [
        t.id,
        t,
      ]),
    );
    return list.map((t) => {
      const c = campaigns.get(t.campaignId);
      return {
        ...t,
        campaign: c ? summary(c) : null,
        ticketTypeName: types.get(t.ticketTypeId)?.name ?? 'Ticket',
      };
    });
  }

  /**
   * The campaign, if the actor may equip a gate device for it: its seller, a MANAGER of that
   * seller assigned to it, or an admin. Anyone else: 403, or 404 for a draft (whose existence
   * is the seller's business only).
   */
  async function authorizeGate(actor: Actor, campaignId: string): Promise<CampaignRecord> {
    const [campaign] = await getCampaignsByIds(deps.prisma, [campaignId]);
    if (!campaign) throw TicketsErrors.campaignNotFound();
    if (isAdmin(actor) || canScanCampaign(actor, campaign)) return campaign;
    if (campaign.status === 'DRAFT') throw TicketsErrors.campaignNotFound();
    throw TicketsErrors.notGateStaff();
  }

  /** The campaign's revocation list, for its gate staff. */
  async function getRevocationListForGate(actor: Actor, campaignId: string): Promise<RevocationList> {
    const campaign = await authorizeGate(actor, campaignId);
    return tickets.getRevocationList(campaign.id);
  }

  /** The campaign's verification keys (ACTIVE and ROTATED), for its gate staff. */
  async function getPublicKeysForGate(actor: Actor, campaignId: string): Promise<CampaignPublicKey[]> {
    const campaign = await authorizeGate(actor, campaignId);
    return tickets.getCampaignPublicKeys(campaign.id);
  }

  return {
    tickets,
    getRevocationListForGate,
    getPublicKeysForGate,
    pdfContextFor,
    pdfContextForTickets,
    issueForConfirmedBooking,
    prepareIssue,
    fileIssued,
    fileIssuedOnPool,
    revokeForBooking,
    getTicketPdfForOwner,
    getBookingPdfForOwner,
    listTicketsOf,
  };
}

export type TicketsWorkflows = ReturnType<typeof createTicketsWorkflows>;
