// The console's service worker: after one visit the page opens with no network, from the shell it keeps (the page,
// every module, the styles, the map library, the icons) and the last answer to each GET the page read. Online,
// everything comes from the server first (a new console or new data is never held back by the copy); the copy
// answers only when the network does not. Writes are never touched: offline they fail as before and wait in the
// page's own queue (api.js). The websocket is not touched either: with no network it stays closed and the page
// shows the offline banner, read-only.

const SHELL = "pz-shell-v1";
// The last data each GET read; app.js deletes it when someone signs out (the same name there).
const DATA = "pz-data";

// The page names everything it loads (modules, styles, scripts, icons): keep all of it, and the manifest.
async function keepShell() {
  const cache = await caches.open(SHELL);
  const page = await fetch("./", { cache: "no-cache" });
  if (!page.ok) return;
  const html = await page.clone().text();
  await cache.put("./", page);
  const named = [...html.matchAll(/\b(?:href|src)="([^"#:]+)"/g)].map((m) => m[1]);
  // One missing file (a vendor file not there yet) must not leave the rest unkept.
  await Promise.allSettled([...new Set([...named, "manifest.webmanifest"])].map((path) => cache.add(path)));
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (![SHELL, DATA].includes(name)) await caches.delete(name);
    // The page that registered this worker is served by it from now on, not only after its next load.
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // The API docs are no part of the console.
  if (url.pathname.startsWith("/docs") || url.pathname.startsWith("/redoc") || url.pathname === "/openapi.json") return;
  // Nor is the residents' page (a building's QR link, /r/{code}, on a cadre's phone too): offline it must never
  // be answered with the console's shell, and its public answers are not kept in the console's data.
  if (/^\/(r\/|resident\.|api\/v1\/public\/)/.test(url.pathname)) return;
  event.respondWith(networkFirst(request, url.pathname.startsWith("/api/") ? DATA : SHELL));
});

async function networkFirst(request, name) {
  try {
    const response = await fetch(request);
    // Data only as JSON (not a CSV, a workbook or a photo), and only what was answered in full.
    const json = (response.headers.get("content-type") || "").includes("json");
    if (response.status === 200 && (name === SHELL || json)) {
      const copy = response.clone();
      caches.open(name).then((cache) => cache.put(request, copy)).catch(() => {});
    }
    return response;
  } catch (err) {
    const kept = (await caches.match(request)) || (request.mode === "navigate" ? await caches.match("./") : undefined);
    if (kept) return marked(kept);
    throw err;
  }
}

// A kept copy says so (X-Pingzhan-Kept): the page does not take it for the network being back (api.js).
function marked(kept) {
  const headers = new Headers(kept.headers);
  headers.set("X-Pingzhan-Kept", "1");
  return new Response(kept.body, { status: kept.status, statusText: kept.statusText, headers });
}
