import { createCampaignLifecycle, type CampaignDeps } from './campaigns.lifecycle';
import { createTicketTypes } from './campaigns.ticket-types';
import { createSeating } from './campaigns.seating';

export type { CampaignDeps } from './campaigns.lifecycle';
export {
  EDITABLE_CAMPAIGN_FIELDS,
  EDITABLE_TICKET_TYPE_FIELDS,
  type CampaignInput,
  type CampaignPatch,
  type TicketTypeInput,
  type TicketTypePatch,
} from './campaigns.rules';

/**
 * The campaigns module's use cases, by use case: the campaign's lifecycle (campaigns.lifecycle.ts)
 * and its ticket types (campaigns.ticket-types.ts). Built once per process, in the container.
 */
export function createCampaignsService(deps: CampaignDeps) {
  return { ...createCampaignLifecycle(deps), ...createTicketTypes(deps), ...createSeating(deps) };
}

export type CampaignsService = ReturnType<typeof createCampaignsService>;
