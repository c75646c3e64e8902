import { Router, type Request } from 'express';
import { actorOf, requireOwnRole, requireSignIn } from '../../shared/http/authorize';
import { errorResponse, type ApiModule, type OpenApiPaths } from '../../shared/http/openapi';
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
  differencesQuery,
  idParam,
  jsonSchemaOf,
  parseOr400,
  payoutMethodSchema,
  queueQuery,
  rejectSchema,
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
  const router = Router();
  const { config, redis, clock } = platform;
  const changes = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'finance',
    windowMs: config.FINANCE_RATE_LIMIT_WINDOW_MS,
    limit: config.FINANCE_RATE_LIMIT_MAX,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });
  const platformFinance = requireOwnRole('PLATFORM_FINANCE');

  router.get('/overview', requireSignIn(), async (req, res) => {
    const q = parseOr400(sellerQuery, req.query, 'query');
    res.json(overviewDto(await service.getSellerOverview(actorOf(req), q.sellerId), clock.now()));
  });

  router.get('/statement', requireSignIn(), async (req, res) => {
    const q = parseOr400(statementQuery, req.query, 'query');
    const limit = q.limit ?? 50;
    const lines = await service.getStatement(actorOf(req), {
      sellerId: q.sellerId,
      currency: q.currency,
      limit: limit + 1,
      beforeId: q.cursor,
    });
    const items = lines.slice(0, limit);
    res.json({
      items: items.map(statementLineDto),
      nextCursor: lines.length > limit ? items[items.length - 1]!.entryId : null,
    });
  });

  router.get('/statement.csv', requireSignIn(), async (req, res) => {
    const q = parseOr400(statementQuery, req.query, 'query');
    const lines = await service.getStatement(actorOf(req), {
      sellerId: q.sellerId,
      currency: q.currency,
      limit: 10_000,
    });
    res
      .type('text/csv')
      .attachment(`statement${q.currency ? `-${q.currency}` : ''}.csv`)
      .send(statementCsv(lines, toMajorString));
  });

  router.get('/payout-methods', requireSignIn(), async (req, res) => {
    const q = parseOr400(sellerQuery, req.query, 'query');
    const now = clock.now();
    const methods = await service.listPayoutMethods(actorOf(req), q.sellerId);
    res.json({ items: methods.map((m) => payoutMethodDto(m, now)), nextCursor: null });
  });

  router.post('/payout-methods', requireSignIn(), changes, async (req, res) => {
    const q = parseOr400(sellerQuery, req.query, 'query');
    const body = parseOr400(payoutMethodSchema, req.body, 'body');
    const m = await service.addPayoutMethod(actorOf(req), newMethodOf(body), q.sellerId);
    res.status(201).json(payoutMethodDto(m, clock.now()));
  });

  router.delete('/payout-methods/:id', requireSignIn(), changes, async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'params');
    res.json(payoutMethodDto(await service.removePayoutMethod(actorOf(req), id), clock.now()));
  });

  router.post('/withdrawals', requireSignIn(), changes, async (req, res) => {
    const key = idempotencyKeyOf(req);
    const body = parseOr400(withdrawalSchema, req.body, 'body');
    const result = await service.requestWithdrawal(actorOf(req), key, body);
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(result.status).json(withdrawalDto(result.withdrawal));
  });

  router.get('/withdrawals/:id', requireSignIn(), async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'params');
    res.json(withdrawalDto(await service.getWithdrawal(actorOf(req), id)));
  });

  router.get('/fees', requireSignIn(), (_req, res) => {
    res.json(service.feeSchedule());
  });

  // ---------------------------------------------------------------- platform finance

  router.get('/admin/withdrawals', platformFinance, async (req, res) => {
    const q = parseOr400(queueQuery, req.query, 'query');
    const list =
      q.view === 'history' ? await service.listWithdrawalHistory() : await service.listApprovalQueue();
    res.json({ items: list.map(withdrawalDto), nextCursor: null });
  });

  router.get('/admin/withdrawals/:id', platformFinance, async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'params');
    res.json(approvalViewDto(await service.getApprovalView(id), clock.now()));
  });

  router.post('/admin/withdrawals/:id/approve', platformFinance, changes, async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'params');
    res.json(withdrawalDto(await service.approveWithdrawal(actorOf(req), id)));
  });

  router.post('/admin/withdrawals/:id/reject', platformFinance, changes, async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'params');
    const { reason } = parseOr400(rejectSchema, req.body, 'body');
    res.json(withdrawalDto(await service.rejectWithdrawal(actorOf(req), id, reason)));
  });

  router.get('/admin/reconciliation', platformFinance, async (req, res) => {
    const q = parseOr400(differencesQuery, req.query, 'query');
    const items = await service.listReconciliationDifferences({ open: q.open !== 'false', limit: 200 });
    res.json({ items: items.map(differenceDto), nextCursor: null });
  });

  router.post('/admin/reconciliation/:id/resolve', platformFinance, changes, async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'params');
    const { resolution } = parseOr400(resolveSchema, req.body, 'body');
    await service.resolveReconciliationDifference(actorOf(req), id, resolution);
    res.status(204).end();
  });

  return { name: 'finance', prefix: FINANCE_PREFIX, router, paths: openapi() };
}

