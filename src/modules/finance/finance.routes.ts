import type { Request } from 'express';
import { defineApi } from '../../shared/http/api';
import { actorOf, requireOwnRole, requireSignIn } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { toMajorString } from '../../shared/money';
import type { Platform } from '../../shared/platform';
import {
  approvalViewDto,
  differenceDto,
  overviewDto,
  payoutMethodDto,
  statementCsv,
  statementLineDto,
  withdrawalDto,
} from './finance.dto';
import { FinanceErrors } from './finance.errors';
import {
  banksQuery,
  differencesQuery,
  idParam,
  payoutMethodSchema,
  queueQuery,
  rejectSchema,
  resolveAccountSchema,
  resolveSchema,
  sellerQuery,
  statementQuery,
  withdrawalSchema,
  type PayoutMethodBody,
} from './finance.schemas';
import type { FinanceService, NewPayoutMethod } from './finance.service';

export const FINANCE_PREFIX = '/api/v1/finance';
/** Visible ASCII, 1 to 255 characters (a UUID is the usual choice), as for bookings. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKeyOf(req: Request): string {
  const key = req.get('idempotency-key');
  if (!key || !IDEMPOTENCY_KEY.test(key)) throw FinanceErrors.idempotencyKeyRequired();
  return key;
}

/** Display names of Flutterwave's mobile money operator codes (used when the body names none). */
export const MOBILE_MONEY_OPERATORS: Record<string, string> = {
  MPS: 'M-Pesa',
  MTN: 'MTN MoMo',
  AIRTEL: 'Airtel Money',
  AIRTELTIGO: 'AirtelTigo Money',
  VODAFONE: 'Telecel Cash',
  TIGO: 'Tigo Pesa',
  HALOPESA: 'HaloPesa',
  VODACOM: 'Vodacom M-Pesa',
  ORANGEMONEY: 'Orange Money',
  ORANGE: 'Orange Money',
  MOOV: 'Moov Money',
  WAVE: 'Wave',
  FMM: 'Mobile money',
  AMOLEMONEY: 'Amole',
  AIRTELMW: 'Airtel Money',
};

/** The service's input from a validated payout method body: the secret fields go into `destination`. */
export function newMethodOf(b: PayoutMethodBody): NewPayoutMethod {
  if (b.type === 'BANK_ACCOUNT') {
    return {
      type: b.type,
      country: b.country,
      currency: b.currency,
      providerCode: b.bankCode,
      providerName: b.bankName,
      destination: {
        type: 'BANK_ACCOUNT',
        accountNumber: b.accountNumber,
        accountName: b.accountName,
        ...(b.branchCode ? { branchCode: b.branchCode } : {}),
      },
    };
  }
  return {
    type: b.type,
    country: b.country,
    currency: b.currency,
    providerCode: b.operator.toUpperCase(),
    providerName:
      b.operatorName ?? MOBILE_MONEY_OPERATORS[b.operator.toUpperCase()] ?? b.operator.toUpperCase(),
    destination: {
      type: 'MOBILE_MONEY',
      phoneNumber: b.phoneNumber,
      beneficiaryName: b.beneficiaryName,
      ...(b.mpesa ? { mpesa: b.mpesa } : {}),
    },
  };
}

/**
 * The finance API. Sellers (and their FINANCE members): overview, statement (JSON and CSV),
 * payout methods, withdrawals. Platform finance (PLATFORM_FINANCE, no SUPER_ADMIN pass: approving
 * money out is its own duty): the approval queue, decisions and reconciliation differences.
 */
