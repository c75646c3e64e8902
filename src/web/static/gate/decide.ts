import type { TicketVerification } from '../../../modules/tickets/browser';
import { SCANNABLE_CAMPAIGN_STATUSES } from '../../../modules/validation/browser';
import type { RevocationRow, TicketRow } from './store';
import type { BootstrapCampaign, Decision, Reason, ScanType } from './types';

/**
 * The device's own decision when the server cannot be asked. The signature, layout and window
 * come from the shared verifier; campaign, revocation and entry rules follow the server's order
 * (validation.scan.ts): not authentic → another campaign → campaign not open → outside the
 * window → revoked → no re-entry → entries. What the device cannot know offline: entries made on other
 * devices since its last answer from the server (the banner says so); the server flags a
 * conflict when it uploads.
 */
export interface LocalContext {
  scanId: string;
  type: ScanType;
  verification: TicketVerification;
  campaigns: BootstrapCampaign[];
  revocation: RevocationRow | undefined;
  ticket: TicketRow | undefined;
}

export function decideLocally(ctx: LocalContext): Decision {
  const { verification: v, scanId, type } = ctx;
  const refused = (reason: Reason, extra: Partial<Decision> = {}): Decision => ({
    scanId,
    type,
    result: 'refused',
    reason,
    ticket: null,
    offline: true,
    ...extra,
  });
  if (v.status === 'INVALID') {
    if (v.reason === 'BAD_SIGNATURE') return refused('invalid_signature');
    if (v.reason === 'UNKNOWN_KEY') {
      const ours = ctx.campaigns.some((c) => c.id === v.unverified.campaignId);
      return refused(ours ? 'unknown_key' : 'wrong_campaign');
    }
    return refused('invalid_code');
  }
  const { claims } = v;
  const campaign = ctx.campaigns.find((c) => c.id === claims.campaignId);
  if (!campaign) return refused('wrong_campaign');
  const ticketType = campaign.ticketTypes.find((t) => t.id === claims.ticketTypeId);
  const known = ctx.ticket;
  const ticket = {
    id: claims.ticketId,
    serial: known?.serial ?? ctx.revocation?.serial,
    typeName: ticketType?.name ?? known?.typeName,
    holderName: known?.holderName,
    entriesUsed: known?.entriesUsed ?? 0,
    maxEntries: claims.maxScans,
  };
  const window = { validFrom: claims.validFrom.toISOString(), validUntil: claims.validUntil.toISOString() };
  if (!(SCANNABLE_CAMPAIGN_STATUSES as readonly string[]).includes(campaign.status))
    return refused('campaign_not_active', { ticket, ...window });
  if (v.status === 'NOT_YET_VALID') return refused('not_yet_valid', { ticket, ...window });
  if (v.status === 'EXPIRED') return refused('expired', { ticket, ...window });
  if (ctx.revocation)
    return refused('revoked', {
      ticket,
      revokedAt: ctx.revocation.revokedAt,
      revokedReason: ctx.revocation.reason,
    });
  if (type === 'exit') {
    if (!ticketType?.reentry) return refused('reentry_not_allowed', { ticket });
    if (ticket.entriesUsed <= 0) return refused('not_inside', { ticket });
    return {
      scanId,
      type,
      result: 'ok',
      offline: true,
      ticket: { ...ticket, entriesUsed: ticket.entriesUsed - 1 },
    };
  }
  if (ticket.entriesUsed >= ticket.maxEntries)
    return refused('already_used', {
      ticket,
      firstScannedAt: known?.firstScannedAt,
      firstGate: known?.firstGate,
    });
  return {
    scanId,
    type,
    result: 'ok',
    offline: true,
    ticket: { ...ticket, entriesUsed: ticket.entriesUsed + 1 },
  };
}

const REVOKED_WORDS: Record<string, string> = {
  REFUNDED: 'Refunded',
  CANCELLED: 'Cancelled',
  REISSUED: 'Replaced by a newer ticket',
};

/** "1 Dec, 18:40" in the campaign's time zone. */
export function dayTime(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  const opts: Intl.DateTimeFormatOptions = { timeZone, hour12: false };
  const day = new Intl.DateTimeFormat('en-GB', { ...opts, day: 'numeric', month: 'short' }).format(d);
  return `${day}, ${time(iso, timeZone)}`;
}

/** "18:40" in the campaign's time zone. */
export function time(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(new Date(iso));
}

/** The refusal in plain words for the gate worker ("Refunded on 1 Dec, 18:40"). */
export function reasonText(d: Decision, timeZone?: string): string {
  switch (d.reason) {
    case 'revoked':
      return d.revokedAt
        ? `${REVOKED_WORDS[d.revokedReason ?? ''] ?? 'Revoked'} on ${dayTime(d.revokedAt, timeZone)}`
        : 'This ticket was revoked';
    case 'already_used': {
      const where = [
        d.firstGate ? `at ${d.firstGate}` : '',
        d.firstScannedAt ? time(d.firstScannedAt, timeZone) : '',
      ]
        .filter(Boolean)
        .join(' ');
      const max = d.ticket?.maxEntries ?? 1;
      const head = max > 1 ? `All ${max} entries used` : 'Already used';
      return where ? `${head}${max > 1 ? ', first' : ''} ${where}` : head;
    }
    case 'invalid_code':
      return 'Not a ticket code';
    case 'invalid_signature':
      return 'Fake or damaged ticket: the signature does not match';
    case 'unknown_key':
      return 'Signed with a key this device does not have yet';
    case 'wrong_campaign':
      return 'Ticket for another event';
    case 'campaign_not_active':
      return 'This event is not open for entry';
    case 'not_yet_valid':
      return d.validFrom ? `Not valid until ${dayTime(d.validFrom, timeZone)}` : 'Not valid yet';
    case 'expired':
      return d.validUntil ? `Expired on ${dayTime(d.validUntil, timeZone)}` : 'This ticket has expired';
    case 'reentry_not_allowed':
      return 'No re-entry on this ticket: exit not recorded';
    case 'not_inside':
      return 'Nobody is inside on this ticket';
    default:
      return 'Refused';
  }
}
