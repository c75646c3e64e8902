import crypto from 'node:crypto';
import QRCode from 'qrcode';
import { decodeBase45, encodeBase45 } from '../tickets.base45';
import {
  decryptPrivateKey,
  encryptPrivateKey,
  generateSigningKeyPair,
  publicKeyFromRaw,
  signBytes,
  verifyBytes,
} from '../tickets.crypto';
import { qrDimensions } from '../tickets.pdf';
import {
  SIGNED_PAYLOAD_BYTES,
  signTicketPayload,
  toQrText,
  verifyTicketQr,
  type TicketClaims,
} from '../tickets.qr';

const campaignId = '0b9a6f0e-6c1d-4c55-9d59-2f1f1f0e7a11';
const claims = (over: Partial<TicketClaims> = {}): TicketClaims => ({
  ticketId: '5f0c3a52-8d7e-4a35-9f6b-1c2d3e4f5a6b',
  campaignId,
  ticketTypeId: 'a1b2c3d4-e5f6-4789-8abc-def012345678',
  maxScans: 3,
  validFrom: new Date('2026-12-01T18:00:00Z'),
  validUntil: new Date('2026-12-02T06:00:00Z'),
  keyId: 1,
  ...over,
});
const during = new Date('2026-12-01T20:00:00Z');

describe('base45 (RFC 9285)', () => {
  it('when encoding the RFC examples, then the output matches the RFC', () => {
    expect(encodeBase45(Buffer.from('AB'))).toBe('BB8');
    expect(encodeBase45(Buffer.from('Hello!!'))).toBe('%69 VD92EX0');
    expect(encodeBase45(Buffer.from('base-45'))).toBe('UJCLQE7W581');
    expect(decodeBase45('QED8WEX0').toString()).toBe('ietf!');
  });

  it('when decoding random bytes back, then they round-trip; bad text is refused', () => {
    for (let n = 0; n < 50; n++) {
      const b = crypto.randomBytes(n);
      expect(decodeBase45(encodeBase45(b)).equals(b)).toBe(true);
    }
    expect(() => decodeBase45('GGW')).toThrow(/range/); // 65536 does not fit two bytes
    expect(() => decodeBase45('ab')).toThrow(/character/);
    expect(() => decodeBase45('A')).toThrow(/length/);
  });
});

describe('campaign key encryption', () => {
  const master = crypto.randomBytes(32);

  it('when a private key is encrypted and decrypted, then it still signs for its public key', () => {
    const { publicKey, privateKey } = generateSigningKeyPair();
    const blob = encryptPrivateKey(master, privateKey, campaignId, 1);
    expect(blob.includes(privateKey.export({ format: 'der', type: 'pkcs8' }))).toBe(false);
    const back = decryptPrivateKey(master, blob, campaignId, 1);
    const sig = signBytes(Buffer.from('hello'), back);
    expect(verifyBytes(Buffer.from('hello'), sig, publicKeyFromRaw(publicKey))).toBe(true);
  });

  it('when the master key, the campaign, the key id or a byte is wrong, then decryption fails', () => {
    const { privateKey } = generateSigningKeyPair();
    const blob = encryptPrivateKey(master, privateKey, campaignId, 1);
    expect(() => decryptPrivateKey(crypto.randomBytes(32), blob, campaignId, 1)).toThrow();
    expect(() => decryptPrivateKey(master, blob, crypto.randomUUID(), 1)).toThrow();
    expect(() => decryptPrivateKey(master, blob, campaignId, 2)).toThrow();
    const flipped = Buffer.from(blob);
    flipped[flipped.length - 1]! ^= 0x01;
    expect(() => decryptPrivateKey(master, flipped, campaignId, 1)).toThrow();
  });
});

