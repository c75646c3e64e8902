import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db } from '../../shared/db';
import type { Storage } from '../../shared/storage';
import { parseMasterKey } from './tickets.crypto';
import { createTicketEntries } from './tickets.entries';
import { createTicketIssuance } from './tickets.issuance';
import { createTicketKeys } from './tickets.keys';
import type { KeyStatus, RevokedTicket, TicketRow } from './tickets.repository';
import type { TicketSeat } from './tickets.qr';

export { bookingTicketsFileKey, singleTicketFileKey } from './tickets.issuance';

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
  /** Seated lines: one seat per person; each gets its own ticket carrying its seat in the signed QR. */
  seats?: TicketSeat[];
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
  /** Seated tickets: the seat the signed payload carries. */
  seat: TicketSeat | null;
}

export interface RevocationList {
  campaignId: string;
  /** Changes whenever a ticket of the campaign is revoked: devices skip a download when it matches. */
  version: string;
  items: RevokedTicket[];
}

export type EntryResult =
  /** Counted; with what a gate shows of the ticket, so the caller need not read it first. */
  | { admitted: true; scanCount: number; maxScans: number; serial: number; holderName: string }
  | {
      admitted: false;
      reason: 'NOT_FOUND' | 'REVOKED' | 'NO_ENTRIES_LEFT';
      scanCount?: number;
      maxScans?: number;
    };

/**
 * The tickets module's use cases, by use case: signing keys (tickets.keys.ts), issuance and the
 * buyer's tickets (tickets.issuance.ts), gate entries and revocations (tickets.entries.ts). Built
 * once per process, in the container.
 */
export function createTicketsService(deps: TicketsDeps) {
  const keys = createTicketKeys(deps);
  const { signingKeyFor: _load, cachedSigningKey: _cached, ...publicKeys } = keys;
  return {
    ...publicKeys,
    ...createTicketIssuance({ ...deps, keys }),
    ...createTicketEntries(deps),
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
