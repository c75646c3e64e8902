/** A cell of a row, left to right: a seat, a gap (no seat, e.g. a pillar) or an aisle (breaks adjacency). */
export const CELL_KINDS = ['SEAT', 'GAP', 'AISLE'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

export interface Cell {
  kind: CellKind;
  /** The seat number as printed ("12"); empty for gaps and aisles. */
  label: string;
  /** The price zone code of a seat; empty for gaps and aisles. */
  zone: string;
  accessible: boolean;
  restrictedView: boolean;
}

export interface Row {
  label: string;
  cells: Cell[];
}

export interface Zone {
  code: string;
  name: string;
  /** `#rrggbb`, the colour of the zone on the seat map and its legend. */
  color: string;
}

export interface SectionRecord {
  id: string;
  venueId: string;
  name: string;
  /** Best first: best-available looks at lower ranks first. */
  rank: number;
  position: number;
  /** Front row first. */
  rows: Row[];
}

/** A venue template as the repository returns it. `sellerId` null: a shared venue (made by an admin). */
export interface VenueRecord {
  id: string;
  sellerId: string | null;
  name: string;
  city: string;
  zones: Zone[];
  version: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  sections: SectionRecord[];
}

/** What a campaign copies when it is created on a venue. */
export interface VenueLayout {
  venueId: string;
  version: number;
  name: string;
  zones: Zone[];
  sections: Array<Pick<SectionRecord, 'id' | 'name' | 'rank' | 'rows'>>;
}