function openapi(): OpenApiPaths {
  const tags = ['finance'];
  const security = [{ session: [], csrf: [] }];
  const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });
  const body = (schema: Record<string, unknown>) => ({ required: true, ...json(schema) });
  const ok = (description: string) => ({ description, ...json({ type: 'object' }) });
  const list = (description: string) => ({
    description,
    ...json({ type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array' } } }),
  });
  const sellerParam = {
    name: 'sellerId',
    in: 'query',
    required: false,
    description:
      'The seller whose money to show (default: your own, or the seller you are a FINANCE member of)',
    schema: { type: 'string', format: 'uuid' },
  };
  const idPath = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const statementParams = [
    sellerParam,
    { name: 'currency', in: 'query', schema: { type: 'string', pattern: '^[A-Z]{3}$' } },
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
    { name: 'cursor', in: 'query', schema: { type: 'string' } },
  ];
  const errors = {
    '400': errorResponse('Invalid input'),
    '401': errorResponse('Not signed in'),
    '403': errorResponse(
      'Not the seller or one of its FINANCE members (NOT_SELLER_FINANCE), or MAKER_CHECKER',
    ),
  };
  return {
    '/api/v1/finance/overview': {
      get: {
        summary:
          "A seller's balances per currency (pending, available, on hold, paid out), payout methods (masked), withdrawals and fee rule",
        tags,
        security,
        parameters: [sellerParam],
        responses: { '200': ok('The overview'), ...errors },
      },
    },
    '/api/v1/finance/statement': {
      get: {
        summary: "The seller's ledger lines, newest first, each with its account's running balance",
        tags,
        security,
        parameters: statementParams,
        responses: { '200': list('Statement lines'), ...errors },
      },
    },
    '/api/v1/finance/statement.csv': {
      get: {
        summary: 'The statement as CSV (major units)',
        tags,
        security,
        parameters: statementParams,
        responses: {
          '200': { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
          ...errors,
        },
      },
    },
    '/api/v1/finance/payout-methods': {
      get: {
        summary: "The seller's active payout methods (masked: last 4 digits only)",
        tags,
        security,
        parameters: [sellerParam],
        responses: { '200': list('Payout methods'), ...errors },
      },
      post: {
        summary:
          'Add a bank account or mobile money wallet (usable after the cooling-off period; the seller is emailed)',
        tags,
        security,
        parameters: [sellerParam],
        requestBody: body(jsonSchemaOf(payoutMethodSchema)),
        responses: {
          '201': ok('The method, masked'),
          ...errors,
          '409': errorResponse('PAYOUT_METHOD_DUPLICATE'),
          '422': errorResponse('ACCOUNT_NOT_RESOLVED, UNSUPPORTED_DESTINATION'),
        },
      },
    },
    '/api/v1/finance/payout-methods/{id}': {
      delete: {
        summary: 'Remove a payout method (the seller is emailed)',
        tags,
        security,
        parameters: [idPath],
        responses: {
          '200': ok('The removed method'),
          ...errors,
          '404': errorResponse('PAYOUT_METHOD_NOT_FOUND'),
        },
      },
    },
    '/api/v1/finance/withdrawals': {
      post: {
        summary:
          'Request a withdrawal: holds the amount from the available balance until a platform finance person decides',
        tags,
        security,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: true,
            schema: { type: 'string', minLength: 1, maxLength: 255 },
          },
        ],
        requestBody: body(jsonSchemaOf(withdrawalSchema)),
        responses: {
          '201': ok('Held, REQUESTED'),
          '200': ok('A replay of the same Idempotency-Key and body'),
          ...errors,
          '404': errorResponse('PAYOUT_METHOD_NOT_FOUND'),
          '422': errorResponse(
            'INSUFFICIENT_FUNDS, BALANCE_NEGATIVE, WITHDRAWAL_BELOW_MINIMUM, PAYOUT_METHOD_COOLING_OFF, PAYOUT_METHOD_CURRENCY, IDEMPOTENCY_KEY_REUSED',
          ),
        },
      },
    },
    '/api/v1/finance/withdrawals/{id}': {
      get: {
        summary: "One withdrawal's state",
        tags,
        security,
        parameters: [idPath],
        responses: { '200': ok('The withdrawal'), ...errors, '404': errorResponse('WITHDRAWAL_NOT_FOUND') },
      },
    },
    '/api/v1/finance/fees': {
      get: {
        summary:
          "The platform's fee rule: basis points of each payment plus a fixed amount per ticket per currency",
        tags,
        security,
        responses: { '200': ok('{ basisPoints, perTicketMinor }'), '401': errorResponse('Not signed in') },
      },
    },
    '/api/v1/finance/admin/withdrawals': {
      get: {
        summary:
          'Platform finance: withdrawals waiting for a decision (view=queue) or decided (view=history)',
        tags,
        security,
        parameters: [{ name: 'view', in: 'query', schema: { type: 'string', enum: ['queue', 'history'] } }],
        responses: { '200': list('Withdrawals'), ...errors },
      },
    },
    '/api/v1/finance/admin/withdrawals/{id}': {
      get: {
        summary:
          "Platform finance: a withdrawal with the seller's balances and history, the method's age and the transfer fee",
        tags,
        security,
        parameters: [idPath],
        responses: {
          '200': ok('The approval view'),
          ...errors,
          '404': errorResponse('WITHDRAWAL_NOT_FOUND'),
        },
      },
    },
    '/api/v1/finance/admin/withdrawals/{id}/approve': {
      post: {
        summary:
          'Platform finance: approve (never your own request, nor one of a seller you act for); the transfer is sent',
        tags,
        security,
        parameters: [idPath],
        responses: {
          '200': ok('APPROVED'),
          ...errors,
          '404': errorResponse('WITHDRAWAL_NOT_FOUND'),
          '409': errorResponse('WITHDRAWAL_NOT_PENDING'),
        },
      },
    },
    '/api/v1/finance/admin/withdrawals/{id}/reject': {
      post: {
        summary: 'Platform finance: reject with a reason; the held money goes back to available',
        tags,
        security,
        parameters: [idPath],
        requestBody: body(jsonSchemaOf(rejectSchema)),
        responses: {
          '200': ok('REJECTED'),
          ...errors,
          '404': errorResponse('WITHDRAWAL_NOT_FOUND'),
          '409': errorResponse('WITHDRAWAL_NOT_PENDING'),
        },
      },
    },
    '/api/v1/finance/admin/reconciliation': {
      get: {
        summary: 'Platform finance: differences found by reconciliation (open only unless open=false)',
        tags,
        security,
        parameters: [{ name: 'open', in: 'query', schema: { type: 'string', enum: ['true', 'false'] } }],
        responses: { '200': list('Differences'), ...errors },
      },
    },
    '/api/v1/finance/admin/reconciliation/{id}/resolve': {
      post: {
        summary: 'Platform finance: mark a difference resolved, with what was done',
        tags,
        security,
        parameters: [idPath],
        requestBody: body(jsonSchemaOf(resolveSchema)),
        responses: {
          '204': { description: 'Resolved' },
          ...errors,
          '404': errorResponse('DIFFERENCE_NOT_FOUND'),
        },
      },
    },
  };
}
