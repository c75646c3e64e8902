import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { registerReconciliationGauge } from './finance.metrics';
import { financePages, PLATFORM_FINANCE_PAGE, SELLER_FINANCE_PAGE } from './finance.pages';
import { financeRoutes } from './finance.routes';
import type { FinanceService } from './finance.service';

/**
 * The finance module's public API: the seller ledger (postings, settlement, balances,
 * statements), payout methods, withdrawals with maker-checker approval, and the transfer
 * transitions the payouts worker calls (docs/finance.md describes them). Other code never reads
 * the finance_* tables.
 */
export {
  createFinanceService,
  feeMinorOrNull,
  withdrawalRequestHash,
  type AccountResolver,
  type ApprovalView,
  type FinanceConfig,
  type FinanceDeps,
  type FinanceService,
  type NewPayoutMethod,
  type SellerOverview,
  type TransferFeeQuoter,
  type WithdrawalInput,
  type WithdrawalResult,
} from './finance.service';
export { causeKeys, feeScheduleOf, platformFeeOf, type PostingOutcome } from './finance.ledger';
export { getPlatformFeeStats } from './finance.platform-stats';
export { maskLast4 } from './finance.crypto';
export {
  FinanceEvents,
  type PayoutMethodChangedPayload,
  type WithdrawalEventPayload,
} from './finance.events';
export { FinanceErrors } from './finance.errors';
export { FINANCE_PREFIX } from './finance.routes';
export { PLATFORM_FINANCE_PAGE, SELLER_FINANCE_PAGE } from './finance.pages';
export type * from './finance.types';

/**
 * The finance web module: the API (sellers' money, payout methods, withdrawals; platform finance
 * approvals and reconciliation) and the two finance pages.
 */
export function financeWebModule(platform: Platform, service: FinanceService): WebModule {
  return {
    name: 'finance',
    metrics: (registry) => registerReconciliationGauge(registry, service),
    api: [financeRoutes(platform, service)],
    pages: financePages(platform, service),
    nav: [
      {
        label: 'Finance',
        href: SELLER_FINANCE_PAGE,
        when: (u) =>
          Boolean(
            u &&
            ((u as { roles?: string[] }).roles?.includes('SELLER') ||
              (u as { roles?: string[] }).roles?.includes('FINANCE')),
          ),
      },
      {
        label: 'Payouts',
        href: PLATFORM_FINANCE_PAGE,
        when: (u) => Boolean(u && (u as { roles?: string[] }).roles?.includes('PLATFORM_FINANCE')),
      },
    ],
  };
}
