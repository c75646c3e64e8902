/**
 * The validation module's browser API: rules the gate page applies offline exactly as the
 * server does (no Node built-ins, no dependencies; the gate bundle imports this file).
 */

/** Campaign statuses in which the gates are open; DRAFT and CANCELLED campaigns admit no one. */
export const SCANNABLE_CAMPAIGN_STATUSES = ['ACTIVE', 'PAUSED', 'ENDED'] as const;
