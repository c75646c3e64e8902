import { ApiError, NetworkError, request } from './api';
import { decideLocally } from './decide';
import type { GateStore, KeyRow, ScanRow } from './store';
import type { Bootstrap, Decision, GateData, ScanRequest, ScanType } from './types';
import { verifyTicketQr } from './verify';
import { seatText } from '../../../modules/tickets/browser';

/**
 * The gate page's logic, apart from the DOM: online scans through the server, offline scans
 * decided on the device and queued, the switch between the two, and the upload of the queue.
 *
 * Exactly once: every scan gets its scanId (a UUID) here, on the device, before anything is
 * sent, and keeps it through every retry. The server stores one row per scanId and answers a
 * repeat with its first decision, so a scan sent online whose answer was lost, then queued
 * and uploaded again, is still one scan. The queue is uploaded one scan at a time, oldest
 * first, under a Web Lock (two tabs of the page never upload at once), and a queued scan is
 * removed only in the same IndexedDB transaction that stores the server's answer. If the
 * page dies between the server's commit and that transaction, the next upload re-sends the
 * scan and gets the same answer back: nothing is counted twice.
 */

export type SyncState =
  | { kind: 'starting' }
  | { kind: 'online'; syncedAt: string }
  | { kind: 'uploading'; waiting: number }
  | { kind: 'offline'; since: string; waiting: number }
  | { kind: 'stopped'; message: string };

export interface GateEvents {
  onDecision(d: Decision, row: ScanRow): void;
  onState(s: SyncState): void;
  onBootstrap(b: Bootstrap): void;
  onCounters(): void;
  /** The server refused the request itself (not a ticket decision): shown, nothing recorded. */
  onError(message: string): void;
}

const RETRY_OFFLINE_MS = 10_000;
const RESYNC_ONLINE_MS = 60_000;

export class GateApp {
  state: SyncState = { kind: 'starting' };
  bootstrap: Bootstrap | undefined;
  type: ScanType = 'entry';
  gateId: string | null;
  private csrfToken: string;
  /** The stored public keys, held in memory: read again after each bootstrap. */
  private keys: KeyRow[] = [];
  private uploading: Promise<void> | undefined;
  private timer: number | undefined;

  constructor(
    readonly data: GateData,
    readonly store: GateStore,
    private readonly events: GateEvents,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.gateId = data.gateId;
    this.csrfToken = data.csrfToken;
  }

  /** Loads what the device holds, then tries the server: bootstrap and the queue's upload. */
  async start(): Promise<void> {
    this.bootstrap = await this.store.getMeta<Bootstrap>('bootstrap');
    this.keys = await this.store.keys();
    if (this.bootstrap) this.events.onBootstrap(this.bootstrap);
    const since = await this.store.getMeta<string>('offlineSince');
    if (since || !navigator.onLine) await this.goOffline(since);
    window.addEventListener('online', () => void this.reconnect());
    window.addEventListener('offline', () => void this.goOffline());
    await this.reconnect();
  }

  get timeZone(): string | undefined {
    // The page carries the zone too: a scan answered before the bootstrap must not fall back to
    // the phone's own zone.
    return this.bootstrap?.campaigns[0]?.timezone ?? this.data.campaigns[0]?.timezone;
  }

  gateName(id: string | null = this.gateId): string | undefined {
    if (!id) return undefined;
    for (const c of this.bootstrap?.campaigns ?? []) {
      const g = c.gates.find((x) => x.id === id);
      if (g) return g.name;
    }
    return this.bootstrap?.gate?.id === id ? this.bootstrap.gate.name : undefined;
  }

