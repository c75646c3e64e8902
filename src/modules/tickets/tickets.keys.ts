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

  /** The ACTIVE key's id and its decrypted private key, for signing (made if missing). */
  async function signingKeyFor(
    tx: Tx,
    campaignId: string,
  ): Promise<{ keyId: number; privateKey: ReturnType<typeof decryptPrivateKey> }> {
    const key = await ensureActiveKeyRow(tx, campaignId);
    return {
      keyId: key.keyId,
      privateKey: decryptPrivateKey(masterKey, key.privateKeyEncrypted, campaignId, key.keyId),
    };
  }

  return { ensureCampaignKey, rotateCampaignKey, retireCampaignKey, getCampaignPublicKeys, signingKeyFor };
}

export type TicketKeys = ReturnType<typeof createTicketKeys>;
