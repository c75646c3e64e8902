/**
 * Events the finance module publishes (routing key = name), each written to the outbox in the
 * transaction of the state change it announces. Payloads carry ids and amounts, never payout
 * details.
 * - withdrawal.requested: a seller's withdrawal is held and waits for a platform finance person.
 * - withdrawal.approved: a second person approved it; the payouts worker sends the transfer.
 * - withdrawal.rejected: refused with a reason; the hold went back to available.
 * - withdrawal.completed: Flutterwave confirmed the transfer (PAID).
 * - withdrawal.failed: the transfer failed (or was reversed after success); money back to available.
 * - payout-method.changed: a payout method was added or removed (the seller is emailed).
 */
export const FinanceEvents = {
  withdrawalRequested: 'withdrawal.requested',
  withdrawalApproved: 'withdrawal.approved',
  withdrawalRejected: 'withdrawal.rejected',
  withdrawalCompleted: 'withdrawal.completed',
  withdrawalFailed: 'withdrawal.failed',
  payoutMethodChanged: 'payout-method.changed',
} as const;

export type WithdrawalEventPayload = {
  withdrawalId: string;
  sellerId: string;
  methodId: string;
  amountMinor: number;
  currency: string;
  requestedBy: string;
  /** approved / rejected */
  decidedBy?: string;
  /** rejected: the approver's reason; failed: the provider's message */
  reason?: string | null;
  /** failed: true when the provider reversed a transfer it had reported successful */
  reversed?: boolean;
};

export type PayoutMethodChangedPayload = {
  methodId: string;
  sellerId: string;
  change: 'ADDED' | 'REMOVED';
  changedBy: string;
  type: string;
  providerName: string;
  last4: string;
  usableFrom: string;
};