describe('signed QR payload', () => {
  const key = generateSigningKeyPair();
  const keys = [{ campaignId, keyId: 1, publicKey: key.publicKey.toString('base64url') }];

  it('when a payload is signed, then it is 125 bytes and verifies with the public key alone, claims intact', () => {
    const payload = signTicketPayload(claims(), key.privateKey);
    expect(payload.length).toBe(SIGNED_PAYLOAD_BYTES);
    const result = verifyTicketQr(toQrText(payload), keys, during);
    expect(result).toEqual({ status: 'VALID', claims: claims() });
  });

  it('when any single byte is changed, then verification fails', () => {
    const payload = signTicketPayload(claims(), key.privateKey);
    for (let i = 1; i < payload.length; i++) {
      const tampered = Buffer.from(payload);
      tampered[i]! ^= 0x01;
      const r = verifyTicketQr(toQrText(tampered), keys, during);
      expect(r.status).toBe('INVALID');
    }
    const v = Buffer.from(payload);
    v[0] = 3;
    expect(verifyTicketQr(v, keys, during)).toEqual({ status: 'INVALID', reason: 'UNSUPPORTED_VERSION' });
    // Version 2 is the seated layout: a version 1 body relabelled as 2 does not parse as one.
    v[0] = 2;
    expect(verifyTicketQr(v, keys, during)).toMatchObject({ status: 'INVALID' });
  });

  it('when the payload is re-signed with another key under the same key id, then verification fails', () => {
    const other = generateSigningKeyPair();
    const forged = signTicketPayload(claims({ maxScans: 500 }), other.privateKey);
    expect(verifyTicketQr(toQrText(forged), keys, during)).toEqual({
      status: 'INVALID',
      reason: 'BAD_SIGNATURE',
    });
  });

  it('when the key id is not among the known keys, then it is reported as an unknown key', () => {
    const p = signTicketPayload(claims({ keyId: 2 }), key.privateKey);
    expect(verifyTicketQr(p, keys, during)).toEqual({
      status: 'INVALID',
      reason: 'UNKNOWN_KEY',
      unverified: { campaignId, keyId: 2 },
    });
  });

  it('when scanned after the window or before it, then it is reported as expired / not yet valid', () => {
    const p = toQrText(signTicketPayload(claims(), key.privateKey));
    expect(verifyTicketQr(p, keys, new Date('2026-12-02T06:00:00Z')).status).toBe('EXPIRED');
    expect(verifyTicketQr(p, keys, new Date('2026-12-01T17:59:59Z')).status).toBe('NOT_YET_VALID');
  });

  it('when the text is garbage or truncated, then it is malformed', () => {
    const p = toQrText(signTicketPayload(claims(), key.privateKey));
    expect(verifyTicketQr('hello', keys, during)).toEqual({ status: 'INVALID', reason: 'MALFORMED' });
    expect(verifyTicketQr(p.slice(0, -3), keys, during)).toEqual({ status: 'INVALID', reason: 'MALFORMED' });
  });

  it('when a claim does not fit its field, then signing refuses it', () => {
    expect(() => signTicketPayload(claims({ maxScans: 70000 }), key.privateKey)).toThrow(/maxScans/);
    expect(() =>
      signTicketPayload(claims({ validUntil: new Date('2026-11-01T00:00:00Z') }), key.privateKey),
    ).toThrow(/after/);
    expect(() => signTicketPayload(claims({ ticketId: 'nope' }), key.privateKey)).toThrow(/uuid/);
  });

  it('when encoded as base45 in alphanumeric mode, then the QR is version 8 (49 modules), smaller than base64url in byte mode', () => {
    const payload = signTicketPayload(claims(), key.privateKey);
    expect(qrDimensions(payload)).toEqual({ version: 8, modules: 49 });
    const b64 = QRCode.create([{ data: Buffer.from(payload.toString('base64url')), mode: 'byte' }], {
      errorCorrectionLevel: 'M',
    });
    expect(b64.version).toBe(9);
  });
});

describe('seated QR payload (version 2)', () => {
  const key = generateSigningKeyPair();
  const keys = [{ campaignId, keyId: 1, publicKey: key.publicKey.toString('base64url') }];
  const seat = { section: 'Tribune Écoles Nord', row: 'AA', seat: '112' };

  it('when a ticket has a seat, then the signed payload carries it and verifies; without one the payload stays version 1 of 125 bytes', () => {
    const payload = signTicketPayload(claims({ seat }), key.privateKey);
    expect(payload[0]).toBe(2);
    const verified = verifyTicketQr(toQrText(payload), keys, during);
    expect(verified).toMatchObject({ status: 'VALID', claims: { seat } });
    const plain = signTicketPayload(claims(), key.privateKey);
    expect(plain.length).toBe(SIGNED_PAYLOAD_BYTES);
    expect(verifyTicketQr(toQrText(plain), keys, during)).not.toHaveProperty('claims.seat');
  });

  it('when the seat bytes are changed or cut, then the payload is refused', () => {
    const payload = signTicketPayload(claims({ seat }), key.privateKey);
    const changed = Buffer.from(payload);
    changed[63]! ^= 0x01; // a byte of the section name
    expect(verifyTicketQr(changed, keys, during)).toMatchObject({ status: 'INVALID' });
    expect(verifyTicketQr(payload.subarray(0, payload.length - 1), keys, during)).toMatchObject({
      status: 'INVALID',
      reason: 'MALFORMED',
    });
    // A long section name is cut at a character boundary, never mid-character.
    const long = signTicketPayload(claims({ seat: { ...seat, section: 'É'.repeat(30) } }), key.privateKey);
    expect(verifyTicketQr(long, keys, during)).toMatchObject({
      claims: { seat: { section: 'É'.repeat(12) } },
    });
  });
});
