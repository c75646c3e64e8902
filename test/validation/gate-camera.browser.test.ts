import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModules } from '../../src/modules/container';
import { makeSeller, signIn, type TestSession } from '../support/auth';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { buyFreeTickets, createGate, type BoughtTicket } from '../support/gate';
import { eventually } from '../support/eventually';
import { enrolPhone, nextResult, tonight, writeQrVideo } from '../support/gate-page';
import { createHttpSale, startTicketsEnv, type HttpSale, type TicketsTestEnv } from '../support/tickets-env';

/**
 * The gate page in Chromium with a fake camera: Chromium plays a video of a real ticket's QR
 * code (made from the ticket's qrText, the way it is printed) as the phone's rear camera, the
 * page decodes it with the barcode-detector ponyfill (zxing wasm served by us) and the server
 * decides.
 */

interface History {
  scans: Array<{
    scanId: string;
    result: string;
    reason: string | null;
    offline: boolean;
    device: { id: string } | null;
    scannedAt: string;
  }>;
}

describe('Gate page with a camera', () => {
  let env: TicketsTestEnv;
  let seller: TestSession;
  let buyer: TestSession;
  let sale: HttpSale;
  let gateId: string;
  const browsers: TestBrowser[] = [];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-camera-'));

  beforeAll(async () => {
    env = await startTicketsEnv({ workers: ['tickets'], realtime: true });
    seller = await makeSeller(env, `seller-${crypto.randomBytes(3).toString('hex')}@example.test`);
    sale = await createHttpSale(seller, { campaign: tonight() });
    gateId = await createGate(seller, sale.campaignId, 'North gate');
    buyer = await signIn(env, `buyer-${crypto.randomBytes(3).toString('hex')}@example.test`, {
      name: 'Amaka Obi',
    });
  }, 120_000);
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await env?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  /** A browser whose camera shows `ticket`'s QR code, and the enrolled gate phone in it. */
  async function phoneFilming(ticket: BoughtTicket, name: string) {
    const video = path.join(workDir, `${ticket.id}.y4m`);
    writeQrVideo(video, ticket.qrText);
    const browser = await launchBrowser({
      args: [
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    browsers.push(browser);
    const context = await browser.newContext(env.url, {
      viewport: { width: 390, height: 844 },
      permissions: ['camera'],
    });
    const phone = await enrolPhone(context, env.url, seller, sale.campaignId, { name, gateId });
    return { ...phone, browser };
  }

  const historyOf = async (ticketId: string) =>
    (await seller.get(`/api/v1/validation/ticket/${ticketId}`).expect(200)).body as History;

  it('when the camera sees a valid ticket, then the page shows green with the holder, type and entry; the same code is ignored for ~3 s, then judged again', async () => {
    const [ticket] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 1, 'SEPARATE');
    const { page, deviceId, browser } = await phoneFilming(ticket!, 'Camera phone');
    await page.locator('[data-gate-app][data-camera="on"]').waitFor();

    const first = await nextResult(page);
    expect(first).toMatchObject({
      colour: 'green',
      result: 'ok',
      offline: false,
      word: 'Admit',
      name: 'Amaka Obi',
      entries: 'entry 1 of 1',
    });
    expect(first.detail).toContain('Free entry');
    await browser.screenshot(page, 'gate-camera-green-390');

    // The camera keeps seeing the code: nothing for ~3 s, then a second decision (already used).
    const second = await nextResult(page, first.scanId, 15_000);
    expect(second).toMatchObject({ colour: 'red', result: 'refused', reason: 'already_used' });
    expect(second.name).toMatch(/^Already used at North gate \d\d:\d\d$/);
    await browser.screenshot(page, 'gate-camera-already-used-390');
    await page.locator('[data-result]').click();
    await page.locator('[data-live-counts]').waitFor();
    await browser.screenshot(page, 'gate-scanner-390');
    await page.setViewportSize({ width: 1280, height: 800 });
    await browser.screenshot(page, 'gate-scanner-1280');

    const history = await historyOf(ticket!.id);
    expect(
      history.scans.slice(0, 2).map((s) => [s.scanId, s.result, s.reason ?? null, s.offline, s.device?.id]),
    ).toEqual([
      [first.scanId, 'ok', null, false, deviceId],
      [second.scanId, 'refused', 'already_used', false, deviceId],
    ]);
    // Quiet for SAME_CODE_QUIET_MS after the first result, then judged again (not ignored forever).
    const gap = Date.parse(history.scans[1]!.scannedAt) - Date.parse(history.scans[0]!.scannedAt);
    expect(gap).toBeGreaterThanOrEqual(3000);
    expect(gap).toBeLessThan(10_000);
    expect(browser.errorsOf(page)).toEqual([]);
  });

  it('when the camera sees a refunded ticket, then the page shows red with "Refunded on <date>, <time>"', async () => {
    const [ticket] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 1, 'SEPARATE');
    await createModules(env.platform).bookings.refundBooking(undefined, ticket!.bookingId);
    const revoked = await eventually(
      async () => {
        const items = (await buyer.get('/api/v1/tickets?limit=100').expect(200)).body.items as Array<{
          id: string;
          status: string;
          revokedAt: string;
        }>;
        return items.find((t) => t.id === ticket!.id && t.status === 'REVOKED');
      },
      20_000,
      'the revocation',
    );
    const { page, browser } = await phoneFilming(ticket!, 'Refund phone');
    const shown = await nextResult(page);
    const when = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Africa/Lagos',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).formatToParts(new Date(revoked.revokedAt));
    const part = (t: string) => when.find((p) => p.type === t)!.value;
    expect(shown).toMatchObject({
      colour: 'red',
      result: 'refused',
      reason: 'revoked',
      offline: false,
      name: `Refunded on ${part('day')} ${part('month')}, ${part('hour')}:${part('minute')}`,
    });
    await browser.screenshot(page, 'gate-camera-red-390');
    expect(browser.errorsOf(page)).toEqual([]);
  });
});
