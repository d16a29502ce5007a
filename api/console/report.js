// A grid worker's report of a need for a resident: a few taps (what, how many, where, how urgent, situation),
// then the list of what this worker reported.
import { state } from "./state.js";
import { ZH, T, t, cap } from "./i18n.js";
import { $, esc, toast } from "./dom.js";
import { act } from "./api.js";
import { needLine, sender } from "./emergency.js";
import { mapFigure, pickOnMap, drawMap } from "./map.js";
import { placeField, bindPlaceField, placeBody, emptyPlace } from "./placepick.js";
import { DESCENDING } from "./priority.js";
import { render } from "./app.js";

// What a grid worker can ask for, here and when a household check needs help.
export const GRID_CAPS = ["care.visit", "medical.first_aid", "supply.water", "supply.food", "supply.medicine", "transport.vehicle", "rescue.boat", "power.generator"];

export function gridView(d) {
  const r = state.report;
  const caps = GRID_CAPS;
  return `<div id="report-form"><h2>${t("report")}</h2>
  <label>${t("what")}</label><div class="choices" data-testid="capabilities">${caps.map((c) =>
    `<button type="button" data-action="cap" data-cap="${c}" aria-pressed="${r.capability === c}">${esc(cap(c))}</button>`).join("")}</div>
  <label for="qty">${t("howMany")}</label><div class="stepper"><button type="button" data-action="qty" data-d="-1" aria-label="-">−</button>
    <input id="qty" inputmode="numeric" value="${r.quantity}" data-testid="quantity"><button type="button" data-action="qty" data-d="1" aria-label="+">+</button></div>
  <label for="report-place-q">${t("where")}</label>${placeField("report-place", r.where)}
  ${mapFigure()}
  <label>${t("urgency")}</label><div class="choices">${DESCENDING.map((p) =>
    `<button type="button" data-action="prio" data-p="${p}" aria-pressed="${r.priority === p}">${p} ${esc(T().priorities[p])}</button>`).join("")}</div>
  <label>${t("situation")}</label><div class="choices">${Object.keys(ZH.tags).map((tag) =>
    `<button type="button" data-action="tag" data-tag="${tag}" aria-pressed="${r.tags.includes(tag)}">${esc(T().tags[tag])}</button>`).join("")}</div>
  <label for="phone">${t("phoneOpt")}</label><input id="phone" inputmode="tel" value="${esc(r.phone || "")}">
  <label for="note">${t("note")}</label><input id="note" value="${esc(r.note || "")}">
  <p><button class="primary big" data-action="report" data-testid="send-report">${t("send")}</button></p></div>
  <h2>${t("myReports")}</h2><div class="cards" id="my-reports" data-testid="my-reports">${myReports(d)}</div>`;
}

// What became of a report, as its worker wants to know it: still waiting, who was sent, arrived, solved.
export function reportState(n, d) {
  const words = T().reportState;
  if (n.status !== "open") return [n.status, words[n.status] || T().statuses[n.status] || n.status];
  const sent = (d.dispatches || []).filter((x) => x.need === n.id && x.status !== "proposed");
  if (!sent.length) return ["open", words.open];
  const who = [...new Set(sent.map((x) => sender(x, d)))].join("、");
  const there = sent.some((x) => ["on_site", "done"].includes(x.status));
  return there ? ["on_site", t("reportThere", { who })] : ["sent", t("reportSent", { who })];
}

export function myReports(d) {
  const mine = (d.needs || []).filter((n) => n.reported_by === `${state.me.role}:${state.me.name}`).slice(0, 20);
  return mine.map((n) => {
    const [key, text] = reportState(n, d);
    return `<div class="card" data-testid="my-report-${esc(n.id)}">${needLine(n)}<div class="status r-${esc(key)}" data-state="${esc(key)}" data-testid="report-state-${esc(n.id)}">${esc(text)}</div></div>`;
  }).join("");
}

// By data-action; `c` is the path of the community the view was drawn for. The choices redraw the form (render(true)).
export const actions = {
  cap(el) { state.report.capability = el.dataset.cap; render(true); },
  prio(el) { state.report.priority = Number(el.dataset.p); render(true); },
  tag(el) {
    const r = state.report;
    r.tags = r.tags.includes(el.dataset.tag) ? r.tags.filter((x) => x !== el.dataset.tag) : [...r.tags, el.dataset.tag];
    render(true);
  },
  qty(el) { state.report.quantity = Math.max(1, (Number($("#qty").value) || 1) + Number(el.dataset.d)); render(true); },
  async report(el, c) {
    const r = state.report;
    r.quantity = Math.max(1, Number($("#qty").value) || 1);
    const where = placeBody(r.where);
    if (!where) {
      toast(t("needPlace"));
      $("#report-place-q").focus();
      return;
    }
    const body = { capability: r.capability, quantity: r.quantity, ...where, priority: r.priority, tags: r.tags };
    const phone = $("#phone").value.trim();
    const note = $("#note").value.trim();
    if (phone) body.contact_phone = phone;
    if (note) body.note = note;
    const result = await act("POST", `${c}/needs`, body, t("sent"));
    // Sent, or saved to send when back online: either way the form is ready for the next resident.
    if (result) state.report = { capability: r.capability, quantity: 1, priority: 3, tags: [], where: emptyPlace() };
    render(true);
  },
};

// Keep what the grid worker typed when the page redraws; a tap on the map picks the place (the map marks it).
export function bindReportForm() {
  if (!$("#report-form")) return;
  const r = state.report;
  r.where = r.where || emptyPlace();
  const picked = bindPlaceField(document, "report-place", `/communities/${state.community}`, r.where, {
    onMap: () => $("#report-form [data-map-slot]").scrollIntoView({ block: "center" }),
    onChange: (where) => {
      if (where.node === r.location) return;
      r.location = where.node;
      drawMap();
    },
  });
  pickOnMap(picked);
  for (const [sel, key] of [["#phone", "phone"], ["#note", "note"]]) {
    const input = $(sel);
    if (input) input.oninput = () => { state.report[key] = input.value; };
  }
}
