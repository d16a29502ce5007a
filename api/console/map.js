// Maps on Leaflet (api/console/vendor/leaflet, shipped with the package; the global L is loaded by index.html
// before the modules): the community's (needs, units, each dispatch's route along the roads, closed roads), the
// street's (every community's needs and the pool's units) and the place picker of the pool editor. The base
// layer is the operator's tiles (`pingzhan serve --tiles`), or with none the community's own roads and street
// names, drawn here with no internet: grid maps on a plane (L.CRS.Simple), OSM maps by longitude and latitude.
//
// For other modules:
//   mapFigure(id) / streetMapFigure(): a place in a view's HTML where the map `id` is shown. The map itself (a
//     Leaflet map with its zoom and pan) lives on across redraws: drawMap() moves it into the new place.
//   withMap(html): the emergency view's lists with the map beside them (desktop) or one tap away (phone).
//   pinButton("need" | "unit" | "dispatch", id): the "在地图上看" button of a card; mark the card itself with
//     data-pin="need:<id>" (or unit:, dispatch:) so a tapped pin finds it.
//   pickOnMap(onPick, id = "map"): the next taps on map `id` pick places: onPick({ node, name }) with the node
//     nearest the tap and its name ("" where the map has none: never the node id); the picked place is ringed
//     and labelled. Returns a function that stops picking. A view that redraws calls it again.
//   draw(slot, m, scene, pick): draws `scene` on the map data `m` (GET /communities/{c}/map) in a map kept in
//     the element `slot` (the pool editor's dialog); scene: { needs: [{ key, at, priority, label }],
//     units: [{ key, at, sent, label }], routes: [{ key, path: [[x, y]], sent, label }], mark: node }.
import { state } from "./state.js";
import { T, t, cap } from "./i18n.js";
import { esc } from "./dom.js";
import { api } from "./api.js";
import { LIFE_SAFETY } from "./priority.js";

const COLOUR = { red: "#b00020", blue: "#0b4f9c", green: "#0a6b2d", road: "#8c8c8c" };
// The phone's layout switches at this width, as style.css does.
const DESKTOP = "(min-width: 1024px)";

export function mapFigure(id = "map") {
  const L = T().legend;
  return figure(id, `<span><i class="dot"></i>${L.need}</span><span><i class="sq"></i>${L.resource}</span>
    <span><i class="ln proposed"></i>${L.proposed}</span><span><i class="ln sent"></i>${L.sent}</span>
    <span><i class="ln closed"></i>${L.closed}</span>`);
}

export function streetMapFigure() {
  const L = T().streetLegend;
  return figure("street-map", `<span><i class="dot p5"></i>${L.p5}</span><span><i class="dot p4"></i>${L.p4}</span>
    <span><i class="dot p3"></i>${L.p3}</span><span><i class="sq"></i>${L.free}</span><span><i class="sq sent"></i>${L.sent}</span>`);
}

function figure(id, legend) {
  return `<figure class="mapbox"><div class="map-slot" data-map-slot="${id}"></div>
    <figcaption class="legend">${legend}</figcaption></figure>`;
}

// The emergency view (and the street's inbox): on a desktop the lists left and the map right, in sight as the
// lists scroll; on a phone a 地图 button at the top opens the map over the whole screen, with a big 返回列表 to
// come back. `id`, `title` and `figure`: the map shown (the community's by default).
let mapOpen = false;
export function withMap(html, { id = "map", title = t("map"), figure = mapFigure() } = {}) {
  return `<div class="map-toggle"><button type="button" class="big" data-map-open="1" data-testid="map-open">${t("mapShow")}</button></div>
    <div class="split${mapOpen ? " map-open" : ""}" data-split="${id}" data-testid="split"><div class="lists">${html}</div>
    <section class="map-panel"><div class="map-back"><button type="button" class="primary big" data-map-open="" data-testid="map-back">${t("mapBack")}</button></div>
    <h2>${esc(title)}</h2>${figure}</section></div>`;
}

function showMapPanel(open) {
  mapOpen = open;
  const split = document.querySelector(".split");
  if (split) split.classList.toggle("map-open", open);
  const v = split && views[split.dataset.split];
  if (v) {
    v.map.invalidateSize();
    fit(v);
    declutter(v);
  }
  if (!open) window.scrollTo(0, 0);
}

export function pinButton(kind, id) {
  return `<button type="button" class="quiet small" data-show-pin="${esc(`${kind}:${id}`)}" data-testid="show-pin-${esc(kind)}-${esc(id)}">${t("onMap")}</button>`;
}

