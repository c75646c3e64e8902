import type { Server } from 'socket.io';
import type { ConsumerSpec } from '../../shared/messaging/consumer';
import type { Platform } from '../../shared/platform';
import { createEmitter } from '../../shared/realtime';
import { PaymentEvents } from './payments.events';
import { TX_REF_PATTERN, type PaymentsService } from './payments.service';

/*
 * Live payment state for the callback page. The page joins the room of its payment's tx_ref
 * (128 random bits, known only to the buyer's browser and Flutterwave), so no one can listen to
 * another buyer's payment, and what is sent is only the public state ("confirmed"…), never
 * amounts, names or ids. Like the counters, every message is the ABSOLUTE current state read
 * from PostgreSQL: a lost or reordered message is healed by the next one or by a reload.
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

/** Every event that moves a payment or its refund (the payments.live queue's bindings). */
export const PAYMENT_LIVE_EVENTS = [
  PaymentEvents.succeeded,
  PaymentEvents.failed,
  PaymentEvents.flagged,
  PaymentEvents.refundRequested,
  PaymentEvents.refundCompleted,
  PaymentEvents.refundFailed,
] as const;

/** Worker side: every event that moves a payment or its refund → its state, to its room (Redis emitter). */
export function paymentLiveConsumer(
  platform: Platform,
  service: PaymentsService,
): ConsumerSpec<{ txRef?: string }> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);
  return {
    name: 'payments.live',
    events: PAYMENT_LIVE_EVENTS,
    concurrency: 2,
    async handle(event, { tx }) {
      const txRef = event.payload.txRef;
      if (!txRef) return;
      const view = await service.getPaymentStatus(txRef, tx);
      if (view) emitter.to(paymentRoomOf(txRef)).emit(PAYMENT_STATUS_EVENT, view);
    },
  };
}
