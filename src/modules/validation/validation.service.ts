import crypto from 'node:crypto';
import QRCode from 'qrcode';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db } from '../../shared/db';
import { isUniqueViolation } from '../../shared/db';
import { canScanCampaign, isAdmin, type Actor } from '../../shared/http/authorize';
import type { CampaignRecord, CampaignsService, TicketTypeRecord } from '../campaigns';
import { getCampaignsByIds } from '../campaigns';
import type { TicketsService } from '../tickets';
import { hashSecret, newSecret, roomToken, secretKey, type Scanner } from './validation.auth';
import { ValidationErrors } from './validation.errors';
import * as repo from './validation.repository';
import type { DeviceRow, GateRow, ScanRow } from './validation.repository';
import { SCANNABLE_CAMPAIGN_STATUSES } from './browser';

export interface ValidationDeps {
  prisma: Db;
  clock: Clock;
  config: Pick<Config, 'SESSION_SECRET' | 'PUBLIC_URL'>;
  tickets: TicketsService;
  campaigns: Pick<CampaignsService, 'ticketTypesFor' | 'listMyCampaigns'>;
}

/** How long a setup link works once made. */
export const ENROLMENT_TTL_MS = 30 * 60_000;
/** last_seen_at is written at most this often per device (not on every scan). */
const SEEN_THROTTLE_MS = 30_000;
const REVOCATIONS_PAGE = 1000;
/*
 * Devices by secret, kept per process for the scan route (authenticateDeviceCached), so that a
 * scan is one round trip to PostgreSQL, not two. What a cached row may get wrong and why that
 * is safe: its revocation and its gate change; the scan statement re-reads both (see
 * countScanAtOnce) and every other outcome of a cached device's scan is decided again with the
 * device read now (scanTicket), so a revoked device is refused on its very next scan, by every
 * process. Its campaign never changes. The bound is only memory: DEVICE_CACHE_MAX entries, each
 * re-read after DEVICE_CACHE_MS. Every other route reads the device on each request.
 */
const DEVICE_CACHE_MS = 30_000;
const DEVICE_CACHE_MAX = 10_000;
/** Statuses in which the gates are open; DRAFT and CANCELLED campaigns admit no one. */
export const SCANNABLE_STATUSES: ReadonlySet<CampaignRecord['status']> = new Set(SCANNABLE_CAMPAIGN_STATUSES);

/** A ticket type allows re-entry when the seller set `reentry: true` in its attributes (see validation.scan.ts). */
export function allowsReentry(type: Pick<TicketTypeRecord, 'attributes'> | undefined): boolean {
  return type?.attributes?.reentry === true;
}

