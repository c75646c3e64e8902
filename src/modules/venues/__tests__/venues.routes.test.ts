import request from 'supertest';
import { campaignBody, json, ticketTypeBody } from '../../../../test/support/factories';
import {
  makeSeller,
  signIn,
  signInAdmin,
  startFreshAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';

type Venue = {
  id: string;
  shared: boolean;
  version: number;
  seatCount: number;
  sections: Array<{
    id: string;
    name: string;
    seatCount: number;
    rows: Array<{
      label: string;
      cells: Array<{
        kind: string;
        label: string;
        zone: string;
        accessible: boolean;
        restrictedView: boolean;
      }>;
    }>;
  }>;
};

const ZONES = [
  { code: 'GOLD', name: 'Gold', color: '#d4af37' },
  { code: 'STD', name: 'Standard', color: '#1f77b4' },
];

describe('venues over HTTP', () => {
  let env: AuthTestEnv;
  let admin: TestSession;
  let owner: TestSession;
  let other: TestSession;
  let customer: TestSession;

  beforeAll(async () => {
    env = await startFreshAuthApp();
    admin = await signInAdmin(env);
    owner = await makeSeller(env, 'venue-owner@example.test', { admin });
    other = await makeSeller(env, 'venue-other@example.test', { admin });
    customer = await signIn(env, 'venue-customer@example.test');
  }, 60_000);
  afterAll(() => env.close());

  const newVenue = async (who: TestSession, body: Record<string, unknown> = {}) => {
    const res = await who
      .post('/api/v1/venues')
      .send({ name: 'Main Hall', city: 'Lagos', zones: ZONES, ...body });
    expect(res.status).toBe(201);
    return res.body as Venue;
  };

  it('when a seller generates rows A–T × seats 1–30 and edits them, then gaps, aisles, accessible and restricted seats are kept', async () => {
    const v = await newVenue(owner);
    const added = await owner
      .post(`/api/v1/venues/${v.id}/sections`)
      .send({ name: 'North Stand', rows: { from: 'A', to: 'T' }, seats: { from: 1, to: 30 }, zone: 'STD' });
    expect(added.status).toBe(201);
    const section = (added.body as Venue).sections[0]!;
    expect(section.rows.map((r) => r.label)).toEqual('ABCDEFGHIJKLMNOPQRST'.split(''));
    expect(section.seatCount).toBe(600);

    const edited = await owner.patch(`/api/v1/venues/${v.id}/sections/${section.id}`).send({
      rank: 0,
      edits: [
        { op: 'set', rows: ['A', 'B'], zone: 'GOLD' },
        { op: 'aisle', afterSeat: '15' },
        { op: 'set', rows: ['C'], seats: ['1', '2'], kind: 'GAP' },
        { op: 'set', rows: ['A'], seats: ['30'], accessible: true },
        { op: 'set', rows: ['T'], restrictedView: true },
        { op: 'removeRow', row: 'S' },
      ],
    });
    expect(edited.status).toBe(200);
    const body = edited.body as Venue;
    const s = body.sections[0]!;
    const row = (l: string) => s.rows.find((r) => r.label === l)!;
    expect(s.rows).toHaveLength(19);
    expect(row('A').cells).toHaveLength(31);
    expect(row('A').cells[15]).toMatchObject({ kind: 'AISLE' });
    expect(
      row('A')
        .cells.filter((c) => c.kind === 'SEAT')
        .every((c) => c.zone === 'GOLD'),
    ).toBe(true);
    expect(row('A').cells[30]).toMatchObject({ kind: 'SEAT', label: '30', accessible: true });
    expect(
      row('C')
        .cells.slice(0, 2)
        .map((c) => c.kind),
    ).toEqual(['GAP', 'GAP']);
    expect(
      row('T')
        .cells.filter((c) => c.kind === 'SEAT')
        .every((c) => c.restrictedView),
    ).toBe(true);
    expect(s.seatCount).toBe(19 * 30 - 2);
    expect(body.version).toBeGreaterThan(v.version);

    // An aisle comes out again (the editor's tap on it): row B only; A keeps its aisle.
    const unAisled = await owner
      .patch(`/api/v1/venues/${v.id}/sections/${section.id}`)
      .send({ edits: [{ op: 'removeAisle', rows: ['B'], afterSeat: '15' }] });
    expect(unAisled.status).toBe(200);
    const after = (unAisled.body as Venue).sections[0]!.rows;
    expect(after.find((r) => r.label === 'B')!.cells.map((c) => c.kind)).not.toContain('AISLE');
    expect(after.find((r) => r.label === 'A')!.cells[15]).toMatchObject({ kind: 'AISLE' });

    // A zone that seats use cannot be removed; an unknown zone is refused.
    const dropGold = await owner.patch(`/api/v1/venues/${v.id}`).send({ zones: [ZONES[1]] });
    expect(dropGold.status).toBe(422);
    expect(dropGold.body.error.code).toBe('ZONE_IN_USE');
    const unknown = await owner
      .patch(`/api/v1/venues/${v.id}/sections/${section.id}`)
      .send({ edits: [{ op: 'set', zone: 'VIP' }] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('UNKNOWN_ZONE');
    const badSeat = await owner
      .patch(`/api/v1/venues/${v.id}/sections/${section.id}`)
      .send({ edits: [{ op: 'aisle', rows: ['A'], afterSeat: '99' }] });
    expect(badSeat.body.error.code).toBe('SEAT_NOT_IN_SECTION');
    const dup = await owner
      .post(`/api/v1/venues/${v.id}/sections`)
      .send({ name: 'North Stand', rows: { from: '1', to: '2' }, seats: { from: 1, to: 2 }, zone: 'STD' });
    expect(dup.status).toBe(409);
    const mixed = await owner
      .post(`/api/v1/venues/${v.id}/sections`)
      .send({ name: 'Odd', rows: { from: 'A', to: '3' }, seats: { from: 1, to: 2 }, zone: 'STD' });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.code).toBe('BAD_RANGE');
  });

  it('when venues are owned or shared, then sellers see their own and the shared ones, and only an admin changes a shared one', async () => {
    const mine = await newVenue(owner, { name: 'Owner Theatre' });
    const shared = await newVenue(admin, { name: 'National Stadium', shared: true });
    expect(shared.shared).toBe(true);
    const refused = await owner.post('/api/v1/venues').send({ name: 'Sneaky', zones: ZONES, shared: true });
    expect(refused.status).toBe(403);

    const listed = await other.get('/api/v1/venues');
    expect(listed.status).toBe(200);
    const ids = (listed.body.items as Array<{ id: string }>).map((v) => v.id);
    expect(ids).toContain(shared.id);
    expect(ids).not.toContain(mine.id);

    expect((await other.get(`/api/v1/venues/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/api/v1/venues/${mine.id}`).send({ name: 'Mine now' })).status).toBe(404);
    expect((await other.get(`/api/v1/venues/${shared.id}`)).status).toBe(200);
    const ro = await other.patch(`/api/v1/venues/${shared.id}`).send({ name: 'Renamed' });
    expect(ro.status).toBe(403);
    expect(ro.body.error.code).toBe('VENUE_READ_ONLY');
    expect(
      (await admin.patch(`/api/v1/venues/${shared.id}`).send({ name: 'National Stadium B' })).status,
    ).toBe(200);
    expect((await customer.get('/api/v1/venues')).status).toBe(403);
    expect((await request(env.url).get('/api/v1/venues')).status).toBe(401);
    // Cookie sessions need the CSRF token for changes.
    const noCsrf = await request(env.url)
      .post('/api/v1/venues')
      .set('cookie', owner.cookie)
      .send({ name: 'X', zones: ZONES });
    expect(noCsrf.status).toBe(403);
  });

  it('when a campaign is created on a venue, then it copies the layout and later venue edits never change its seats', async () => {
    const v = await newVenue(owner, { name: 'Copy Hall' });
    const added = await owner
      .post(`/api/v1/venues/${v.id}/sections`)
      .send({ name: 'Stalls', rows: { from: 'A', to: 'C' }, seats: { from: 1, to: 4 }, zone: 'STD' });
    const sectionId = (added.body as Venue).sections[0]!.id;
    await owner
      .patch(`/api/v1/venues/${v.id}/sections/${sectionId}`)
      .send({ edits: [{ op: 'set', rows: ['A'], zone: 'GOLD' }] });

    const created = await owner
      .post('/api/v1/campaigns')
      .send(json(campaignBody(new Date(), { venueId: v.id })));
    expect(created.status).toBe(201);
    const campaignId = (created.body as { id: string }).id;
    const gold = await owner
      .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
      .send(ticketTypeBody({ name: 'Gold', seatZone: 'GOLD', capacity: 1 }));
    expect(gold.status).toBe(201);
    expect(gold.body).toMatchObject({ seatZone: 'GOLD', capacity: 4 });
    const again = await owner
      .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
      .send(ticketTypeBody({ name: 'Gold 2', seatZone: 'GOLD' }));
    expect(again.body.error.code).toBe('ZONE_TAKEN');
    const fixed = await owner
      .patch(`/api/v1/campaigns/${campaignId}/ticket-types/${gold.body.id}`)
      .send({ capacity: 10 });
    expect(fixed.body.error.code).toBe('SEATED_CAPACITY_FIXED');

    const map = async () =>
      (await owner.get(`/api/v1/campaigns/${campaignId}/seats`)).body as {
        seats: Array<{ status: string; ticketTypeId: string | null }>;
        sections: Array<{ rows: Array<{ label: string; cells: Array<{ kind: string }> }> }>;
      };
    const before = await map();
    expect(before.seats).toHaveLength(12);
    expect(before.seats.filter((s) => s.ticketTypeId === gold.body.id)).toHaveLength(4);

    // The venue changes afterwards: the campaign keeps its copy.
    await owner.patch(`/api/v1/venues/${v.id}/sections/${sectionId}`).send({
      edits: [
        { op: 'removeRow', row: 'A' },
        { op: 'aisle', afterSeat: '2' },
      ],
    });
    const after = await map();
    expect(after).toEqual(before);

    // A draft's map is not public; a campaign on someone else's venue is refused.
    expect((await request(env.url).get(`/api/v1/campaigns/${campaignId}/seats`)).status).toBe(404);
    const foreign = await other
      .post('/api/v1/campaigns')
      .send(json(campaignBody(new Date(), { venueId: v.id })));
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('VENUE_NOT_FOUND');
    // The venue cannot be changed through a campaign edit.
    const moved = await owner.patch(`/api/v1/campaigns/${campaignId}`).send({ venueId: v.id });
    expect(moved.status).toBe(400);
  });
});
