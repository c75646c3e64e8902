import crypto, { type KeyObject } from 'node:crypto';

/**
 * Ed25519 signing keys and their encryption at rest.
 *
 * A private key is stored as `version(1) | iv(12) | tag(16) | AES-256-GCM(pkcs8 DER)`, with the
 * campaign id and key id as additional authenticated data: a ciphertext copied onto another
 * key row (or another campaign) fails to decrypt instead of signing for the wrong campaign.
 */

const ENCRYPTION_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface GeneratedKeyPair {
  /** The raw 32-byte Ed25519 public key: what gate devices download. */
  publicKey: Buffer;
  privateKey: KeyObject;
}

export function generateSigningKeyPair(): GeneratedKeyPair {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return { publicKey: rawPublicKey(publicKey), privateKey };
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x) throw new Error('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url');
}

/** A KeyObject for a raw 32-byte Ed25519 public key (as stored and as sent to devices). */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  return crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** The base64 master key from configuration as 32 bytes. */
export function parseMasterKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('the tickets master key must be 32 bytes');
  return key;
}

function aadFor(campaignId: string, keyId: number): Buffer {
  return Buffer.from(`ticket-signing-key:${campaignId}:${keyId}`);
}

export function encryptPrivateKey(
  masterKey: Buffer,
  privateKey: KeyObject,
  campaignId: string,
  keyId: number,
): Buffer {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(aadFor(campaignId, keyId));
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const body = Buffer.concat([cipher.update(der), cipher.final()]);
  return Buffer.concat([Buffer.from([ENCRYPTION_VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Decrypts a stored private key; throws when the master key, the row binding or the bytes are wrong. */
export function decryptPrivateKey(
  masterKey: Buffer,
  blob: Uint8Array,
  campaignId: string,
  keyId: number,
): KeyObject {
  const data = Buffer.from(blob);
  if (data.length <= 1 + IV_BYTES + TAG_BYTES || data[0] !== ENCRYPTION_VERSION) {
    throw new Error('unsupported encrypted key format');
  }
  const iv = data.subarray(1, 1 + IV_BYTES);
  const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = crypto.createDecipheriv('aes-256-gcm', masterKey, iv);
  decipher.setAAD(aadFor(campaignId, keyId));
  decipher.setAuthTag(tag);
  const der = Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function signBytes(message: Uint8Array, privateKey: KeyObject): Buffer {
  return crypto.sign(null, message, privateKey);
}

export function verifyBytes(message: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  try {
    return crypto.verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}
