import crypto, { type KeyObject } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Db, Prisma, SqlClient, Tx } from '../../shared/db';
import type { ErrorDetail } from '../../shared/errors';
import { createEvent, type DomainEvent } from '../../shared/messaging/events';
import { enqueue, outboxRowsCte } from '../../shared/outbox';
import type { Storage } from '../../shared/storage';
import { TicketsErrors } from './tickets.errors';
import {
  TicketEvents,
  type TicketRevokedPayload,
  type TicketsIssuedPayload,
  type TicketsResendRequestedPayload,
} from './tickets.events';
import type { TicketKeys } from './tickets.keys';
import { renderTicketsPdf, type TicketPdfContext } from './tickets.pdf';
import { MAX_SCANS_LIMIT, seatOfPayload, signTicketPayload, toQrText, type TicketSeat } from './tickets.qr';
import * as repo from './tickets.repository';
import type { RevocationReason, TicketRow } from './tickets.repository';
import type { IssueTicketsInput, Ticket } from './tickets.service';
import { isUuid } from '../../shared/uuid';

const MAX_TICKETS_PER_BOOKING = 1000;

export function toTicket(r: TicketRow): Ticket {
  const qrPayload = Buffer.from(r.qrPayload);
  return { ...r, qrPayload, qrText: toQrText(qrPayload), seat: seatOfPayload(qrPayload) ?? null };
}

/** Where a booking's ticket PDF is stored; derived from ids so a re-render overwrites, never duplicates. */
export function bookingTicketsFileKey(campaignId: string, bookingId: string): string {
  return `tickets/${campaignId.toLowerCase()}/${bookingId.toLowerCase()}.pdf`;
}

/** Where one ticket's own PDF (a single page) is kept once asked for; derived like the booking's. */
export function singleTicketFileKey(campaignId: string, bookingId: string, ticketId: string): string {
  return `tickets/${campaignId.toLowerCase()}/${bookingId.toLowerCase()}/${ticketId.toLowerCase()}.pdf`;
}

interface PlannedTicket {
  ticketTypeId: string;
  admits: number;
  maxScans: number;
  validFrom: Date;
  validUntil: Date;
  seat?: TicketSeat;
}

/** SINGLE → one ticket admitting `quantity` people; SEPARATE → one per person. max_scans = people × entries. */
function planTickets(input: IssueTicketsInput): PlannedTicket[] {
  const problems: ErrorDetail[] = [];
  const check = (ok: boolean, field: string, message: string) => {
    if (!ok) problems.push({ field, message });
  };
  check(isUuid(input.bookingId), 'bookingId', 'must be a uuid');
  check(isUuid(input.campaignId), 'campaignId', 'must be a uuid');
  check(isUuid(input.userId), 'userId', 'must be a uuid');
  check(
    typeof input.holderName === 'string' &&
      input.holderName.trim().length > 0 &&
      input.holderName.length <= 200,
    'holderName',
    'must be 1-200 characters',
  );
  check(
    input.issuance === 'SINGLE' || input.issuance === 'SEPARATE',
    'issuance',
    'must be SINGLE or SEPARATE',
  );
  check(Array.isArray(input.items) && input.items.length > 0, 'items', 'must list at least one ticket type');
  const planned: PlannedTicket[] = [];
  (input.items ?? []).forEach((item, i) => {
    const f = (name: string) => `items[${i}].${name}`;
    const issuance = item.issuance ?? input.issuance;
    const validFrom = item.validFrom ?? input.validFrom;
    const validUntil = item.validUntil ?? input.validUntil;
    check(isUuid(item.ticketTypeId), f('ticketTypeId'), 'must be a uuid');
    check(Number.isInteger(item.quantity) && item.quantity >= 1, f('quantity'), 'must be a positive integer');
    check(
      Number.isInteger(item.entriesPerTicket) && item.entriesPerTicket >= 1,
      f('entriesPerTicket'),
      'must be a positive integer',
    );
    check(issuance === 'SINGLE' || issuance === 'SEPARATE', f('issuance'), 'must be SINGLE or SEPARATE');
    check(
      validFrom instanceof Date &&
        validUntil instanceof Date &&
        validUntil.getTime() - validFrom.getTime() >= 1000,
      f('validUntil'),
      'must be at least a second after validFrom',
    );
    // A seated line is one ticket per seat, whatever the booking's issuance: a seat admits one.
    const seats = item.seats?.length ? item.seats : undefined;
    check(!seats || seats.length === item.quantity, f('seats'), 'one seat per person');
    const people = issuance === 'SINGLE' && !seats ? item.quantity : 1;
    const maxScans = people * item.entriesPerTicket;
    check(
      maxScans <= MAX_SCANS_LIMIT,
      f('entriesPerTicket'),
      `one ticket can allow at most ${MAX_SCANS_LIMIT} entries`,
    );
    const count = issuance === 'SINGLE' && !seats ? 1 : item.quantity;
    for (let n = 0; n < count && planned.length <= MAX_TICKETS_PER_BOOKING; n++) {
      planned.push({
        ticketTypeId: item.ticketTypeId.toLowerCase(),
        admits: people,
        maxScans,
        validFrom,
        validUntil,
        ...(seats?.[n] ? { seat: seats[n] } : {}),
      });
    }
  });
  check(
    planned.length <= MAX_TICKETS_PER_BOOKING,
    'items',
    `a booking can have at most ${MAX_TICKETS_PER_BOOKING} tickets`,
  );
  if (problems.length) throw TicketsErrors.invalidIssueInput(problems);
  return planned;
}

