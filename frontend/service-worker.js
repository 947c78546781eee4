// The app shell, offline. Written to dist/sw.js at build time (vite.config.ts fills in the list of
// files and the version); not used by the development server.
//
// - Install: every file of this build is cached (the shell, its hashed assets, icons, manifest).
// - Pages: network first, so a new release shows at once; offline, the cached shell answers.
// - Files: from the cache, else the network. API, GraphQL, Socket.IO and health are never cached:
//   the app's data lives in IndexedDB (the SDK), and the server's answers must be live.
const VERSION = '__COBALT_VERSION__';
const PRECACHE = __COBALT_PRECACHE__;
const CACHE = `cobalt-shell-${VERSION}`;
const LIVE = /^\/(api|graphql|socket\.io|health)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith('cobalt-shell-') && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put('/index.html', response.clone());
    return response;
  } catch {
    return (await cache.match('/index.html')) ?? Response.error();
  }
}

async function file(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).pathname.startsWith('/assets/')) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || LIVE.test(url.pathname)) return;
  event.respondWith(request.mode === 'navigate' ? page(request) : file(request));
});
