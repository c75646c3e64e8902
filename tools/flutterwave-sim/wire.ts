/**
 * Flutterwave v3 wire shapes as the simulator speaks them, written from Flutterwave's published
 * documentation (developer.flutterwave.com: Standard checkout, transaction verification, refunds,
 * transfers, webhooks) and the bodies its own plugins handle. Deliberately NOT the payments
 * client's types: if the simulator shared them, every assumption the client makes would be
 * "confirmed" by the simulator agreeing with itself. Fields Flutterwave sends as null or "N/A" are
 * sent so here too.
 */

export type FlwMeta = Record<string, string | number | boolean | null>;

/** `customer` of POST /v3/payments: Standard spells the phone `phonenumber`. */
export interface WirePaymentCustomer {
  email: string;
  name?: string;
  phonenumber?: string;
}

export interface WireCustomizations {
  title?: string;
  description?: string;
  logo?: string;
}

/** `data.customer` of a verify answer: `phone_number` is "N/A" when the customer gave none. */
export interface WireTransactionCustomer {
  id: number;
  name: string | null;
  phone_number: string | null;
  email: string;
  created_at: string;
}

export interface WireCard {
  first_6digits: string;
  last_4digits: string;
  issuer: string;
  country: string;
  type: string;
  expiry?: string;
  token?: string;
}

/** `data` of GET /v3/transactions/:id/verify, /verify_by_reference, and of the charge.completed webhook. */
export interface WireTransaction {
  id: number;
  tx_ref: string;
  flw_ref: string | null;
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
  status: string;
  payment_type: string | null;
  created_at: string;
  account_id: number;
  amount_settled?: number | null;
  meta?: FlwMeta | null;
  customer: WireTransactionCustomer;
  card?: WireCard | null;
}

/** `data` of POST /v3/transactions/:id/refund, GET /v3/refunds/:id and items of GET /v3/refunds. */
export interface WireRefund {
  id: number;
  account_id: number;
  tx_id: number;
  flw_ref: string | null;
  wallet_id: number | null;
  amount_refunded: number;
  /** `completed`, `pending` (accepted, not finished) or `failed`. */
  status: string;
  destination: string | null;
  meta: { source?: string } | null;
  created_at: string;
}

/** `data` of POST /v3/transfers (`full_name`) and of reads and webhooks (`fullname`, `approver`). */
export interface WireTransfer {
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
  status: string;
  reference: string;
  meta: FlwMeta | FlwMeta[] | null;
  narration: string;
  approver?: string | null;
  complete_message: string;
  requires_approval: number;
  is_approved: number;
}

/** The current charge webhook body. */
export interface WireChargeCompletedEvent {
  event: 'charge.completed';
  data: WireTransaction;
  'event.type'?: string;
}

/**
 * The older top-level charge webhook body, still sent to some merchants: the transaction's fields
 * at the top level in camelCase, `event.type` naming the payment method.
 */
export interface WireLegacyChargeEvent {
  id: number;
  txRef: string;
  flwRef: string | null;
  orderRef: string;
  paymentPlan: null;
  createdAt: string;
  amount: number;
  charged_amount: number;
  status: string;
  IP: string;
  currency: string;
  appfee: number;
  merchantfee: number;
  merchantbearsfee: number;
  customer: {
    id: number;
    phone: string | null;
    fullName: string | null;
    customertoken: null;
    email: string;
    createdAt: string;
    updatedAt: string;
    deletedAt: null;
    AccountId: number;
  };
  entity: { card6: string; card_last4: string; card_country_iso: string; createdAt: string };
  'event.type': string;
}

export interface WireTransferCompletedEvent {
  event: 'transfer.completed';
  data: WireTransfer;
  'event.type'?: string;
}

export type WireWebhookBody = WireChargeCompletedEvent | WireLegacyChargeEvent | WireTransferCompletedEvent;

/** Which event a webhook body reports ('charge.completed' for both charge shapes). */
export function webhookEventOf(body: WireWebhookBody): 'charge.completed' | 'transfer.completed' {
  return 'event' in body ? body.event : 'charge.completed';
}
