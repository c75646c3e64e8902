import { VenueErrors } from './venues.errors';
import type { Cell, CellKind, Row, SectionRecord, Zone } from './venues.types';

/*
 * Pure layout operations: rows and seats generated from ranges ("rows A–T, seats 1–30"), then
 * edited (gaps, aisles, accessible seats, restricted view, zones). No database here.
 */

export const MAX_ROWS_PER_SECTION = 200;
export const MAX_CELLS_PER_ROW = 200;
export const MAX_SECTIONS_PER_VENUE = 100;
export const MAX_SEATS_PER_VENUE = 100_000;

/** A row range end: letters (A, AA: spreadsheet columns) or a number. */
const LETTERS = /^[A-Z]{1,2}$/;
const DIGITS = /^\d{1,4}$/;

function lettersToIndex(s: string): number {
  return [...s].reduce((n, ch) => n * 26 + (ch.charCodeAt(0) - 64), 0);
}
function indexToLetters(n: number): string {
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** The row labels from `from` to `to` inclusive, front to back: A..T, AA..AD, 1..20 (either direction). */
export function rowLabels(from: string, to: string): string[] {
  const a = from.toUpperCase();
  const b = to.toUpperCase();
  let start: number, end: number, label: (n: number) => string;
  if (LETTERS.test(a) && LETTERS.test(b)) {
    [start, end, label] = [lettersToIndex(a), lettersToIndex(b), indexToLetters];
  } else if (DIGITS.test(a) && DIGITS.test(b)) {
    [start, end, label] = [Number(a), Number(b), String];
  } else {
    throw VenueErrors.badRange('rows: from and to are both letters (A, AA) or both numbers');
  }
  const count = Math.abs(end - start) + 1;
  if (count > MAX_ROWS_PER_SECTION)
    throw VenueErrors.badRange(`rows: at most ${MAX_ROWS_PER_SECTION} per section`);
  const step = end >= start ? 1 : -1;
  return Array.from({ length: count }, (_, i) => label(start + i * step));
}

const seatCell = (label: string, zone: string): Cell => ({
  kind: 'SEAT',
  label,
  zone,
  accessible: false,
  restrictedView: false,
});
const emptyCell = (kind: Exclude<CellKind, 'SEAT'>): Cell => ({
  kind,
  label: '',
  zone: '',
  accessible: false,
  restrictedView: false,
});

/** Rows `rows` × seats `seatFrom..seatTo` (numbered left to right), all in `zone`. */
export function generateRows(
  rows: { from: string; to: string },
  seats: { from: number; to: number },
  zone: string,
): Row[] {
  const count = Math.abs(seats.to - seats.from) + 1;
  if (count > MAX_CELLS_PER_ROW) throw VenueErrors.badRange(`seats: at most ${MAX_CELLS_PER_ROW} per row`);
  const step = seats.to >= seats.from ? 1 : -1;
  return rowLabels(rows.from, rows.to).map((label) => ({
    label,
    cells: Array.from({ length: count }, (_, i) => seatCell(String(seats.from + i * step), zone)),
  }));
}

export type SectionEdit =
  | {
      op: 'set';
      /** Row labels; all rows when absent. */
      rows?: string[];
      /** Seat labels in those rows; every seat of the rows when absent. */
      seats?: string[];
      kind?: 'SEAT' | 'GAP';
      zone?: string;
      accessible?: boolean;
      restrictedView?: boolean;
    }
  | { op: 'aisle'; rows?: string[]; afterSeat: string }
  /** Removes the aisle right after the named seat (or gap) in each row; a row without one is left as it is. */
  | { op: 'removeAisle'; rows?: string[]; afterSeat: string }
  | { op: 'removeRow'; row: string };

function targetRows(section: Row[], labels: string[] | undefined): Row[] {
  if (!labels) return section;
  return labels.map((l) => {
    const row = section.find((r) => r.label === l);
    if (!row) throw VenueErrors.noSuchRow(l);
    return row;
  });
}

/**
 * Applies edits in order to a copy of `rows`. A seat made a GAP keeps its label (so it can be
 * made a SEAT again) but is no seat; an aisle is a new cell after the named seat in each row.
 */
export function applyEdits(rows: Row[], edits: SectionEdit[], zones: Zone[]): Row[] {
  const out: Row[] = rows.map((r) => ({ label: r.label, cells: r.cells.map((c) => ({ ...c })) }));
  const codes = new Set(zones.map((z) => z.code));
  for (const e of edits) {
    if (e.op === 'removeRow') {
      const i = out.findIndex((r) => r.label === e.row);
      if (i < 0) throw VenueErrors.noSuchRow(e.row);
      out.splice(i, 1);
      continue;
    }
    if (e.op === 'aisle') {
      for (const row of targetRows(out, e.rows)) {
        const i = row.cells.findIndex((c) => c.kind !== 'AISLE' && c.label === e.afterSeat);
        if (i < 0) throw VenueErrors.noSuchSeat(row.label, e.afterSeat);
        if (row.cells.length >= MAX_CELLS_PER_ROW)
          throw VenueErrors.badRange(`seats: at most ${MAX_CELLS_PER_ROW} cells per row`);
        row.cells.splice(i + 1, 0, emptyCell('AISLE'));
      }
      continue;
    }
    if (e.op === 'removeAisle') {
      for (const row of targetRows(out, e.rows)) {
        const i = row.cells.findIndex((c) => c.kind !== 'AISLE' && c.label === e.afterSeat);
        if (i < 0) throw VenueErrors.noSuchSeat(row.label, e.afterSeat);
        if (row.cells[i + 1]?.kind === 'AISLE') row.cells.splice(i + 1, 1);
      }
      continue;
    }
    if (e.zone !== undefined && !codes.has(e.zone)) throw VenueErrors.unknownZone(e.zone);
    for (const row of targetRows(out, e.rows)) {
      const cells = e.seats
        ? e.seats.map((s) => {
            const c = row.cells.find((x) => x.kind !== 'AISLE' && x.label === s);
            if (!c) throw VenueErrors.noSuchSeat(row.label, s);
            return c;
          })
        : row.cells.filter((c) => c.kind !== 'AISLE');
      for (const c of cells) {
        if (e.kind) c.kind = e.kind;
        if (e.zone !== undefined) c.zone = e.zone;
        if (e.accessible !== undefined) c.accessible = e.accessible;
        if (e.restrictedView !== undefined) c.restrictedView = e.restrictedView;
        if (c.kind === 'SEAT' && !c.zone) c.zone = zones[0]?.code ?? '';
      }
    }
  }
  return out;
}

/** Seats (not gaps or aisles) in a set of rows. */
export function seatCount(rows: Row[]): number {
  return rows.reduce((n, r) => n + r.cells.filter((c) => c.kind === 'SEAT').length, 0);
}

/** The zone codes seats of these sections use. */
export function zonesInUse(sections: Array<Pick<SectionRecord, 'rows'>>): Set<string> {
  const used = new Set<string>();
  for (const s of sections)
    for (const r of s.rows) for (const c of r.cells) if (c.kind === 'SEAT') used.add(c.zone);
  return used;
}

/** Refuses a layout that has duplicate row labels or duplicate seat labels within a row. */
export function checkRows(rows: Row[]): void {
  const labels = new Set<string>();
  for (const r of rows) {
    if (labels.has(r.label)) throw VenueErrors.badRange(`row ${r.label} appears twice`);
    labels.add(r.label);
    const seats = new Set<string>();
    for (const c of r.cells) {
      if (c.kind !== 'SEAT') continue;
      if (seats.has(c.label)) throw VenueErrors.badRange(`seat ${c.label} appears twice in row ${r.label}`);
      seats.add(c.label);
    }
  }
}
