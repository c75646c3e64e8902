/**
 * Events the tickets module publishes (through the outbox).
 * - tickets.issued: a booking's tickets exist and their PDF is stored.
 * - tickets.resend.requested: the buyer asked for their tickets by email again
 *   (POST /api/v1/bookings/:id/resend-tickets).
 * - ticket.revoked: a booking's tickets were revoked (cancelled, refunded, re-issued); gate
 *   devices refuse them (the name ARCHITECTURE.md gives it).
 */
export const TicketEvents = {
  issued: 'tickets.issued',
  resendRequested: 'tickets.resend.requested',
  revoked: 'ticket.revoked',
} as const;

/** A booking's tickets exist and their PDF is stored under `fileKey`. */
export type TicketsIssuedPayload = {
  bookingId: string;
  campaignId: string;
  ticketIds: string[];
  fileKey: string;
};

/** The event's own id keys the email it causes, so every request is a new email. */
export type TicketsResendRequestedPayload = {
  bookingId: string;
  campaignId: string;
  userId: string;
};

/** One event per revoking transaction (a booking's tickets); `seq` is each ticket's revocation number. */
export type TicketRevokedPayload = {
  campaignId: string;
  bookingId: string;
  reason: 'CANCELLED' | 'REFUNDED' | 'REISSUED';
  revokedAt: string;
  tickets: Array<{ ticketId: string; serial: number; seq: number }>;
};
