import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { actorOf, requireOwnRole, requireSignIn } from '../../shared/http/authorize';
import { parseInput } from '../../shared/http/schema';
import { flash } from '../../shared/http/session';
import {
  formatMoney,
  fromMajor,
  minorUnitExponent,
  MoneyError,
  SUPPORTED_CURRENCIES,
} from '../../shared/money';
import { countryOptions, PAYOUT_COUNTRIES, sellerCountries } from '../../shared/markets';
import type { Platform } from '../../shared/platform';
import { getUserSummaries } from '../auth';
import { renderPage } from '../../web/views';
import { approvalViewDto, differenceDto, overviewDto, statementLineDto, withdrawalDto } from './finance.dto';
import { MOBILE_MONEY_OPERATORS, newMethodOf } from './finance.routes';
import { idParam, payoutMethodSchema, rejectSchema, sellerQuery, withdrawalSchema } from './finance.schemas';
import type { FinanceService } from './finance.service';

export const SELLER_FINANCE_PAGE = '/finance';
export const PLATFORM_FINANCE_PAGE = '/admin/finance';

/** Money for people, exact (no float): "NGN 1,500.50". */
const money = (minor: number, currency: string) => formatMoney(minor, currency);

/** The form's text fields only (a repeated field arrives as an array and is refused by the schema). */
function formFields(req: Request): Record<string, unknown> {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const { _csrf: _c, ...rest } = b;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== ''));
}

/** A major-unit amount typed by a person ("1,500.50") in minor units, or a 400. */
function amountFromForm(value: unknown, currency: string): number {
  if (typeof value !== 'string')
    throw AppError.validation('Enter an amount', [{ field: 'amount', message: 'required' }]);
  try {
    return fromMajor(value.replace(/[,\s]/g, ''), currency);
  } catch (err) {
    if (!(err instanceof MoneyError)) throw err;
    const digits = minorUnitExponent(currency);
    throw AppError.validation(`Enter the amount in ${currency} with at most ${digits} decimal place(s)`, [
      { field: 'amount', message: 'not an amount' },
    ]);
  }
}

/** The forms' labels, so that a refusal names what the person sees, never a field name. */
const FIELD_LABELS: Record<string, string> = {
  type: 'Kind of payout method',
  country: 'Country',
  currency: 'Currency',
  bankCode: 'Bank',
  bankName: 'Bank name',
  accountNumber: 'Account number',
  accountName: "Account holder's name",
  branchCode: 'Branch code',
  operator: 'Operator',
  phoneNumber: 'Wallet number',
  beneficiaryName: 'Name on the wallet',
  mpesa: 'M-Pesa sender',
  'mpesa.sender': "Sender's full name",
  'mpesa.senderCountry': "Sender's country",
  'mpesa.mobileNumber': "Sender's mobile number",
  amount: 'Amount',
  amountMinor: 'Amount',
  methodId: 'Pay to',
  idempotencyKey: 'The form',
  reason: 'Reason',
};

/** Runs a form's action; success or a refusal (400/404/409/422) becomes a flash message and a redirect. */
async function formAction(
  req: Request,
  res: Response,
  back: string,
  action: () => Promise<string>,
): Promise<void> {
  try {
    flash(req, 'success', await action());
  } catch (err) {
    // Authorization failures keep their error page; only business refusals become a message.
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403)
      throw err;
    const detail = err.details
      .filter((d) => d.field)
      .map((d) => `${FIELD_LABELS[d.field!] ?? 'A field'}: ${d.message}`);
    flash(
      req,
      'error',
      detail.length && err.status === 400 ? `Check the form. ${detail.join('. ')}.` : err.message,
    );
  }
  res.redirect(303, back);
}

/**
 * The finance pages. Sellers and their FINANCE members: balances, statement, payout methods and
 * withdrawals (/finance). Platform finance: the approval queue, history and reconciliation
 * differences (/admin/finance), and one withdrawal's approval view. Forms post here with the
 * session's CSRF token and go through the same schemas and service as the JSON API.
 */
