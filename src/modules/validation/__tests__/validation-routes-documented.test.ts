import type { Platform } from '../../../shared/platform';
import { expectRoutesDocumented } from '../../../../test/support/openapi';
import { createTestPlatform, startApp, type RunningApp } from '../../../../test/support/platform';

describe('validation API documentation', () => {
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

  it('when the app is built, then every validation route is in the OpenAPI document, and nothing documented is missing', () => {
    expect(expectRoutesDocumented(app, ['validation'])).toEqual([
      'get /api/v1/validation/bootstrap',
      'get /api/v1/validation/campaigns/{campaignId}/conflicts',
      'get /api/v1/validation/campaigns/{campaignId}/counts',
      'get /api/v1/validation/campaigns/{campaignId}/devices',
      'get /api/v1/validation/campaigns/{campaignId}/gates',
      'get /api/v1/validation/campaigns/{campaignId}/revocations',
      'get /api/v1/validation/ticket/{id}',
      'patch /api/v1/validation/devices/{id}',
      'post /api/v1/validation/campaigns/{campaignId}/devices',
      'post /api/v1/validation/campaigns/{campaignId}/gates',
      'post /api/v1/validation/devices/{id}/enrolment',
      'post /api/v1/validation/devices/{id}/revoke',
      'post /api/v1/validation/enrol',
      'post /api/v1/validation/scan',
    ]);
  });

  it('when the scan request is documented, then its schema is the one the route validates with (from zod)', () => {
    const op = app.openapi.paths['/api/v1/validation/scan']!.post as {
      requestBody: {
        content: Record<
          string,
          {
            schema: {
              properties: Record<string, unknown>;
              required: string[];
              additionalProperties: boolean;
            };
          }
        >;
      };
    };
    const schema = op.requestBody.content['application/json']!.schema;
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['deviceReason', 'deviceResult', 'gateId', 'offline', 'qr', 'scanId', 'scannedAt', 'type'].sort(),
    );
    expect(schema.required.sort()).toEqual(['qr', 'scanId', 'scannedAt', 'type']);
    expect(schema.additionalProperties).toBe(false);
  });
});