// The buttons above, wherever a view draws them: one listener for the page, as views are redrawn all the time.
document.addEventListener("click", (e) => {
  const toggle = e.target.closest && e.target.closest("[data-map-open]");
  if (toggle) showMapPanel(Boolean(toggle.dataset.mapOpen));
  const show = e.target.closest && e.target.closest("[data-show-pin]");
  if (show) showPin(show.dataset.showPin);
});

// A need's colour, by priority (as its badge).
const needClass = (p) => (p >= LIFE_SAFETY ? "p5" : p === 4 ? "p4" : "p3");

// The maps shown, by id: each a Leaflet map on an element kept across redraws.
const views = {};
const pickers = {};

// The community's map, and the street's, from what the page last read.
export function drawMap() {
  const d = state.data;
  keepLit();
  const streetSlot = slotFor("street-map");
  if (streetSlot && d.streetMap) draw(streetSlot, d.streetMap, streetScene(d));
  const slot = slotFor("map");
  if (!slot || !d.map) return;
  const needs = Object.fromEntries((d.needs || []).map((n) => [n.id, n]));
  const res = Object.fromEntries((d.resources || []).map((r) => [r.id, r]));
  const sent = new Set((d.dispatches || []).filter((x) => x.status !== "proposed").map((x) => x.resource));
  const byDispatch = Object.fromEntries((d.dispatches || []).map((x) => [x.id, x]));
  const scene = {
    units: (d.resources || []).map((r) => ({ key: `unit:${r.id}`, at: r.location, sent: sent.has(r.id),
      label: words(r.name || cap(r.capability), place(d.map, r.location, r)) })),
    needs: (d.needs || []).filter((n) => n.status === "open").map((n) => ({ key: `need:${n.id}`, at: n.location, priority: n.priority,
      label: words(`${cap(n.capability)} × ${n.quantity}`, place(d.map, n.location, n), `${n.priority} ${T().priorities[n.priority] || ""}`) })),
    routes: routesFor(`/communities/${state.community}`, d.map, (d.dispatches || []).map((x) => [x.id, x.status, x.resource]), byDispatch, (x) => {
      const n = needs[x.need];
      const r = res[x.resource];
      return `${(r && r.name) || x.resource_name || ""} → ${n ? cap(x.part || n.capability) : ""}`;
    }),
    mark: state.me.role === "grid_worker" ? state.report.location : null,
  };
  draw(slot, d.map, scene);
}

export function pickOnMap(onPick, id = "map") {
  pickers[id] = onPick;
  return () => { if (pickers[id] === onPick) delete pickers[id]; };
}

// A place by its name: the one the server gave a need or a unit (`place`), else the map's name for the node
// (GET /map's `names`); "" if neither knows it, never the node id.
function place(m, node, x) {
  const p = x && x.place;
  const named = p && (typeof p === "string" ? p : p.name);
  return named || (m.names && m.names[node]) || "";
}

// A pin's name: its parts that are known, joined as the cards join them.
const words = (...parts) => parts.filter(Boolean).join(" · ");

// The street's map: every community's open needs by priority, the pool's units free or sent, and each sent unit's
// route along the roads to the need it serves.
function streetScene(d) {
  const scene = { units: [], needs: [], routes: [] };
  for (const o of d.pool || []) {
    for (const r of o.resources) {
      scene.units.push({ key: `unit:${o.home}/${r.id}`, at: r.location, sent: r.sent > 0,
        label: words(o.organisation.name, r.name || cap(r.capability), place(d.streetMap, r.location, r)) });
    }
  }
  for (const [c, list] of Object.entries(d.streetNeeds || {})) {
    for (const n of list || []) {
      if (n.status === "open") {
        scene.needs.push({ key: `need:${c}/${n.id}`, at: n.location, priority: n.priority,
          label: words((state.me.community_names || {})[c], `${cap(n.capability)} × ${n.quantity}`, place(d.streetMap, n.location, n)) });
      }
    }
    const jobs = (d.pool || []).flatMap((o) => o.resources.flatMap((r) => r.jobs.filter((j) => j.community === c).map((j) => [r.id, j.need, r.sent])));
    scene.routes.push(...routesFor(`/communities/${c}`, d.streetMap, jobs, {}, () => ""));
  }
  return scene;
}

