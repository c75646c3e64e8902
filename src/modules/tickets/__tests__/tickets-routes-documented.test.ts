import type { Platform } from '../../../shared/platform';
import { expectRoutesDocumented } from '../../../../test/support/openapi';
import { createTestPlatform, startApp, type RunningApp } from '../../../../test/support/platform';

describe('tickets API documentation', () => {
  let platform: Platform;
  let app: RunningApp;
  beforeAll(async () => {
    platform = await createTestPlatform();
    app = await startApp(platform);
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  it('when the app is built, then every tickets route is in the OpenAPI document, and nothing documented is missing', () => {
    expect(expectRoutesDocumented(app, ['tickets', 'tickets-bookings', 'tickets-gate'])).toEqual([
      'get /api/v1/bookings/{id}/tickets.pdf',
      'get /api/v1/campaigns/{id}/keys',
      'get /api/v1/campaigns/{id}/revocations',
      'get /api/v1/tickets',
      'get /api/v1/tickets/{id}/pdf',
      'post /api/v1/bookings/{id}/resend-tickets',
    ]);
  });
});
