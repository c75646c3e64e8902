/** Our own markers in finance_transfers.provider_status besides Flutterwave's NEW/PENDING/SUCCESSFUL/FAILED. */
export const TransferMarks = {
  notSent: 'NOT_SENT',
  /** An attempt was counted and the call may have reached Flutterwave. */
  sending: 'SENDING',
  /** The call had no clear answer and the lookup by reference found nothing (yet). */
  unknown: 'UNKNOWN',
} as const;

/** Rows the re-check job looks at once they have not been touched for PAYOUT_RECHECK_AFTER_MINUTES. */
export const UNFINISHED_STATUSES = [
  TransferMarks.notSent,
  TransferMarks.sending,
  TransferMarks.unknown,
  'NEW',
  'PENDING',
];