// Each dispatch's route along the open roads, as the server last gave it (GET /map/routes); asked again when
// the dispatches, their states or the roads change, and drawn when the answer comes.
const routeCache = {};
function routesFor(base, m, signature, dispatches, label) {
  const key = JSON.stringify([m && m.closed, signature]);
  const cached = routeCache[base];
  if (!cached || (cached.key !== key && !cached.loading)) {
    routeCache[base] = { key, routes: cached ? cached.routes : [], loading: true };
    api("GET", `${base}/map/routes`).then((r) => {
      // No body (an answer cut short by a server restarting): no routes until they are asked again.
      routeCache[base] = { key: r ? key : null, routes: (r && r.routes) || [], loading: false };
      drawMap();
    }, () => { routeCache[base].loading = false; });
  }
  return routeCache[base].routes.map((r) => ({
    key: `dispatch:${r.dispatch}`, path: r.path, sent: r.status !== "proposed",
    label: dispatches[r.dispatch] ? label(dispatches[r.dispatch]) : "",
  }));
}

function slotFor(id) {
  return document.querySelector(`[data-map-slot="${id}"]`);
}

// A point of the map's layout ([x, y], y downwards) as Leaflet's [lat, lng]: the same on a plane and on the
// Earth (x is the longitude, y the negated latitude).
const ll = (p) => [-p[1], p[0]];

// The map kept for `slot`'s id, made anew when the community's map is another one.
function viewFor(slot, m) {
  const id = slot.dataset.mapSlot;
  const shape = `${m.crs}:${Object.keys(m.nodes).length}:${Object.keys(m.nodes)[0]}:${m.tiles ? m.tiles.url : ""}`;
  let v = views[id];
  if (v && v.shape !== shape) {
    v.map.remove();
    v.host.remove();
    v = null;
  }
  if (!v) v = views[id] = makeView(id, m, shape);
  if (v.host.parentElement !== slot) {
    slot.appendChild(v.host);
    v.map.invalidateSize();
  }
  return v;
}

function makeView(id, m, shape) {
  const host = document.createElement("div");
  host.id = id;
  host.className = "map";
  host.dataset.testid = id;
  host.setAttribute("role", "region");
  const plane = m.crs !== "lonlat";
  const map = L.map(host, {
    crs: plane ? L.CRS.Simple : L.CRS.EPSG3857,
    minZoom: plane ? -6 : 3,
    maxZoom: plane ? 10 : 19,
    zoomSnap: 0.25,
    attributionControl: Boolean(m.tiles),
    // Lines drawn only inside the map's box: Leaflet's default margin would stick out past a phone's edge.
    renderer: L.svg({ padding: 0 }),
  });
  if (m.tiles) {
    map.attributionControl.setPrefix("Leaflet");
    L.tileLayer(m.tiles.url, { attribution: esc(m.tiles.attribution), subdomains: m.tiles.subdomains, maxZoom: 19 }).addTo(map);
  }
  // A view from the start, so pins get their elements even while the map is hidden; fit() frames it later.
  map.setView([0, 0], plane ? 0 : 3);
  // Scripts and the browser tests drive the map through Leaflet's own API.
  host.leaflet = map;
  const v = { id, host, map, shape, drawnMap: null, fitted: false,
    roads: L.layerGroup().addTo(map), closed: L.layerGroup().addTo(map), routes: L.layerGroup().addTo(map),
    pins: L.layerGroup().addTo(map), mark: L.layerGroup().addTo(map), markers: {} };
  map.on("zoomend", () => declutter(v));
  map.on("click", (e) => {
    const pick = pickers[id];
    if (!pick || !v.m) return;
    const node = nearest(v.m, e.latlng);
    if (node) pick({ node, name: place(v.m, node) });
  });
  return v;
}

// The node nearest a tap (in metres' proportions on the Earth: a degree of longitude is shorter away from the
// equator).
function nearest(m, at) {
  const squeeze = m.crs === "lonlat" ? Math.cos((at.lat * Math.PI) / 180) : 1;
  let best = null;
  let bestD = Infinity;
  for (const [node, p] of Object.entries(m.nodes)) {
    const d = ((p[0] - at.lng) * squeeze) ** 2 + (-p[1] - at.lat) ** 2;
    if (d < bestD) [best, bestD] = [node, d];
  }
  return best;
}

