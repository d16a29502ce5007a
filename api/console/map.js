// The community's map, drawn in SVG from its road graph (no internet base map): needs, resources, dispatches,
// closed roads. A grid worker taps it to pick the place of a report.
import { state } from "./state.js";
import { T, t, cap } from "./i18n.js";
import { $, esc } from "./dom.js";
import { LIFE_SAFETY } from "./priority.js";

export function mapFigure() {
  const L = T().legend;
  return `<figure class="mapbox"><svg id="map" class="map" role="img" aria-label="${t("map")}" data-testid="map"></svg>
    <figcaption class="legend"><span><i class="dot"></i>${L.need}</span><span><i class="sq"></i>${L.resource}</span>
    <span><i class="ln proposed"></i>${L.proposed}</span><span><i class="ln sent"></i>${L.sent}</span>
    <span><i class="ln closed"></i>${L.closed}</span></figcaption></figure>`;
}

export function drawMap() {
  const svg = $("#map");
  const m = state.data.map;
  if (!svg || !m) return;
  const nodes = m.nodes;
  const xs = Object.values(nodes).map((p) => p[0]);
  const ys = Object.values(nodes).map((p) => p[1]);
  if (!xs.length) return;
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = Math.max(x1 - x0, y1 - y0, 1e-6) * 0.06;
  svg.setAttribute("viewBox", `${x0 - pad} ${y0 - pad} ${x1 - x0 + 2 * pad} ${y1 - y0 + 2 * pad}`);
  const unit = Math.max(x1 - x0, y1 - y0, 1e-6) / 60;
  const line = (a, b, cls) => (nodes[a] && nodes[b]
    ? `<line x1="${nodes[a][0]}" y1="${nodes[a][1]}" x2="${nodes[b][0]}" y2="${nodes[b][1]}" ${cls}/>` : "");
  let out = m.roads.map(([a, b]) => line(a, b, `stroke="#999" stroke-width="${unit * 0.25}"`)).join("");
  out += m.closed.map(([a, b]) => line(a, b, `stroke="#b00020" stroke-width="${unit * 0.6}" stroke-dasharray="${unit} ${unit * 0.6}"`)).join("");
  const needs = Object.fromEntries((state.data.needs || []).map((n) => [n.id, n]));
  const res = Object.fromEntries((state.data.resources || []).map((r) => [r.id, r]));
  for (const x of state.data.dispatches || []) {
    const n = needs[x.need];
    const r = res[x.resource];
    if (n && r) out += line(r.location, n.location, `stroke="${x.status === "proposed" ? "#0b4f9c" : "#0a6b2d"}" stroke-width="${unit * 0.5}"`);
  }
  for (const r of state.data.resources || []) {
    const p = nodes[r.location];
    if (p) out += `<rect x="${p[0] - unit}" y="${p[1] - unit}" width="${2 * unit}" height="${2 * unit}" fill="#0b4f9c"><title>${esc(r.name || r.id)}</title></rect>`;
  }
  for (const n of (state.data.needs || []).filter((n) => n.status === "open")) {
    const p = nodes[n.location];
    if (p) out += `<circle cx="${p[0]}" cy="${p[1]}" r="${unit * (1 + n.priority * 0.25)}" fill="${n.priority >= LIFE_SAFETY ? "#b00020" : "#c4410c"}"><title>${esc(cap(n.capability))}</title></circle>`;
  }
  if (state.report.location && nodes[state.report.location]) {
    const p = nodes[state.report.location];
    out += `<circle cx="${p[0]}" cy="${p[1]}" r="${unit * 1.6}" fill="none" stroke="#000" stroke-width="${unit * 0.5}"/>`;
  }
  svg.innerHTML = out;
  svg.onclick = (e) => {
    if (state.me.role !== "grid_worker") return;
    const point = svg.createSVGPoint();
    point.x = e.clientX;
    point.y = e.clientY;
    const at = point.matrixTransform(svg.getScreenCTM().inverse());
    let best = null;
    let bestD = Infinity;
    for (const [id, p] of Object.entries(nodes)) {
      const dd = (p[0] - at.x) ** 2 + (p[1] - at.y) ** 2;
      if (dd < bestD) [best, bestD] = [id, dd];
    }
    state.report.location = best;
    $("#loc").value = best;
    drawMap();
  };
}