export function financeRoutes(platform: Platform, service: FinanceService): ApiModule {
  const { config, redis, clock } = platform;
  const api = defineApi({ name: 'finance', prefix: FINANCE_PREFIX, tags: ['finance'] });
  const changes = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'finance',
    windowMs: config.FINANCE_RATE_LIMIT_WINDOW_MS,
    limit: config.FINANCE_RATE_LIMIT_MAX,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });
  const signedIn = [requireSignIn()] as const;
  const platformFinance = [requireOwnRole('PLATFORM_FINANCE')] as const;
  const denied = {
    400: 'VALIDATION_FAILED or FIELD_NOT_ALLOWED',
    401: 'Not signed in',
    403: 'NOT_SELLER_FINANCE: not the seller nor one of its FINANCE members',
  };
  const adminDenied = { ...denied, 403: 'FORBIDDEN: not platform finance; MAKER_CHECKER' };
  const object = (description: string) => ({ description, schema: { type: 'object' } });
  const list = (description: string) => ({
    description,
    schema: { type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array' } } },
  });

  api.get(
    '/overview',
    {
      summary:
        "A seller's balances per currency (pending, available, on hold, paid out), payout methods (masked), withdrawals and fee rule",
      security: 'session',
      use: signedIn,
      query: sellerQuery,
      responses: { 200: object('The overview'), ...denied },
    },
    async ({ query }, req, res) => {
      res.json(overviewDto(await service.getSellerOverview(actorOf(req), query.sellerId), clock.now()));
    },
  );

  api.get(
    '/statement',
    {
      summary: "The seller's ledger lines, newest first, each with its account's running balance",
      security: 'session',
      use: signedIn,
      query: statementQuery,
      responses: { 200: list('Statement lines'), ...denied },
    },
    async ({ query }, req, res) => {
      const limit = query.limit ?? 50;
      const lines = await service.getStatement(actorOf(req), {
        sellerId: query.sellerId,
        currency: query.currency,
        limit: limit + 1,
        beforeId: query.cursor,
      });
      const items = lines.slice(0, limit);
      res.json({
        items: items.map(statementLineDto),
        nextCursor: lines.length > limit ? items[items.length - 1]!.entryId : null,
      });
    },
  );

  api.get(
    '/statement.csv',
    {
      summary: 'The statement as CSV (amounts in major units)',
      security: 'session',
      use: signedIn,
      query: statementQuery,
      responses: {
        200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
        ...denied,
      },
    },
    async ({ query }, req, res) => {
      const lines = await service.getStatement(actorOf(req), {
        sellerId: query.sellerId,
        currency: query.currency,
        limit: 10_000,
      });
      res
        .type('text/csv')
        .attachment(`statement${query.currency ? `-${query.currency}` : ''}.csv`)
        .send(statementCsv(lines, toMajorString));
    },
  );

  api.get(
    '/payout-methods',
    {
      summary: "The seller's active payout methods (masked: last 4 digits only)",
      security: 'session',
      use: signedIn,
      query: sellerQuery,
      responses: { 200: list('Payout methods'), ...denied },
    },
    async ({ query }, req, res) => {
      const now = clock.now();
      const methods = await service.listPayoutMethods(actorOf(req), query.sellerId);
      res.json({ items: methods.map((m) => payoutMethodDto(m, now)), nextCursor: null });
    },
  );

  api.get(
    '/banks',
    {
      summary: "The banks Flutterwave pays out to in a country (for the seller's payout method form)",
      security: 'session',
      use: [...signedIn, changes],
      query: banksQuery,
      responses: {
        200: {
          description: 'Banks by name',
          schema: {
            type: 'object',
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['code', 'name'],
                  properties: { code: { type: 'string' }, name: { type: 'string' } },
                },
              },
            },
          },
        },
        ...denied,
        422: 'UNSUPPORTED_DESTINATION: no bank payouts to this country',
        429: 'RATE_LIMITED',
        503: 'PROVIDER_UNAVAILABLE',
      },
    },
    async ({ query }, req, res) => {
      res.json({ items: await service.listBanks(actorOf(req), query.country, query.sellerId) });
    },
  );

  api.post(
    '/payout-methods/resolve',
    {
      summary: 'The name on a bank account, for the seller to confirm before saving it (moves no money)',
      security: 'csrf',
      use: [...signedIn, changes],
      query: sellerQuery,
      body: resolveAccountSchema,
      responses: {
        200: {
          description: 'The account holder',
          schema: {
            type: 'object',
            required: ['accountName'],
            properties: { accountName: { type: 'string' } },
          },
        },
        ...denied,
        422: 'ACCOUNT_NOT_RESOLVED',
        429: 'RATE_LIMITED',
        503: 'PROVIDER_UNAVAILABLE',
      },
    },
    async ({ query, body }, req, res) => {
      res.json({ accountName: await service.resolveAccountName(actorOf(req), body, query.sellerId) });
    },
  );

  api.post(
    '/payout-methods',
    {
      summary:
        'Add a bank account or mobile money wallet (usable after the cooling-off period; the seller is emailed)',
      security: 'csrf',
      use: [...signedIn, changes],
      query: sellerQuery,
      body: payoutMethodSchema,
      responses: {
        201: object('The method, masked'),
        ...denied,
        409: 'PAYOUT_METHOD_DUPLICATE',
        422: 'ACCOUNT_NOT_RESOLVED, UNSUPPORTED_DESTINATION',
        429: 'RATE_LIMITED',
      },
    },
    async ({ query, body }, req, res) => {
      const m = await service.addPayoutMethod(actorOf(req), newMethodOf(body), query.sellerId);
      res.status(201).json(payoutMethodDto(m, clock.now()));
    },
  );

  api.delete(
    '/payout-methods/:id',
    {
      summary: 'Remove a payout method (the seller is emailed)',
      security: 'csrf',
      use: [...signedIn, changes],
      params: idParam,
      responses: {
        200: object('The removed method'),
        ...denied,
        404: 'PAYOUT_METHOD_NOT_FOUND',
        422: 'PAYOUT_METHOD_REMOVED',
      },
    },
    async ({ params }, req, res) => {
      res.json(payoutMethodDto(await service.removePayoutMethod(actorOf(req), params.id), clock.now()));
    },
  );

  api.post(
    '/withdrawals',
    {
      summary:
        'Request a withdrawal: holds the amount from the available balance until a platform finance person decides',
      description:
        'Requires an `Idempotency-Key` header (scoped to the user). The same key with the same body answers the first ' +
        'withdrawal (200, `Idempotent-Replayed: true`); with another body, 422 IDEMPOTENCY_KEY_REUSED.',
      security: 'csrf',
      use: [...signedIn, changes],
      parameters: [
        { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 255 } },
      ],
      body: withdrawalSchema,
      responses: {
        201: object('Held, REQUESTED'),
        200: object('A replay of the same Idempotency-Key and body'),
        ...denied,
        400: 'VALIDATION_FAILED, IDEMPOTENCY_KEY_REQUIRED or FIELD_NOT_ALLOWED',
        404: 'PAYOUT_METHOD_NOT_FOUND',
        422: 'INSUFFICIENT_FUNDS, BALANCE_NEGATIVE, WITHDRAWAL_BELOW_MINIMUM, PAYOUT_METHOD_COOLING_OFF, PAYOUT_METHOD_CURRENCY, PAYOUT_METHOD_REMOVED, IDEMPOTENCY_KEY_REUSED',
        429: 'RATE_LIMITED',
      },
    },
    async ({ body }, req, res) => {
      const key = idempotencyKeyOf(req);
      const result = await service.requestWithdrawal(actorOf(req), key, body);
      if (result.replayed) res.set('Idempotent-Replayed', 'true');
      res.status(result.status).json(withdrawalDto(result.withdrawal));
    },
  );

  api.get(
    '/withdrawals/:id',
    {
      summary: "One withdrawal's state",
      security: 'session',
      use: signedIn,
      params: idParam,
      responses: { 200: object('The withdrawal'), ...denied, 404: 'WITHDRAWAL_NOT_FOUND' },
    },
    async ({ params }, req, res) => {
      res.json(withdrawalDto(await service.getWithdrawal(actorOf(req), params.id)));
    },
  );

  api.get(
    '/fees',
    {
      summary:
        "The platform's fee rule: basis points of each payment plus a fixed amount per ticket per currency",
      security: 'session',
      use: signedIn,
      responses: { 200: object('{ basisPoints, perTicketMinor }'), 401: 'Not signed in' },
    },
    (_input, _req, res) => {
      res.json(service.feeSchedule());
    },
  );

  // ---------------------------------------------------------------- platform finance

  api.get(
    '/admin/withdrawals',
    {
      summary: 'Platform finance: withdrawals waiting for a decision (view=queue) or decided (view=history)',
      security: 'session',
      use: platformFinance,
      query: queueQuery,
      responses: { 200: list('Withdrawals'), ...adminDenied },
    },
    async ({ query }, _req, res) => {
      const items =
        query.view === 'history' ? await service.listWithdrawalHistory() : await service.listApprovalQueue();
      res.json({ items: items.map(withdrawalDto), nextCursor: null });
    },
  );

  api.get(
    '/admin/withdrawals/:id',
    {
      summary:
        "Platform finance: a withdrawal with the seller's balances and history, the method's age and the transfer fee",
      security: 'session',
      use: platformFinance,
      params: idParam,
      responses: { 200: object('The approval view'), ...adminDenied, 404: 'WITHDRAWAL_NOT_FOUND' },
    },
    async ({ params }, _req, res) => {
      res.json(approvalViewDto(await service.getApprovalView(params.id), clock.now()));
    },
  );

  api.post(
    '/admin/withdrawals/:id/approve',
    {
      summary:
        'Platform finance: approve (never your own request, nor one of a seller you act for); the transfer is sent',
      security: 'csrf',
      use: [...platformFinance, changes],
      params: idParam,
      responses: {
        200: object('APPROVED'),
        ...adminDenied,
        404: 'WITHDRAWAL_NOT_FOUND',
        409: 'WITHDRAWAL_NOT_PENDING',
      },
    },
    async ({ params }, req, res) => {
      res.json(withdrawalDto(await service.approveWithdrawal(actorOf(req), params.id)));
    },
  );

  api.post(
    '/admin/withdrawals/:id/reject',
    {
      summary: 'Platform finance: reject with a reason; the held money goes back to available',
      security: 'csrf',
      use: [...platformFinance, changes],
      params: idParam,
      body: rejectSchema,
      responses: {
        200: object('REJECTED'),
        ...adminDenied,
        404: 'WITHDRAWAL_NOT_FOUND',
        409: 'WITHDRAWAL_NOT_PENDING',
      },
    },
    async ({ params, body }, req, res) => {
      res.json(withdrawalDto(await service.rejectWithdrawal(actorOf(req), params.id, body.reason)));
    },
  );

  api.get(
    '/admin/reconciliation',
    {
      summary: 'Platform finance: differences found by reconciliation (open only unless open=false)',
      security: 'session',
      use: platformFinance,
      query: differencesQuery,
      responses: { 200: list('Differences'), ...adminDenied },
    },
    async ({ query }, _req, res) => {
      const items = await service.listReconciliationDifferences({ open: query.open !== 'false', limit: 200 });
      res.json({ items: items.map(differenceDto), nextCursor: null });
    },
  );

  api.post(
    '/admin/reconciliation/:id/resolve',
    {
      summary: 'Platform finance: mark a difference resolved, with what was done',
      security: 'csrf',
      use: [...platformFinance, changes],
      params: idParam,
      body: resolveSchema,
      responses: { 204: 'Resolved', ...adminDenied, 404: 'DIFFERENCE_NOT_FOUND' },
    },
    async ({ params, body }, req, res) => {
      await service.resolveReconciliationDifference(actorOf(req), params.id, body.resolution);
      res.status(204).end();
    },
  );

  return api.module();
}