  /** Asks the server for a fresh bootstrap; on success the device is online and uploads its queue. */
  async reconnect(): Promise<boolean> {
    if (this.state.kind === 'stopped') return false;
    try {
      const b = await request<Bootstrap>('GET', this.data.bootstrapUrl);
      await this.store.saveBootstrap(b);
      this.keys = await this.store.keys();
      this.bootstrap = (await this.store.getMeta<Bootstrap>('bootstrap')) ?? b;
      if (b.gate && (this.data.mode === 'device' || !this.gateId)) this.gateId = b.gate.id;
      this.events.onBootstrap(this.bootstrap);
      await this.store.setMeta('offlineSince', undefined);
      await this.setState({ kind: 'online', syncedAt: this.now().toISOString() });
      await this.uploadQueue();
      this.schedule(RESYNC_ONLINE_MS);
      return true;
    } catch (err) {
      if (!(await this.handleAuthError(err))) await this.goOffline();
      return false;
    }
  }

  /** Pulls revocations after the device's cursor (a push missed while the socket was down). */
  async syncRevocations(campaignId: string): Promise<void> {
    for (let page = 0; page < 100; page++) {
      const after = await this.store.cursor(campaignId);
      const url = `${this.data.revocationsUrl.replace('{campaignId}', encodeURIComponent(campaignId))}?after=${after}`;
      const answer = await request<{
        items: Bootstrap['campaigns'][number]['revocations']['items'];
        seq: number;
        hasMore: boolean;
      }>('GET', url);
      await this.store.addRevocations(campaignId, answer.items, answer.seq);
      if (!answer.hasMore) return;
    }
  }

  /** A revocation pushed over the socket. */
  async addPushedRevocation(
    campaignId: string,
    item: Bootstrap['campaigns'][number]['revocations']['items'][number],
  ): Promise<void> {
    const seq = await this.store.addRevocations(campaignId, [item]);
    if (seq < item.seq) await this.syncRevocations(campaignId).catch(() => undefined);
  }

  async goOffline(since?: string): Promise<void> {
    if (this.state.kind === 'stopped') return;
    const from =
      since ?? (this.state.kind === 'offline' ? this.state.since : undefined) ?? this.now().toISOString();
    await this.store.setMeta('offlineSince', from);
    await this.setState({ kind: 'offline', since: from, waiting: await this.store.queueLength() });
    this.schedule(RETRY_OFFLINE_MS);
  }

