import type { Mailer } from '../shared/mailer';
import type { Platform } from '../shared/platform';
import { createStorage, type Storage } from '../shared/storage';
import {
  createAdminStatsService,
  createAnalyticsService,
  type AdminStatsService,
  type AnalyticsService,
} from './analytics';
import { createOrdersService, type OrdersService } from './orders';
import { createPromotionsService, type PromotionsService } from './promotions';
import { createReviewsService, type ReviewsService } from './reviews';
import { createBookingsService, type BookingsService } from './bookings';
import { createCampaignsService, getCampaignsByIds, type CampaignsService } from './campaigns';
import { createFinanceService, type FinanceDeps, type FinanceService } from './finance';
import {
  createInAppNotificationsService,
  createNotificationsService,
  notificationsDepsFromConfig,
  type InAppNotificationsService,
  type NotificationsService,
} from './notifications';
import {
  FlutterwaveTransfers,
  createFlutterwaveClient,
  createPaymentsService,
  payoutProviderHooks,
  type FlutterwaveClient,
  type PaymentsService,
} from './payments';
import {
  createTicketsService,
  createTicketsWorkflows,
  ticketsDepsFromConfig,
  type RenderPdf,
  type TicketsWorkflows,
} from './tickets';
import { createScanService, createValidationService, type ValidationModule } from './validation';
import { createVenuesService, type VenuesService } from './venues';

/*
 * The composition root: every module service of a process is built here, once, and handed to
 * the services that need it as a plain constructor argument. Nothing else constructs a service
 * (only a unit test of one service may build that service alone). The web process
 * (src/modules/registry.ts via buildApp), every workers/<name>/main.ts, the benchmarks and the
 * test support call createModules. Auth is not here: its use cases are plain functions over the
 * platform's database (see src/modules/auth/index.ts).
 *
 * Build order follows the dependencies: tickets (signing keys) before campaigns (publication
 * needs a key), bookings before tickets' workflows and payments, tickets and campaigns before
 * validation, and validation (check-ins), campaigns and bookings before analytics.
 */

/** What a process may add to, or replace in, what the platform gives the modules. */
export interface ModuleExtras {
  /** Where ticket PDFs and cover images live; default: from STORAGE_DIR. */
  storage?: Storage;
  /** The email worker's transport: when given, `notifications` is built too. */
  mailer?: Mailer;
  /** The Flutterwave client; default: the v3 client from the platform's configuration. */
  flutterwave?: FlutterwaveClient;
  /**
   * How long the tickets workflows reuse a campaign's printed presentation (the tickets worker
   * sets it; see TicketsWorkflowDeps.presentationCacheMs). Default 0: read for every PDF.
   */
  presentationCacheMs?: number;
  /** How the tickets worker's issuance renders PDFs (its render thread pool); default: in this thread. */
  renderPdf?: RenderPdf;
  /**
   * Flutterwave's account resolve and transfer fee for the finance module; default: both from
   * the Flutterwave transfers calls (payoutProviderHooks).
   */
  finance?: Pick<FinanceDeps, 'accountResolver' | 'bankDirectory' | 'transferFees'>;
}

/** One process's module services. */
export interface Modules {
  storage: Storage;
  campaigns: CampaignsService;
  bookings: BookingsService;
  /** The tickets service is `tickets.tickets`; the rest are its cross-module flows. */
  tickets: TicketsWorkflows;
  payments: PaymentsService;
  analytics: AnalyticsService;
  finance: FinanceService;
  /** Flutterwave's payout calls (banks, account resolve, transfers, fees, balances), same client as payments. */
  transfers: FlutterwaveTransfers;
  /** Gates, devices and scans (`validation.service`), and the scan decision (`validation.scans`). */
  validation: ValidationModule;
  orders: OrdersService;
  /** The seller's promo codes (their uses are taken inside the bookings module's transactions). */
  promotions: PromotionsService;
  venues: VenuesService;
  reviews: ReviewsService;
  /** Platform statistics, the admins' booking search, the seller's sales CSV. */
  adminStats: AdminStatsService;
  /** In-app notifications (the bell): stored by the realtime worker's consumers, listed on the web. */
  inAppNotifications: InAppNotificationsService;
}

