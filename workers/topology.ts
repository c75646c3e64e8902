import { PaymentQueues } from './payments/queues';
import { topologyOf, type QueueTopology } from '../src/shared/messaging/topology';
import { EmailQueues } from './email/handler';
import { FinanceQueues } from './finance/handler';
import { PayoutQueues } from './payouts/handler';
import { RealtimeQueues } from './realtime/handler';
import { NotificationQueues } from './realtime/notifications';
import { TicketsQueues } from './tickets/handler';

/**
 * Every worker's consumer queues and their bindings, from the same constants the consumers
 * spread into their specs (so the list cannot drift from them), without building a service,
 * a Flutterwave client or a mailer. The relay declares these before publishing.
 */
export function platformTopology(): QueueTopology[] {
  return topologyOf([
    ...Object.values(TicketsQueues),
    ...Object.values(EmailQueues),
    ...Object.values(PaymentQueues),
    ...Object.values(FinanceQueues),
    ...Object.values(PayoutQueues),
    ...Object.values(RealtimeQueues),
    ...Object.values(NotificationQueues),
  ]);
}
