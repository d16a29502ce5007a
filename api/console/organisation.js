// An organisation coordinator's view: the requests sent to the organisation, each moved on one step at a time.
// A unit lent to another community (or the street's own pool sent into one) answers there: each card says
// which community it helps, and its buttons act on that community's board.
import { state } from "./state.js";
import { T, t } from "./i18n.js";
import { esc } from "./dom.js";
import { ask } from "./dialog.js";
import { act, pendingOn } from "./api.js";
import { needLine } from "./emergency.js";
import { LIFE_SAFETY } from "./priority.js";

// What each step's button says it did, once the server took it.
const DONE = { acknowledge: "acked_", decline: "declined_", "en-route": "enRoute_", "on-site": "onSite_", done: "done_", "no-road": "noRoad_" };
// The road from accepting a job to finishing it: the card marks where the unit is on it.
const STEPS = ["acknowledged", "en_route", "on_site", "done"];

function progress(x) {
  const at = STEPS.indexOf(x.status);
  if (at < 0) return "";
  return `<ol class="steps" data-testid="steps-${esc(x.id)}">${STEPS.map((s, i) =>
    `<li class="${i < at ? "past" : i === at ? "now" : "next"}" ${i === at ? 'aria-current="step"' : ""}>${esc(T().statuses[s])}</li>`).join("")}</ol>`;
}

const NEXT = {
  notified: [["acknowledge", "ack", "go"], ["decline", "decline", "danger"]],
  acknowledged: [["en-route", "enRoute", "go"], ["no-road", "noRoad", "danger"], ["decline", "decline", "danger"]],
  en_route: [["on-site", "onSite", "go"], ["no-road", "noRoad", "danger"]],
  on_site: [["done", "done", "go"]],
};

export function organisationView(d) {
  const home = state.me.community;
  const cards = (d.jobs || []).flatMap((job) => {
    const needs = Object.fromEntries((job.needs || []).map((n) => [n.id, n]));
    const where = job.id === home ? "" : t("lentTo", { c: (job.community && job.community.name) || "" });
    return (job.dispatches || []).map((x) => card(job.id, x, needs[x.need], where, job.community && job.community.exercise));
  });
  return `<h2>${t("mine")}</h2><div class="cards" data-testid="mine">${cards.length ? cards.join("") : `<div class="empty">${t("noMine")}</div>`}</div>`;
}

function card(c, x, need, where, exercise) {
  const n = need || { capability: x.part, tags: [] };
  const buttons = pendingOn(x.id) ? `<span class="status pending" data-testid="pending-${esc(x.id)}">${t("pending")}</span>`
    : (NEXT[x.status] || []).map(([path, label, style]) =>
      `<button class="${style}" data-action="advance" data-c="${esc(c)}" data-path="${path}" data-id="${esc(x.id)}" data-testid="${path}-${esc(x.id)}">${t(label)}</button>`).join("");
  const phone = n.contact_phone ? `<a class="button" href="tel:${esc(n.contact_phone)}">${t("phone")} ${esc(n.contact_phone)}</a>` : "";
  return `<div class="card ${n.priority === LIFE_SAFETY ? "p5" : ""}" data-dispatch="${esc(x.id)}" data-status="${esc(x.status)}" data-community="${esc(c)}">
    ${where || exercise ? `<div class="owner" data-testid="where-${esc(x.id)}">${exercise ? `${t("drill")} · ` : ""}${esc(where)}</div>` : ""}
    ${needLine({ ...n, capability: x.part || n.capability, quantity: x.quantity, contact_phone: null })}
    ${x.resource_name ? `<div data-testid="which-${esc(x.id)}">${esc(t("whichUnit", { u: x.resource_name }))}</div>` : ""}
    <div><span class="status" data-testid="status-${esc(x.id)}">${esc(T().statuses[x.status])}</span>
    ${x.travel_s != null && ["notified", "acknowledged"].includes(x.status) ? `<span data-testid="eta-${esc(x.id)}"> · ${esc(t("minutes", { m: Math.max(1, Math.round(x.travel_s / 60)) }))}</span>` : ""}</div>
    ${progress(x)}
    <div class="row">${phone}${buttons}</div></div>`;
}

// By data-action; the card names the community it acts in.
export const actions = {
  async advance(el) {
    let body = {};
    if (el.dataset.path === "decline") {
      const form = await ask(`<h2>${t("decline")}</h2><label for="decline-note">${t("declineWhy")}</label><input name="note" id="decline-note">
        <div class="row choices"><button value="cancel">${t("cancel")}</button><button class="danger" value="ok">${t("decline")}</button></div>`);
      if (!form) return;
      body = { note: form.get("note") || "" };
    }
    await act("POST", `/communities/${el.dataset.c}/assignments/${el.dataset.id}/${el.dataset.path}`, body, t(DONE[el.dataset.path]));
  },
};