// Draws `scene` on `m` in the map kept in `slot`. A redraw keeps the reader's zoom and pan: only the first
// drawing of a map fits it to the community.
export function draw(slot, m, scene, pick) {
  const v = viewFor(slot, m);
  v.m = m;
  if (pick) pickers[v.id] = pick;
  const nodes = m.nodes;
  // The roads again for another map, or another language (the closed roads' labels).
  if (v.drawnMap !== m || v.lang !== state.lang) {
    drawRoads(v, m);
    v.host.setAttribute("aria-label", t("map"));
    [v.drawnMap, v.lang] = [m, state.lang];
  }
  fit(v);
  v.routes.clearLayers();
  for (const r of scene.routes || []) {
    if (r.path.length < 2) continue;
    const line = L.polyline(r.path.map(ll), {
      color: r.sent ? COLOUR.green : COLOUR.blue, weight: 5, opacity: 0.85,
      dashArray: r.sent ? null : "8 8", className: `route ${r.sent ? "sent" : "proposed"}`,
    });
    if (r.label) line.bindTooltip(esc(r.label), { sticky: true });
    line.pinKey = r.key;
    line.on("click", () => openCard(r.key));
    line.addTo(v.routes);
  }
  syncPins(v, [
    ...(scene.units || []).map((u) => ({ ...u, className: `pin unit${u.sent ? " sent" : ""}`, text: "" })),
    ...(scene.needs || []).map((n) => ({ ...n, className: `pin need ${needClass(n.priority)}`, text: String(n.priority) })),
  ].filter((x) => nodes[x.at]));
  v.mark.clearLayers();
  if (scene.mark && nodes[scene.mark]) {
    const ring = L.circleMarker(ll(nodes[scene.mark]), { radius: 14, color: "#000", weight: 3, fill: false, className: "picked" });
    const name = place(m, scene.mark);
    if (name) ring.bindTooltip(esc(name), { permanent: true, direction: "top", className: "picked-label" });
    ring.addTo(v.mark);
  }
}

// The whole community in sight, the first time the map has a size to fit it in (a phone's map is hidden until
// its button is tapped).
function fit(v) {
  const points = v.m ? Object.values(v.m.nodes).map(ll) : [];
  if (v.fitted || !points.length || !v.host.clientWidth) return;
  v.map.invalidateSize();
  // Room on the left for the zoom buttons, and on the right for the names of the places at the edge.
  v.map.fitBounds(L.latLngBounds(points), { paddingTopLeft: [64, 28], paddingBottomRight: [72, 28] });
  v.fitted = true;
}

// The pins as `items` say, changing only those that changed: a pin that stays keeps its open popup and the
// keyboard's focus across a live update.
function syncPins(v, items) {
  const seen = new Set();
  for (const item of items) {
    seen.add(item.key);
    const shown = v.markers[item.key];
    const same = shown && shown.item.className === item.className && shown.item.text === item.text && shown.item.label === item.label;
    if (same) {
      shown.item = item;
      shown.setLatLng(ll(v.m.nodes[item.at]));
      continue;
    }
    if (shown) v.pins.removeLayer(shown);
    v.markers[item.key] = pin(v, item);
  }
  for (const [key, marker] of Object.entries(v.markers)) {
    if (!seen.has(key)) {
      v.pins.removeLayer(marker);
      delete v.markers[key];
    }
  }
}

function pin(v, item) {
  const marker = L.marker(ll(v.m.nodes[item.at]), {
    icon: L.divIcon({ className: item.className, html: `<span aria-hidden="true">${esc(item.text)}</span>`, iconSize: [28, 28] }),
    keyboard: true,
    title: item.label,
  });
  marker.item = item;
  marker.bindPopup(esc(item.label));
  // Where places are being picked, a pin is a place like any other: its own.
  marker.on("click", () => {
    const at = marker.item;
    if (pickers[v.id]) pickers[v.id]({ node: at.at, name: place(v.m, at.at) });
    else openCard(at.key);
  });
  marker.addTo(v.pins);
  const el = marker.getElement();
  el.dataset.pin = item.key;
  el.setAttribute("aria-label", item.label);
  return marker;
}

