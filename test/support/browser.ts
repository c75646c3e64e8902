/// <reference types="jest" />
// Jest's types: the build (tsconfig.build.json) compiles the scripts that import this file; the Jest globals are used only from test files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { startFreshAuthApp, type AuthTestEnv, type StartAuthAppOptions } from './auth';

/**
 * Browser tests drive Debian's Chromium through playwright-core (never `npx playwright
 * install`, which downloads a browser). Typical use:
 *
 *   const browser = await launchBrowser();
 *   const page = await browser.newPage(app.url);          // fresh cookies per call
 *   await page.goto('/');
 *   await browser.screenshot(page, 'home');                // var/screenshots/home.png
 *   expect(browser.errorsOf(page)).toEqual([]);            // console errors, page errors
 *   await browser.close();
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOT_DIR = path.resolve(__dirname, '../../var/screenshots');

/** A phone-sized viewport for checking that pages work on a phone. */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 375, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

export interface TestBrowser {
  browser: Browser;
  /** A page in a new context (its own cookies and storage) whose relative URLs resolve against baseUrl. */
  newPage(baseUrl: string, options?: BrowserContextOptions): Promise<Page>;
  /** A new context, for tests that need several pages sharing one session. */
  newContext(baseUrl: string, options?: BrowserContextOptions): Promise<BrowserContext>;
  /** Console errors and uncaught page errors seen on this page so far. */
  errorsOf(page: Page): string[];
  /** Saves a full-page PNG under var/screenshots and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh profile: Playwright's launch() always passes its own
 * new temporary --user-data-dir (and refuses one in `args`), and HOME/XDG dirs point at
 * another temporary directory so nothing is read from or left in the user's home. close()
 * removes both. Extra flags (a fake camera, say) go in `args`.
 */
export async function launchBrowser(opts: { args?: string[] } = {}): Promise<TestBrowser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run scripts/ensure-test-tools.sh (apt-get install chromium)`,
    );
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-chromium-home-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(opts.args ?? [])],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home },
  });
  const errors = new WeakMap<Page, string[]>();
  const contexts: BrowserContext[] = [];

  const watch = (page: Page) => {
    const list: string[] = [];
    errors.set(page, list);
    page.on('console', (msg) => {
      if (msg.type() === 'error') list.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => list.push(`pageerror: ${err.message}`));
  };

  const newContext = async (baseUrl: string, options: BrowserContextOptions = {}) => {
    const context = await browser.newContext({ baseURL: baseUrl, ...options });
    context.on('page', watch);
    contexts.push(context);
    return context;
  };

  return {
    browser,
    newContext,
    async newPage(baseUrl, options) {
      const context = await newContext(baseUrl, options);
      const page = await context.newPage();
      if (!errors.has(page)) watch(page);
      return page;
    },
    errorsOf: (page) => errors.get(page) ?? [],
    async screenshot(page, name) {
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Puts a signed-in test session's cookie into the page's context, as if the person had signed in there. */
export async function useSession(page: Page, url: string, session: { cookie: string }): Promise<void> {
  const [name, value] = session.cookie.split(';')[0]!.split('=');
  await page.context().addCookies([{ name: name!, value: value!, url }]);
}

/**
 * How the page tests begin: the app on an emptied database, Chromium, and one context on the
 * app (close the browser, then env, in afterAll).
 */
export async function startBrowserApp(
  opts: StartAuthAppOptions = {},
): Promise<{ env: AuthTestEnv; browser: TestBrowser; context: BrowserContext }> {
  const env = await startFreshAuthApp(opts);
  const browser = await launchBrowser();
  return { env, browser, context: await browser.newContext(env.url) };
}

/** The two widths every page is looked at: a phone's and a desktop's. */
export const PAGE_SIZES = [
  { name: '390', viewport: { width: 390, height: 844 } },
  { name: '1280', viewport: { width: 1280, height: 800 } },
] as const;

/** Screenshots `page` at both PAGE_SIZES into `dir`; fails when it scrolls sideways at either. */
export async function lookAtBothSizes(page: Page, dir: string, name: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (const size of PAGE_SIZES) {
    await page.setViewportSize(size.viewport);
    await page.screenshot({ path: path.join(dir, `${name}-${size.name}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect({ page: name, size: size.name, overflow }).toEqual({ page: name, size: size.name, overflow: 0 });
  }
}
