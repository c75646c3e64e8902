/**
 * Flutterwave v3 wire shapes (snake_case, amounts in major-unit decimals), as documented at
 * developer.flutterwave.com for Standard checkout, transaction verification, refunds, transfers
 * and webhooks. Only the client and the simulator use these; the rest of our code sees minor
 * units through src/shared/money.ts.
 */

/** Every v3 answer is wrapped in this envelope; errors carry `status: "error"` and `data: null`. */
export interface FlwEnvelope<T> {
  status: 'success' | 'error';
  message: string;
  data: T;
}

export type FlwMeta = Record<string, string | number | boolean | null>;

/** Customer on POST /v3/payments: email required; Standard spells the phone `phonenumber`. */
export interface FlwPaymentCustomer {
  email: string;
  name?: string;
  phonenumber?: string;
}

export interface FlwCustomizations {
  title?: string;
  description?: string;
  logo?: string;
}

/** POST /v3/payments (Flutterwave Standard, hosted checkout). */
export interface FlwCreatePaymentRequest {
  /** Our unique reference for this payment attempt. */
  tx_ref: string;
  amount: number;
  currency: string;
  redirect_url: string;
  customer: FlwPaymentCustomer;
  customizations?: FlwCustomizations;
  meta?: FlwMeta;
  /** Comma-separated methods to offer, e.g. "card, mobilemoneyghana, ussd". */
  payment_options?: string;
  /** Minutes the checkout session stays valid (max 1440). */
  session_duration?: number;
  max_retry_attempt?: number;
}

/** `data` of POST /v3/payments. */
export interface FlwHostedLink {
  link: string;
}

/** Query string Flutterwave appends to redirect_url when the customer leaves the checkout. */
export interface FlwRedirectQuery {
  status: 'successful' | 'failed' | 'cancelled' | 'completed';
  tx_ref: string;
  /** Absent when the customer cancelled before any charge was attempted. */
  transaction_id?: string;
}

export type FlwTransactionStatus = 'successful' | 'failed' | 'pending' | (string & {});

export interface FlwTransactionCustomer {
  id: number;
  name: string | null;
  /** Often the string "N/A" when the customer gave none (see phoneNumberOf): never a usable number by itself. */
  phone_number: string | null;
  email: string;
  created_at: string;
}

export interface FlwCard {
  first_6digits: string;
  last_4digits: string;
  issuer: string;
  country: string;
  type: string;
  expiry?: string;
  token?: string;
}

/** `data` of GET /v3/transactions/:id/verify and /verify_by_reference, and of charge webhooks. */
export interface FlwTransaction {
  id: number;
  tx_ref: string;
  flw_ref: string | null;
  /** "N/A" or null when none was captured. */
  device_fingerprint: string | null;
  amount: number;
  currency: string;
  charged_amount: number;
  app_fee: number | null;
  merchant_fee: number | null;
  processor_response: string | null;
  auth_model: string | null;
  ip: string | null;
  narration: string | null;
  status: FlwTransactionStatus;
  payment_type: string | null;
  created_at: string;
  account_id: number;
  amount_settled?: number | null;
  meta?: FlwMeta | null;
  customer: FlwTransactionCustomer;
  card?: FlwCard | null;
}

/** POST /v3/transactions/:id/refund body: no amount means a full refund. */
export interface FlwRefundRequest {
  amount?: number;
  comments?: string;
}

/**
 * `data` of POST /v3/transactions/:id/refund, GET /v3/refunds/:id and each item of GET /v3/refunds.
 * Only `completed` means the money went back; `failed` that it did not; anything else (`pending`,
 * or a status we do not know) is not final and is read back later.
 */
export interface FlwRefund {
  id: number;
  account_id: number;
  tx_id: number;
  flw_ref: string | null;
  wallet_id: number | null;
  amount_refunded: number;
  status: 'completed' | 'pending' | 'failed' | (string & {});
  destination: string | null;
  meta: { source?: string } | null;
  created_at: string;
}

/** POST /v3/transfers (bank account or mobile money payout). */
export interface FlwCreateTransferRequest {
  /** Bank code ("044") or mobile-money network code ("MPS", "MTN"). */
  account_bank: string;
  account_number: string;
  amount: number;
  currency: string;
  narration?: string;
  /** Our unique reference: Flutterwave refuses a second transfer with the same one. */
  reference: string;
  callback_url?: string;
  debit_currency?: string;
  beneficiary_name?: string;
  meta?: FlwMeta | FlwMeta[];
}

export type FlwTransferStatus = 'NEW' | 'PENDING' | 'SUCCESSFUL' | 'FAILED' | (string & {});

/**
 * `data` of POST /v3/transfers, GET /v3/transfers/:id and the transfer webhook. Flutterwave
 * names the beneficiary `full_name` in the create answer and `fullname` elsewhere.
 */
export interface FlwTransfer {
  id: number;
  account_number: string;
  bank_code: string;
  bank_name: string;
  full_name?: string;
  fullname?: string;
  created_at: string;
  currency: string;
  debit_currency: string;
  amount: number;
  fee: number;
  status: FlwTransferStatus;
  reference: string;
  meta: FlwMeta | FlwMeta[] | null;
  narration: string;
  approver?: string | null;
  complete_message: string;
  requires_approval: number;
  is_approved: number;
}

/**
 * The older top-level charge webhook, still sent to some merchants (and handled by Flutterwave's
 * own WooCommerce plugin): no `event`/`data` wrapper, the transaction's fields at the top with
 * camelCase `txRef`/`flwRef`, and `event.type` naming the method (CARD_TRANSACTION,
 * ACCOUNT_TRANSACTION, MPESA_TRANSACTION, BANK_TRANSFER_TRANSACTION, ...). Only the id, tx_ref and
 * status are read from it: like the current shape it is only a hint to verify by id.
 */
export interface FlwLegacyChargeEvent {
  id: number;
  txRef: string;
  flwRef?: string | null;
  orderRef?: string | null;
  amount?: number;
  charged_amount?: number;
  currency?: string;
  status: string;
  'event.type': string;
  customer?: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** Webhook body for a finished charge (successful or failed), sent with the `verif-hash` header. */
export interface FlwChargeCompletedEvent {
  event: 'charge.completed';
  data: FlwTransaction;
  'event.type'?: string;
}

/** Webhook body for a finished transfer (status SUCCESSFUL or FAILED). */
export interface FlwTransferCompletedEvent {
  event: 'transfer.completed';
  data: FlwTransfer;
  'event.type'?: string;
}

export type FlwWebhookEvent = FlwChargeCompletedEvent | FlwTransferCompletedEvent;
