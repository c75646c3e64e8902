/**
 * Events the validation module publishes (through the outbox).
 * - ticket.scanned: one decided scan (the name ARCHITECTURE.md gives it).
 */
export const ValidationEvents = {
  scanned: 'ticket.scanned',
} as const;

/**
 * One decided scan (ok or refused, online or an uploaded offline one). `counted` says the
 * ticket's entry counter moved; `conflict` that the device's own decision differed.
 */
export type TicketScannedPayload = {
  scanId: string;
  campaignId: string;
  ticketId: string | null;
  ticketTypeId: string | null;
  gateId: string | null;
  deviceId: string | null;
  userId: string | null;
  type: 'entry' | 'exit';
  result: 'ok' | 'refused';
  reason: string | null;
  counted: boolean;
  conflict: boolean;
  offline: boolean;
  scannedAt: string;
  receivedAt: string;
};
