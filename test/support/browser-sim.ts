import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium under playwright-core with the flags from ENVIRONMENT.md and a fresh
 * profile. Kept minimal for the Flutterwave simulator's page test; the shared launcher lives in
 * test/support/browser.ts.
 */
export interface LaunchedBrowser {
  /** A persistent context on the fresh profile (playwright takes the profile dir this way). */
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tm-chromium-'));
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    .catch(async (err: unknown) => {
      await rm(profile, { recursive: true, force: true });
      throw err;
    });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
