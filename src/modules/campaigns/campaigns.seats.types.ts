export type SeatState = 'AVAILABLE' | 'HELD' | 'SOLD';

/** A seat as a reservation batch plans from it. */
export interface SeatForSale {
  id: string;
  ticketTypeId: string;
  sectionId: string;
  sectionName: string;
  /** Best first. */
  sectionRank: number;
  /** Front row first. */
  rowIndex: number;
  rowLabel: string;
  /** Position in the row, counting gaps and aisles: seats are adjacent when these are consecutive. */
  colIndex: number;
  seatLabel: string;
  status: SeatState;
}

export type LayoutCell =
  | { kind: 'GAP' | 'AISLE' }
  | {
      kind: 'SEAT';
      seatId: string;
      label: string;
      zone: string;
      accessible?: boolean;
      restrictedView?: boolean;
    };

export interface LayoutSection {
  id: string;
  name: string;
  rank: number;
  rows: Array<{ label: string; cells: LayoutCell[] }>;
}

/** A seated campaign's layout (as copied at creation) and its seats' current states. */
export interface SeatMap {
  venueId: string;
  venueName: string;
  zones: Array<{ code: string; name: string; color: string }>;
  sections: LayoutSection[];
  seats: Array<{ id: string; status: SeatState; ticketTypeId: string | null }>;
}
