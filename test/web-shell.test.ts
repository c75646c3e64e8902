import { Router } from 'express';
import { webModules } from '../src/modules/registry';
import { flash } from '../src/shared/http/session';
import type { Platform } from '../src/shared/platform';
import { renderPage } from '../src/web/views';
import { launchBrowser, PHONE, type TestBrowser } from './support/browser';
import { createTestPlatform, startApp, type RunningApp } from './support/platform';

/** The web shell in a real browser: layout, navigation, flash messages, CSS, the API page. */
describe('web shell (Chromium)', () => {
  let platform: Platform;
  let app: RunningApp;
  let browser: TestBrowser;

  beforeAll(async () => {
    platform = await createTestPlatform();
    // A module contributing a page and a nav item through the registry, like real modules do.
    webModules.push(() => {
      const pages = Router();
      pages.get('/probe', (req, res) => renderPage(req, res, 'home', { title: 'Probe' }));
      pages.post('/probe/flash', (req, res) => {
        flash(req, 'success', 'Saved: your change is live');
        res.redirect(303, '/probe');
      });
      return { name: 'probe', pages, nav: [{ label: 'Probe', href: '/probe' }] };
    });
    app = await startApp(platform);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    webModules.pop();
    await browser.close();
    await app.close();
    await platform.close();
  });

  it('when the home page opens, then it renders in the layout with navigation and styles', async () => {
    const page = await browser.newPage(app.url);
    const res = await page.goto('/');
    expect(res?.status()).toBe(200);

    expect(await page.title()).toBe('Tickets · Tikiti');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(
      'Tickets for what is happening',
    );
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Home' }).getAttribute('aria-current')).toBe('page');
    expect(await nav.getByRole('link', { name: 'Probe' }).isVisible()).toBe(true);
    // app.css is served and applied.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(250, 250, 247)',
    );
    await browser.screenshot(page, 'home');
    expect(browser.errorsOf(page)).toEqual([]);
  });

  it('when a nav link is followed, then that page opens and is marked current', async () => {
    const page = await browser.newPage(app.url);
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Probe' }).click();
    await page.waitForURL('**/probe');
    expect(await page.title()).toBe('Probe · Tikiti');
    const probe = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Probe' });
    expect(await probe.getAttribute('aria-current')).toBe('page');
    expect(browser.errorsOf(page)).toEqual([]);
  });

  it('when an action leaves a flash message, then the next page shows it once', async () => {
    const page = await browser.newPage(app.url);
    await page.goto('/');
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/probe/flash';
      document.body.append(form);
      form.submit();
    });
    await page.waitForURL('**/probe');
    const status = page.getByRole('status').filter({ hasText: 'Saved: your change is live' });
    expect(await status.count()).toBe(1);
    await page.reload();
    expect(await page.getByText('Saved: your change is live').count()).toBe(0);
  });

  it('when the page is viewed on a phone, then nothing overflows sideways', async () => {
    const page = await browser.newPage(app.url, PHONE);
    await page.goto('/');
    const widths = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      view: window.innerWidth,
    }));
    expect(widths.doc).toBeLessThanOrEqual(widths.view);
    // The links fold behind "Menu" on a phone.
    expect(await page.getByRole('link', { name: 'Home' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    expect(await page.getByRole('link', { name: 'Home' }).isVisible()).toBe(true);
    await browser.screenshot(page, 'home-phone');
  });

  it('when the API link in the footer is followed, then /api/docs/ui lists every documented operation', async () => {
    const page = await browser.newPage(app.url);
    await page.goto('/');
    await page.getByRole('contentinfo').getByRole('link', { name: 'API' }).click();
    await page.waitForURL('**/api/docs/ui');
    const doc = (await (await page.request.get('/api/docs')).json()) as { paths: Record<string, object> };
    const expected = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const shown = await page.locator('section.card h2').allTextContents();
    expect(shown.map((s) => s.trim()).sort()).toEqual(expected.sort());
    expect(shown.map((s) => s.trim())).toContain('GET /ready');
    expect(browser.errorsOf(page)).toEqual([]);
  });

  it('when a page does not exist, then the browser gets the 404 page in the layout', async () => {
    const page = await browser.newPage(app.url);
    const res = await page.goto('/nowhere');
    expect(res?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    expect(await page.getByRole('link', { name: 'Back to the home page' }).isVisible()).toBe(true);
  });
});
