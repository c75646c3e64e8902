import crypto from 'node:crypto';
import type { Clock } from '../clock';

/**
 * A domain event as it travels: ids and a few facts, never whole objects. `id` doubles as
 * the AMQP message id and the consumers' de-duplication key.
 */
export interface DomainEvent<P extends object = Record<string, unknown>> {
  id: string;
  name: string;
  occurredAt: string;
  version: number;
  payload: P;
}

export function createEvent<P extends object>(
  name: string,
  payload: P,
  clock: Clock,
  version = 1,
): DomainEvent<P> {
  return { id: crypto.randomUUID(), name, occurredAt: clock.now().toISOString(), version, payload };
}
