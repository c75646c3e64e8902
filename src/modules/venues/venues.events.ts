/** Events the venues module publishes. Campaigns copied their layout at creation: they ignore it. */
export const VenueEvents = { updated: 'venue.updated' } as const;

export type VenueUpdatedPayload = { venueId: string; sellerId: string | null; version: number };
