// An organisation coordinator's view: the requests sent to the organisation, each moved on one step at a time.
import { T, t } from "./i18n.js";
import { esc } from "./dom.js";
import { ask } from "./dialog.js";
import { act, pendingOn } from "./api.js";
import { needLine } from "./emergency.js";
import { LIFE_SAFETY } from "./priority.js";

export function organisationView(d) {
  const needs = Object.fromEntries((d.needs || []).map((n) => [n.id, n]));
  const next = {
    notified: [["acknowledge", "ack", "go"], ["decline", "decline", "danger"]],
    acknowledged: [["en-route", "enRoute", "go"], ["no-road", "noRoad", "danger"], ["decline", "decline", "danger"]],
    en_route: [["on-site", "onSite", "go"], ["no-road", "noRoad", "danger"]],
    on_site: [["done", "done", "go"]],
  };
  const mine = d.dispatches || [];
  return `<h2>${t("mine")}</h2><div class="cards" data-testid="mine">${mine.length ? mine.map((x) => {
    const n = needs[x.need] || { capability: x.part, location: "", tags: [] };
    const pending = pendingOn(x.id);
    const buttons = pending ? `<span class="status pending" data-testid="pending-${esc(x.id)}">${t("pending")}</span>`
      : (next[x.status] || []).map(([path, label, style]) =>
        `<button class="${style}" data-action="advance" data-path="${path}" data-id="${esc(x.id)}" data-testid="${path}-${esc(x.id)}">${t(label)}</button>`).join("");
    const phone = n.contact_phone ? `<a class="button" href="tel:${esc(n.contact_phone)}">${t("phone")} ${esc(n.contact_phone)}</a>` : "";
    return `<div class="card ${n.priority === LIFE_SAFETY ? "p5" : ""}" data-dispatch="${esc(x.id)}" data-status="${esc(x.status)}">
      ${needLine({ ...n, capability: x.part || n.capability, quantity: x.quantity, contact_phone: null })}
      <div><span class="status" data-testid="status-${esc(x.id)}">${esc(T().statuses[x.status])}</span>
      ${x.travel_s != null ? " · " + esc(t("minutes", { m: Math.max(1, Math.round(x.travel_s / 60)) })) : ""}</div>
      <div class="row">${phone}${buttons}</div></div>`;
  }).join("") : `<div class="empty">${t("noMine")}</div>`}</div>`;
}

// By data-action; `c` is the path of the community the view was drawn for.
export const actions = {
  async advance(el, c) {
    let body = {};
    if (el.dataset.path === "decline") {
      const form = await ask(`<h2>${t("decline")}</h2><label>${t("declineWhy")}</label><input name="note">
        <div class="row choices"><button value="cancel">${t("cancel")}</button><button class="danger" value="ok">${t("decline")}</button></div>`);
      if (!form) return;
      body = { note: form.get("note") || "" };
    }
    await act("POST", `${c}/assignments/${el.dataset.id}/${el.dataset.path}`, body);
  },
};
