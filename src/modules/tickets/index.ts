import type { Tx } from '../../shared/db';
import type { Platform } from '../../shared/platform';
import { createStorage } from '../../shared/storage';
import type { CampaignRecord } from '../campaigns';
import type { WebModule } from '../registry';
import { ticketsPages } from './tickets.pages';
import { ticketsRoutes } from './tickets.routes';
import { createTicketsWorkflows } from './tickets.workflows';

/**
 * The tickets module's public API. Other modules and workers use only what is exported here.
 *
 * - Campaign signing keys: ensureCampaignKey (at publication: campaignKeyOnPublish),
 *   rotateCampaignKey, retireCampaignKey, getCampaignPublicKeys (for gate devices).
 * - Issuance: issueBookingTickets (tickets worker, on booking.confirmed), issueTicketsForBooking,
 *   revokeTicketsForBooking (on cancellation/refund; numbers each revocation and queues
 *   ticket.revoked), getRevocationList, getRevocationsAfter (the devices' cursor).
 * - Gate entries (validation module, in its scan transaction): recordTicketEntry, recordTicketExit.
 * - Workflows (createTicketsWorkflows): the same joined to bookings, campaigns and auth, for the
 *   tickets worker (issueForConfirmedBooking, revokeForBooking), the email worker and the web.
 * - The QR codec (verifyTicketQr) runs with public keys alone, on the server or a gate device.
 */
export {
  createTicketsService,
  ticketsDepsFromConfig,
  bookingTicketsFileKey,
  singleTicketFileKey,
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
export {
  TICKET_REVOKED,
  TICKETS_ISSUED,
  TICKETS_RESEND_REQUESTED,
  type TicketRevokedPayload,
  type TicketsIssuedPayload,
  type TicketsResendRequestedPayload,
} from './tickets.events';
export {
  createTicketsWorkflows,
  type TicketsWorkflows,
  type TicketsWorkflowDeps,
  type IssueOutcome,
  type RevokeOutcome,
  type TicketView,
} from './tickets.workflows';
export { qrSvgDataUri } from './tickets.qr-image';
export { generateSigningKeyPair } from './tickets.crypto';
export { signTicketPayload } from './tickets.qr';
export { campaignCheckIns as getCampaignCheckIns } from './tickets.repository';
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

/**
 * The campaigns module's publication hook: gives the campaign its Ed25519 signing key inside
 * the publish transaction, so a published campaign always has one (and a failed publication
 * leaves none behind).
 */
export function campaignKeyOnPublish(
  platform: Platform,
): (tx: Tx, campaign: CampaignRecord) => Promise<void> {
  const { tickets } = createTicketsWorkflows({ ...platform, storage: createStorage(platform.config) });
  return async (tx, campaign) => {
    await tickets.ensureCampaignKey(tx, campaign.id);
  };
}

/** "My tickets" page, the buyer's PDFs and resends, and the gate devices' keys and revocation list. */
export function ticketsWebModule(platform: Platform): WebModule {
  const flows = createTicketsWorkflows({ ...platform, storage: createStorage(platform.config) });
  return {
    name: 'tickets',
    api: ticketsRoutes(platform, flows),
    pages: ticketsPages(platform, flows),
    nav: [{ label: 'My tickets', href: '/tickets', when: (u) => Boolean(u) }],
  };
}
