import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db, Tx } from '../../shared/db';
import type { ErrorDetail } from '../../shared/errors';
import { createEvent, type DomainEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import type { Storage } from '../../shared/storage';
import {
  decryptPrivateKey,
  encryptPrivateKey,
  generateSigningKeyPair,
  parseMasterKey,
} from './tickets.crypto';
import { TicketsErrors } from './tickets.errors';
import {
  TICKET_REVOKED,
  TICKETS_ISSUED,
  TICKETS_RESEND_REQUESTED,
  type TicketRevokedPayload,
  type TicketsIssuedPayload,
  type TicketsResendRequestedPayload,
} from './tickets.events';
import { renderTicketsPdf, type TicketPdfContext } from './tickets.pdf';
import { MAX_SCANS_LIMIT, signTicketPayload, toQrText } from './tickets.qr';
import * as repo from './tickets.repository';
import type {
  KeyStatus,
  RevocationReason,
  RevokedTicket,
  SigningKeyRow,
  TicketRow,
} from './tickets.repository';

export type Issuance = 'SINGLE' | 'SEPARATE';

export interface TicketsDeps {
  prisma: Db;
  clock: Clock;
  storage: Storage;
  /** 32-byte AES-256-GCM key that encrypts campaign private keys (TICKETS_MASTER_KEY). */
  masterKey: Buffer;
}

/** A campaign public key as gate devices download it. */
export interface CampaignPublicKey {
  campaignId: string;
  keyId: number;
  algorithm: 'Ed25519';
  /** Raw 32-byte public key, base64url. */
  publicKey: string;
  status: Exclude<KeyStatus, 'RETIRED'>;
  createdAt: Date;
}

export interface IssueTicketsItem {
  ticketTypeId: string;
  /** People booked on this line. */
  quantity: number;
  /** Entries each person may make (re-entry); 1 for a plain ticket. */
  entriesPerTicket: number;
  /** Overrides the booking's issuance for this line (when ticket types differ). */
  issuance?: Issuance;
  /** Overrides the booking's validity window for this line. */
  validFrom?: Date;
  validUntil?: Date;
}

/** What issuance needs, as plain data: the bookings and campaigns modules supply it. */
export interface IssueTicketsInput {
  bookingId: string;
  campaignId: string;
  /** The buyer: the only user who may see and download these tickets. */
  userId: string;
  holderName: string;
  issuance: Issuance;
  validFrom: Date;
  validUntil: Date;
  items: IssueTicketsItem[];
}

/** A ticket as the module hands it out: the stored row, with its QR code's text. */
export interface Ticket extends Omit<TicketRow, 'qrPayload'> {
  /** The signed payload's bytes, and the text its QR code carries. */
  qrPayload: Buffer;
  qrText: string;
}

export interface RevocationList {
  campaignId: string;
  /** Changes whenever a ticket of the campaign is revoked: devices skip a download when it matches. */
  version: string;
  items: RevokedTicket[];
}

export type EntryResult =
  | { admitted: true; scanCount: number; maxScans: number }
  | {
      admitted: false;
      reason: 'NOT_FOUND' | 'REVOKED' | 'NO_ENTRIES_LEFT';
      scanCount?: number;
      maxScans?: number;
    };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TICKETS_PER_BOOKING = 1000;

function toTicket(r: TicketRow): Ticket {
  const qrPayload = Buffer.from(r.qrPayload);
  return { ...r, qrPayload, qrText: toQrText(qrPayload) };
}

function toPublicKey(k: SigningKeyRow): CampaignPublicKey {
  return {
    campaignId: k.campaignId,
    keyId: k.keyId,
    algorithm: 'Ed25519',
    publicKey: Buffer.from(k.publicKey).toString('base64url'),
    status: k.status as Exclude<KeyStatus, 'RETIRED'>,
    createdAt: k.createdAt,
  };
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
}

/** SINGLE → one ticket admitting `quantity` people; SEPARATE → one per person. max_scans = people × entries. */
function planTickets(input: IssueTicketsInput): PlannedTicket[] {
  const problems: ErrorDetail[] = [];
  const check = (ok: boolean, field: string, message: string) => {
    if (!ok) problems.push({ field, message });
  };
  check(UUID.test(input.bookingId), 'bookingId', 'must be a uuid');
  check(UUID.test(input.campaignId), 'campaignId', 'must be a uuid');
  check(UUID.test(input.userId), 'userId', 'must be a uuid');
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
    check(UUID.test(item.ticketTypeId), f('ticketTypeId'), 'must be a uuid');
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
    const people = issuance === 'SINGLE' ? item.quantity : 1;
    const maxScans = people * item.entriesPerTicket;
    check(
      maxScans <= MAX_SCANS_LIMIT,
      f('entriesPerTicket'),
      `one ticket can allow at most ${MAX_SCANS_LIMIT} entries`,
    );
    const count = issuance === 'SINGLE' ? 1 : item.quantity;
    for (let n = 0; n < count && planned.length <= MAX_TICKETS_PER_BOOKING; n++) {
      planned.push({
        ticketTypeId: item.ticketTypeId.toLowerCase(),
        admits: people,
        maxScans,
        validFrom,
        validUntil,
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

/** The tickets module's use cases, bound to their dependencies (database, clock, storage, master key). */
export function createTicketsService(deps: TicketsDeps) {
  const { prisma, clock, storage, masterKey } = deps;

  async function createKey(tx: Tx, campaignId: string, keyId: number): Promise<SigningKeyRow> {
    const { publicKey, privateKey } = generateSigningKeyPair();
    const row = {
      id: crypto.randomUUID(),
      campaignId,
      keyId,
      publicKey,
      privateKeyEncrypted: encryptPrivateKey(masterKey, privateKey, campaignId, keyId),
      status: 'ACTIVE' as const,
      createdAt: clock.now(),
    };
    await repo.insertKey(tx, row);
    return { ...row, rotatedAt: null, retiredAt: null };
  }

  /**
   * Makes sure the campaign has an ACTIVE signing key and returns it; calling it again returns
   * the same key. Concurrency: callers for one campaign queue on an advisory lock held until
   * their transaction ends, so two publications at once cannot make two keys (the partial
   * unique index on ACTIVE keys would refuse the second anyway).
   */
  async function ensureCampaignKey(tx: Tx, campaignId: string): Promise<CampaignPublicKey> {
    return toPublicKey(await ensureActiveKeyRow(tx, campaignId));
  }

  async function ensureActiveKeyRow(tx: Tx, campaignId: string): Promise<SigningKeyRow> {
    const found = await repo.findActiveKey(tx, campaignId);
    if (found) return found;
    await repo.lockCampaignKeys(tx, campaignId);
    // Re-read under the lock: another transaction may have created it while we waited.
    const created = await repo.findActiveKey(tx, campaignId);
    if (created) return created;
    return createKey(tx, campaignId, (await repo.maxKeyId(tx, campaignId)) + 1);
  }

  /**
   * Replaces the campaign's signing key: the new key signs every ticket issued from now on, the
   * old one becomes ROTATED and still verifies the tickets it signed until it is retired.
   */
  async function rotateCampaignKey(tx: Tx, campaignId: string): Promise<CampaignPublicKey> {
    await repo.lockCampaignKeys(tx, campaignId);
    const active = await repo.findActiveKey(tx, campaignId);
    if (active) await repo.markKeyRotated(tx, active.id, clock.now());
    return toPublicKey(await createKey(tx, campaignId, (await repo.maxKeyId(tx, campaignId)) + 1));
  }

  /** Stops a ROTATED key from verifying anything (e.g. after a leak); the ACTIVE key cannot be retired. */
  async function retireCampaignKey(tx: Tx, campaignId: string, keyId: number): Promise<void> {
    await repo.lockCampaignKeys(tx, campaignId);
    const key = await repo.findKey(tx, campaignId, keyId);
    if (!key) throw TicketsErrors.keyNotFound();
    if (key.status === 'ACTIVE') throw TicketsErrors.keyStillActive();
    if (key.status === 'RETIRED') throw TicketsErrors.keyAlreadyRetired();
    await repo.markKeyRetired(tx, campaignId, keyId, clock.now());
  }

  /** The keys a gate device needs to verify the campaign's tickets offline (ACTIVE and ROTATED). */
  async function getCampaignPublicKeys(campaignId: string): Promise<CampaignPublicKey[]> {
    return (await repo.listKeys(prisma, campaignId, ['ACTIVE', 'ROTATED'])).map(toPublicKey);
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
    const key = await ensureActiveKeyRow(tx, campaignId);
    const privateKey = decryptPrivateKey(masterKey, key.privateKeyEncrypted, campaignId, key.keyId);
    const firstSerial = await repo.allocateSerials(tx, campaignId, planned.length);
    const now = clock.now();
    const rows = planned.map((p, i) => {
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
        },
        privateKey,
      );
      return {
        id,
        bookingId,
        bookingPosition: i + 1,
        userId: input.userId.toLowerCase(),
        campaignId,
        ticketTypeId: p.ticketTypeId,
        serial: firstSerial + i,
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
    await repo.insertTickets(tx, rows, fileKey);
    // What the insert wrote, with the columns' defaults: no need to read it back.
    const tickets = rows.map((r) =>
      toTicket({
        ...r,
        scanCount: 0,
        status: 'VALID',
        fileKey,
        revokedAt: null,
        revokedReason: null,
      }),
    );
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
    const event = createEvent<TicketsIssuedPayload>(
      TICKETS_ISSUED,
      {
        bookingId: first.bookingId,
        campaignId: first.campaignId,
        ticketIds: tickets.map((t) => t.id),
        fileKey,
      },
      clock,
    );
    await enqueue(tx, event);
    return { tickets: tickets.map((t) => ({ ...t, fileKey })), fileKey, created, event };
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

  async function storedOrRendered(
    fileKey: string,
    tickets: Ticket[],
    pdf: TicketPdfContext,
  ): Promise<Buffer> {
    const stored = await storage.get(fileKey);
    if (stored) return stored;
    const rendered = await renderTicketsPdf(tickets, pdf);
    await storage.put(fileKey, rendered);
    return rendered;
  }

  /**
   * Revokes every still-valid ticket of a booking (cancelled, refunded, re-issued) and returns
   * the ids revoked by this call; a second call revokes nothing. Guarded transition
   * VALID → REVOKED, so it races safely with a concurrent revoke or gate entry. Each revoked
   * ticket gets the campaign's next revocation number, and one ticket.revoked event (outbox)
   * carries them to connected gate devices.
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
          TICKET_REVOKED,
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
    if (afterId !== undefined && !UUID.test(afterId)) throw TicketsErrors.invalidCursor();
    return (await repo.listTicketsByUser(prisma, userId, take, afterId?.toLowerCase())).map(toTicket);
  }

  /**
   * Asks for the booking's tickets to be emailed again to its buyer: one tickets.resend.requested
   * event (outbox) whose own id keys the new email, so the first send's record does not block
   * it. Only the buyer may ask (anyone else: TICKETS_NOT_FOUND, as if there were none); revoked
   * tickets are not sent (TICKET_REVOKED).
   */
  async function requestTicketsResend(userId: string, bookingId: string): Promise<{ requestId: string }> {
    if (!UUID.test(bookingId)) throw TicketsErrors.bookingTicketsNotFound();
    const tickets = await repo.listTicketsByBooking(prisma, bookingId.toLowerCase());
    const first = tickets[0];
    if (!first || first.userId !== userId) throw TicketsErrors.bookingTicketsNotFound();
    if (tickets.some((t) => t.status === 'REVOKED')) throw TicketsErrors.ticketRevoked();
    const event = createEvent<TicketsResendRequestedPayload>(
      TICKETS_RESEND_REQUESTED,
      { bookingId: first.bookingId, campaignId: first.campaignId, userId },
      clock,
    );
    await prisma.$transaction((tx) => enqueue(tx, event));
    return { requestId: event.id };
  }

  /** Every revoked ticket of a campaign, for gate devices to check offline scans against. */
  async function getRevocationList(campaignId: string): Promise<RevocationList> {
    const items = await repo.listRevokedTickets(prisma, campaignId.toLowerCase());
    // Revocations are never undone, so (count, latest time) changes with every new one, even
    // when transactions commit out of time order.
    const latest = items.reduce((m, i) => Math.max(m, i.revokedAt.getTime()), 0);
    return { campaignId: campaignId.toLowerCase(), version: `${items.length}-${latest}`, items };
  }

  /**
   * A campaign's revocations numbered above `after` (at most `limit`, in number order): the
   * monotonic cursor gate devices sync with. See revokeBookingTickets for why no number is skipped.
   */
  async function getRevocationsAfter(
    campaignId: string,
    after: number,
    limit: number,
  ): Promise<RevokedTicket[]> {
    return repo.listRevocationsAfter(prisma, campaignId.toLowerCase(), after, limit);
  }

  /**
   * Frees one entry of a ticket (an exit scan), in the caller's transaction: `scan_count - 1`
   * while the ticket is VALID and at least one entry is in use (atomic; see decrementScanCount).
   */
  async function recordTicketExit(tx: Tx, ticketId: string): Promise<EntryResult> {
    return entryOutcome(tx, ticketId, await repo.decrementScanCount(tx, ticketId));
  }

  /** One ticket as stored, read in the caller's transaction (or the root client); null when none. */
  async function findTicketById(db: Tx, ticketId: string): Promise<Ticket | null> {
    if (!UUID.test(ticketId)) return null;
    const row = await repo.findTicket(db, ticketId.toLowerCase());
    return row ? toTicket(row) : null;
  }

  /** Counts one entry through the gate if the ticket is valid and has entries left (atomic; see incrementScanCount). */
  async function recordTicketEntry(tx: Tx, ticketId: string): Promise<EntryResult> {
    return entryOutcome(tx, ticketId, await repo.incrementScanCount(tx, ticketId));
  }

  /** What a guarded counter move means: done, or why not (the row re-read in the same transaction). */
  async function entryOutcome(
    tx: Tx,
    ticketId: string,
    updated: { scanCount: number; maxScans: number } | null,
  ): Promise<EntryResult> {
    if (updated) return { admitted: true, ...updated };
    const ticket = await repo.findTicket(tx, ticketId);
    if (!ticket) return { admitted: false, reason: 'NOT_FOUND' };
    if (ticket.status !== 'VALID')
      return { admitted: false, reason: 'REVOKED', scanCount: ticket.scanCount, maxScans: ticket.maxScans };
    return {
      admitted: false,
      reason: 'NO_ENTRIES_LEFT',
      scanCount: ticket.scanCount,
      maxScans: ticket.maxScans,
    };
  }

  /** A booking's tickets in booking order (empty when none were issued). */
  async function listBookingTickets(bookingId: string): Promise<Ticket[]> {
    return (await repo.listTicketsByBooking(prisma, bookingId.toLowerCase())).map(toTicket);
  }

  /** One ticket, or a TICKET_NOT_FOUND error. */
  async function getTicket(ticketId: string): Promise<Ticket> {
    if (!UUID.test(ticketId)) throw TicketsErrors.ticketNotFound();
    const row = await repo.findTicket(prisma, ticketId.toLowerCase());
    if (!row) throw TicketsErrors.ticketNotFound();
    return toTicket(row);
  }

  return {
    ensureCampaignKey,
    rotateCampaignKey,
    retireCampaignKey,
    getCampaignPublicKeys,
    issueTicketsForBooking,
    issueBookingTickets,
    getBookingTicketsPdf,
    getTicketPdf,
    revokeTicketsForBooking,
    lockBookingForIssuance,
    listUserTickets,
    requestTicketsResend,
    getRevocationList,
    getRevocationsAfter,
    recordTicketEntry,
    recordTicketExit,
    findTicketById,
    listBookingTickets,
    getTicket,
  };
}

export type TicketsService = ReturnType<typeof createTicketsService>;

/** The tickets service for a process, from its configuration. */
export function ticketsDepsFromConfig(
  config: Pick<Config, 'TICKETS_MASTER_KEY'>,
  rest: Omit<TicketsDeps, 'masterKey'>,
): TicketsDeps {
  return { ...rest, masterKey: parseMasterKey(config.TICKETS_MASTER_KEY) };
}
