/**
 * The tickets module's browser API: what the gate page's bundle may import (no Node built-ins,
 * no dependencies). The QR payload's layout, Base45 codec, key choice and validity-window
 * rules are the server's own (tickets.qr.ts verifies with the same functions), so the phone
 * and the server judge a code the same way; only the Ed25519 call is the caller's.
 */
export {
  QR_PAYLOAD_VERSION,
  SIGNED_PAYLOAD_BYTES,
  seatText,
  prepareTicketVerification,
  judgeTicketVerification,
  isPrepared,
  publicKeyBytes,
  type PreparedVerification,
  type TicketClaims,
  type TicketVerification,
  type VerificationKey,
} from './tickets.qr-layout';
