import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { makeTeamMember, signIn } from '../support/auth';
import { launchBrowser, useSession, type TestBrowser } from '../support/browser';
import { eventually } from '../support/eventually';
import { leafParts, parseMime } from '../support/mime';
import { confirmedBooking, saleFor, startPaymentsEnv, type PaymentsTestEnv } from '../support/payments';

const SHOTS = '/tmp/seller-pages-shots';
const SIZES = [
  { name: 'phone', viewport: { width: 390, height: 844 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
] as const;

/** Screenshots at both sizes; fails when the page scrolls sideways on a phone. */
async function lookAt(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size.viewport);
    await page.screenshot({ path: `${SHOTS}/${name}-${size.name}.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect({ page: name, size: size.name, overflow }).toEqual({ page: name, size: size.name, overflow: 0 });
  }
}

describe('seller pages in Chromium', () => {
  let t: PaymentsTestEnv;
  let browser: TestBrowser;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startPaymentsEnv({ email: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('when a seller types ₦5,000.00 and picks 18:00 Africa/Lagos, then 500000 kobo and 17:00Z are stored and buyers see ₦5,000.00 at 18:00', async () => {
    const page = await browser.newPage(t.url);
    await useSession(page, t.url, t.seller);
    await page.goto(`${t.url}/seller/campaigns/new`);
    await lookAt(page, 'campaign-new');
    await page.getByLabel('Title').fill('Eko Sunset Sessions');
    await page.getByLabel('Kind').selectOption('EVENT');
    await page.getByLabel('Currency').selectOption('NGN');
    await page.getByLabel('Time zone').selectOption('Africa/Lagos');
    await page.getByLabel('Venue', { exact: true }).fill('Tarkwa Bay Beach');
    await page.getByLabel('Address').fill('Tarkwa Bay');
    await page.getByLabel('City').fill('Lagos');
    await page.getByLabel('Country').selectOption('NG');
    await page.getByLabel('Starts Africa/Lagos').fill('2027-03-20T18:00');
    await page.getByLabel('Ends Africa/Lagos').fill('2027-03-20T23:30');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.waitForURL(/\/seller\/campaigns\/[0-9a-f-]{36}$/);
    const campaignId = page.url().split('/').pop()!;

    const stored = await t.env.platform.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    expect(stored.startsAt.toISOString()).toBe('2027-03-20T17:00:00.000Z');
    expect(stored.endsAt.toISOString()).toBe('2027-03-20T22:30:00.000Z');
    expect(await page.getByLabel('Starts Africa/Lagos').inputValue()).toBe('2027-03-20T18:00');

    await page.getByLabel('Name', { exact: true }).fill('Early bird');
    await page.getByLabel('Price in NGN (0 for free)').fill('₦5,000.00');
    await page.getByLabel('Capacity', { exact: true }).fill('120');
    await page.getByRole('button', { name: 'Add ticket type' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.ticket-types tbody tr').length === 1);
    const type = await t.env.platform.prisma.ticketType.findFirstOrThrow({ where: { campaignId } });
    expect(type.priceMinor).toBe(500000);
    expect(await page.getByLabel('Price of Early bird in NGN').inputValue()).toBe('5,000.00');

    // Too many decimals is refused in words, and nothing changes.
    await page.getByLabel('Price of Early bird in NGN').fill('5,000.005');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Prices in NGN have at most 2 decimals.').waitFor();
    expect(
      (await t.env.platform.prisma.ticketType.findFirstOrThrow({ where: { campaignId } })).priceMinor,
    ).toBe(500000);

    await page.getByRole('button', { name: 'Publish…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Publish “Eko Sunset Sessions”?' });
    await dialog.getByText('20 Mar 2027, 18:00 (Africa/Lagos, GMT+1)', { exact: false }).waitFor();
    await dialog.getByText('Early bird: ₦5,000.00 · 120 tickets').waitFor();
    await lookAt(page, 'publish-preview');
    await dialog.getByRole('button', { name: 'Publish now' }).click();
    await page.waitForFunction(() => document.getElementById('campaign-status')?.textContent === 'On sale');
    await lookAt(page, 'campaign-editor');

    const buyer = await signIn(t.env, 'sunset-buyer@example.test');
    const buyerPage = await browser.newPage(t.url);
    await useSession(buyerPage, t.url, buyer);
    await buyerPage.goto(`${t.url}/campaigns/${stored.slug}`);
    await buyerPage.getByText('20 Mar 2027, 18:00', { exact: false }).first().waitFor();
    expect(await buyerPage.locator('body').innerText()).toContain('₦5,000.00');
    expect(await buyerPage.locator('body').innerText()).not.toContain('19:00');
  });

  it('when a seller cancels with a reason in the dialog, then it says how many bookings are refunded and the buyer’s refund email quotes the reason', async () => {
    const s = await saleFor(t, {
      campaign: { title: 'Kampala Rooftop Night', refundDeadlineHours: null },
      types: [{ name: 'Rooftop pass', priceMinor: 450_000, capacity: 40 }],
    });
    const paid = await confirmedBooking(t, s, 2);
    const page = await browser.newPage(t.url);
    await useSession(page, t.url, t.seller);

    await page.goto(`${t.url}/seller/campaigns/${s.campaign.id}/orders`);
    await page.getByText(paid.booking.reference).waitFor();
    await lookAt(page, 'orders');

    await page.goto(`${t.url}/seller/campaigns/${s.campaign.id}`);
    await page.getByText('2 tickets sold in 1 booking', { exact: false }).waitFor();
    await lookAt(page, 'campaign-with-sales');
    await page.getByRole('button', { name: 'Cancel campaign…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel “Kampala Rooftop Night”?' });
    await dialog.getByText('1 paid booking (2 tickets) will be refunded in full.').waitFor();
    await dialog.getByRole('button', { name: 'Cancel campaign and refund' }).click();
    await dialog.getByText('Say why in a few words', { exact: false }).waitFor();
    const reason = 'Heavy storms are forecast and the rooftop is unsafe';
    await dialog.getByLabel('Reason (quoted in the refund email to buyers)').fill(reason);
    await lookAt(page, 'cancel-dialog');
    await dialog.getByRole('button', { name: 'Cancel campaign and refund' }).click();
    await page.locator('#closed-notice').waitFor();
    expect(await page.locator('#closed-notice').innerText()).toContain(reason);
    expect(await page.getByLabel('Title').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add ticket type' }).count()).toBe(0);
    await lookAt(page, 'campaign-cancelled');

    const text = await eventually(
      () =>
        t
          .smtp!.messages.filter((m) => m.to.includes(paid.buyer.email))
          .map((m) =>
            leafParts(parseMime(m.raw))
              .filter((p) => p.contentType === 'text/plain')
              .map((p) => p.body.toString('utf8'))
              .join('\n'),
          )
          .find((body) => body.includes('refunded')),
      30_000,
      'refund email',
    );
    expect(text).toContain(`gave this reason: “${reason}”`);
  });

  it('when a seller assigns campaigns to a gate manager by ticking them, then the member shows their name and the campaigns', async () => {
    const s = await saleFor(t, { campaign: { title: 'Accra Food Fair' } });
    const member = await makeTeamMember(t.env, t.seller, 'gate.ama@example.test', 'MANAGER');
    const page = await browser.newPage(t.url);
    await useSession(page, t.url, t.seller);
    await page.goto(`${t.url}/team`);
    const row = page.locator(`tr[data-member-id="${member.memberId}"]`);
    await row.getByText('gate.ama@example.test').waitFor();
    await row.getByLabel('Accra Food Fair').check();
    await row.getByRole('button', { name: 'Save campaigns' }).click();
    await page.getByText('Campaigns saved.').waitFor();
    expect(
      await page.locator(`tr[data-member-id="${member.memberId}"]`).getByLabel('Accra Food Fair').isChecked(),
    ).toBe(true);
    const profile = await member.profile();
    expect(JSON.stringify(profile.memberships)).toContain(s.campaign.id);
    expect(await page.locator(`tr[data-member-id="${member.memberId}"] strong`).innerText()).toBe(
      profile.user.name,
    );
    await lookAt(page, 'team');
    await page.goto(`${t.url}/seller/campaigns`);
    await lookAt(page, 'seller-campaigns');
  });
});
