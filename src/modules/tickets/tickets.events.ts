/** Events the tickets module publishes (through the outbox). */
export const TICKETS_ISSUED = 'tickets.issued';

/** A booking's tickets exist and their PDF is stored under `fileKey`. */
export type TicketsIssuedPayload = {
  bookingId: string;
  campaignId: string;
  ticketIds: string[];
  fileKey: string;
};
