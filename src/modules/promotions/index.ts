import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { promotionsPages } from './promotions.pages';
import { promotionsApi } from './promotions.routes';
import type { PromotionsService } from './promotions.service';

/*
 * Promotions module: a campaign's promo codes and their use counters. Public API: the seller's
 * service (create, generate, list with uses and revenue, switch off), and the functions the
 * bookings module calls inside its reservation and release transactions (find the codes, price
 * a discount, take and give back uses; promotions.uses.ts has the invariant).
 */
export { createPromotionsService, type PromotionsService } from './promotions.service';
export {
  confirmPromoUse,
  countBuyerPromoUses,
  findPromoCodesForBooking,
  normalizePromoCode,
  priceDiscount,
  releasePromoUses,
  shareOut,
  takePromoUses,
  type PromoUse,
} from './promotions.uses';
export { PromoErrors } from './promotions.errors';
export { PromoEvents, type PromoUsedPayload } from './promotions.events';
export type { Discount, DiscountLine, PromoCodeRecord, PromoCodeStats, PromoKind } from './promotions.types';

/** The seller's promo code API and pages. */
export function promotionsWebModule(platform: Platform, service: PromotionsService): WebModule {
  return {
    name: 'promotions',
    api: [promotionsApi(platform, service)],
    pages: promotionsPages(platform, service),
  };
}