export function financePages(platform: Platform, service: FinanceService): Router {
  const router = Router();
  const { clock } = platform;
  const platformFinance = requireOwnRole('PLATFORM_FINANCE');
  /** Who the ids are, for the people deciding: name and email per user id. */
  const peopleOf = async (ids: string[]) =>
    Object.fromEntries(
      (await getUserSummaries(platform.prisma, ids)).map((u) => [u.id, { name: u.name, email: u.email }]),
    );
  const sellerPage = (sellerId: string | undefined) =>
    sellerId ? `${SELLER_FINANCE_PAGE}?sellerId=${encodeURIComponent(sellerId)}` : SELLER_FINANCE_PAGE;

  router.get(SELLER_FINANCE_PAGE, requireSignIn(), async (req, res) => {
    const actor = actorOf(req);
    const q = parseInput('query', sellerQuery, req.query);
    const sellers = service.sellersOf(actor);
    if (!sellers.length)
      throw AppError.forbidden(
        'NOT_SELLER_FINANCE',
        'Only sellers and their finance team members have a finance page',
      );
    const overview = await service.getSellerOverview(actor, q.sellerId);
    const statement = await service.getStatement(actor, { sellerId: overview.sellerId, limit: 100 });
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'finance/seller', {
      title: 'Finance',
      o: overviewDto(overview, clock.now()),
      sellers,
      statement: statement.map(statementLineDto),
      currencies: SUPPORTED_CURRENCIES,
      idempotencyKey: crypto.randomUUID(),
      selfSeller: overview.sellerId === actor.userId,
      operators: MOBILE_MONEY_OPERATORS,
      payoutCountries: {
        BANK_ACCOUNT: countryOptions(PAYOUT_COUNTRIES.BANK_ACCOUNT),
        MOBILE_MONEY: countryOptions(PAYOUT_COUNTRIES.MOBILE_MONEY),
      },
      senderCountries: sellerCountries(),
      money,
    });
  });

  router.post(`${SELLER_FINANCE_PAGE}/payout-methods`, requireSignIn(), async (req, res) => {
    const q = parseInput('query', sellerQuery, req.query);
    await formAction(req, res, sellerPage(q.sellerId), async () => {
      const fields = formFields(req);
      if (
        fields.type === 'MOBILE_MONEY' &&
        fields.operator &&
        String(fields.operator).toUpperCase() === 'MPS'
      ) {
        fields.mpesa = {
          sender: fields.mpesaSender,
          senderCountry: fields.mpesaSenderCountry,
          mobileNumber: fields.mpesaMobileNumber,
        };
      }
      for (const k of ['mpesaSender', 'mpesaSenderCountry', 'mpesaMobileNumber']) delete fields[k];
      const body = parseInput('body', payoutMethodSchema, fields);
      const m = await service.addPayoutMethod(actorOf(req), newMethodOf(body), q.sellerId);
      return `Payout method ${m.providerName} •••• ${m.last4} added. It can receive withdrawals from ${m.usableFrom.toISOString().slice(0, 16).replace('T', ' ')} UTC.`;
    });
  });

  router.post(`${SELLER_FINANCE_PAGE}/payout-methods/:id/remove`, requireSignIn(), async (req, res) => {
    const q = parseInput('query', sellerQuery, req.query);
    await formAction(req, res, sellerPage(q.sellerId), async () => {
      const { id } = parseInput('params', idParam, req.params);
      const m = await service.removePayoutMethod(actorOf(req), id);
      return `Payout method •••• ${m.last4} removed.`;
    });
  });

  router.post(`${SELLER_FINANCE_PAGE}/withdrawals`, requireSignIn(), async (req, res) => {
    const q = parseInput('query', sellerQuery, req.query);
    await formAction(req, res, sellerPage(q.sellerId), async () => {
      const f = formFields(req);
      // The currency is the chosen method's: the form only names the method.
      const methods = await service.listPayoutMethods(actorOf(req), q.sellerId);
      const method = methods.find((m) => m.id === f.methodId);
      if (!method)
        throw AppError.validation('Choose a payout method', [{ field: 'methodId', message: 'required' }]);
      const currency = method.currency;
      const key =
        typeof f.idempotencyKey === 'string' && /^[\x21-\x7e]{1,255}$/.test(f.idempotencyKey)
          ? f.idempotencyKey
          : null;
      if (!key)
        throw AppError.validation('Reload the page and try again', [
          { field: 'idempotencyKey', message: 'missing' },
        ]);
      const body = parseInput('body', withdrawalSchema, {
        amountMinor: amountFromForm(f.amount, currency),
        currency,
        methodId: f.methodId,
      });
      const r = await service.requestWithdrawal(actorOf(req), key, body);
      return r.replayed
        ? `That withdrawal was already requested (${r.withdrawal.status}).`
        : `Withdrawal of ${money(r.withdrawal.amountMinor, r.withdrawal.currency)} requested: it waits for approval by the platform's finance team.`;
    });
  });

  router.get(PLATFORM_FINANCE_PAGE, platformFinance, async (req, res) => {
    const [queue, history, differences] = await Promise.all([
      service.listApprovalQueue(),
      service.listWithdrawalHistory(50),
      service.listReconciliationDifferences({ open: true, limit: 100 }),
    ]);
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'finance/platform', {
      title: 'Payouts',
      people: await peopleOf([...queue, ...history].flatMap((w) => [w.sellerId, w.requestedBy])),
      queue: queue.map(withdrawalDto),
      history: history.map(withdrawalDto),
      differences: differences.map(differenceDto),
      me: actorOf(req).userId,
      money,
    });
  });

  router.get(`${PLATFORM_FINANCE_PAGE}/withdrawals/:id`, platformFinance, async (req, res) => {
    const { id } = parseInput('params', idParam, req.params);
    const view = approvalViewDto(await service.getApprovalView(id), clock.now());
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'finance/approval', {
      title: 'Withdrawal',
      people: await peopleOf([view.withdrawal.sellerId, view.withdrawal.requestedBy]),
      v: view,
      mine: view.withdrawal.requestedBy === actorOf(req).userId,
      money,
    });
  });

  router.post(`${PLATFORM_FINANCE_PAGE}/withdrawals/:id/approve`, platformFinance, async (req, res) => {
    const { id } = parseInput('params', idParam, req.params);
    await formAction(req, res, PLATFORM_FINANCE_PAGE, async () => {
      const w = await service.approveWithdrawal(actorOf(req), id);
      return `Approved ${money(w.amountMinor, w.currency)}: the transfer is being sent.`;
    });
  });

  router.post(`${PLATFORM_FINANCE_PAGE}/withdrawals/:id/reject`, platformFinance, async (req, res) => {
    const { id } = parseInput('params', idParam, req.params);
    await formAction(req, res, PLATFORM_FINANCE_PAGE, async () => {
      const { reason } = parseInput('body', rejectSchema, formFields(req));
      const w = await service.rejectWithdrawal(actorOf(req), id, reason);
      return `Rejected ${money(w.amountMinor, w.currency)}; the seller's money is available again.`;
    });
  });

  return router;
}
