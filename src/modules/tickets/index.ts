import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { ticketsPages, type TicketPageReads } from './tickets.pages';
import { ticketsRoutes } from './tickets.routes';
import type { TicketsWorkflows } from './tickets.workflows';

/**
 * The tickets module's public API. Other modules and workers use only what is exported here.
 *
 * - Campaign signing keys: ensureCampaignKey (the container hands it to campaigns, which calls it
 *   in the publish transaction), rotateCampaignKey, retireCampaignKey, getCampaignPublicKeys.
 * - Issuance: issueTicketsForBooking then fileIssuedTickets (the tickets worker's two steps, the
 *   render between them), issueBookingTickets (both in one transaction, for seeds and tests),
 *   revokeTicketsForBooking (on cancellation/refund; numbers each revocation and queues
 *   ticket.revoked).
 * - Entries: getRevocationList, getRevocationsAfter (the devices' cursor), findTicketById, and
 *   for the validation module's scan transaction recordTicketEntry / recordTicketExit, or
 *   counterMovesPart: the same guarded counter moves, for many tickets, as CTEs of the caller's
 *   own single statement (counted scans' rows and events are written from what they return).
 * - Workflows (createTicketsWorkflows): the same joined to bookings, campaigns and auth, for the
 *   tickets worker (prepareIssue + fileIssued, revokeForBooking; issueForConfirmedBooking in one
 *   transaction for seeds and tests), the email worker and the web.
 * - The QR codec (verifyTicketQr) runs with public keys alone, on the server or a gate device.
 */
export {
  createTicketsService,
  ticketsDepsFromConfig,
  bookingTicketsFileKey,
  type TicketsService,
  type Ticket,
  type Issuance,
  type IssueTicketsInput,
  type IssueTicketsItem,
  type CampaignPublicKey,
  type RevocationList,
  type EntryResult,
} from './tickets.service';
export type { RevocationReason, RevokedTicket, TicketStatus, KeyStatus } from './tickets.repository';
export {
  TicketEvents,
  type TicketRevokedPayload,
  type TicketsIssuedPayload,
  type TicketsResendRequestedPayload,
} from './tickets.events';
export {
  createTicketsWorkflows,
  type TicketsWorkflows,
  type TicketsWorkflowDeps,
  type IssueHint,
  type IssueOutcome,
  type PreparedIssue,
  type RevokeOutcome,
  type TicketView,
} from './tickets.workflows';
export { qrSvgDataUri } from './tickets.qr-image';
export { generateSigningKeyPair } from './tickets.crypto';
export { signTicketPayload } from './tickets.qr';
export {
  verifyTicketQr,
  toQrText,
  QR_PAYLOAD_VERSION,
  type TicketClaims,
  type TicketVerification,
  type VerificationKey,
} from './tickets.qr';
export { createRenderPool, type RenderPdf, type RenderPool } from './tickets.render-pool';
export { renderTicketsPdf, qrDimensions, type TicketPdfContext, type CampaignKind } from './tickets.pdf';

/** "My tickets" page, the buyer's PDFs and resends, and the gate devices' keys and revocation list. */
export function ticketsWebModule(
  platform: Platform,
  flows: TicketsWorkflows,
  reads: TicketPageReads,
): WebModule {
  return {
    name: 'tickets',
    api: ticketsRoutes(platform, flows),
    pages: ticketsPages(platform, flows, reads),
    nav: [{ label: 'My tickets', href: '/tickets', when: (u) => Boolean(u) }],
  };
}
