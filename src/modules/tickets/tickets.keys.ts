import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Db, Tx } from '../../shared/db';
import { decryptPrivateKey, encryptPrivateKey, generateSigningKeyPair } from './tickets.crypto';
import { TicketsErrors } from './tickets.errors';
import * as repo from './tickets.repository';
import type { KeyStatus, SigningKeyRow } from './tickets.repository';
import type { CampaignPublicKey } from './tickets.service';

export interface TicketKeysDeps {
  prisma: Db;
  clock: Clock;
  /** 32-byte AES-256-GCM key that encrypts campaign private keys (TICKETS_MASTER_KEY). */
  masterKey: Buffer;
}

/** A campaign key ready to sign with. */
export interface SigningKey {
  keyId: number;
  privateKey: ReturnType<typeof decryptPrivateKey>;
}

function toPublicKey(k: SigningKeyRow): CampaignPublicKey {
  return {
    campaignId: k.campaignId,
    keyId: k.keyId,
    algorithm: 'Ed25519',
    publicKey: Buffer.from(k.publicKey).toString('base64url'),
    status: k.status as Exclude<KeyStatus, 'RETIRED'>,
    createdAt: k.createdAt,
  };
}

/** Campaign signing keys: made at publication, rotated, retired, downloaded by gate devices. */
export function createTicketKeys(deps: TicketKeysDeps) {
  const { prisma, clock, masterKey } = deps;

  async function createKey(tx: Tx, campaignId: string, keyId: number): Promise<SigningKeyRow> {
    const { publicKey, privateKey } = generateSigningKeyPair();
    const row = {
      id: crypto.randomUUID(),
      campaignId,
      keyId,
      publicKey,
      privateKeyEncrypted: encryptPrivateKey(masterKey, privateKey, campaignId, keyId),
      status: 'ACTIVE' as const,
      createdAt: clock.now(),
    };
    await repo.insertKey(tx, row);
    return { ...row, rotatedAt: null, retiredAt: null };
  }

  /**
   * Makes sure the campaign has an ACTIVE signing key and returns it; calling it again returns
   * the same key. Concurrency: callers for one campaign queue on an advisory lock held until
   * their transaction ends, so two publications at once cannot make two keys (the partial
   * unique index on ACTIVE keys would refuse the second anyway).
   */
  async function ensureCampaignKey(tx: Tx, campaignId: string): Promise<CampaignPublicKey> {
    return toPublicKey(await ensureActiveKeyRow(tx, campaignId));
  }

  async function ensureActiveKeyRow(tx: Tx, campaignId: string): Promise<SigningKeyRow> {
    const found = await repo.findActiveKey(tx, campaignId);
    if (found) return found;
    await repo.lockCampaignKeys(tx, campaignId);
    // Re-read under the lock: another transaction may have created it while we waited.
    const created = await repo.findActiveKey(tx, campaignId);
    if (created) return created;
    return createKey(tx, campaignId, (await repo.maxKeyId(tx, campaignId)) + 1);
  }

  /**
   * Replaces the campaign's signing key: the new key signs every ticket issued from now on, the
   * old one becomes ROTATED and still verifies the tickets it signed until it is retired.
   */
  async function rotateCampaignKey(tx: Tx, campaignId: string): Promise<CampaignPublicKey> {
    await repo.lockCampaignKeys(tx, campaignId);
    const active = await repo.findActiveKey(tx, campaignId);
    if (active) await repo.markKeyRotated(tx, active.id, clock.now());
    return toPublicKey(await createKey(tx, campaignId, (await repo.maxKeyId(tx, campaignId)) + 1));
  }

  /** Stops a ROTATED key from verifying anything (e.g. after a leak); the ACTIVE key cannot be retired. */
  async function retireCampaignKey(tx: Tx, campaignId: string, keyId: number): Promise<void> {
    await repo.lockCampaignKeys(tx, campaignId);
    const key = await repo.findKey(tx, campaignId, keyId);
    if (!key) throw TicketsErrors.keyNotFound();
    if (key.status === 'ACTIVE') throw TicketsErrors.keyStillActive();
    if (key.status === 'RETIRED') throw TicketsErrors.keyAlreadyRetired();
    await repo.markKeyRetired(tx, campaignId, keyId, clock.now());
  }

  /** The keys a gate device needs to verify the campaign's tickets offline (ACTIVE and ROTATED). */
  async function getCampaignPublicKeys(campaignId: string): Promise<CampaignPublicKey[]> {
    return (await repo.listKeys(prisma, campaignId, ['ACTIVE', 'ROTATED'])).map(toPublicKey);
  }

  /*
   * Decrypted private keys, by (campaign, key id). A key row's id and encrypted bytes never
   * change (rotation makes a new row with the next key id), so a cached entry can never sign with
   * other key material than the row holds; which key is ACTIVE is still read from the database
   * for every issuance (signingKeyFor's caller passes it). Decryption and KeyObject creation cost
   * about 5 % of the tickets worker's CPU when done per job. Bounded: cleared at MAX_CACHED_KEYS.
   */
  const decrypted = new Map<string, SigningKey>();
  const MAX_CACHED_KEYS = 1000;

  function decryptCached(key: Pick<SigningKeyRow, 'campaignId' | 'keyId' | 'privateKeyEncrypted'>) {
    const cacheKey = `${key.campaignId}:${key.keyId}`;
    let found = decrypted.get(cacheKey);
    if (!found) {
      found = {
        keyId: key.keyId,
        privateKey: decryptPrivateKey(masterKey, key.privateKeyEncrypted, key.campaignId, key.keyId),
      };
      if (decrypted.size >= MAX_CACHED_KEYS) decrypted.clear();
      decrypted.set(cacheKey, found);
    }
    return found;
  }

  /**
   * The key with `activeKeyId` (the campaign's ACTIVE key as the caller just read it in `tx`),
   * decrypted once per process; with null (no ACTIVE key yet) the ACTIVE key is made.
   */
  async function signingKeyFor(tx: Tx, campaignId: string, activeKeyId?: number | null): Promise<SigningKey> {
    if (activeKeyId != null) {
      const hit = decrypted.get(`${campaignId}:${activeKeyId}`);
      if (hit) return hit;
      const row = await repo.findKey(tx, campaignId, activeKeyId);
      if (row) return decryptCached(row);
    }
    return decryptCached(await ensureActiveKeyRow(tx, campaignId));
  }

  /** The key with `keyId` if this process has it decrypted already (no database read), else undefined. */
  function cachedSigningKey(campaignId: string, keyId: number): SigningKey | undefined {
    return decrypted.get(`${campaignId}:${keyId}`);
  }

  return {
    ensureCampaignKey,
    rotateCampaignKey,
    retireCampaignKey,
    getCampaignPublicKeys,
    signingKeyFor,
    cachedSigningKey,
  };
}

export type TicketKeys = ReturnType<typeof createTicketKeys>;
