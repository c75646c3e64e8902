/**
 * The tickets module's public API. Other modules and workers use only what is exported here.
 *
 * - Campaign signing keys: ensureCampaignKey (at publication), rotateCampaignKey,
 *   retireCampaignKey, getCampaignPublicKeys (for gate devices).
 * - Issuance: issueBookingTickets (tickets worker, on booking.confirmed), issueTicketsForBooking,
 *   revokeTicketsForBooking (on cancellation/refund), getRevocationList, recordTicketEntry.
 * - The QR codec (verifyTicketQr) runs with public keys alone, on the server or a gate device.
 */
export {
  createTicketsService,
  ticketsDepsFromConfig,
  bookingTicketsFileKey,
  type TicketsService,
  type TicketsDeps,
  type Ticket,
  type Issuance,
  type IssueTicketsInput,
  type IssueTicketsItem,
  type CampaignPublicKey,
  type RevocationList,
  type EntryResult,
} from './tickets.service';
export type { RevocationReason, RevokedTicket, TicketStatus, KeyStatus } from './tickets.repository';
export { TICKETS_ISSUED, type TicketsIssuedPayload } from './tickets.events';
export {
  verifyTicketQr,
  toQrText,
  QR_PAYLOAD_VERSION,
  type TicketClaims,
  type TicketVerification,
  type VerificationKey,
} from './tickets.qr';
export {
  renderTicketsPdf,
  formatSerial,
  bookingReference,
  qrDimensions,
  type TicketPdfContext,
  type CampaignKind,
} from './tickets.pdf';
