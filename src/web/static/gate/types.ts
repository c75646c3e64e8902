// Shapes of the validation API as docs/validation-api.md defines them (the server's contract).

export type ScanType = 'entry' | 'exit';
export type Reason =
  | 'invalid_code'
  | 'invalid_signature'
  | 'unknown_key'
  | 'wrong_campaign'
  | 'revoked'
  | 'already_used'
  | 'not_yet_valid'
  | 'expired'
  | 'campaign_not_active'
  | 'reentry_not_allowed'
  | 'not_inside';

/** What the page is rendered with (`it.gateJson`). */
export interface GateData {
  mode: 'device' | 'user';
  device: { id: string; name: string } | null;
  user: { id: string; name: string } | null;
  csrfToken: string;
  bootstrapUrl: string;
  scanUrl: string;
  /** With `{campaignId}` in it; `?after=<seq>` is added. */
  revocationsUrl: string;
  gateId: string | null;
  /** The campaign's IANA time zone: times are shown in it before the first bootstrap arrives too. */
  campaigns: Array<{ id: string; title: string; timezone: string }>;
}

export interface RevocationItem {
  seq: number;
  ticketId: string;
  serial: number;
  revokedAt: string;
  reason: 'REFUNDED' | 'CANCELLED' | 'REISSUED';
}

export interface BootstrapCampaign {
  id: string;
  title: string;
  status: string;
  startsAt: string;
  endsAt: string;
  timezone: string;
  gates: Array<{ id: string; name: string }>;
  ticketTypes: Array<{ id: string; name: string; reentry: boolean }>;
  keys: Array<{ keyId: number; algorithm: 'Ed25519'; publicKey: string; status: string }>;
  revocations: { seq: number; items: RevocationItem[] };
  socket: { room: string; token: string };
}

export interface Bootstrap {
  serverTime: string;
  actor: { kind: 'device' | 'user'; name: string; deviceId?: string; userId?: string };
  gate: { id: string; name: string } | null;
  campaigns: BootstrapCampaign[];
}

export interface ScanRequest {
  qr: string;
  scanId: string;
  type: ScanType;
  scannedAt: string;
  gateId?: string;
  offline?: boolean;
  deviceResult?: 'ok' | 'refused';
  deviceReason?: Reason;
}

export interface TicketSummary {
  id: string;
  serial?: number;
  typeName?: string;
  /** Seated tickets: "North Stand · Row C · Seat 12", from the signed QR. */
  seat?: string;
  holderName?: string;
  entriesUsed: number;
  maxEntries: number;
}

/** A decision as the page shows it: the server's answer, or the device's own offline. */
export interface Decision {
  scanId: string;
  type: ScanType;
  result: 'ok' | 'refused';
  reason?: Reason;
  ticket: TicketSummary | null;
  firstScannedAt?: string;
  firstGate?: string;
  revokedAt?: string;
  revokedReason?: RevocationItem['reason'];
  /** Made by the device with no server answer (amber). */
  offline: boolean;
  conflict?: boolean;
  validFrom?: string;
  validUntil?: string;
  receivedAt?: string;
}

export interface GateCounts {
  campaignId: string;
  at: string;
  totals: { entries: number; exits: number; inside: number };
  gates: Array<{ gateId: string | null; name: string; entries: number; exits: number; inside: number }>;
  ticketTypes: Array<{ ticketTypeId: string; name: string; entries: number; exits: number; inside: number }>;
}
