// Maps drawn in SVG from the road graph (no internet base map): the community's (needs, resources, dispatches,
// closed roads), the street's (every community's needs and the pool's units) and the place picker of the pool
// editor. A grid worker taps the community's map to pick the place of a report.
import { state } from "./state.js";
import { T, t, cap } from "./i18n.js";
import { $, esc } from "./dom.js";
import { LIFE_SAFETY } from "./priority.js";

export const COLOUR = { red: "#b00020", orange: "#c4410c", amber: "#8a5a00", blue: "#0b4f9c", green: "#0a6b2d" };

export function mapFigure() {
  const L = T().legend;
  return figure("map", `<span><i class="dot"></i>${L.need}</span><span><i class="sq"></i>${L.resource}</span>
    <span><i class="ln proposed"></i>${L.proposed}</span><span><i class="ln sent"></i>${L.sent}</span>
    <span><i class="ln closed"></i>${L.closed}</span>`);
}

export function streetMapFigure() {
  const L = T().streetLegend;
  return figure("street-map", `<span><i class="dot p5"></i>${L.p5}</span><span><i class="dot p4"></i>${L.p4}</span>
    <span><i class="dot p3"></i>${L.p3}</span><span><i class="sq"></i>${L.free}</span><span><i class="sq sent"></i>${L.sent}</span>`);
}

function figure(id, legend) {
  return `<figure class="mapbox"><svg id="${id}" class="map" role="img" aria-label="${t("map")}" data-testid="${id}"></svg>
    <figcaption class="legend">${legend}</figcaption></figure>`;
}

// A need's colour on the street's map, by priority (as its badge).
const needColour = (p) => (p >= LIFE_SAFETY ? COLOUR.red : p === 4 ? COLOUR.orange : COLOUR.amber);

// The community's map, from what the page last read.
export function drawMap() {
  const d = state.data;
  const street = $("#street-map");
  if (street) drawStreetMap(street, d);
  const svg = $("#map");
  if (!svg || !d.map) return;
  const needs = Object.fromEntries((d.needs || []).map((n) => [n.id, n]));
  const res = Object.fromEntries((d.resources || []).map((r) => [r.id, r]));
  const lines = [];
  for (const x of d.dispatches || []) {
    const n = needs[x.need];
    const r = res[x.resource];
    if (n && r) lines.push([r.location, n.location, x.status === "proposed" ? COLOUR.blue : COLOUR.green]);
  }
  const scene = {
    lines,
    units: (d.resources || []).map((r) => [r.location, COLOUR.blue, r.name || r.id]),
    needs: (d.needs || []).filter((n) => n.status === "open")
      .map((n) => [n.location, n.priority, n.priority >= LIFE_SAFETY ? COLOUR.red : COLOUR.orange, cap(n.capability)]),
    mark: state.report.location,
  };
  draw(svg, d.map, scene, state.me.role === "grid_worker" ? pickReportPlace : null);
}

function pickReportPlace(node) {
  state.report.location = node;
  $("#loc").value = node;
  drawMap();
}

// The street's map: every community's open needs by priority, the pool's units free (blue) or sent (green),
// and a line from each sent unit to the need it serves.
function drawStreetMap(svg, d) {
  if (!d.streetMap) return;
  const needs = {};
  for (const [c, list] of Object.entries(d.streetNeeds || {})) for (const n of list || []) needs[`${c}/${n.id}`] = n;
  const scene = { lines: [], units: [], needs: [] };
  for (const o of d.pool || []) {
    for (const r of o.resources) {
      const sent = r.sent > 0;
      scene.units.push([r.location, sent ? COLOUR.green : COLOUR.blue, `${o.organisation.name || o.organisation.id} · ${r.name || cap(r.capability)}`]);
      for (const job of r.jobs) {
        const n = needs[`${job.community}/${job.need}`];
        if (n) scene.lines.push([r.location, n.location, COLOUR.green]);
      }
    }
  }
  for (const [key, n] of Object.entries(needs)) {
    if (n.status === "open") scene.needs.push([n.location, n.priority, needColour(n.priority), `${key.split("/")[0]} · ${cap(n.capability)}`]);
  }
  draw(svg, d.streetMap, scene, null);
}

// Draws `scene` on `m` (nodes, roads, closed roads) in `svg`. scene: lines [from, to, colour], units
// [node, colour, title], needs [node, priority, colour, title], mark (a node ringed); `pick(node)` is called with
// the node nearest a tap, if given.
export function draw(svg, m, scene, pick) {
  const nodes = m.nodes;
  const xs = Object.values(nodes).map((p) => p[0]);
  const ys = Object.values(nodes).map((p) => p[1]);
  if (!xs.length) return;
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = Math.max(x1 - x0, y1 - y0, 1e-6) * 0.06;
  svg.setAttribute("viewBox", `${x0 - pad} ${y0 - pad} ${x1 - x0 + 2 * pad} ${y1 - y0 + 2 * pad}`);
  const unit = Math.max(x1 - x0, y1 - y0, 1e-6) / 60;
  const line = (a, b, attrs) => (nodes[a] && nodes[b]
    ? `<line x1="${nodes[a][0]}" y1="${nodes[a][1]}" x2="${nodes[b][0]}" y2="${nodes[b][1]}" ${attrs}/>` : "");
  let out = m.roads.map(([a, b]) => line(a, b, `stroke="#999" stroke-width="${unit * 0.25}"`)).join("");
  out += m.closed.map(([a, b]) => line(a, b, `stroke="${COLOUR.red}" stroke-width="${unit * 0.6}" stroke-dasharray="${unit} ${unit * 0.6}"`)).join("");
  out += (scene.lines || []).map(([a, b, colour]) => line(a, b, `stroke="${colour}" stroke-width="${unit * 0.5}"`)).join("");
  for (const [at, colour, title] of scene.units || []) {
    const p = nodes[at];
    if (p) out += `<rect x="${p[0] - unit}" y="${p[1] - unit}" width="${2 * unit}" height="${2 * unit}" fill="${colour}"><title>${esc(title)}</title></rect>`;
  }
  for (const [at, priority, colour, title] of scene.needs || []) {
    const p = nodes[at];
    if (p) out += `<circle cx="${p[0]}" cy="${p[1]}" r="${unit * (1 + priority * 0.25)}" fill="${colour}"><title>${esc(title)}</title></circle>`;
  }
  if (scene.mark && nodes[scene.mark]) {
    const p = nodes[scene.mark];
    out += `<circle cx="${p[0]}" cy="${p[1]}" r="${unit * 1.6}" fill="none" stroke="#000" stroke-width="${unit * 0.5}"/>`;
  }
  svg.innerHTML = out;
  svg.onclick = !pick ? null : (e) => {
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
    pick(best);
  };
}
