import crypto from 'node:crypto';
import type { Actor } from '../../src/shared/http/authorize';

let counter = 0;

/** An actor as the auth middleware builds it; services take it as plain data. */
export function actor(roles: Actor['roles'] = ['CUSTOMER'], overrides: Partial<Actor> = {}): Actor {
  counter += 1;
  return {
    userId: crypto.randomUUID(),
    email: `user${counter}-${crypto.randomBytes(3).toString('hex')}@example.com`,
    name: `User ${counter}`,
    roles,
    memberships: [],
    ...overrides,
  };
}

export const sellerActor = (overrides: Partial<Actor> = {}) => actor(['CUSTOMER', 'SELLER'], overrides);
export const adminActor = (overrides: Partial<Actor> = {}) => actor(['CUSTOMER', 'SUPER_ADMIN'], overrides);

const DAY = 86_400_000;

/** A valid campaign body starting `inDays` from `now`. */
export function campaignBody(now: Date, overrides: Record<string, unknown> = {}, inDays = 30) {
  const startsAt = new Date(now.getTime() + inDays * DAY);
  return {
    kind: 'EVENT' as const,
    title: `Afrobeats Night ${crypto.randomBytes(2).toString('hex')}`,
    description: 'Live music all night long.',
    venueName: 'Eko Hall',
    venueAddress: '1 Marina Road',
    city: 'Lagos',
    country: 'NG',
    startsAt,
    endsAt: new Date(startsAt.getTime() + 6 * 3_600_000),
    timezone: 'Africa/Lagos',
    currency: 'NGN',
    tags: ['music'],
    ...overrides,
  };
}

export function ticketTypeBody(overrides: Record<string, unknown> = {}) {
  return { name: 'Regular', priceMinor: 500_000, capacity: 100, ...overrides };
}

/** JSON form of a body (dates as ISO strings) for HTTP calls. */
export function json<T extends Record<string, unknown>>(body: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
}
