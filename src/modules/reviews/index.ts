import type { Platform } from '../../shared/platform';
import type { CampaignPageSection } from '../campaigns';
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

/** The reviews block of the public campaign page (average, reviews, the viewer's forms). */
export function reviewsCampaignSection(service: ReviewsService): CampaignPageSection {
  return async (viewer, campaign) => ({
    partial: '../reviews/_section',
    data: { reviews: await service.campaignSection(viewer, campaign), campaignId: campaign.id },
  });
}

export function reviewsWebModule(platform: Platform, service: ReviewsService): WebModule {
  return { name: 'reviews', api: reviewsRoutes(platform, service) };
}