  private schedule(ms: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      if (this.state.kind === 'offline') void this.reconnect();
      else if (this.state.kind === 'online') void this.resync();
    }, ms);
  }

  private async resync(): Promise<void> {
    try {
      for (const c of this.bootstrap?.campaigns ?? []) await this.syncRevocations(c.id);
      await this.setState({ kind: 'online', syncedAt: this.now().toISOString() });
      this.schedule(RESYNC_ONLINE_MS);
    } catch (err) {
      if (!(await this.handleAuthError(err))) await this.goOffline();
    }
  }

  private async setState(s: SyncState): Promise<void> {
    this.state = s;
    this.events.onState(s);
  }

  /** 401 DEVICE_REVOKED and friends stop the page: it must not keep admitting people. */
  private async handleAuthError(err: unknown): Promise<boolean> {
    if (!(err instanceof ApiError)) return false;
    if (err.status === 401 || (err.status === 403 && err.code !== 'CSRF_INVALID')) {
      const message =
        err.code === 'DEVICE_REVOKED'
          ? 'This device was removed by the organiser. Ask them for a new setup link.'
          : err.status === 401
            ? 'This device is not signed in any more. Open the setup link again, or sign in.'
            : 'You may not scan tickets for this event.';
      window.clearTimeout(this.timer);
      await this.setState({ kind: 'stopped', message });
      return true;
    }
    return false;
  }

  /** Judges one scanned code: the server's answer when it can be asked, else the device's own. */
  async scan(qr: string): Promise<Decision | undefined> {
    if (this.state.kind === 'stopped') return undefined;
    const scannedAt = this.now();
    const body: ScanRequest = {
      qr,
      scanId: crypto.randomUUID(),
      type: this.type,
      scannedAt: scannedAt.toISOString(),
      // A device scans at its own gate, which the organiser may change at any time: the server
      // knows it. A person says where they stand.
      ...(this.data.mode === 'user' && this.gateId ? { gateId: this.gateId } : {}),
    };
    // Verified on the device every time (it takes about a millisecond): the claims name the
    // ticket for the log even when the server answers, and are the decision offline.
    const verification = await verifyTicketQr(qr, this.keys, scannedAt);
    const claims = 'claims' in verification ? verification.claims : undefined;
    let decision: Decision | undefined;
    if (this.state.kind !== 'offline' && qr.length <= 1000) {
      try {
        decision = toDecision(await this.post(body), false);
      } catch (err) {
        if (await this.handleAuthError(err)) return undefined;
        if (err instanceof ApiError) {
          this.events.onError(err.message);
          return undefined;
        }
        await this.goOffline();
      }
    }
    let queued: ScanRequest | undefined;
    if (!decision) {
      decision = decideLocally({
        scanId: body.scanId,
        type: body.type,
        verification,
        campaigns: this.bootstrap?.campaigns ?? [],
        revocation: claims ? await this.store.revocation(claims.ticketId) : undefined,
        ticket: claims ? await this.store.ticket(claims.ticketId) : undefined,
      });
      if (qr.length <= 1000)
        queued = {
          ...body,
          offline: true,
          deviceResult: decision.result,
          ...(decision.reason ? { deviceReason: decision.reason } : {}),
        };
    }
    // The seat is read from the signed payload on the device, online or not.
    if (claims?.seat && decision.ticket)
      decision = { ...decision, ticket: { ...decision.ticket, seat: seatText(claims.seat) } };
    const row: ScanRow = {
      ...decision,
      campaignId: claims?.campaignId ?? null,
      ticketTypeId: claims?.ticketTypeId ?? null,
      scannedAt: body.scannedAt,
      gateId: this.gateId,
      upload: queued ? 'queued' : decision.offline ? 'none' : 'uploaded',
    };
    await this.store.recordScan(row, queued);
    await this.rememberTicket(decision, body.scannedAt);
    if (this.state.kind === 'offline')
      this.state = { ...this.state, waiting: await this.store.queueLength() };
    this.events.onDecision(decision, row);
    this.events.onState(this.state);
    this.events.onCounters();
    return decision;
  }

  private async post(body: ScanRequest): Promise<ScanAnswer> {
    try {
      return await request<ScanAnswer>('POST', this.data.scanUrl, { body, csrfToken: this.csrfToken });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CSRF_INVALID' && (await this.refreshCsrf()))
        return request<ScanAnswer>('POST', this.data.scanUrl, { body, csrfToken: this.csrfToken });
      throw err;
    }
  }

  /** The token in a page served from the offline cache may be an old session's: read the live page's. */
  private async refreshCsrf(): Promise<boolean> {
    try {
      const res = await fetch(location.pathname, { credentials: 'same-origin', cache: 'no-store' });
      const html = await res.text();
      const m = /<script type="application\/json" id="gate-data">([^<]*)<\/script>/.exec(html);
      const token = m ? (JSON.parse(m[1]!) as GateData).csrfToken : undefined;
      if (!token || token === this.csrfToken) return false;
      this.csrfToken = token;
      return true;
    } catch {
      return false;
    }
  }

  /** What the device knows of a ticket's entries, for "entry 2 of 4" and offline "already used". */
  private async rememberTicket(d: Decision, scannedAt: string): Promise<void> {
    if (!d.ticket) return;
    const before = await this.store.ticket(d.ticket.id);
    const counted = d.result === 'ok' && d.type === 'entry';
    await this.store.putTicket({
      ticketId: d.ticket.id,
      entriesUsed: d.ticket.entriesUsed,
      maxEntries: d.ticket.maxEntries,
      serial: d.ticket.serial ?? before?.serial,
      holderName: d.ticket.holderName ?? before?.holderName,
      typeName: d.ticket.typeName ?? before?.typeName,
      firstScannedAt: d.firstScannedAt ?? before?.firstScannedAt ?? (counted ? scannedAt : undefined),
      firstGate: d.firstGate ?? before?.firstGate ?? (counted ? this.gateName() : undefined),
    });
  }

  /**
   * Uploads queued offline scans, oldest first, one at a time. Runs on reconnect and whenever
   * the page opens (Background Sync is not relied on: it does not replay on every phone).
   */
  uploadQueue(): Promise<void> {
    this.uploading ??= this.runUpload().finally(() => {
      this.uploading = undefined;
    });
    return this.uploading;
  }

  private async runUpload(): Promise<void> {
    const run = async () => {
      for (;;) {
        const next = await this.store.nextQueued();
        if (!next) break;
        await this.setState({ kind: 'uploading', waiting: await this.store.queueLength() });
        const before = await this.store.scan(next.scanId);
        let answer: ScanAnswer | undefined;
        let rejected = false;
        try {
          answer = await this.post(next.body);
        } catch (err) {
          if (await this.handleAuthError(err)) return;
          if (err instanceof NetworkError) {
            await this.goOffline();
            return;
          }
          // The server refuses the request itself (it will not change its mind): keep the
          // device's decision in the log, marked, and go on with the rest of the queue.
          rejected = true;
        }
        const server = answer ? toDecision(answer, false) : undefined;
        const row: ScanRow = {
          ...(before ?? {
            scanId: next.scanId,
            type: next.body.type,
            result: next.body.deviceResult ?? 'refused',
            ticket: null,
            campaignId: null,
            ticketTypeId: null,
            scannedAt: next.body.scannedAt,
            gateId: next.body.gateId ?? null,
          }),
          ...(server
            ? {
                result: server.result,
                reason: server.reason,
                ticket: server.ticket ?? before?.ticket ?? null,
                conflict: server.conflict,
                receivedAt: server.receivedAt,
              }
            : {}),
          offline: true,
          upload: rejected ? 'rejected' : 'uploaded',
        };
        await this.store.completeUpload(next.seq!, row);
        if (server?.ticket) await this.rememberTicket(server, next.body.scannedAt);
        this.events.onCounters();
      }
      await this.setState({ kind: 'online', syncedAt: this.now().toISOString() });
    };
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (locks) await locks.request('tikiti-gate-upload', run);
    else await run();
  }

  /** This device's counters: entries and exits admitted, refusals, scans waiting for upload. */
  async counters(): Promise<{ entries: number; exits: number; refused: number; waiting: number }> {
    const scans = await this.store.scans();
    let entries = 0;
    let exits = 0;
    let refused = 0;
    for (const s of scans) {
      if (s.result !== 'ok') refused++;
      else if (s.type === 'entry') entries++;
      else exits++;
    }
    return { entries, exits, refused, waiting: await this.store.queueLength() };
  }
}

interface ScanAnswer {
  scanId: string;
  result: 'ok' | 'refused';
  reason?: Decision['reason'];
  type: ScanType;
  ticket: Decision['ticket'];
  firstScannedAt?: string;
  firstGate?: string;
  revokedAt?: string;
  revokedReason?: Decision['revokedReason'];
  conflict?: boolean;
  offline?: boolean;
  receivedAt?: string;
}

function toDecision(a: ScanAnswer, offline: boolean): Decision {
  return {
    scanId: a.scanId,
    type: a.type,
    result: a.result,
    reason: a.reason,
    ticket: a.ticket ?? null,
    firstScannedAt: a.firstScannedAt,
    firstGate: a.firstGate,
    revokedAt: a.revokedAt,
    revokedReason: a.revokedReason,
    conflict: a.conflict,
    receivedAt: a.receivedAt,
    offline,
  };
}
