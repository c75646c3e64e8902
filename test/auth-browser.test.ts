import type { BrowserContext, Locator } from 'playwright-core';
import { startBrowserApp, type TestBrowser } from './support/browser';
import { signIn, type AuthTestEnv } from './support/auth';

/** The sign-in a person does: real Chromium, our pages, the provider's account chooser, the real strategy. */
describe('sign-in in a browser', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let context: BrowserContext;

  beforeAll(async () => {
    ({ env, browser, context } = await startBrowserApp());
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('when a person clicks Sign in, picks an account at the chooser and comes back, then they are signed in; Sign out ends it', async () => {
    const page = await context.newPage();
    await page.goto(`${env.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();

    // The local provider's account chooser (stands in for Google's).
    await page.waitForURL(`${env.provider.url}/authorize**`);
    await page.getByLabel('Email', { exact: true }).fill('browser.buyer@example.test');
    await page.getByLabel('Name', { exact: true }).fill('Browser Buyer');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(`${env.url}/`);
    await expectText(page.getByTestId('nav-user'), 'Browser Buyer');
    const cookies = await context.cookies(env.url);
    const sid = cookies.find((c) => c.name === 'tm.sid');
    expect(sid).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await page.getByRole('link', { name: 'Profile' }).click();
    await expectText(page.getByTestId('profile-name'), 'Browser Buyer');
    expect(await page.locator('[data-role]').allTextContents()).toEqual(['Buyer']);

    // The page's fetch calls use the token from the meta tag, as the API expects.
    const status = await page.evaluate(async () => {
      const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
      const fromApi = await fetch('/api/v1/auth/csrf').then(
        (r) => r.json() as Promise<{ csrfToken: string }>,
      );
      return { same: token === fromApi.csrfToken, length: token.length };
    });
    expect(status).toEqual({ same: true, length: 43 });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${env.url}/`);
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
    const profile = await page.goto(`${env.url}/api/v1/auth/profile`);
    expect(profile!.status()).toBe(401);
    await page.close();
  });

  it('when a signed-out person opens a protected page, then they sign in and land back on that page', async () => {
    // Seed an account at the provider so the chooser offers it (the "Continue as" button).
    await signIn(env, 'returning@example.test', { name: 'Returning Person' });
    const page = await context.newPage();
    await page.goto(`${env.url}/become-seller`);
    await page.waitForURL(`${env.provider.url}/authorize**`);
    await page.getByRole('button', { name: /Returning Person/ }).click();
    await page.waitForURL(`${env.url}/become-seller`);
    await expectText(page.locator('h1'), 'Become a seller');

    // Fill and send the application form from the page (CSRF token in its hidden field).
    await page.getByLabel('Business name').fill('Browser Bar');
    await page.getByLabel('Type of business').selectOption('bars');
    await page.getByLabel('Contact phone').fill('+254 712 345678');
    await page.getByLabel('Country', { exact: true }).selectOption('KE');
    await page.getByLabel('What will you sell?').fill('Evening events with live music every weekend.');
    await page.getByRole('button', { name: 'Send application' }).click();
    await page.waitForURL(`${env.url}/profile`);
    await expectText(page.getByTestId('application-status'), 'waiting for review');
    await page.close();
  });
});

async function expectText(locator: Locator, text: string): Promise<void> {
  await locator.waitFor({ timeout: 10_000 });
  expect(await locator.textContent()).toContain(text);
}
