import type { Clock } from '../../shared/clock';
import type { Db } from '../../shared/db';
import { actsForSeller, isAdmin, type Actor } from '../../shared/http/authorize';
import { CampaignErrors } from './campaigns.errors';
import * as repo from './campaigns.repository';
import { seatMap } from './campaigns.seats.repository';

/** A seated campaign's seat map for pages and the API. */
export function createSeating(deps: { prisma: Db; clock: Clock }) {
  const { prisma } = deps;
  return {
    /**
     * The layout and every seat's state, with the seated ticket types' prices: for anyone once
     * published, for its managers while a draft. 404 for a campaign without seats.
     */
    async getCampaignSeatMap(idOrSlug: string, viewer?: Actor) {
      const c = await repo.findCampaign(prisma, idOrSlug);
      const manages = Boolean(c && viewer && (isAdmin(viewer) || actsForSeller(viewer, c.sellerId)));
      if (!c || (c.status === 'DRAFT' && !manages)) throw CampaignErrors.notFound();
      const map = await seatMap(prisma, c.id);
      if (!map) throw CampaignErrors.notSeated();
      const types = (await repo.listTicketTypes(prisma, c.id)).filter(
        (t) => t.seatZone && (manages || !t.hidden),
      );
      return { campaign: c, map, ticketTypes: types };
    },
  };
}
