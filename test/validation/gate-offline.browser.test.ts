import crypto from 'node:crypto';
import { createModules } from '../../src/modules/container';
import { gateLiveConsumer } from '../../workers/realtime/handler';
import type { Platform } from '../../src/shared/platform';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { makeSeller, signIn, type TestSession } from '../support/auth';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { buyFreeTickets, createGate } from '../support/gate';
import { eventually } from '../support/eventually';
import { enrolPhone, nextResult, tonight } from '../support/gate-page';
import { createTestPlatform, waitFor } from '../support/platform';
import { waitForConsumers } from '../support/queues';
import { createHttpSale, startTicketsEnv, type HttpSale, type TicketsTestEnv } from '../support/tickets-env';

/**
 * The gate page with no network (Chromium's offline emulation): it opens from the service
 * worker's cache, judges tickets on the phone with the campaign's keys and revocation list from
 * IndexedDB, queues the scans, and uploads them exactly once when the network is back.
 */

interface HistoryScan {
  scanId: string;
  result: string;
  reason: string | null;
  deviceResult: string | null;
  deviceReason: string | null;
  offline: boolean;
  conflict: boolean;
  device: { id: string } | null;
  scannedAt: string;
  receivedAt: string;
}

describe('Gate page offline', () => {
  let env: TicketsTestEnv;
  let browser: TestBrowser;
  let seller: TestSession;
  let sale: HttpSale;
  let gateId: string;
  let realtime: Platform;
  let live: RunningWorker;

  beforeAll(async () => {
    env = await startTicketsEnv({
      workers: ['tickets'],
      realtime: true,
      overrides: { LIVE_COUNTERS_INTERVAL_MS: '0' },
    });
    // The realtime worker's gate consumer: pushes revocations and gate counts to the phones.
    realtime = await createTestPlatform(
      { ...env.overrides, REDIS_PREFIX: env.platform.config.REDIS_PREFIX },
      'realtime',
    );
    live = startWorker(realtime, { consumers: [gateLiveConsumer(realtime)] });
    await waitForConsumers(realtime.broker, ['validation.live-gates']);
    seller = await makeSeller(env, `seller-${crypto.randomBytes(3).toString('hex')}@example.test`);
    sale = await createHttpSale(seller, { campaign: tonight() });
    gateId = await createGate(seller, sale.campaignId, 'South gate');
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await live?.stop();
    await realtime?.close();
    await env?.close();
  });

  const historyOf = async (ticketId: string) =>
    ((await seller.get(`/api/v1/validation/ticket/${ticketId}`).expect(200)).body as { scans: HistoryScan[] })
      .scans;

  it('when the network is gone, then the page still opens, judges three tickets on the phone (the refunded one red), and uploads them exactly once on reconnect', async () => {
    const buyer = await signIn(env, `buyer-${crypto.randomBytes(3).toString('hex')}@example.test`, {
      name: 'Tunde Bello',
    });
    const [, , t3] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 3, 'SEPARATE');
    await createModules(env.platform).bookings.refundBooking(undefined, t3!.bookingId);
    // SEPARATE tickets of one booking: refunding it revokes all three. Buy two more to admit.
    const [a, b] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 2, 'SEPARATE');
    const tickets = [a!, b!, t3!];

    const context = await browser.newContext(env.url, { viewport: { width: 390, height: 844 } });
    const { page, deviceId } = await enrolPhone(context, env.url, seller, sale.campaignId, {
      name: 'Offline phone',
      gateId,
    });
    // Opened once online: the service worker holds the page and its files, IndexedDB the keys
    // and the revocation list (t3's refund among it, before going offline).
    await page.locator('[data-gate-app][data-offline-ready="true"]').waitFor({ timeout: 30_000 });
    await waitFor(
      () =>
        page.evaluate(
          (id) => (window as never as GateWindow).gateApp.store.revocation(id).then(Boolean),
          t3!.id,
        ),
      20_000,
      'the revocation on the phone',
    );

    await context.setOffline(true);
    const reopened = await page.reload();
    expect(reopened?.fromServiceWorker()).toBe(true);
    await page.locator('[data-gate-app][data-ready="true"][data-state="offline"]').waitFor();
    const banner = page.locator('[data-offline-banner]');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(
      /^Offline since \d\d:\d\d, 0 scans waiting, entries on other devices not visible$/,
    );

    const shown = [];
    let last = '';
    for (const t of tickets) {
      // Typed into the code field as a keyboard-wedge scanner does: the text exactly, then Enter.
      await page.locator('[data-manual-input]').fill(t.qrText);
      await page.locator('[data-manual-input]').press('Enter');
      const r = await nextResult(page, last);
      last = r.scanId;
      shown.push(r);
      if (t === tickets[0]) await browser.screenshot(page, 'gate-offline-amber-390');
    }
    expect(shown.map((r) => [r.colour, r.result, r.reason, r.offline])).toEqual([
      ['amber', 'ok', '', true],
      ['amber', 'ok', '', true],
      ['red', 'refused', 'revoked', true],
    ]);
    expect(shown[0]!.entries).toBe('entry 1 of 1');
    expect(shown[2]!.name).toMatch(/^Refunded on \d{1,2} \w{3}, \d\d:\d\d$/);
    await page.locator('[data-result]').click();
    expect(await banner.textContent()).toMatch(/^Offline since \d\d:\d\d, 3 scans waiting/);
    await browser.screenshot(page, 'gate-offline-banner-390');
    for (const t of tickets) expect(await historyOf(t.id)).toEqual([]);

    await context.setOffline(false);
    await page.locator('[data-gate-app][data-state="online"]').waitFor({ timeout: 30_000 });
    await banner.waitFor({ state: 'hidden', timeout: 30_000 });
    const uploaded = await eventually(
      async () => {
        const all = await Promise.all(tickets.map((t) => historyOf(t.id)));
        return all.every((h) => h.length === 1) ? all.map((h) => h[0]!) : undefined;
      },
      20_000,
      'the uploaded scans',
    );
    expect(
      uploaded.map((s) => [
        s.result,
        s.reason ?? null,
        s.deviceResult,
        s.deviceReason ?? null,
        s.offline,
        s.conflict,
      ]),
    ).toEqual([
      ['ok', null, 'ok', null, true, false],
      ['ok', null, 'ok', null, true, false],
      ['refused', 'revoked', 'refused', 'revoked', true, false],
    ]);
    for (const [i, s] of uploaded.entries()) {
      expect(s.scanId).toBe(shown[i]!.scanId);
      expect(s.device?.id).toBe(deviceId);
      expect(new Date(s.receivedAt).getTime()).toBeGreaterThan(new Date(s.scannedAt).getTime());
    }

    // Opening the page again uploads nothing more: the queue is empty and each scanId is one row.
    await page.reload();
    await page.locator('[data-gate-app][data-ready="true"][data-state="online"]').waitFor();
    expect(await page.evaluate(() => (window as never as GateWindow).gateApp.store.queueLength())).toBe(0);
    for (const t of tickets) expect(await historyOf(t.id)).toHaveLength(1);
    expect(
      browser.errorsOf(page).filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|socket\.io/.test(e)),
    ).toEqual([]);
  });

  it('when a ticket is refunded while the gate page is open, then Socket.io brings the revocation (and the gate counts) to the phone, which then refuses it offline; a removed phone stops', async () => {
    const buyer = await signIn(env, `buyer-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const [admitted] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 1, 'SEPARATE');
    const [refunded] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 1, 'SEPARATE');
    const context = await browser.newContext(env.url, { viewport: { width: 390, height: 844 } });
    const { page, deviceId } = await enrolPhone(context, env.url, seller, sale.campaignId, {
      name: 'Live phone',
      gateId,
    });
    await page.locator('[data-live-counts]').waitFor(); // joined: the room sends its counts at once

    // An entry anywhere moves the phone's "inside now" to the server's figure, pushed.
    await page.locator('[data-manual-input]').fill(admitted!.qrText);
    await page.locator('[data-manual-input]').press('Enter');
    const admittedResult = await nextResult(page);
    expect(admittedResult).toMatchObject({ colour: 'green', offline: false });
    const counts = await waitFor(
      async () => {
        const server = (
          await seller.get(`/api/v1/validation/campaigns/${sale.campaignId}/counts`).expect(200)
        ).body as { totals: { inside: number } };
        const shown = await page.locator('[data-live-inside]').textContent();
        return server.totals.inside > 0 && shown === String(server.totals.inside) ? shown : undefined;
      },
      15_000,
      'the pushed gate counts',
    );
    expect(Number(counts)).toBeGreaterThan(0);

    const polled: string[] = [];
    page.on('request', (r) => {
      if (/\/api\/v1\/validation\/(bootstrap|campaigns\/[^/]+\/revocations)/.test(r.url()))
        polled.push(r.url());
    });
    await createModules(env.platform).bookings.refundBooking(undefined, refunded!.bookingId);
    await waitFor(
      () =>
        page.evaluate(
          (id) => (window as never as GateWindow).gateApp.store.revocation(id).then(Boolean),
          refunded!.id,
        ),
      20_000,
      'the pushed revocation on the phone',
    );
    expect(polled).toEqual([]); // it came over the socket, not from a sync

    await context.setOffline(true);
    await page.locator('[data-gate-app][data-state="offline"]').waitFor();
    await page.locator('[data-manual-input]').fill(refunded!.qrText);
    await page.locator('[data-manual-input]').press('Enter');
    // The new decision, not the admission still on screen.
    const shown = await nextResult(page, admittedResult.scanId);
    expect(shown).toMatchObject({ colour: 'red', reason: 'revoked', offline: true });
    expect(shown.name).toMatch(/^Refunded on /);
    await context.setOffline(false);
    await page.locator('[data-gate-app][data-state="online"]').waitFor({ timeout: 30_000 });
    expect((await historyOf(refunded!.id)).map((s) => [s.result, s.reason, s.offline])).toEqual([
      ['refused', 'revoked', true],
    ]);

    // The organiser removes the phone: its next scan is refused and the page stops scanning.
    await seller.post(`/api/v1/validation/devices/${deviceId}/revoke`).expect(200);
    await page.locator('[data-manual-input]').fill(admitted!.qrText);
    await page.locator('[data-manual-input]').press('Enter');
    await page.locator('[data-gate-app][data-state="stopped"]').waitFor();
    expect(await page.locator('[data-stopped]').textContent()).toBe(
      'This device was removed by the organiser. Ask them for a new setup link.',
    );
    expect((await historyOf(admitted!.id)).length).toBe(1);
    await browser.screenshot(page, 'gate-device-removed-390');
    await context.close();
  });
});

interface GateWindow {
  gateApp: { store: { revocation(id: string): Promise<unknown>; queueLength(): Promise<number> } };
}
