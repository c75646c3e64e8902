import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Db } from '../../shared/db';
import { isAdmin, type Actor } from '../../shared/http/authorize';
import type { CampaignRecord, CampaignsService, TicketTypeRecord } from '../campaigns';
import { PromoErrors } from './promotions.errors';
import * as repo from './promotions.repository';
import type { PromoCodeInput, PromoCodeRecord, PromoCodeStats } from './promotions.types';
import { normalizePromoCode } from './promotions.uses';

export interface PromotionsDeps {
  prisma: Db;
  clock: Clock;
  campaigns: Pick<CampaignsService, 'getManagedCampaign'>;
}

/** No 0/O or 1/I/L: generated codes are read off paper and typed on phones. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const GENERATED_LENGTH = 10;
export const MAX_BULK_CODES = 1000;

function randomCode(prefix: string): string {
  const bytes = crypto.randomBytes(GENERATED_LENGTH);
  let s = '';
  for (const b of bytes) s += CODE_ALPHABET[b % CODE_ALPHABET.length];
  return `${prefix}${s}`;
}

/**
 * The seller's promo codes: create one, generate a batch of single-use ones, list them with their
 * uses and revenue, switch one off. Only the campaign's seller (or an admin) manages them: a gate
 * manager or a finance member of the team does not hand out discounts.
 */
export function createPromotionsService(deps: PromotionsDeps) {
  const { prisma, clock, campaigns } = deps;

  async function campaignForSeller(
    actor: Actor,
    campaignId: string,
  ): Promise<{ campaign: CampaignRecord; ticketTypes: TicketTypeRecord[] }> {
    const found = await campaigns.getManagedCampaign(actor, campaignId);
    if (!isAdmin(actor) && actor.userId !== found.campaign.sellerId) throw PromoErrors.notSeller();
    return found;
  }

  function settingsOf(
    campaign: CampaignRecord,
    types: TicketTypeRecord[],
    input: PromoCodeInput,
  ): Omit<repo.NewPromoCode, 'id' | 'code' | 'batchId'> {
    const known = new Set(types.map((t) => t.id));
    const unknown = [...(input.ticketTypeIds ?? []), ...(input.unlocksTicketTypeIds ?? [])].filter(
      (id) => !known.has(id),
    );
    if (unknown.length) throw PromoErrors.badTicketTypes([...new Set(unknown)]);
    if (input.validFrom && input.validUntil && input.validFrom >= input.validUntil)
      throw PromoErrors.badWindow();
    return {
      campaignId: campaign.id,
      sellerId: campaign.sellerId,
      kind: input.kind,
      percentOff: input.kind === 'PERCENT' ? (input.percentOff ?? 0) : null,
      amountOffMinor: input.kind === 'FIXED' ? (input.amountOffMinor ?? 0) : null,
      // The campaign's currency: a fixed amount off is in what the tickets are priced in.
      currency: campaign.currency,
      ticketTypeIds: [...new Set(input.ticketTypeIds ?? [])],
      unlocksTicketTypeIds: [...new Set(input.unlocksTicketTypeIds ?? [])],
      validFrom: input.validFrom ?? null,
      validUntil: input.validUntil ?? null,
      maxUses: input.maxUses ?? null,
      maxUsesPerBuyer: input.maxUsesPerBuyer ?? null,
    };
  }

  return {
    /** Creates one code for the campaign; PROMO_CODE_EXISTS when the campaign has it already. */
    async createPromoCode(
      actor: Actor,
      campaignId: string,
      input: PromoCodeInput & { code: string },
    ): Promise<PromoCodeRecord> {
      const { campaign, ticketTypes } = await campaignForSeller(actor, campaignId);
      const code = normalizePromoCode(input.code);
      const row = {
        id: crypto.randomUUID(),
        code,
        batchId: null,
        ...settingsOf(campaign, ticketTypes, input),
      };
      const inserted = await prisma.$transaction((tx) => repo.insertPromoCodes(tx, [row], clock.now()));
      if (!inserted.has(row.id)) throw PromoErrors.codeTaken(code);
      return (await repo.findPromoCode(prisma, row.id))!;
    },

    /**
     * Generates `count` single-use codes (one use in all, so one per buyer too) sharing the
     * settings, in one batch; codes that clash with existing ones are drawn again.
     */
    async generatePromoCodes(
      actor: Actor,
      campaignId: string,
      input: Omit<PromoCodeInput, 'maxUses' | 'maxUsesPerBuyer'> & { count: number; prefix?: string },
    ): Promise<{ batchId: string; codes: PromoCodeRecord[] }> {
      const { campaign, ticketTypes } = await campaignForSeller(actor, campaignId);
      const settings = settingsOf(campaign, ticketTypes, { ...input, maxUses: 1, maxUsesPerBuyer: 1 });
      const prefix = input.prefix ? normalizePromoCode(input.prefix) : '';
      const batchId = crypto.randomUUID();
      const now = clock.now();
      await prisma.$transaction(async (tx) => {
        let missing = input.count;
        for (let attempt = 0; missing > 0; attempt++) {
          if (attempt >= 5) throw new Error('promotions: could not draw unique codes');
          const rows = Array.from({ length: missing }, () => ({
            id: crypto.randomUUID(),
            code: randomCode(prefix),
            batchId,
            ...settings,
          }));
          missing -= (await repo.insertPromoCodes(tx, rows, now)).size;
        }
      });
      return {
        batchId,
        codes: await repo.listPromoCodes(prisma, campaignId, { batchId, limit: MAX_BULK_CODES, offset: 0 }),
      };
    },

    /** The campaign's codes, newest first, with confirmed bookings, revenue (net) and discount given. */
    async listPromoCodes(
      actor: Actor,
      campaignId: string,
      opts: { batchId?: string; limit: number; offset: number },
    ): Promise<{ campaign: CampaignRecord; ticketTypes: TicketTypeRecord[]; items: PromoCodeStats[] }> {
      const { campaign, ticketTypes } = await campaignForSeller(actor, campaignId);
      const [codes, totals] = await Promise.all([
        repo.listPromoCodes(prisma, campaignId, opts),
        repo.useTotals(prisma, campaignId),
      ]);
      const byCode = new Map(totals.map((t) => [t.promoCodeId, t]));
      return {
        campaign,
        ticketTypes,
        items: codes.map((c) => {
          const t = byCode.get(c.id);
          return {
            ...c,
            confirmedBookings: t?.confirmedBookings ?? 0,
            heldBookings: t?.heldBookings ?? 0,
            revenueMinor: t?.revenueMinor ?? 0,
            discountMinor: t?.discountMinor ?? 0,
          };
        }),
      };
    },

    /** Switches a code on or off (off: refused at reservation; bookings already made keep it). */
    async setPromoCodeActive(
      actor: Actor,
      campaignId: string,
      promoCodeId: string,
      active: boolean,
    ): Promise<PromoCodeRecord> {
      await campaignForSeller(actor, campaignId);
      const code = await repo.findPromoCode(prisma, promoCodeId);
      if (!code || code.campaignId !== campaignId) throw PromoErrors.notFound();
      await repo.setPromoCodeActive(prisma, promoCodeId, active, clock.now());
      return (await repo.findPromoCode(prisma, promoCodeId))!;
    },
  };
}

export type PromotionsService = ReturnType<typeof createPromotionsService>;
