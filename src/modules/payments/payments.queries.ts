import type { Actor } from '../../shared/http/authorize';
import { isAdmin } from '../../shared/http/authorize';
import type { PaymentsDeps } from './payments.deps';
import { PaymentErrors } from './payments.errors';
import * as repo from './payments.repository';
import type { PaymentRecord, RefundRecord } from './payments.types';

/** Reads of payments and refunds for their pages and API (no provider call, no transaction). */
export function createPaymentQueries({ prisma }: Pick<PaymentsDeps, 'prisma'>) {
  return {
    /** A payment for its buyer or an admin; 404 for anyone else. */
    async getPaymentForActor(
      actor: Actor,
      paymentId: string,
    ): Promise<{ payment: PaymentRecord; refunds: RefundRecord[] }> {
      const p = await repo.findPayment(prisma, paymentId);
      if (!p || !(p.userId === actor.userId || isAdmin(actor))) throw PaymentErrors.paymentNotFound();
      return { payment: p, refunds: await repo.listPaymentRefunds(prisma, p.id) };
    },

    /** A refund for its buyer or an admin; 404 for anyone else. */
    async getRefundForActor(actor: Actor, refundId: string): Promise<RefundRecord> {
      const r = await repo.findRefund(prisma, refundId);
      if (!r || !(r.userId === actor.userId || isAdmin(actor))) throw PaymentErrors.refundNotFound();
      return r;
    },

    /** A booking's payment attempts and refunds, newest first (for its pages). */
    async listBookingPayments(
      bookingId: string,
    ): Promise<{ payments: PaymentRecord[]; refunds: RefundRecord[] }> {
      const [payments, refunds] = await Promise.all([
        repo.listBookingPayments(prisma, bookingId),
        repo.listBookingRefunds(prisma, bookingId),
      ]);
      return { payments, refunds };
    },
  };
}
