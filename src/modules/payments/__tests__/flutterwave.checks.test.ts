import {
  assessTransaction,
  isAuthenticWebhook,
  parseWebhookEvent,
  phoneNumberOf,
  type FlwTransaction,
} from '..';

const expected = { txRef: 'tx-1', amountMinor: 150050, currency: 'NGN' as const };

function tx(overrides: Partial<FlwTransaction> = {}): FlwTransaction {
  return {
    id: 42,
    tx_ref: 'tx-1',
    flw_ref: 'FLW-MOCK-1',
    device_fingerprint: 'N/A',
    amount: 1500.5,
    currency: 'NGN',
    charged_amount: 1500.5,
    app_fee: 21.01,
    merchant_fee: 0,
    processor_response: 'Approved',
    auth_model: 'PIN',
    ip: '127.0.0.1',
    narration: 'CARD Transaction',
    status: 'successful',
    payment_type: 'card',
    created_at: '2026-01-01T00:00:00.000Z',
    account_id: 1,
    customer: {
      id: 1,
      name: 'A',
      phone_number: null,
      email: 'a@b.co',
      created_at: '2026-01-01T00:00:00.000Z',
    },
    ...overrides,
  };
}

describe('payment verification verdict', () => {
  it('when status, tx_ref, currency and amount all match, then PAID', () => {
    expect(assessTransaction(tx(), expected)).toEqual({
      outcome: 'PAID',
      transactionId: 42,
      paidMinor: 150050,
      overpaidMinor: 0,
    });
  });

  it('when the buyer paid more, then PAID with the overpayment to refund', () => {
    expect(assessTransaction(tx({ amount: 1600 }), expected)).toMatchObject({
      outcome: 'PAID',
      overpaidMinor: 9950,
    });
  });

  it('when one kobo short, then MISMATCH', () => {
    expect(assessTransaction(tx({ amount: 1500.49 }), expected)).toMatchObject({ outcome: 'MISMATCH' });
  });

  it("when the record belongs to another tx_ref, then OTHER_PAYMENT whatever its status: it is not this payment's", () => {
    for (const status of ['successful', 'failed', 'pending']) {
      expect(assessTransaction(tx({ tx_ref: 'tx-2', status }), expected)).toEqual({
        outcome: 'OTHER_PAYMENT',
        transactionId: 42,
        txRef: 'tx-2',
      });
    }
  });

  it('when the currency differs, then MISMATCH without comparing amounts across currencies', () => {
    expect(assessTransaction(tx({ currency: 'USD', amount: 999999 }), expected)).toEqual({
      outcome: 'MISMATCH',
      transactionId: 42,
      problems: ['currency is USD, expected NGN'],
    });
  });

  it('when the amount has impossible decimals, then MISMATCH rather than rounding', () => {
    expect(assessTransaction(tx({ amount: 1500.505 }), expected)).toMatchObject({
      outcome: 'MISMATCH',
      problems: ['amount 1500.505 is not a valid NGN amount'],
    });
  });

  it('when the charge failed, then FAILED; when still pending, then PENDING', () => {
    expect(assessTransaction(tx({ status: 'failed', processor_response: 'Declined' }), expected)).toEqual({
      outcome: 'FAILED',
      transactionId: 42,
      reason: 'Declined',
    });
    expect(assessTransaction(tx({ status: 'pending' }), expected)).toEqual({
      outcome: 'PENDING',
      transactionId: 42,
      status: 'pending',
    });
  });
});

describe('webhook authentication', () => {
  const hash = 'a-secret-hash-of-ours-0123';

  it('when the verif-hash equals our secret hash, then authentic', () => {
    expect(isAuthenticWebhook(hash, hash)).toBe(true);
  });

  it('when it is missing, different, a prefix, longer or repeated, then not authentic', () => {
    for (const h of [
      undefined,
      '',
      'wrong',
      hash.slice(0, -1),
      `${hash}x`,
      hash.toUpperCase(),
      [hash, hash],
    ]) {
      expect(isAuthenticWebhook(h, hash)).toBe(false);
    }
  });
});

describe('webhook parsing', () => {
  it('when a charge or transfer event has what we act on, then it is typed', () => {
    expect(parseWebhookEvent({ event: 'charge.completed', data: { id: 1, tx_ref: 't' } })?.event).toBe(
      'charge.completed',
    );
    expect(parseWebhookEvent({ event: 'transfer.completed', data: { id: 1, reference: 'r' } })?.event).toBe(
      'transfer.completed',
    );
  });

  it('when the event is unknown or lacks ids, then undefined', () => {
    for (const body of [
      null,
      'x',
      {},
      { event: 'charge.completed' },
      { event: 'charge.completed', data: { id: '1', tx_ref: 't' } },
      { event: 'subscription.cancelled', data: { id: 1 } },
    ]) {
      expect(parseWebhookEvent(body)).toBeUndefined();
    }
  });

  it('when a charge comes in the older top-level shape, then it is the same hint as the current shape of that charge', () => {
    const legacy = {
      id: 4242,
      txRef: 'tm_abc',
      flwRef: 'FLW-1',
      amount: 5000,
      status: 'successful',
      'event.type': 'CARD_TRANSACTION',
    };
    const current = { event: 'charge.completed', data: { id: 4242, tx_ref: 'tm_abc', status: 'successful' } };
    const { shape: legacyShape, ...fromLegacy } = parseWebhookEvent(legacy)!;
    const { shape: currentShape, ...fromCurrent } = parseWebhookEvent(current)!;
    expect([legacyShape, currentShape]).toEqual(['legacy', 'current']);
    expect(fromLegacy).toEqual(fromCurrent);
    expect(fromLegacy).toEqual({
      event: 'charge.completed',
      flwId: 4242,
      reference: 'tm_abc',
      status: 'successful',
    });
    for (const type of ['ACCOUNT_TRANSACTION', 'MPESA_TRANSACTION', 'BANK_TRANSFER_TRANSACTION'])
      expect(parseWebhookEvent({ ...legacy, 'event.type': type })?.event).toBe('charge.completed');
  });

  it('when an older top-level body is not a charge or lacks its id or tx_ref, then undefined', () => {
    const legacy = { id: 1, txRef: 't', status: 'successful', 'event.type': 'CARD_TRANSACTION' };
    for (const body of [
      { ...legacy, 'event.type': 'Transfer' },
      { ...legacy, 'event.type': undefined },
      { ...legacy, id: '1' },
      { ...legacy, txRef: '' },
      { ...legacy, txRef: undefined },
      [legacy],
    ]) {
      expect(parseWebhookEvent(body)).toBeUndefined();
    }
  });
});

describe('customer phone numbers', () => {
  it('when Flutterwave says "N/A", null or blank, then there is no phone number', () => {
    const of = (phone_number: string | null) =>
      phoneNumberOf({ customer: { id: 1, name: null, email: 'a@b.c', created_at: '', phone_number } });
    expect([of('N/A'), of('n/a'), of(null), of('  '), of('08012345678')]).toEqual([
      null,
      null,
      null,
      null,
      '08012345678',
    ]);
  });
});