export interface DeviceView {
  id: string;
  campaignId: string;
  name: string;
  gate: { id: string; name: string } | null;
  status: 'PENDING' | 'ACTIVE' | 'REVOKED';
  lastSeenAt: Date | null;
  lastSyncAt: Date | null;
  enrolledAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface Enrolment {
  url: string;
  expiresAt: Date;
  qrSvg: string;
}

function deviceView(d: DeviceRow, gates: Map<string, GateRow>): DeviceView {
  const gate = d.gateId ? gates.get(d.gateId) : undefined;
  return {
    id: d.id,
    campaignId: d.campaignId,
    name: d.name,
    gate: gate ? { id: gate.id, name: gate.name } : null,
    status: d.revokedAt ? 'REVOKED' : d.hasToken ? 'ACTIVE' : 'PENDING',
    lastSeenAt: d.lastSeenAt,
    lastSyncAt: d.lastSyncAt,
    enrolledAt: d.enrolledAt,
    revokedAt: d.revokedAt,
    createdAt: d.createdAt,
  };
}

/** Devices, gates, bootstrap and history: the validation module's use cases around scanning. */
export function createValidationService(deps: ValidationDeps) {
  const { prisma, clock, config, tickets, campaigns } = deps;
  const publicUrl = (config.PUBLIC_URL ?? '').replace(/\/+$/, '');

  async function campaignById(id: string): Promise<CampaignRecord | undefined> {
    return (await getCampaignsByIds(prisma, [id]))[0];
  }

  /**
   * The campaign, if the actor runs its gates: its seller, a MANAGER of that seller assigned to
   * it, or an admin. Anyone else: 403 NOT_GATE_STAFF, or 404 for a draft (whose existence is the
   * seller's business only) and for a campaign that does not exist.
   */
  async function authorizeStaff(actor: Actor, campaignId: string): Promise<CampaignRecord> {
    const campaign = await campaignById(campaignId);
    if (!campaign) throw ValidationErrors.campaignNotFound();
    if (isAdmin(actor) || canScanCampaign(actor, campaign)) return campaign;
    if (campaign.status === 'DRAFT') throw ValidationErrors.campaignNotFound();
    throw ValidationErrors.notGateStaff();
  }

  /** The campaign for a scanner (device: its own only; person: as authorizeStaff). */
  async function authorizeScanner(scanner: Scanner, campaignId: string): Promise<CampaignRecord> {
    if (scanner.kind === 'user') return authorizeStaff(scanner.actor, campaignId);
    if (scanner.device.campaignId !== campaignId) throw ValidationErrors.campaignNotFound();
    const campaign = await campaignById(campaignId);
    if (!campaign) throw ValidationErrors.campaignNotFound();
    return campaign;
  }

  /** The campaigns a scanner may scan: a device's one; a person's own and assigned ones that are not drafts. */
  async function scannableCampaigns(scanner: Scanner): Promise<CampaignRecord[]> {
    if (scanner.kind === 'device') {
      const c = await campaignById(scanner.device.campaignId);
      return c ? [c] : [];
    }
    const { actor } = scanner;
    const assigned = actor.memberships.filter((m) => m.role === 'MANAGER').flatMap((m) => m.campaignIds);
    const own = actor.roles.includes('SELLER') ? await campaigns.listMyCampaigns(actor) : [];
    const byId = new Map<string, CampaignRecord>(own.map((c) => [c.id, c]));
    const missing = [...new Set(assigned)].filter((id) => !byId.has(id));
    if (missing.length) for (const c of await getCampaignsByIds(prisma, missing)) byId.set(c.id, c);
    return [...byId.values()].filter((c) => c.status !== 'DRAFT' && canScanCampaign(actor, c));
  }

  async function gatesById(campaignId: string): Promise<Map<string, GateRow>> {
    return new Map((await repo.listGates(prisma, campaignId)).map((g) => [g.id, g]));
  }

  async function gateOf(campaignId: string, gateId: string | undefined | null): Promise<GateRow | null> {
    if (!gateId) return null;
    const gate = await repo.findGate(prisma, gateId);
    if (!gate || gate.campaignId !== campaignId) throw ValidationErrors.gateNotFound();
    return gate;
  }

  async function enrolmentFor(deviceId: string): Promise<Enrolment> {
    const token = newSecret();
    const expiresAt = new Date(clock.now().getTime() + ENROLMENT_TTL_MS);
    if (!(await repo.setEnrolToken(prisma, deviceId, hashSecret(token), expiresAt)))
      throw ValidationErrors.deviceAlreadyRevoked();
    const url = `${publicUrl}/gate/enrol/${token}`;
    const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    return { url, expiresAt, qrSvg: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  async function deviceForStaff(actor: Actor, deviceId: string): Promise<DeviceRow> {
    const device = await repo.findDevice(prisma, deviceId);
    if (!device) throw ValidationErrors.deviceNotFound();
    try {
      await authorizeStaff(actor, device.campaignId);
    } catch {
      // A stranger learns nothing about which device ids exist.
      throw ValidationErrors.deviceNotFound();
    }
    return device;
  }

  async function viewOf(deviceId: string): Promise<DeviceView> {
    const d = await repo.findDevice(prisma, deviceId);
    if (!d) throw ValidationErrors.deviceNotFound();
    return deviceView(d, await gatesById(d.campaignId));
  }

  const deviceCache = new Map<string, { device: DeviceRow; until: number }>();

  /** Writes last_seen_at at most once per SEEN_THROTTLE_MS per device (the row says whether one is due). */
  async function markSeen(device: DeviceRow, now: Date): Promise<DeviceRow> {
    if (device.lastSeenAt && now.getTime() - device.lastSeenAt.getTime() < SEEN_THROTTLE_MS) return device;
    await repo.touchDevice(prisma, device.id, now, SEEN_THROTTLE_MS);
    return { ...device, lastSeenAt: now };
  }

  /** The device a secret belongs to, read now; DEVICE_REVOKED / DEVICE_UNKNOWN otherwise. Marks it seen. */
  async function authenticateDevice(secret: string): Promise<DeviceRow> {
    const hash = hashSecret(secret);
    const key = secretKey(secret);
    const device = await repo.findDeviceByTokenHash(prisma, hash);
    if (!device || device.revokedAt) {
      deviceCache.delete(key);
      throw device ? ValidationErrors.deviceRevoked() : ValidationErrors.deviceUnknown();
    }
    const now = clock.now();
    const seen = await markSeen(device, now);
    if (deviceCache.size >= DEVICE_CACHE_MAX) deviceCache.clear();
    deviceCache.set(key, { device: seen, until: now.getTime() + DEVICE_CACHE_MS });
    return seen;
  }

  /**
   * As authenticateDevice, but from the per-process cache when the device was read less than
   * DEVICE_CACHE_MS ago (`cached: true`): for the scan path only, which re-checks what the
   * cached row may have wrong (see DEVICE_CACHE_MS).
   */
  async function authenticateDeviceCached(secret: string): Promise<{ device: DeviceRow; cached: boolean }> {
    const hit = deviceCache.get(secretKey(secret));
    const now = clock.now();
    if (!hit || hit.until <= now.getTime())
      return { device: await authenticateDevice(secret), cached: false };
    hit.device = await markSeen(hit.device, now);
    return { device: hit.device, cached: true };
  }

  return {
    authorizeStaff,
    authorizeScanner,
    scannableCampaigns,
    gateOf,

    /** A new gate of the campaign; names are unique per campaign (case-insensitive). */
    async createGate(actor: Actor, campaignId: string, name: string): Promise<GateRow> {
      const campaign = await authorizeStaff(actor, campaignId);
      const row = { id: crypto.randomUUID(), campaignId: campaign.id, name, createdAt: clock.now() };
      try {
        await repo.insertGate(prisma, row);
      } catch (err) {
        if (isUniqueViolation(err)) throw ValidationErrors.gateNameTaken();
        throw err;
      }
      return row;
    },

    async listGates(scanner: Scanner, campaignId: string): Promise<GateRow[]> {
      const campaign = await authorizeScanner(scanner, campaignId);
      return repo.listGates(prisma, campaign.id);
    },

    /** A device waiting for its phone, with a single-use setup link (and its QR) valid ENROLMENT_TTL_MS. */
    async createDevice(
      actor: Actor,
      campaignId: string,
      input: { name: string; gateId?: string },
    ): Promise<{ device: DeviceView; enrolment: Enrolment }> {
      const campaign = await authorizeStaff(actor, campaignId);
      const gate = await gateOf(campaign.id, input.gateId);
      const id = crypto.randomUUID();
      const now = clock.now();
      await repo.insertDevice(prisma, {
        id,
        campaignId: campaign.id,
        gateId: gate?.id ?? null,
        name: input.name,
        // Replaced at once by enrolmentFor; the column is unique, so a placeholder must be too.
        enrolTokenHash: hashSecret(newSecret()),
        enrolExpiresAt: now,
        createdBy: actor.userId,
        createdAt: now,
      });
      const enrolment = await enrolmentFor(id);
      return { device: await viewOf(id), enrolment };
    },

    /** A new setup link for a device (the previous link stops working). */
    async renewEnrolment(
      actor: Actor,
      deviceId: string,
    ): Promise<{ device: DeviceView; enrolment: Enrolment }> {
      const device = await deviceForStaff(actor, deviceId);
      const enrolment = await enrolmentFor(device.id);
      return { device: await viewOf(device.id), enrolment };
    },

    /**
     * Turns a setup link into the device's secret, once (see consumeEnrolToken). The secret is
     * returned only here; the database keeps its hash.
     */
    async enrolDevice(token: string): Promise<{ secret: string; device: DeviceView }> {
      const secret = newSecret();
      const device = await repo.consumeEnrolToken(prisma, hashSecret(token), hashSecret(secret), clock.now());
      if (!device) throw ValidationErrors.enrolmentExpired();
      return { secret, device: deviceView(device, await gatesById(device.campaignId)) };
    },

    authenticateDevice,
    authenticateDeviceCached,

    async listDevices(actor: Actor, campaignId: string): Promise<DeviceView[]> {
      const campaign = await authorizeStaff(actor, campaignId);
      const gates = await gatesById(campaign.id);
      return (await repo.listDevices(prisma, campaign.id)).map((d) => deviceView(d, gates));
    },

    /** Renames a device and/or moves it to another gate of its campaign (null: no gate). */
    async updateDevice(
      actor: Actor,
      deviceId: string,
      patch: { name?: string; gateId?: string | null },
    ): Promise<DeviceView> {
      const device = await deviceForStaff(actor, deviceId);
      if (patch.gateId) await gateOf(device.campaignId, patch.gateId);
      if (!(await repo.updateDevice(prisma, device.id, patch))) throw ValidationErrors.deviceAlreadyRevoked();
      return viewOf(device.id);
    },

    /** Revokes a device: its secret is dropped, so its very next request is refused (DEVICE_REVOKED). */
    async revokeDevice(actor: Actor, deviceId: string): Promise<DeviceView> {
      const device = await deviceForStaff(actor, deviceId);
      if (!(await repo.revokeDevice(prisma, device.id, clock.now())))
        throw ValidationErrors.deviceAlreadyRevoked();
      return viewOf(device.id);
    },

    /**
     * Everything a gate page needs to keep scanning with no network: per campaign its gates,
     * ticket types, every ACTIVE and ROTATED public key, the whole revocation list with its
     * cursor, and a token to join its live room. Records the device's sync.
     */
    async bootstrap(scanner: Scanner) {
      const now = clock.now();
      const list = await scannableCampaigns(scanner);
      const types = list.length ? await campaigns.ticketTypesFor(list.map((c) => c.id)) : [];
      const items = await Promise.all(
        list.map(async (c) => {
          const [gates, keys, revocations] = await Promise.all([
            repo.listGates(prisma, c.id),
            tickets.getCampaignPublicKeys(c.id),
            allRevocations(c.id),
          ]);
          return {
            id: c.id,
            title: c.title,
            status: c.status,
            startsAt: c.startsAt,
            endsAt: c.endsAt,
            timezone: c.timezone,
            gates: gates.map((g) => ({ id: g.id, name: g.name })),
            ticketTypes: types
              .filter((t) => t.campaignId === c.id)
              .map((t) => ({ id: t.id, name: t.name, reentry: allowsReentry(t) })),
            keys: keys.map((k) => ({
              keyId: k.keyId,
              algorithm: k.algorithm,
              publicKey: k.publicKey,
              status: k.status,
            })),
            revocations,
            socket: { room: `gate:${c.id}`, token: roomToken(config.SESSION_SECRET, c.id, now) },
          };
        }),
      );
      let gate: { id: string; name: string } | null = null;
      if (scanner.kind === 'device') {
        await repo.markDeviceSynced(prisma, scanner.device.id, now);
        const g = scanner.device.gateId ? await repo.findGate(prisma, scanner.device.gateId) : null;
        gate = g ? { id: g.id, name: g.name } : null;
      }
      return {
        serverTime: now,
        actor:
          scanner.kind === 'device'
            ? { kind: 'device' as const, deviceId: scanner.device.id, name: scanner.device.name }
            : { kind: 'user' as const, userId: scanner.actor.userId, name: scanner.actor.name },
        gate,
        campaigns: items,
      };
    },

    /** Revocations of the campaign numbered above `after` (the device's cursor); records the device's sync. */
    async revocationsAfter(scanner: Scanner, campaignId: string, after: number) {
      const campaign = await authorizeScanner(scanner, campaignId);
      const items = await tickets.getRevocationsAfter(campaign.id, after, REVOCATIONS_PAGE + 1);
      const page = items.slice(0, REVOCATIONS_PAGE);
      if (scanner.kind === 'device') await repo.markDeviceSynced(prisma, scanner.device.id, clock.now());
      return {
        campaignId: campaign.id,
        items: page,
        seq: page.length ? page[page.length - 1]!.seq : after,
        hasMore: items.length > REVOCATIONS_PAGE,
      };
    },

    /** A ticket's status, entries and scan history (oldest first), for the staff or a device of its campaign. */
    async ticketHistory(scanner: Scanner, ticketId: string) {
      const ticket = await tickets.findTicketById(prisma, ticketId);
      if (!ticket) throw ValidationErrors.ticketNotFound();
      try {
        await authorizeScanner(scanner, ticket.campaignId);
      } catch {
        throw ValidationErrors.ticketNotFound();
      }
      const [scans, gates, types] = await Promise.all([
        repo.listTicketScans(prisma, ticket.id),
        gatesById(ticket.campaignId),
        campaigns.ticketTypesFor([ticket.campaignId]),
      ]);
      const devices = new Map((await repo.listDevices(prisma, ticket.campaignId)).map((d) => [d.id, d]));
      return {
        ticket: {
          id: ticket.id,
          serial: ticket.serial,
          status: ticket.status,
          typeName: types.find((t) => t.id === ticket.ticketTypeId)?.name ?? 'Ticket',
          holderName: ticket.holderName,
          entriesUsed: ticket.scanCount,
          maxEntries: ticket.maxScans,
          revokedAt: ticket.revokedAt,
          revokedReason: ticket.revokedReason,
        },
        scans: scans.map((s) => scanView(s, gates, devices)),
      };
    },

    /** Gate entries of a campaign for analytics: counted entry scans, and tickets used at least once. */
    getCampaignCheckIns(campaignId: string): Promise<{ checkIns: number; ticketsCheckedIn: number }> {
      return repo.checkIns(prisma, campaignId);
    },

    /** The campaign's scans where a device's offline decision and the server's differ, newest first. */
    async listConflicts(actor: Actor, campaignId: string) {
      const campaign = await authorizeStaff(actor, campaignId);
      const [rows, gates] = await Promise.all([
        repo.listConflicts(prisma, campaign.id, 200),
        gatesById(campaign.id),
      ]);
      const devices = new Map((await repo.listDevices(prisma, campaign.id)).map((d) => [d.id, d]));
      return rows.map((s) => {
        const answer = s.answer as { ticket?: { serial?: number; holderName?: string } | null };
        return {
          ...scanView(s, gates, devices),
          ticket: s.ticketId
            ? {
                id: s.ticketId,
                serial: answer.ticket?.serial ?? null,
                holderName: answer.ticket?.holderName ?? null,
              }
            : null,
        };
      });
    },
  };

  async function allRevocations(campaignId: string) {
    // Pages through the list: a campaign with more revocations than a page still arrives whole.
    const items: Awaited<ReturnType<TicketsService['getRevocationsAfter']>> = [];
    let after = 0;
    for (;;) {
      const page = await tickets.getRevocationsAfter(campaignId, after, 5000);
      items.push(...page);
      if (page.length < 5000) break;
      after = page[page.length - 1]!.seq;
    }
    return { seq: items.length ? items[items.length - 1]!.seq : 0, items };
  }
}

export type ValidationService = ReturnType<typeof createValidationService>;

export function scanView(s: ScanRow, gates: Map<string, GateRow>, devices: Map<string, DeviceRow>) {
  const gate = s.gateId ? gates.get(s.gateId) : undefined;
  const device = s.deviceId ? devices.get(s.deviceId) : undefined;
  return {
    scanId: s.scanId,
    type: s.type,
    result: s.result,
    reason: s.reason,
    deviceResult: s.deviceResult,
    deviceReason: s.deviceReason,
    conflict: s.conflict,
    offline: s.offline,
    counted: s.counted,
    device: device ? { id: device.id, name: device.name } : null,
    userId: s.userId,
    gate: gate ? { id: gate.id, name: gate.name } : null,
    scannedAt: s.scannedAt,
    receivedAt: s.receivedAt,
  };
}
