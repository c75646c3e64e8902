import crypto from 'node:crypto';
import type { Request } from 'express';
import type { Db } from '../../shared/db';
import type { RedisClient } from '../../shared/redis';
import { utcToZoned } from '../../shared/zoned-time';
import * as repo from './campaigns.repository';

/*
 * Page views counted as distinct visitors per campaign per day, in a Redis HyperLogLog
 * (PFADD: O(1), 12 KB at most per key, ~0.8% error) so a page view costs no database write.
 * The scheduler copies the day's counts into campaign_daily_views; a lost Redis only loses
 * the counts not yet copied, never bookings or stock.
 */

const keyOf = (prefix: string, campaignId: string, day: string) => `${prefix}views:${campaignId}:${day}`;

export function visitorKey(
  sessionId: string | undefined,
  ip: string | undefined,
  userAgent: string | undefined,
): string {
  return crypto
    .createHash('sha256')
    .update(sessionId ?? `${ip ?? ''}|${userAgent ?? ''}`)
    .digest('base64url')
    .slice(0, 16);
}

/** The calendar day of `now` in the campaign's zone: views are counted per day as the seller lives it. */
const dayIn = (now: Date, timeZone: string) => utcToZoned(now, timeZone).slice(0, 10);

/** Counts one visitor for today in the campaign's zone (idempotent per visitor and day). Never throws. */
export async function recordView(
  redis: RedisClient,
  prefix: string,
  campaign: { id: string; timezone: string },
  visitor: string,
  now: Date,
): Promise<void> {
  const key = keyOf(prefix, campaign.id, dayIn(now, campaign.timezone));
  try {
    await redis
      .multi()
      .pfAdd(key, visitor)
      .expire(key, 3 * 86_400)
      .exec();
  } catch {
    // Counting views must never fail a page.
  }
}

/** Counts the visitor behind an HTTP request (session, else IP and user agent); fire and forget. */
export function recordVisit(
  redis: RedisClient,
  prefix: string,
  campaign: { id: string; timezone: string },
  req: Pick<Request, 'sessionID' | 'ip' | 'get'>,
  now: Date,
): void {
  void recordView(redis, prefix, campaign, visitorKey(req.sessionID, req.ip, req.get('user-agent')), now);
}

/** Copies every campaign's per-day counts still in Redis into PostgreSQL. Returns keys copied. */
export async function flushViews(redis: RedisClient, prefix: string, prisma: Db): Promise<number> {
  let copied = 0;
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}views:*`, COUNT: 200 })) {
    for (const key of keys) {
      const [campaignId, day] = key.slice(`${prefix}views:`.length).split(':');
      if (!campaignId || !day) continue;
      const count = await redis.pfCount(key);
      await repo.upsertDailyViews(prisma, campaignId, day, count);
      copied++;
    }
  }
  return copied;
}

/** Views per day in the campaign's zone: stored days plus today's live count from Redis. */
export async function viewsByDay(
  redis: RedisClient,
  prefix: string,
  prisma: Db,
  campaignId: string,
  now: Date,
  timeZone: string,
) {
  const stored = await repo.dailyViews(prisma, campaignId);
  const today = dayIn(now, timeZone);
  const live = await redis.pfCount(keyOf(prefix, campaignId, today)).catch(() => 0);
  const byDay = new Map(stored.map((d) => [d.day, d.views]));
  byDay.set(today, Math.max(byDay.get(today) ?? 0, live));
  return [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, views]) => ({ day, views }));
}
