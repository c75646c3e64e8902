import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { ordersApi, ordersPages } from './orders.routes';
import type { OrdersService } from './orders.service';

/**
 * Orders module: a seller's view of a campaign's bookings and attendees, their CSV export, a
 * single refund and a ticket resend. An orchestration over other modules' public APIs; it owns
 * no tables.
 */
export { createOrdersService, type OrdersService, type OrderRow } from './orders.service';
export { csvCell, toCsv } from './orders.csv';

export function ordersWebModule(platform: Platform, service: OrdersService): WebModule {
  return { name: 'orders', api: [ordersApi(platform, service)], pages: ordersPages(service) };
}
