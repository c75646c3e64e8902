/**
 * The gate page's service worker (scope /gate; served from /static/build/gate-sw.js with a
 * Service-Worker-Allowed header). It keeps the app shell so the page opens with no network once
 * it has been opened once:
 *
 * - /gate itself: network first (the server's page has the current CSRF token and campaigns),
 *   the cached copy when the network fails or takes more than 3 s;
 * - the shell files (__SHELL_FILES__ and, when the server has them, __SHELL_OPTIONAL__, listed
 *   by scripts/build-web.mjs): from the cache, which a new build replaces as a whole (the cache
 *   name carries a hash of their contents).
 *
 * API calls are never answered from a cache: the page must know when the server was not
 * reached, to decide offline and say so. Setup links (/gate/enrol/...) go to the network only.
 */

declare const __SHELL_VERSION__: string;
declare const __SHELL_FILES__: string[];
declare const __SHELL_OPTIONAL__: string[];

interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  location: Location;
}
const sw = self as unknown as WorkerScope;

const CACHE = `tikiti-gate-${__SHELL_VERSION__}`;
const PAGE = '/gate';
const PAGE_TIMEOUT_MS = 3000;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(__SHELL_FILES__.map((url) => new Request(url, { cache: 'reload' })));
      for (const url of __SHELL_OPTIONAL__)
        await cache.add(new Request(url, { cache: 'reload' })).catch(() => undefined);
      // The page as this device sees it (its cookies go along); skipped when it is not a
      // 200 (e.g. signed out), and cached at the next successful visit instead.
      const page = await fetch(new Request(PAGE, { cache: 'reload', credentials: 'same-origin' })).catch(
        () => undefined,
      );
      if (page?.ok && !page.redirected) await cache.put(PAGE, page);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith('tikiti-gate-') && name !== CACHE) await caches.delete(name);
      await sw.clients.claim();
    })(),
  );
});

async function pageFromNetwork(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (res) => {
    if (res.ok && !res.redirected) await cache.put(PAGE, res.clone());
    return res;
  });
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), PAGE_TIMEOUT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
  } catch {
    // offline: the cached page below
  }
  const cached = await cache.match(PAGE, { ignoreSearch: true });
  if (cached) return cached;
  return network;
}

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (url.pathname === PAGE && request.mode === 'navigate') {
    event.respondWith(pageFromNetwork(request));
    return;
  }
  if ((__SHELL_FILES__.includes(url.pathname) || __SHELL_OPTIONAL__.includes(url.pathname)) && !url.search) {
    event.respondWith(
      caches
        .open(CACHE)
        .then((c) => c.match(url.pathname))
        .then((hit) => hit ?? fetch(request)),
    );
  }
});
