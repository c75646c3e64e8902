import { createClient } from 'redis';

function makeClient(url: string, name: string) {
  return createClient({
    url,
    name,
    // While disconnected, commands fail at once (ClientOfflineError) instead of queueing until
    // Redis is back: a request then answers 503 in milliseconds rather than hanging.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  });
}

export type RedisClient = ReturnType<typeof makeClient>;

/**
 * The one way to make a Redis client (node-redis). Sessions, rate limits, live counters and
 * the Socket.io adapter all use clients made here. Reconnects with capped back-off forever:
 * a Redis restart must not take the process down.
 */
export async function createRedis(url: string, name = 'main'): Promise<RedisClient> {
  const client = makeClient(url, name);
  // Errors surface through commands and /ready; an unhandled 'error' event would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
