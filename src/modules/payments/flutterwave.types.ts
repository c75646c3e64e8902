/**
 * Flutterwave v3 wire shapes (snake_case, amounts in major-unit decimals), as documented at
 * developer.flutterwave.com for Standard checkout, transaction verification, refunds, transfers
 * (with banks, account resolution, fees and balances) and webhooks. Only the client uses these (the
 * simulator writes its own from the same documentation); the rest of our code sees minor units
 * through src/shared/money.ts.
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

/** `data` of GET /v3/banks/:country (NG, GH, KE, UG, TZ, ...): banks and mobile-money operators. */
export interface FlwBank {
  id: number;
  /** What POST /v3/transfers takes as account_bank ("044", "MPS"). */
  code: string;
  name: string;
}

/** POST /v3/accounts/resolve (Nigerian bank accounts): the account holder's name. */
export interface FlwResolveAccountRequest {
  account_number: string;
  account_bank: string;
}

/** `data` of POST /v3/accounts/resolve. */
export interface FlwResolvedAccount {
  account_number: string;
  account_name: string;
}

/** POST /v3/transfers (bank account or mobile money payout). */
export interface FlwCreateTransferRequest {
  /** Bank code ("044") or mobile-money operator code ("MPS", "MTN"). */
  account_bank: string;
  /** Account number, or for mobile money the number with its country code ("254700000000"). */
  account_number: string;
  amount: number;
  currency: string;
  narration?: string;
  /** Our reference (the withdrawal id); Flutterwave generates one when it is missing. */
  reference: string;
  callback_url?: string;
  debit_currency?: string;
  /** Required for mobile money (Flutterwave lists it among the beneficiaries). */
  beneficiary_name?: string;
  /** Required for bank transfers in Ghana, Uganda and Tanzania (the branch's code). */
  destination_branch_code?: string;
  /** M-Pesa (KES) requires { sender, sender_country, mobile_number } here. */
  meta?: FlwMeta | FlwMeta[];
}

export type FlwTransferStatus = 'NEW' | 'PENDING' | 'SUCCESSFUL' | 'FAILED' | (string & {});

/**
 * `data` of POST /v3/transfers and GET /v3/transfers/:id, and each item of GET /v3/transfers:
 * the beneficiary is `full_name` here ("N/A" when Flutterwave has none) and `fullname` in the
 * webhook. `fee` is in major units with up to three decimals (26.875 NGN): it is not a valid
 * minor-unit amount and must never go through the converter.
 */
export interface FlwTransfer {
  id: number;
  account_number: string;
  bank_code: string;
  full_name: string;
  created_at: string;
  currency: string;
  debit_currency: string | null;
  amount: number;
  fee: number;
  status: FlwTransferStatus;
  reference: string;
  meta: FlwMeta | FlwMeta[] | null;
  narration: string | null;
  approver?: string | null;
  complete_message: string;
  requires_approval: number;
  is_approved: number;
  bank_name: string;
}

/** `data` of the transfer.completed webhook: the same record, the beneficiary spelt `fullname`. */
export type FlwTransferWebhookData = Omit<FlwTransfer, 'full_name'> & { fullname: string };

/** GET /v3/transfers/fee?amount=&currency=&type=account|mobilemoney answers a list of these. */
export interface FlwTransferFee {
  currency: string;
  /** "value": `fee` is an amount; "percentage": `fee` is a percentage of the amount. */
  fee_type: 'value' | 'percentage' | (string & {});
  fee: number;
}

/** `data` of GET /v3/balances/:currency (major units, as Flutterwave reports them). */
export interface FlwBalance {
  currency: string;
  available_balance: number;
  ledger_balance: number;
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
  data: FlwTransferWebhookData;
  'event.type'?: string;
}

export type FlwWebhookEvent = FlwChargeCompletedEvent | FlwTransferCompletedEvent;
