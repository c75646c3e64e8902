import type { CampaignPublicKey, RevocationList } from './tickets.service';
import type { TicketView } from './tickets.workflows';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A ticket as its buyer sees it (API and pages): camelCase, ISO times in UTC. */
export function ticketDto(t: TicketView) {
  return {
    id: t.id,
    bookingId: t.bookingId,
    bookingPosition: t.bookingPosition,
    campaignId: t.campaignId,
    campaign: t.campaign
      ? {
          id: t.campaign.id,
          title: t.campaign.title,
          slug: t.campaign.slug,
          kind: t.campaign.kind,
          startsAt: t.campaign.startsAt.toISOString(),
          endsAt: t.campaign.endsAt.toISOString(),
          venueName: t.campaign.venueName,
          city: t.campaign.city,
          timezone: t.campaign.timezone,
        }
      : null,
    ticketTypeId: t.ticketTypeId,
    ticketTypeName: t.ticketTypeName,
    serial: t.serial,
    holderName: t.holderName,
    seat: t.seat ?? null,
    admits: t.admits,
    maxScans: t.maxScans,
    scanCount: t.scanCount,
    status: t.status,
    validFrom: t.validFrom.toISOString(),
    validUntil: t.validUntil.toISOString(),
    revokedAt: iso(t.revokedAt),
    revokedReason: t.revokedReason,
    // The signed payload a scanner reads; withheld once revoked (it admits no one).
    qrText: t.status === 'VALID' ? t.qrText : null,
    pdfUrl: t.status === 'VALID' ? `/api/v1/tickets/${t.id}/pdf` : null,
    createdAt: t.createdAt.toISOString(),
  };
}

export type TicketDto = ReturnType<typeof ticketDto>;

export function publicKeyDto(k: CampaignPublicKey) {
  return { ...k, createdAt: k.createdAt.toISOString() };
}

export function revocationListDto(list: RevocationList) {
  return {
    campaignId: list.campaignId,
    version: list.version,
    items: list.items.map((i) => ({
      ticketId: i.ticketId,
      serial: i.serial,
      revokedAt: i.revokedAt.toISOString(),
      reason: i.reason,
    })),
  };
}
