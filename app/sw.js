// tabml's service worker: keeps this release's app shell (the page, its WebAssembly, the Web
// Worker's files, the style sheet) and the sample data in a cache of its own, so the app opens and
// works with the network off after one visit.
//
// Network first: online, the app is exactly what the server serves (and the copy is refreshed);
// offline, the last copy is used, and any address of the app opens the page. The API is never
// cached: monitoring events wait in the app's outbox instead. The page registers this script as
// /sw.js?release=<its main script's hashed name>, so each release (Trunk hashes its file names) has
// its own cache; when a new release's worker becomes active, the caches of the others are dropped.
// A new release waits until the tabs of the old one are closed or reloaded: code is never swapped
// under a running page.

const RELEASE = new URL(self.location).searchParams.get('release') || 'unknown';
const CACHE = 'tabml-' + RELEASE;

// Every file the page needs to start: read off the page itself, plus the worker's and the data.
async function shell() {
  const page = await (await fetch('/', { cache: 'no-store' })).text();
  const urls = new Set(['/', '/worker_loader.js', '/worker.js', '/worker_bg.wasm', '/data/datasets.json']);
  const linked = /(?:href|src)="(\/[^"]+)"|from '(\/[^']+)'|module_or_path: '(\/[^']+)'/g;
  for (const match of page.matchAll(linked)) {
    urls.add(match[1] || match[2] || match[3]);
  }
  try {
    const samples = await (await fetch('/data/datasets.json', { cache: 'no-store' })).json();
    for (const sample of samples) urls.add('/data/' + sample.file);
  } catch (error) {
    // Without the list, the samples are cached as they are opened.
  }
  return [...urls];
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(await shell());
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('tabml-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) {
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (response.ok && response.type === 'basic') {
        await cache.put(request.mode === 'navigate' ? '/' : request, response.clone());
      }
      return response;
    } catch (error) {
      const cached = await cache.match(request.mode === 'navigate' ? '/' : request);
      if (cached) return cached;
      throw error;
    }
  })());
});
