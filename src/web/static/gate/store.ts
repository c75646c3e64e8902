import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Bootstrap, Decision, RevocationItem, ScanRequest } from './types';

/**
 * What the gate page keeps on the phone (IndexedDB), so it can judge tickets with no network:
 *
 * - keys: every ACTIVE and ROTATED public key of the campaigns this device scans;
 * - revocations: revoked tickets by id, with a per-campaign sequence cursor (the highest seq
 *   held with none missing below it: sync asks `after=` it);
 * - scans: this device's own scan log, newest decision per scanId (the server's once uploaded);
 * - queue: scans waiting for upload, in the order they were made (auto-increment key);
 * - tickets: the last known entry count per ticket (from the server's answers and the device's
 *   own offline decisions), for "entry 2 of 4" and "already used" offline;
 * - meta: the last bootstrap and the time the device went offline.
 */

export interface KeyRow {
  campaignId: string;
  keyId: number;
  publicKey: string;
  status: string;
}
export interface RevocationRow extends RevocationItem {
  campaignId: string;
}
export interface CursorRow {
  campaignId: string;
  seq: number;
}
export interface ScanRow extends Decision {
  campaignId: string | null;
  ticketTypeId: string | null;
  scannedAt: string;
  gateId: string | null;
  /** 'queued' until the server has the scan; then 'uploaded'. */
  upload: 'none' | 'queued' | 'uploaded' | 'rejected';
}
export interface QueueRow {
  seq?: number;
  scanId: string;
  body: ScanRequest;
}
export interface TicketRow {
  ticketId: string;
  entriesUsed: number;
  maxEntries: number;
  serial?: number;
  holderName?: string;
  typeName?: string;
  firstScannedAt?: string;
  firstGate?: string;
}

interface GateDb extends DBSchema {
  meta: { key: string; value: { key: string; value: unknown } };
  keys: { key: [string, number]; value: KeyRow };
  revocations: { key: string; value: RevocationRow; indexes: { campaignId: string } };
  cursors: { key: string; value: CursorRow };
  scans: { key: string; value: ScanRow; indexes: { scannedAt: string } };
  queue: { key: number; value: QueueRow };
  tickets: { key: string; value: TicketRow };
}

export type GateStore = Awaited<ReturnType<typeof openGateStore>>;

/** Opens (creating or upgrading) the gate page's database. One per origin and device. */
export async function openGateStore(name = 'tikiti-gate') {
  const db: IDBPDatabase<GateDb> = await openDB<GateDb>(name, 1, {
    upgrade(d) {
      d.createObjectStore('meta', { keyPath: 'key' });
      d.createObjectStore('keys', { keyPath: ['campaignId', 'keyId'] });
      d.createObjectStore('revocations', { keyPath: 'ticketId' }).createIndex('campaignId', 'campaignId');
      d.createObjectStore('cursors', { keyPath: 'campaignId' });
      d.createObjectStore('scans', { keyPath: 'scanId' }).createIndex('scannedAt', 'scannedAt');
      d.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
      d.createObjectStore('tickets', { keyPath: 'ticketId' });
    },
  });

  async function getMeta<T>(key: string): Promise<T | undefined> {
    return (await db.get('meta', key))?.value as T | undefined;
  }
  async function setMeta(key: string, value: unknown): Promise<void> {
    if (value === undefined) await db.delete('meta', key);
    else await db.put('meta', { key, value });
  }

  return {
    db,
    getMeta,
    setMeta,

    /** Stores a bootstrap: keys replaced per campaign (a retired key stops verifying), revocations merged. */
    async saveBootstrap(b: Bootstrap): Promise<void> {
      const tx = db.transaction(['meta', 'keys', 'revocations', 'cursors'], 'readwrite');
      await tx.objectStore('meta').put({ key: 'bootstrap', value: b });
      const keys = tx.objectStore('keys');
      for (const k of await keys.getAll()) {
        const c = b.campaigns.find((x) => x.id === k.campaignId);
        if (!c || !c.keys.some((n) => n.keyId === k.keyId)) await keys.delete([k.campaignId, k.keyId]);
      }
      for (const c of b.campaigns) {
        for (const k of c.keys)
          await keys.put({ campaignId: c.id, keyId: k.keyId, publicKey: k.publicKey, status: k.status });
      }
      await tx.done;
      for (const c of b.campaigns) await this.addRevocations(c.id, c.revocations.items, c.revocations.seq);
    },

    async keys(): Promise<KeyRow[]> {
      return db.getAll('keys');
    },

    /**
     * Adds revocations. The cursor moves to `upTo` (a sync answer's seq: everything up to it is
     * included) or, for a pushed item, only when it is the next one after the cursor: a push that
     * skips a number leaves the cursor, so the next `after=` sync fetches the one missed.
     */
    async addRevocations(campaignId: string, items: RevocationItem[], upTo?: number): Promise<number> {
      const tx = db.transaction(['revocations', 'cursors'], 'readwrite');
      for (const item of items) await tx.objectStore('revocations').put({ ...item, campaignId });
      const cursors = tx.objectStore('cursors');
      let seq = (await cursors.get(campaignId))?.seq ?? 0;
      if (upTo !== undefined) seq = Math.max(seq, upTo);
      else for (const s of items.map((i) => i.seq).sort((a, b) => a - b)) if (s === seq + 1) seq = s;
      await cursors.put({ campaignId, seq });
      await tx.done;
      return seq;
    },

    async cursor(campaignId: string): Promise<number> {
      return (await db.get('cursors', campaignId))?.seq ?? 0;
    },

    async revocation(ticketId: string): Promise<RevocationRow | undefined> {
      return db.get('revocations', ticketId);
    },

    async ticket(ticketId: string): Promise<TicketRow | undefined> {
      return db.get('tickets', ticketId);
    },

    async putTicket(row: TicketRow): Promise<void> {
      await db.put('tickets', row);
    },

    /** Records a decision in the scan log and, for an offline one, queues its upload (one transaction). */
    async recordScan(row: ScanRow, queued?: ScanRequest): Promise<void> {
      const tx = db.transaction(['scans', 'queue'], 'readwrite');
      await tx.objectStore('scans').put(row);
      if (queued) await tx.objectStore('queue').add({ scanId: row.scanId, body: queued });
      await tx.done;
    },

    async scans(): Promise<ScanRow[]> {
      return db.getAllFromIndex('scans', 'scannedAt');
    },

    async scan(scanId: string): Promise<ScanRow | undefined> {
      return db.get('scans', scanId);
    },

    async queueLength(): Promise<number> {
      return db.count('queue');
    },

    /** The oldest queued upload. */
    async nextQueued(): Promise<QueueRow | undefined> {
      const cursor = await db.transaction('queue').store.openCursor();
      return cursor?.value;
    },

    /** Removes a queued upload once the server answered it, and stores the server's decision. */
    async completeUpload(seq: number, scan: ScanRow): Promise<void> {
      const tx = db.transaction(['scans', 'queue'], 'readwrite');
      await tx.objectStore('scans').put(scan);
      await tx.objectStore('queue').delete(seq);
      await tx.done;
    },
  };
}
