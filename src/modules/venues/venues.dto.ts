import { seatCount } from './venues.layout';
import type { VenueRecord } from './venues.types';

/** A venue as the API shows it: sections with their rows and cells, seat counts, ISO times. */
export function venueDto(v: VenueRecord) {
  return {
    id: v.id,
    name: v.name,
    city: v.city,
    shared: v.sellerId === null,
    sellerId: v.sellerId,
    zones: v.zones,
    version: v.version,
    seatCount: v.sections.reduce((n, s) => n + seatCount(s.rows), 0),
    sections: v.sections.map((s) => ({
      id: s.id,
      name: s.name,
      rank: s.rank,
      seatCount: seatCount(s.rows),
      rows: s.rows,
    })),
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}

export function venueSummaryDto(v: Omit<VenueRecord, 'sections'> & { sectionCount: number }) {
  return {
    id: v.id,
    name: v.name,
    city: v.city,
    shared: v.sellerId === null,
    zones: v.zones,
    version: v.version,
    sectionCount: v.sectionCount,
    updatedAt: v.updatedAt.toISOString(),
  };
}
