import crypto from 'node:crypto';
import {
  generateSigningKeyPair,
  signTicketPayload,
  toQrText,
  verifyTicketQr,
  type TicketClaims,
  type VerificationKey,
} from '../../src/modules/tickets';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { gateModulesScript, securePageWith } from '../support/gate-page';

/**
 * The phone judges a QR code exactly as the server does: the gate page's verifier (its own
 * bundle code, in Chromium, with WebCrypto's Ed25519 and with the @noble/ed25519 fallback
 * forced) against the server's verifyTicketQr, on valid, tampered, truncated, foreign, expired
 * and garbage codes. The layout is shared (tickets.qr-layout.ts); this catches a difference in
 * what surrounds it (Ed25519 strictness, text handling, key choice).
 */

const campaignId = crypto.randomUUID();
const now = new Date('2026-12-01T20:00:00Z');
const claims = (over: Partial<TicketClaims> = {}): TicketClaims => ({
  ticketId: crypto.randomUUID(),
  campaignId,
  ticketTypeId: crypto.randomUUID(),
  maxScans: 4,
  validFrom: new Date('2026-12-01T06:00:00Z'),
  validUntil: new Date('2026-12-02T06:00:00Z'),
  keyId: 1,
  ...over,
});

describe('Gate page verification in Chromium', () => {
  let browser: TestBrowser;
  let page: Awaited<ReturnType<typeof securePageWith>>;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await securePageWith(
      browser,
      await gateModulesScript(
        "export * from './verify'; export { decideLocally, reasonText } from './decide';",
        'gateVerify',
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await page?.close();
    await browser?.close();
  });

  it('when codes valid, tampered, truncated, foreign, out of their window or garbage are checked, then the page answers what the server answers, with either Ed25519 engine', async () => {
    const active = generateSigningKeyPair();
    const rotated = generateSigningKeyPair();
    const stranger = generateSigningKeyPair();
    const keys: VerificationKey[] = [
      { campaignId: campaignId.toUpperCase(), keyId: 2, publicKey: active.publicKey.toString('base64url') },
      { campaignId, keyId: 1, publicKey: rotated.publicKey.toString('base64url') },
    ];
    const good = signTicketPayload(claims({ keyId: 2 }), active.privateKey);
    const flips = Array.from({ length: good.length }, (_, i) => {
      const b = Buffer.from(good);
      b[i]! ^= 0x01 << (i % 8);
      return toQrText(b);
    });
    const version2 = Buffer.from(good);
    version2[0] = 2;
    // A code whose Base45 text begins with a space (its first two bytes, 1 and the ticket id's
    // first, make the digit 36 for 6 of 256 ids): never trimmed. (A 125-byte payload's text
    // cannot end with one: its last, lone byte is written as two digits, the second ≤ 5.)
    const startingWithSpace = () => {
      for (let i = 0; i < 10_000; i++) {
        const t = toQrText(signTicketPayload(claims(), rotated.privateKey));
        if (t.startsWith(' ')) return t;
      }
      throw new Error('no code starting with a space in 10,000 tries');
    };
    const codes = [
      toQrText(good),
      toQrText(signTicketPayload(claims({ keyId: 1 }), rotated.privateKey)),
      startingWithSpace(),
      `${toQrText(good)}\n`,
      `${toQrText(good)}\r\n`,
      ` ${toQrText(good)}`,
      `${toQrText(good)} `,
      ...flips,
      toQrText(version2),
      toQrText(good).slice(0, -3),
      toQrText(good.subarray(0, 61)),
      toQrText(signTicketPayload(claims({ keyId: 2, maxScans: 500 }), stranger.privateKey)),
      toQrText(signTicketPayload(claims({ keyId: 7 }), active.privateKey)),
      toQrText(signTicketPayload(claims({ campaignId: crypto.randomUUID() }), active.privateKey)),
      toQrText(signTicketPayload(claims({ validUntil: now }), rotated.privateKey)),
      toQrText(signTicketPayload(claims({ validFrom: now }), rotated.privateKey)),
      toQrText(
        signTicketPayload(
          claims({ validFrom: new Date(now.getTime() + 1000), validUntil: new Date(now.getTime() + 9000) }),
          rotated.privateKey,
        ),
      ),
      '',
      ' ',
      'hello',
      'HELLO WORLD',
      '\u0000\u0000\u0000',
      toQrText(crypto.randomBytes(125)),
      toQrText(Buffer.concat([Buffer.from([1]), crypto.randomBytes(124)])),
      'https://example.test/ticket/123',
    ];
    const expected = codes.map((c) => JSON.parse(JSON.stringify(verifyTicketQr(c, keys, now))) as unknown);
    expect(
      expected.filter((e) => (e as { status: string }).status === 'VALID').length,
    ).toBeGreaterThanOrEqual(5);

    for (const engine of ['webcrypto', 'noble'] as const) {
      const got = await page.page.evaluate(
        async ({ engine, codes, keys, now }) => {
          const g = (window as never as { gateVerify: GateVerify }).gateVerify;
          g.useEd25519Engine(engine);
          const out = [];
          for (const c of codes) out.push(JSON.stringify(await g.verifyTicketQr(c, keys, new Date(now))));
          return out;
        },
        { engine, codes, keys, now: now.toISOString() },
      );
      expect(got.map((g) => JSON.parse(g) as unknown)).toEqual(expected);
    }
    // This Chromium has WebCrypto Ed25519, which the page picks by itself.
    const chosen = await page.page.evaluate(async () => {
      const g = (window as never as { gateVerify: GateVerify }).gateVerify;
      return g.detectEd25519Engine();
    });
    expect(chosen).toBe('webcrypto');
  });
  it('when the phone decides offline, then it follows the server order: campaign open (ACTIVE, PAUSED, ENDED), window, revocation, re-entry, entries', async () => {
    const key = generateSigningKeyPair();
    const keys = [{ campaignId, keyId: 1, publicKey: key.publicKey.toString('base64url') }];
    const typeId = crypto.randomUUID();
    const code = (over: Partial<TicketClaims> = {}) =>
      toQrText(signTicketPayload(claims({ ticketTypeId: typeId, maxScans: 2, ...over }), key.privateKey));
    const late = code({
      validUntil: new Date(now.getTime() - 1000),
      validFrom: new Date(now.getTime() - 9000),
    });
    const revocation = {
      seq: 1,
      ticketId: '',
      serial: 9,
      revokedAt: '2026-12-01T17:40:00Z',
      reason: 'REFUNDED',
    };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['ok', { qr: code() }],
      ['ok', { qr: code(), status: 'PAUSED' }],
      ['ok', { qr: code(), status: 'ENDED' }],
      ['campaign_not_active', { qr: code(), status: 'CANCELLED' }],
      ['expired', { qr: late, revoked: true }],
      ['revoked', { qr: code(), revoked: true }],
      ['reentry_not_allowed', { qr: code(), type: 'exit', entriesUsed: 1 }],
      ['not_inside', { qr: code(), type: 'exit', reentry: true }],
      ['ok', { qr: code(), type: 'exit', reentry: true, entriesUsed: 1 }],
      ['already_used', { qr: code(), entriesUsed: 2 }],
      [
        'wrong_campaign',
        { qr: toQrText(signTicketPayload(claims({ campaignId: crypto.randomUUID() }), key.privateKey)) },
      ],
      ['unknown_key', { qr: code({ keyId: 3 }) }],
      [
        'invalid_signature',
        { qr: toQrText(signTicketPayload(claims(), generateSigningKeyPair().privateKey)) },
      ],
      ['invalid_code', { qr: 'NOT A TICKET' }],
    ];
    const got = await page.page.evaluate(
      async ({ cases, keys, now, campaignId, typeId, revocation }) => {
        const g = (window as never as { gateVerify: GateVerify }).gateVerify;
        const out: Array<[string | undefined, string]> = [];
        for (const [, c] of cases) {
          const v = (await g.verifyTicketQr(c.qr as string, keys, new Date(now))) as {
            claims?: { ticketId: string };
          };
          const d = g.decideLocally({
            scanId: globalThis.crypto.randomUUID(),
            type: (c.type as string) ?? 'entry',
            verification: v,
            campaigns: [
              {
                id: campaignId,
                status: (c.status as string) ?? 'ACTIVE',
                ticketTypes: [{ id: typeId, name: 'Day pass', reentry: Boolean(c.reentry) }],
              },
            ],
            revocation: c.revoked ? { ...revocation, ticketId: v.claims?.ticketId } : undefined,
            ticket: c.entriesUsed
              ? {
                  ticketId: v.claims?.ticketId,
                  entriesUsed: c.entriesUsed,
                  maxEntries: 2,
                  firstGate: 'North gate',
                  firstScannedAt: '2026-12-01T18:02:00Z',
                }
              : undefined,
          }) as { result: string; reason?: string };
          out.push([d.reason, g.reasonText(d, 'Africa/Lagos')]);
        }
        return out;
      },
      { cases, keys, now: now.toISOString(), campaignId, typeId, revocation },
    );
    expect(got.map(([r]) => r ?? 'ok')).toEqual(cases.map(([want]) => want));
    const text = Object.fromEntries(got.map(([r, t]) => [r ?? 'ok', t]));
    expect(text.revoked).toBe('Refunded on 1 Dec, 18:40');
    expect(text.already_used).toBe('All 2 entries used, first at North gate 19:02');
    expect(text.expired).toMatch(/^Expired on 1 Dec, \d\d:\d\d$/);
  });
});

interface GateVerify {
  useEd25519Engine(e: 'webcrypto' | 'noble'): void;
  detectEd25519Engine(): Promise<string>;
  verifyTicketQr(code: string, keys: unknown[], now: Date): Promise<unknown>;
  decideLocally(ctx: unknown): unknown;
  reasonText(d: unknown, timeZone?: string): string;
}
