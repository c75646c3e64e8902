import type { Actor } from '../../src/shared/http/authorize';
import { createModules } from '../../src/modules/container';
import type { Platform } from '../../src/shared/platform';
import type {
  CampaignInput,
  CampaignRecord,
  TicketTypeInput,
  TicketTypeRecord,
} from '../../src/modules/campaigns';
import { campaignBody, sellerActor, ticketTypeBody } from './factories';

export interface Sale {
  seller: Actor;
  campaign: CampaignRecord;
  types: TicketTypeRecord[];
}

/**
 * An ACTIVE campaign on sale now, made through the campaigns service of the container (its real
 * rules: publication gives it its signing key), with the given ticket types (default: one
 * "Regular" type of capacity 100). `platform` carries the clock the campaign is dated by.
 */
export async function createSale(
  platform: Platform,
  opts: { campaign?: Record<string, unknown>; types?: Array<Record<string, unknown>>; seller?: Actor } = {},
): Promise<Sale> {
  const deps = platform;
  const service = createModules(platform).campaigns;
  const seller = opts.seller ?? sellerActor();
  const draft = await service.createCampaign(
    seller,
    campaignBody(deps.clock.now(), opts.campaign ?? {}) as CampaignInput,
  );
  const types: TicketTypeRecord[] = [];
  for (const [n, t] of (opts.types ?? [{}]).entries()) {
    types.push(
      await service.createTicketType(
        seller,
        draft.id,
        ticketTypeBody({ name: `Type ${n + 1}`, ...t }) as TicketTypeInput,
      ),
    );
  }
  const campaign = await service.publishCampaign(seller, draft.id);
  return { seller, campaign, types };
}
