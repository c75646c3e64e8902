import request from 'supertest';
import { createTestPlatform, startApp } from '../../../../test/support/platform';

const BADGE = 'Sandbox: payments are simulated';

describe('sandbox badge', () => {
  async function homePage(overrides: Record<string, string>): Promise<string> {
    const platform = await createTestPlatform(overrides);
    const app = await startApp(platform);
    try {
      const res = await request(app.url).get('/').set('Accept', 'text/html');
      expect(res.status).toBe(200);
      return res.text;
    } finally {
      await app.close();
      await platform.close();
    }
  }

  it('when no Flutterwave keys are configured (simulator), then every page shows the sandbox badge', async () => {
    expect(await homePage({})).toContain(BADGE);
  });

  it('when real Flutterwave keys are configured, then no badge', async () => {
    const page = await homePage({
      FLUTTERWAVE_SECRET_KEY: 'FLWSECK-live-abcdef-X',
      FLUTTERWAVE_BASE_URL: 'https://api.flutterwave.com',
    });
    expect(page).not.toContain(BADGE);
    expect(page).toContain('<main id="main">');
  });
});
