import type { Prisma } from '../../generated/prisma/client';
import type { Db, Tx } from '../../shared/db';
import type { Row, SectionRecord, VenueRecord, Zone } from './venues.types';

/** The only code that reads or writes venues and venue_sections. */
type Client = Db | Tx;
type VenueRow = Prisma.VenueGetPayload<{ include: { sections: true } }>;

function toVenue(row: VenueRow): VenueRecord {
  return {
    ...row,
    zones: row.zones as unknown as Zone[],
    sections: row.sections
      .map((s) => ({ ...s, rows: s.rows as unknown as Row[] }))
      .sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : 1)),
  };
}

const json = (v: unknown) => v as Prisma.InputJsonValue;

export async function insertVenue(
  db: Client,
  v: Pick<VenueRecord, 'id' | 'sellerId' | 'name' | 'city' | 'zones' | 'createdBy'>,
  now: Date,
): Promise<VenueRecord> {
  const row = await db.venue.create({
    data: { ...v, zones: json(v.zones), createdAt: now, updatedAt: now },
    include: { sections: true },
  });
  return toVenue(row);
}

export async function findVenue(db: Client, id: string): Promise<VenueRecord | null> {
  const row = await db.venue.findUnique({ where: { id }, include: { sections: true } });
  return row ? toVenue(row) : null;
}

/** Locks the venue row: edits of one venue (and its version number) are serialised. */
export async function lockVenue(tx: Tx, id: string): Promise<VenueRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM venues WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length ? findVenue(tx, id) : null;
}

/** Venues a seller may use (their own and the shared ones), or every venue for an admin; no sections. */
export async function listVenues(
  db: Client,
  scope: { sellerId: string } | 'all',
): Promise<Array<Omit<VenueRecord, 'sections'> & { sectionCount: number }>> {
  const rows = await db.venue.findMany({
    where: scope === 'all' ? {} : { OR: [{ sellerId: scope.sellerId }, { sellerId: null }] },
    include: { _count: { select: { sections: true } } },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
    take: 500,
  });
  return rows.map(({ _count, ...v }) => ({
    ...v,
    zones: v.zones as unknown as Zone[],
    sectionCount: _count.sections,
  }));
}

/** Sets fields and bumps the version (the caller holds the venue's lock). */
export async function updateVenue(
  tx: Tx,
  id: string,
  data: Partial<Pick<VenueRecord, 'name' | 'city' | 'zones'>>,
  now: Date,
): Promise<void> {
  await tx.venue.update({
    where: { id },
    data: {
      ...data,
      zones: data.zones === undefined ? undefined : json(data.zones),
      version: { increment: 1 },
      updatedAt: now,
    },
  });
}

export async function insertSection(tx: Tx, s: Omit<SectionRecord, 'position'>, now: Date): Promise<void> {
  const max = await tx.venueSection.aggregate({ where: { venueId: s.venueId }, _max: { position: true } });
  await tx.venueSection.create({
    data: {
      ...s,
      rows: json(s.rows),
      position: (max._max.position ?? -1) + 1,
      createdAt: now,
      updatedAt: now,
    },
  });
}

export async function updateSection(
  tx: Tx,
  id: string,
  data: Partial<Pick<SectionRecord, 'name' | 'rank' | 'rows'>>,
  now: Date,
): Promise<void> {
  await tx.venueSection.update({
    where: { id },
    data: { ...data, rows: data.rows === undefined ? undefined : json(data.rows), updatedAt: now },
  });
}

export async function deleteSection(tx: Tx, id: string): Promise<void> {
  await tx.venueSection.delete({ where: { id } });
}