export type ModulesWithNotifications = Modules & { notifications: NotificationsService };

/** Every module service of one process, each built exactly once and wired to the others. */
export function createModules(
  platform: Platform,
  extras: ModuleExtras & { mailer: Mailer },
): ModulesWithNotifications;
export function createModules(platform: Platform, extras?: ModuleExtras): Modules;
export function createModules(
  platform: Platform,
  extras: ModuleExtras = {},
): Modules | ModulesWithNotifications {
  const { prisma, clock, config, logger } = platform;
  const storage = extras.storage ?? createStorage(config);

  const ticketsService = createTicketsService(ticketsDepsFromConfig(config, { prisma, clock, storage }));
  const bookings = createBookingsService({ prisma, sql: platform.sql, clock, config });
  const venues = createVenuesService({ prisma, clock });
  const campaigns = createCampaignsService({
    prisma,
    clock,
    venueLayout: (db, actor, venueId) => venues.layoutForCampaign(db, actor, venueId),
    ensureSigningKey: (tx, campaignId) => ticketsService.ensureCampaignKey(tx, campaignId),
    cancelOpenHolds: (tx, campaignId, at) => bookings.cancelHoldsOfCampaign(tx, campaignId, at),
    offerFreedStock: (tx, ticketTypeIds) => bookings.offerFreedStock(tx, ticketTypeIds),
  });
  const promotions = createPromotionsService({ prisma, clock, campaigns });
  const tickets = createTicketsWorkflows({
    prisma,
    sql: platform.sql,
    clock,
    tickets: ticketsService,
    bookings,
    presentationCacheMs: extras.presentationCacheMs,
    renderPdf: extras.renderPdf,
  });
  const flutterwave = extras.flutterwave ?? createFlutterwaveClient(config, logger);
  const transfers = new FlutterwaveTransfers(flutterwave);
  const payments = createPaymentsService({
    prisma,
    clock,
    config,
    flutterwave,
    bookings,
    logger,
  });
  const validationDeps = { prisma, clock, config, tickets: ticketsService, campaigns };
  const validation: ValidationModule = {
    service: createValidationService(validationDeps),
    scans: createScanService({ ...validationDeps, sql: platform.sql }),
  };
  const analytics = createAnalyticsService({
    platform,
    campaigns,
    bookings,
    // Check-ins are the validation module's counted entry scans.
    checkIns: (campaignId) => validation.service.getCampaignCheckIns(campaignId),
  });
  const orders = createOrdersService({ prisma, campaigns, bookings, payments, tickets: ticketsService });
  const finance = createFinanceService({
    prisma,
    clock,
    config,
    logger,
    ...(extras.finance ?? payoutProviderHooks(transfers)),
  });
  const reviews = createReviewsService({
    prisma,
    clock,
    getBooking: (id) => bookings.getBooking(id),
    getCampaign: async (id) => (await getCampaignsByIds(prisma, [id]))[0] ?? null,
    usedTickets: async (bookingId) =>
      (await ticketsService.listBookingTickets(bookingId)).filter((t) => t.scanCount > 0).length,
    listMyBookings: (actor, limit) => bookings.listMyBookings(actor, limit),
  });
  const modules: Modules = {
    storage,
    campaigns,
    bookings,
    tickets,
    payments,
    analytics,
    finance,
    transfers,
    validation,
    orders,
    promotions,
    venues,
    reviews,
    adminStats: createAdminStatsService({ prisma, analytics }),
    inAppNotifications: createInAppNotificationsService({ prisma, clock }),
  };
  if (!extras.mailer) return modules;
  const notifications = createNotificationsService(
    notificationsDepsFromConfig(config, { prisma, clock, mailer: extras.mailer }),
  );
  return { ...modules, notifications };
}
