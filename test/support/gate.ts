import crypto from 'node:crypto';
import request from 'supertest';
import type { TestSession } from './auth';
import { waitFor } from './platform';

/** Helpers for gate tests: devices enrolled through the real routes, tickets bought over HTTP, scans. */

export interface EnrolledDevice {
  id: string;
  token: string;
  /** The `Authorization` header value. */
  auth: string;
}

export async function createGate(staff: TestSession, campaignId: string, name: string): Promise<string> {
  const res = await staff.post(`/api/v1/validation/campaigns/${campaignId}/gates`).send({ name });
  if (res.status !== 201) throw new Error(`create gate answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** A device made by `staff` and enrolled the way an API client does (setup token → device token). */
export async function enrolDevice(
  url: string,
  staff: TestSession,
  campaignId: string,
  opts: { name?: string; gateId?: string } = {},
): Promise<EnrolledDevice> {
  const made = await staff.post(`/api/v1/validation/campaigns/${campaignId}/devices`).send({
    name: opts.name ?? `Phone ${crypto.randomBytes(2).toString('hex')}`,
    ...(opts.gateId ? { gateId: opts.gateId } : {}),
  });
  if (made.status !== 201)
    throw new Error(`create device answered ${made.status}: ${JSON.stringify(made.body)}`);
  const body = made.body as { device: { id: string }; enrolment: { url: string } };
  const token = body.enrolment.url.split('/').pop()!;
  const enrolled = await request(url).post('/api/v1/validation/enrol').send({ token });
  if (enrolled.status !== 200)
    throw new Error(`enrol answered ${enrolled.status}: ${JSON.stringify(enrolled.body)}`);
  const deviceToken = (enrolled.body as { deviceToken: string }).deviceToken;
  return { id: body.device.id, token: deviceToken, auth: `Device ${deviceToken}` };
}

export interface BoughtTicket {
  id: string;
  bookingId: string;
  qrText: string;
  serial: number;
  maxScans: number;
  scanCount: number;
  status: string;
}

/** Books `quantity` free tickets for `buyer` and waits for the tickets worker to issue them. */
export async function buyFreeTickets(
  buyer: TestSession,
  campaignId: string,
  ticketTypeId: string,
  quantity: number,
  issuance: 'SINGLE' | 'SEPARATE',
): Promise<BoughtTicket[]> {
  const res = await buyer
    .post('/api/v1/bookings')
    .set('Idempotency-Key', crypto.randomUUID())
    .send({ campaignId, items: [{ ticketTypeId, quantity }], issuance });
  if (res.status !== 201) throw new Error(`booking answered ${res.status}: ${JSON.stringify(res.body)}`);
  const bookingId = (res.body as { id: string }).id;
  const expected = issuance === 'SINGLE' ? 1 : quantity;
  return waitFor<BoughtTicket[] | undefined>(
    async () => {
      const list = await buyer.get('/api/v1/tickets?limit=100').expect(200);
      const mine = (list.body as { items: Array<BoughtTicket> }).items.filter(
        (t) => t.bookingId === bookingId,
      );
      return mine.length === expected ? mine : undefined;
    },
    30_000,
    `the tickets of booking ${bookingId}`,
  ) as Promise<BoughtTicket[]>;
}

export interface ScanBody {
  qr: string;
  scanId?: string;
  type?: 'entry' | 'exit';
  scannedAt?: string;
  gateId?: string;
  offline?: boolean;
  deviceResult?: 'ok' | 'refused';
  deviceReason?: string;
}

/** A scan request body: a fresh scanId, an entry, scanned now, unless `body` says otherwise. */
export function scanOf(
  body: ScanBody,
): Required<Pick<ScanBody, 'qr' | 'scanId' | 'type' | 'scannedAt'>> & ScanBody {
  return { scanId: crypto.randomUUID(), type: 'entry', scannedAt: new Date().toISOString(), ...body };
}

/** POST /api/v1/validation/scan as a device (Authorization header). */
export function scanAs(url: string, device: EnrolledDevice, body: ScanBody): request.Test {
  return request(url).post('/api/v1/validation/scan').set('Authorization', device.auth).send(scanOf(body));
}
