import type { Clock } from '../../src/shared/clock';
import type { Db } from '../../src/shared/db';
import type { Actor } from '../../src/shared/http/authorize';
import { createCampaignsService, type CampaignRecord, type TicketTypeRecord } from '../../src/modules/campaigns';
import type { CampaignInput, TicketTypeInput } from '../../src/modules/campaigns/campaigns.service';
import { campaignBody, sellerActor, ticketTypeBody } from './factories';

export interface Sale {
  seller: Actor;
  campaign: CampaignRecord;
  types: TicketTypeRecord[];
}

/**
 * An ACTIVE campaign on sale now, made through the campaigns service (its real rules), with
 * the given ticket types (default: one "Regular" type of capacity 100).
 */
export async function createSale(
  deps: { prisma: Db; clock: Clock },
  opts: { campaign?: Record<string, unknown>; types?: Array<Record<string, unknown>>; seller?: Actor } = {},
): Promise<Sale> {
  const service = createCampaignsService(deps);
  const seller = opts.seller ?? sellerActor();
  const draft = await service.createCampaign(seller, campaignBody(deps.clock.now(), opts.campaign ?? {}) as CampaignInput);
  const types: TicketTypeRecord[] = [];
  for (const [n, t] of (opts.types ?? [{}]).entries()) {
    types.push(await service.createTicketType(seller, draft.id, ticketTypeBody({ name: `Type ${n + 1}`, ...t }) as TicketTypeInput));
  }
  const campaign = await service.publishCampaign(seller, draft.id);
  return { seller, campaign, types };
}
