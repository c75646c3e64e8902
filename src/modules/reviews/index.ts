import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { reviewsRoutes } from './reviews.routes';
import type { ReviewsService } from './reviews.service';

/*
 * Reviews module: buyers' ratings and reviews of ended campaigns, the seller's answer, admin
 * hiding. Owns the reviews table; reads bookings, campaigns and tickets through their public
 * APIs (wired in the container). The campaign page shows its section (campaignSection).
 */
export {
  createReviewsService,
  publicName,
  REVIEW_EDIT_WINDOW_MS,
  type RatingSummary,
  type ReviewDto,
  type ReviewsDeps,
  type ReviewsService,
} from './reviews.service';

export function reviewsWebModule(platform: Platform, service: ReviewsService): WebModule {
  return { name: 'reviews', api: reviewsRoutes(platform, service) };
}
