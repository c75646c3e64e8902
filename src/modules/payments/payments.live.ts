import type { Server } from 'socket.io';
import { TX_REF_PATTERN } from './payments.checkout';
import type { PaymentsService } from './payments.service';

/*
 * Live payment state for the callback page. The page joins the room of its payment's tx_ref
 * (128 random bits, known only to the buyer's browser and Flutterwave), so no one can listen to
 * another buyer's payment, and what is sent is only the public state ("confirmed"…), never
 * amounts, names or ids. The payments worker (workers/payments, paymentLiveConsumer) sends every
 * change to the room as the ABSOLUTE current state read from PostgreSQL: a lost or reordered
 * message is healed by the next one or by a reload.
 */

export const PAYMENT_STATUS_EVENT = 'payment:status';
export const paymentRoomOf = (txRef: string) => `payment:${txRef}`;

/** Web side: `payment:join` with a tx_ref joins its room and answers the current state at once. */
export function registerPaymentSockets(io: Server, service: PaymentsService): void {
  io.on('connection', (socket) => {
    socket.on('payment:join', async (txRef: unknown, ack?: (r: { ok: boolean }) => void) => {
      if (typeof txRef !== 'string' || !TX_REF_PATTERN.test(txRef)) return ack?.({ ok: false });
      const view = await service.getPaymentStatus(txRef).catch(() => null);
      if (!view) return ack?.({ ok: false });
      await socket.join(paymentRoomOf(txRef));
      socket.emit(PAYMENT_STATUS_EVENT, view);
      ack?.({ ok: true });
    });
  });
}