// The community's own roads when there are no tiles (with street names where the map has them), its buildings'
// and landmarks' names, and the closed roads above everything else but the pins, red and thick and labelled,
// tiles or not.
function drawRoads(v, m) {
  const nodes = m.nodes;
  const at = (a) => nodes[a] && ll(nodes[a]);
  v.roads.clearLayers();
  v.closed.clearLayers();
  v.labels = [];
  if (!m.tiles) {
    const lines = m.roads.filter(([a, b]) => nodes[a] && nodes[b]).map(([a, b]) => [at(a), at(b)]);
    if (lines.length) L.polyline(lines, { color: COLOUR.road, weight: 3, interactive: false, className: "road" }).addTo(v.roads);
    // Each street's name once (an extract has a way per block: the longest is labelled), halfway along it: in
    // the middle of a road rather than at a crossing, where the crossing street's name would sit too. A Chinese
    // name runs top to bottom along a street that runs north-south. Names that would overlap are left out.
    const longest = {};
    for (const s of m.streets || []) {
      const path = s.nodes.filter((n) => nodes[n]);
      if (path.length && (!longest[s.name] || path.length > longest[s.name].length)) longest[s.name] = path;
    }
    v.labels = Object.entries(longest).sort((x, y) => y[1].length - x[1].length).map(([name, path]) => {
      const a = nodes[path[Math.max(0, Math.ceil(path.length / 2) - 1)]];
      const b = nodes[path[Math.min(path.length - 1, Math.ceil(path.length / 2))]];
      const upright = /\p{Script=Han}/u.test(name) && Math.abs(b[1] - a[1]) > Math.abs(b[0] - a[0]);
      return L.marker(ll([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]), {
        icon: L.divIcon({ className: `street-name${upright ? " upright" : ""}`, html: `<span>${esc(name)}</span>`, iconSize: null }),
        interactive: false, keyboard: false, pane: "shadowPane",
      }).addTo(v.roads);
    });
  }
  // The buildings and landmarks people find their way by, tiles or not (a tile server does not know 12栋): their
  // names go before the streets' when two would overlap.
  v.labels = [...(m.places || []).filter((p) => nodes[p.node]).map((p) => L.marker(at(p.node), {
    icon: L.divIcon({ className: `place-name ${p.kind}`, html: `<span>${esc(p.name)}</span>`, iconSize: null }),
    interactive: false, keyboard: false, pane: "shadowPane",
  }).addTo(v.roads)), ...v.labels];
  declutter(v);
  for (const [a, b] of m.closed || []) {
    if (!nodes[a] || !nodes[b]) continue;
    L.polyline([at(a), at(b)], { color: COLOUR.red, weight: 9, className: "closed-road" })
      .bindTooltip(t("roadClosed"), { permanent: true, direction: "center", className: "closed-label" })
      .addTo(v.closed);
  }
}

// Names that would cover one another: the first listed is kept (a place's, then the longer street's). Again
// after each zoom.
function declutter(v) {
  const kept = [];
  for (const label of v.labels || []) {
    const el = label.getElement() && label.getElement().firstChild;
    if (!el) continue;
    el.hidden = false;
    const r = el.getBoundingClientRect();
    const clash = kept.some((k) => r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom);
    if (clash) el.hidden = true;
    else kept.push(r);
  }
}

// A tapped pin or route opens its card: scrolled into view and lit (for two seconds, across a live update's
// redraw of the card); on a phone the list comes back first.
let lit = null;
const cardOf = (key) => [...document.querySelectorAll(`[data-pin="${CSS.escape(key)}"]`)].find((el) => !el.closest(".leaflet-container"));

function keepLit() {
  const card = lit && Date.now() < lit.until && cardOf(lit.key);
  if (card) card.classList.add("lit");
}

function openCard(key) {
  const card = cardOf(key);
  if (!card) return;
  if (!window.matchMedia(DESKTOP).matches && mapOpen) showMapPanel(false);
  card.scrollIntoView({ block: "center" });
  // Lit anew if it still was: reading its width between makes the browser start the light again.
  card.classList.remove("lit");
  void card.offsetWidth;
  card.classList.add("lit");
  lit = { key, until: Date.now() + 2000 };
  if (!card.hasAttribute("tabindex")) card.setAttribute("tabindex", "-1");
  card.focus({ preventScroll: true });
}

// A card's "在地图上看": its pin (or its route) in the middle of the map with its popup open; on a phone the map
// opens first.
function showPin(key) {
  const v = Object.values(views).find((x) => x.host.isConnected && (x.markers[key] || key.startsWith("dispatch:")));
  if (!v) return;
  if (!window.matchMedia(DESKTOP).matches && v.host.closest(".split")) showMapPanel(true);
  const marker = v.markers[key];
  if (marker) {
    v.map.setView(marker.getLatLng(), v.map.getZoom());
    marker.openPopup();
    return;
  }
  v.routes.eachLayer((line) => {
    if (line.pinKey === key) v.map.fitBounds(line.getBounds(), { padding: [40, 40], maxZoom: v.map.getZoom() });
  });
}