/** Issuance: a booking's tickets made once, their PDFs, revocation, and the buyer's reads. */
export function createTicketIssuance(deps: { prisma: Db; clock: Clock; storage: Storage; keys: TicketKeys }) {
  const { prisma, clock, storage, keys } = deps;

  /** The booking's new rows, each with its id and its QR payload signed with `key` (no serial yet). */
  function newTicketRows(
    input: IssueTicketsInput,
    planned: PlannedTicket[],
    key: { keyId: number; privateKey: KeyObject },
  ): repo.NewTicketRow[] {
    const bookingId = input.bookingId.toLowerCase();
    const campaignId = input.campaignId.toLowerCase();
    const now = clock.now();
    return planned.map((p, i) => {
      const id = crypto.randomUUID();
      // The payload carries whole seconds; the row keeps exactly what was signed.
      const validFrom = new Date(Math.floor(p.validFrom.getTime() / 1000) * 1000);
      const validUntil = new Date(Math.floor(p.validUntil.getTime() / 1000) * 1000);
      const qrPayload = signTicketPayload(
        {
          ticketId: id,
          campaignId,
          ticketTypeId: p.ticketTypeId,
          maxScans: p.maxScans,
          validFrom,
          validUntil,
          keyId: key.keyId,
          ...(p.seat ? { seat: p.seat } : {}),
        },
        key.privateKey,
      );
      return {
        id,
        bookingId,
        bookingPosition: i + 1,
        userId: input.userId.toLowerCase(),
        campaignId,
        ticketTypeId: p.ticketTypeId,
        holderName: input.holderName.trim(),
        admits: p.admits,
        maxScans: p.maxScans,
        validFrom,
        validUntil,
        keyId: key.keyId,
        qrPayload,
        createdAt: now,
      };
    });
  }

  /** What the insert wrote, with the columns' defaults: no need to read it back. */
  function issuedTickets(rows: repo.NewTicketRow[], firstSerial: number, fileKey: string | null): Ticket[] {
    return rows.map((r, i) =>
      toTicket({
        ...r,
        serial: firstSerial + i,
        scanCount: 0,
        status: 'VALID',
        fileKey,
        revokedAt: null,
        revokedReason: null,
      }),
    );
  }

  /**
   * Issues a booking's tickets once: a second call (a redelivered booking.confirmed) returns
   * the tickets the first one made and creates nothing. Concurrency: issuers of one booking
   * queue on an advisory lock and re-read after it, so only the first inserts; if the lock
   * were bypassed, the unique (booking_id, booking_position) would still refuse duplicates.
   * Serials come from the campaign's counter row (see allocateSerials).
   */
  async function issueTicketsForBooking(
    tx: Tx,
    input: IssueTicketsInput,
  ): Promise<{ tickets: Ticket[]; created: boolean }> {
    return issueOnce(tx, input, null);
  }

  /**
   * issueTicketsForBooking, with the PDF's storage key written on the new rows when the caller
   * stores the PDF before its transaction commits (issueBookingTickets): then a committed
   * file_key always names a stored file, and no second UPDATE is needed.
   */
  async function issueOnce(
    tx: Tx,
    input: IssueTicketsInput,
    fileKey: string | null,
  ): Promise<{ tickets: Ticket[]; created: boolean }> {
    const planned = planTickets(input);
    const bookingId = input.bookingId.toLowerCase();
    const campaignId = input.campaignId.toLowerCase();
    await repo.lockBookingIssuance(tx, bookingId);
    const issuedFor = await repo.findBookingTicketsCampaign(tx, bookingId);
    if (issuedFor) {
      if (issuedFor !== campaignId) throw TicketsErrors.bookingCampaignMismatch();
      return { tickets: (await repo.listTicketsByBooking(tx, bookingId)).map(toTicket), created: false };
    }
    const { firstSerial, activeKeyId } = await repo.allocateSerials(tx, campaignId, planned.length);
    const key = await keys.signingKeyFor(tx, campaignId, activeKeyId);
    const rows = newTicketRows(input, planned, key);
    await repo.insertTickets(tx, rows, firstSerial, fileKey);
    const tickets = issuedTickets(rows, firstSerial, fileKey);
    return { tickets, created: true };
  }

  /**
   * The whole of issuance for the tickets worker, in the caller's transaction: issue (once),
   * render the PDF, store it under a key derived from the booking, record the key on the
   * tickets and enqueue tickets.issued. Crash safety: the PDF is written atomically before the
   * transaction commits; if the process dies before the commit, nothing of the database part
   * remains and a redelivery renders again onto the same storage key, so there is one file.
   * Called again after a commit, it changes nothing and enqueues nothing (it only re-stores the
   * PDF if the stored file has gone missing).
   */
  async function issueBookingTickets(
    tx: Tx,
    input: IssueTicketsInput,
    pdf: TicketPdfContext,
  ): Promise<{
    tickets: Ticket[];
    fileKey: string;
    created: boolean;
    event?: DomainEvent<TicketsIssuedPayload>;
  }> {
    const fileKey = bookingTicketsFileKey(input.campaignId, input.bookingId);
    const { tickets, created } = await issueOnce(tx, input, fileKey);
    const first = tickets[0]!;
    // Revoked tickets never get a PDF again (revokeTicketsForBooking deleted theirs).
    const revoked = tickets.some((t) => t.status === 'REVOKED');
    if (!revoked && (created || first.fileKey !== fileKey || !(await storage.exists(fileKey)))) {
      await storage.put(fileKey, await renderTicketsPdf(tickets, pdf));
      if (first.fileKey !== fileKey) await repo.setBookingFileKey(tx, first.bookingId, fileKey);
    }
    if (!created) return { tickets: tickets.map((t) => ({ ...t, fileKey })), fileKey, created };
    const event = issuedEvent(tickets, fileKey);
    await enqueue(tx, event);
    return { tickets: tickets.map((t) => ({ ...t, fileKey })), fileKey, created, event };
  }

  /**
   * The second step of the tickets worker's issuance (the first, issueTicketsForBooking, has
   * committed the tickets without a file; the PDF was rendered between the two, holding no
   * connection and no lock): stores the PDF, records its key on the tickets and enqueues
   * tickets.issued, all in `tx`. The guarded transition file_key NULL → key (fileBookingTickets)
   * decides: only the call that makes it stores and enqueues, so a redelivery enqueues nothing,
   * and revoked tickets are never filed. The file is written before `tx` commits: a committed key
   * always names a stored file; a crash before the commit leaves the tickets unfiled and the
   * redelivery renders and stores again onto the same key (one file). `pdf` null means nothing
   * was rendered because the file was there already. A filed booking whose file has gone missing
   * gets it stored again under the shared issuance lock (see storedOrRendered).
   */
  async function fileIssuedTickets(
    tx: Tx,
    tickets: Ticket[],
    pdf: Buffer | null,
  ): Promise<{
    outcome: 'FILED' | 'ALREADY_FILED' | 'REVOKED';
    fileKey: string;
    event?: DomainEvent<TicketsIssuedPayload>;
  }> {
    const first = tickets[0]!;
    const fileKey = bookingTicketsFileKey(first.campaignId, first.bookingId);
    if (pdf && (await repo.fileBookingTickets(tx, first.bookingId, fileKey)) > 0) {
      await storage.put(fileKey, pdf);
      const event = issuedEvent(tickets, fileKey);
      await enqueue(tx, event);
      return { outcome: 'FILED', fileKey, event };
    }
    await repo.lockBookingIssuanceShared(tx, first.bookingId);
    const current = await repo.listTicketsByBooking(tx, first.bookingId);
    if (current.some((t) => t.status === 'REVOKED')) return { outcome: 'REVOKED', fileKey };
    // Filed already (by an earlier delivery); its file is stored again only if it went missing.
    if (pdf && current[0]?.fileKey === fileKey && !(await storage.exists(fileKey)))
      await storage.put(fileKey, pdf);
    return { outcome: 'ALREADY_FILED', fileKey };
  }

  /*
   * The tickets worker's two steps on its own pg client (the pool under Prisma), for the common
   * case: a confirmed booking issued for the first time, then filed. Why not Prisma here: the job
   * is a handful of statements, each costing the Prisma client about three times the CPU of the
   * same statement through node-postgres, and the worker's main thread (its queue, database and
   * file work) must fit beside the render thread on a machine's other core. The general path
   * (Prisma, issueTicketsForBooking and fileIssuedTickets) stays for every other case, and both
   * take the same locks and make the same guarded transitions, so they can run side by side.
   */

  /** BEGIN and the booking's issuance lock, one round trip (see lockBookingForIssuance for why it comes first). */
  async function beginIssuanceOn(client: SqlClient, bookingId: string): Promise<void> {
    await repo.beginWithIssuanceLockOn(client, bookingId.toLowerCase());
  }

  /**
   * In the caller's transaction on `client` (after beginIssuanceOn: a snapshot taken after the
   * lock): whether the booking has tickets, the campaign's ACTIVE key id, and the other modules'
   * `parts` of the same read statement.
   */
  async function readIssuanceOn(
    client: SqlClient,
    bookingId: string,
    campaignId: string,
    parts: Record<string, Prisma.Sql>,
  ): Promise<repo.IssuanceReads> {
    return repo.readIssuanceOn(client, bookingId.toLowerCase(), campaignId.toLowerCase(), parts);
  }

  /**
   * issueTicketsForBooking on `client`, for a booking the caller found without tickets under the
   * issuance lock it holds in that transaction: signs with the campaign's ACTIVE key
   * `activeKeyId`, then numbers and inserts the rows in one statement (serials from the campaign's
   * counter row, locked to the commit: gapless, never repeated). Null, with nothing written, when
   * this process has not decrypted that key yet: the caller then takes the general path, which
   * loads it.
   */
  async function issueNewTicketsOn(
    client: SqlClient,
    input: IssueTicketsInput,
    activeKeyId: number,
  ): Promise<Ticket[] | null> {
    const planned = planTickets(input);
    const campaignId = input.campaignId.toLowerCase();
    const key = keys.cachedSigningKey(campaignId, activeKeyId);
    if (!key) return null;
    const rows = newTicketRows(input, planned, key);
    const firstSerial = await repo.insertTicketsWithSerialsOn(client, campaignId, rows);
    return issuedTickets(rows, firstSerial, null);
  }

  /**
   * fileIssuedTickets with the consumer's inbox row, in a transaction of its own on `client`:
   * BEGIN; ONE statement (the inbox row, the guarded transition file_key NULL → key on VALID
   * tickets, the tickets.issued outbox row: fileBookingTicketsOn); the PDF stored; COMMIT. The
   * same guarantees as the inbox transaction running fileIssuedTickets: only the call that makes
   * the transition stores and enqueues; the file is stored before the commit, so a committed key
   * names a stored file; a crash before the commit rolls the inbox row back too, and the
   * redelivery does it all again onto the same key. DUPLICATE: the inbox row was there, nothing
   * written. NOT_FILED: the row went in but the transition did not happen (filed by an earlier
   * delivery, or revoked); it is rolled back and the caller runs fileIssuedTickets in an inbox
   * transaction, which tells those two apart.
   */
  async function fileIssuedTicketsOn(
    client: SqlClient,
    consumer: string,
    eventId: string,
    tickets: Ticket[],
    pdf: Buffer,
  ): Promise<
    | { outcome: 'FILED'; fileKey: string; event: DomainEvent<TicketsIssuedPayload> }
    | { outcome: 'DUPLICATE' }
    | { outcome: 'NOT_FILED' }
  > {
    const first = tickets[0]!;
    const fileKey = bookingTicketsFileKey(first.campaignId, first.bookingId);
    const event = issuedEvent(tickets, fileKey);
    await client.query('BEGIN');
    const { inboxed, filed } = await repo.fileBookingTicketsOn(client, {
      consumer,
      eventId,
      bookingId: first.bookingId,
      fileKey,
      outbox: (onlyIf) => outboxRowsCte('outbox', [event], onlyIf),
    });
    if (filed > 0) {
      await storage.put(fileKey, pdf);
      await client.query('COMMIT');
      return { outcome: 'FILED', fileKey, event };
    }
    await client.query('ROLLBACK');
    return inboxed ? { outcome: 'NOT_FILED' } : { outcome: 'DUPLICATE' };
  }

  function issuedEvent(tickets: Ticket[], fileKey: string): DomainEvent<TicketsIssuedPayload> {
    const first = tickets[0]!;
    return createEvent<TicketsIssuedPayload>(
      TicketEvents.issued,
      {
        bookingId: first.bookingId,
        campaignId: first.campaignId,
        ticketIds: tickets.map((t) => t.id),
        fileKey,
      },
      clock,
    );
  }

  /** Whether a booking's PDF must be rendered for fileIssuedTickets: unfiled, or its file missing. */
  async function needsPdf(tickets: Ticket[]): Promise<boolean> {
    const first = tickets[0];
    if (!first || tickets.some((t) => t.status === 'REVOKED')) return false;
    const fileKey = bookingTicketsFileKey(first.campaignId, first.bookingId);
    return first.fileKey !== fileKey || !(await storage.exists(fileKey));
  }

  /**
   * The stored PDF of a booking's tickets, re-rendered and re-stored if the file has gone; null
   * when the booking has no tickets. Refuses revoked tickets (TICKET_REVOKED): see ticketPdfOf.
   */
  async function getBookingTicketsPdf(bookingId: string, pdf: TicketPdfContext): Promise<Buffer | null> {
    const tickets = (await repo.listTicketsByBooking(prisma, bookingId.toLowerCase())).map(toTicket);
    const first = tickets[0];
    if (!first) return null;
    if (tickets.some((t) => t.status === 'REVOKED')) throw TicketsErrors.ticketRevoked();
    const fileKey = first.fileKey ?? bookingTicketsFileKey(first.campaignId, first.bookingId);
    return storedOrRendered(fileKey, tickets, pdf);
  }

  /**
   * One ticket's PDF (a single page), kept in storage once made. A booking of one ticket reuses
   * the booking's file. A revoked ticket has no PDF (TICKET_REVOKED): a document that looks
   * valid but admits no one only helps someone resell it to a buyer who cannot tell.
   */
  async function getTicketPdf(ticket: Ticket, pdf: TicketPdfContext): Promise<Buffer> {
    if (ticket.status === 'REVOKED') throw TicketsErrors.ticketRevoked();
    const siblings = await repo.listTicketsByBooking(prisma, ticket.bookingId);
    if (siblings.length === 1) {
      const key = ticket.fileKey ?? bookingTicketsFileKey(ticket.campaignId, ticket.bookingId);
      return storedOrRendered(key, [ticket], pdf);
    }
    return storedOrRendered(
      singleTicketFileKey(ticket.campaignId, ticket.bookingId, ticket.id),
      [ticket],
      pdf,
    );
  }

  /*
   * A missing file is rendered again (derived data), and stored only if its tickets are still
   * valid when it is stored. The re-check and the write run under the booking's issuance lock in
   * shared mode (re-renders do not wait for each other), which a revocation holds exclusively
   * around its VALID → REVOKED update and file deletion (revokeTicketsForBooking). So either the
   * revocation commits first and the re-check sees REVOKED (nothing stored, TICKET_REVOKED), or
   * the write comes first and the revocation, waiting for it, deletes the file.
   * Without the lock a download or the email worker that read VALID just before a refund wrote
   * the PDF back after the revocation had deleted it: a revoked ticket had a file again (the
   * tickets-flow refund test saw it once). Rendering runs before the transaction, so the pooled
   * connection is held only for a status read and a local file write.
   */
  async function storedOrRendered(
    fileKey: string,
    tickets: Ticket[],
    pdf: TicketPdfContext,
  ): Promise<Buffer> {
    const stored = await storage.get(fileKey);
    if (stored) return stored;
    const rendered = await renderTicketsPdf(tickets, pdf);
    const bookingId = tickets[0]!.bookingId;
    const ids = new Set(tickets.map((t) => t.id));
    await prisma.$transaction(async (tx) => {
      await repo.lockBookingIssuanceShared(tx, bookingId);
      const current = await repo.listTicketsByBooking(tx, bookingId);
      if (current.some((t) => ids.has(t.id) && t.status === 'REVOKED')) throw TicketsErrors.ticketRevoked();
      await storage.put(fileKey, rendered);
    });
    return rendered;
  }

  /**
   * Revokes every still-valid ticket of a booking (cancelled, refunded, re-issued) and returns
   * the ids revoked by this call; a second call revokes nothing. Guarded transition
   * VALID → REVOKED, so it races safely with a concurrent revoke or gate entry. Each revoked
   * ticket gets the campaign's next revocation number (see revokeBookingTickets), and one
   * ticket.revoked event (outbox) carries them to connected gate devices.
   */
  async function revokeTicketsForBooking(
    tx: Tx,
    bookingId: string,
    reason: RevocationReason,
  ): Promise<string[]> {
    const id = bookingId.toLowerCase();
    // The issuance lock: a revocation waits for an issuance of the same booking in progress and
    // then revokes what it made (see lockBookingForIssuance).
    await repo.lockBookingIssuance(tx, id);
    const at = clock.now();
    const rows = await repo.revokeBookingTickets(tx, id, reason, at);
    if (rows.length) {
      await enqueue(
        tx,
        createEvent<TicketRevokedPayload>(
          TicketEvents.revoked,
          {
            campaignId: rows[0]!.campaignId,
            bookingId: id,
            reason,
            revokedAt: at.toISOString(),
            tickets: rows.map((r) => ({ ticketId: r.id, serial: r.serial, seq: r.seq })),
          },
          clock,
        ),
      );
      // Their PDFs go too. Deleted before our commit: if the transaction then rolls back, the
      // tickets are still valid and the PDF routes render the missing files again on demand.
      const campaignId = rows[0]!.campaignId;
      await storage.delete(bookingTicketsFileKey(campaignId, id));
      for (const r of rows) await storage.delete(singleTicketFileKey(campaignId, id, r.id));
    }
    return rows.map((r) => r.id);
  }

  /**
   * Takes the booking's issuance lock until `tx` ends. Callers that decide whether to issue from
   * another module's state (the booking's status) take it BEFORE reading that state: issuance
   * and revocation of one booking then run one after the other, and whichever runs second sees
   * what the first committed. Without it, an issuer could read CONFIRMED, a refund and its
   * revocation could commit meanwhile (revoking nothing yet), and the issuer would then commit
   * valid tickets for a refunded booking. Advisory locks are re-entrant within a session, so
   * issueBookingTickets taking it again is harmless.
   */
  async function lockBookingForIssuance(tx: Tx, bookingId: string): Promise<void> {
    await repo.lockBookingIssuance(tx, bookingId.toLowerCase());
  }

  /** A user's tickets, newest booking first (keyset pagination on the last ticket id seen). */
  async function listUserTickets(userId: string, take: number, afterId?: string): Promise<Ticket[]> {
    if (afterId !== undefined && !isUuid(afterId)) throw TicketsErrors.invalidCursor();
    return (await repo.listTicketsByUser(prisma, userId, take, afterId?.toLowerCase())).map(toTicket);
  }

  /**
   * Asks for the booking's tickets to be emailed again to its buyer: one tickets.resend.requested
   * event (outbox) whose own id keys the new email, so the first send's record does not block
   * it. Only the buyer may ask (anyone else: TICKETS_NOT_FOUND, as if there were none); revoked
   * tickets are not sent (TICKET_REVOKED).
   */
  async function requestTicketsResend(userId: string, bookingId: string): Promise<{ requestId: string }> {
    if (!isUuid(bookingId)) throw TicketsErrors.bookingTicketsNotFound();
    const tickets = await repo.listTicketsByBooking(prisma, bookingId.toLowerCase());
    const first = tickets[0];
    if (!first || first.userId !== userId) throw TicketsErrors.bookingTicketsNotFound();
    if (tickets.some((t) => t.status === 'REVOKED')) throw TicketsErrors.ticketRevoked();
    const event = createEvent<TicketsResendRequestedPayload>(
      TicketEvents.resendRequested,
      { bookingId: first.bookingId, campaignId: first.campaignId, userId },
      clock,
    );
    await prisma.$transaction((tx) => enqueue(tx, event));
    return { requestId: event.id };
  }

  /** A booking's tickets in booking order (empty when none were issued). */
  async function listBookingTickets(bookingId: string): Promise<Ticket[]> {
    return (await repo.listTicketsByBooking(prisma, bookingId.toLowerCase())).map(toTicket);
  }

  /** One ticket, or a TICKET_NOT_FOUND error. */
  async function getTicket(ticketId: string): Promise<Ticket> {
    if (!isUuid(ticketId)) throw TicketsErrors.ticketNotFound();
    const row = await repo.findTicket(prisma, ticketId.toLowerCase());
    if (!row) throw TicketsErrors.ticketNotFound();
    return toTicket(row);
  }

  return {
    issueTicketsForBooking,
    issueBookingTickets,
    fileIssuedTickets,
    beginIssuanceOn,
    readIssuanceOn,
    issueNewTicketsOn,
    fileIssuedTicketsOn,
    needsPdf,
    getBookingTicketsPdf,
    getTicketPdf,
    revokeTicketsForBooking,
    lockBookingForIssuance,
    listUserTickets,
    requestTicketsResend,
    listBookingTickets,
    getTicket,
  };
}
