// The street's own page: its inbox (escalated needs and loans waiting for approval, most urgent first) with the
// four answers as big buttons, one map of every community's needs and the pool's units, and the pool by
// organisation (how many units are free, how many sent and where).
import { state } from "./state.js";
import { T, t, cap } from "./i18n.js";
import { esc, loading } from "./dom.js";
import { ask, dialogButtons, refuse } from "./dialog.js";
import { waited } from "./dates.js";
import { pickUnits } from "./unitpick.js";
import { act } from "./api.js";
import { streetMapFigure, pinButton, withMap } from "./map.js";
import { priorityBadge } from "./priority.js";
import { communityName } from "./tasks.js";
import { escalationState, placeOf } from "./emergency.js";

const minutes = (s) => Math.max(1, Math.round(s / 60));

const eta = (s) => (s == null ? t("unreachable") : t("minutes", { m: minutes(s) }));

// Whose unit an approval sends: the street's pool, or a community by name.
const ownerName = (owner, name) => (owner.startsWith("street:") ? t("streetUnit") : name || communityName(owner));

// A unit sent to a need of `community`, by whose it is and its name (from the pool the street reads), never
// by its id: "街道资源库「街道急救员」", "东湖社区「冲锋舟」".
function sentUnit(ref, community) {
  const [home, id] = ref.includes("/") ? ref.split("/") : [community, ref];
  const o = (state.data.pool || []).find((x) => x.home === home && x.resources.some((r) => r.id === id));
  const r = o && o.resources.find((x) => x.id === id);
  return `${ownerName(home, o && o.home_name)}「${(r && (r.name || cap(r.capability))) || t("aUnit")}」`;
}

export function streetView(d) {
  if (d.streetInfo === undefined) return loading();
  if (d.streetInfo === null) return `${notifierWarnings(d.notifiers)}<div class="empty" data-testid="no-street">${t("noStreet")}</div>`;
  const items = d.inbox || [];
  return withMap(`${notifierWarnings(d.notifiers)}<h2>${t("inbox")}</h2><div class="cards" data-testid="inbox">${items.length ? items.map(inboxCard).join("")
    : `<div class="empty">${t("noInbox")}</div>`}</div>
    <h2>${t("poolByOrg")}</h2><div class="cards" data-testid="pool-overview">${(d.pool || []).map(poolCard).join("")}</div>`,
  { id: "street-map", title: t("streetMap"), figure: streetMapFigure() });
}

// A notifier the operator set up that fails now or gave messages up: "通知发送失败：<name>（<why>），N 条待重发".
function notifierWarnings(list) {
  const failing = (list || []).filter((n) => n.warning);
  return failing.map((n) => `<div class="notifier-warning" role="alert" data-testid="notifier-warning-${esc(n.id)}">${esc(state.lang === "zh" ? n.warning : n.warning_en)}</div>`).join("");
}

function inboxCard(item) {
  const n = item.need;
  const key = `${esc(item.community)}-${esc(n.id)}`;
  const data = `data-c="${esc(item.community)}" data-need="${esc(n.id)}"`;
  const tags = (n.tags || []).map((x) => `<span class="tag">${esc(T().tags[x] || x)}</span>`).join("");
  const last = (n.answers || []).at(-1);
  const state_ = item.state === "open" ? t("toHandle") : item.state === "approval" ? t("toApprove") : escalationState(n) || item.state;
  const approvals = item.approvals.map((a) => `<div class="approval" data-testid="approval-${esc(a.id)}">
      <div>${esc(t("approveWhose", { who: ownerName(a.owner, a.owner_name), name: a.resource_name || t("aUnit"), q: a.quantity, eta: eta(a.travel_s) }))}</div>
      <button class="go big" data-action="approve" data-c="${esc(item.community)}" data-id="${esc(a.id)}" data-testid="approve-${esc(a.id)}">${t("approve")}</button></div>`).join("");
  const sent = item.dispatches.length ? `<div class="muted">${t("sentAlready")}：${item.dispatches.map((x) =>
    `${esc(sentUnit(x.resource, item.community))} × ${x.quantity}（${esc(T().statuses[x.status] || x.status)}）`).join("、")}</div>` : "";
  return `<div class="card inbox p${item.priority}" data-testid="inbox-${key}" data-state="${esc(item.state)}" data-pin="need:${esc(item.community)}/${esc(n.id)}">
    <div class="inbox-head"><strong class="community">${esc(item.community_name || communityName(item.community))}</strong>
      <span class="muted" data-testid="waited-${key}">${esc(waited(item.waiting_s))}</span></div>
    <div>${priorityBadge(n)} <strong>${esc(cap(n.capability))}</strong> × ${n.quantity}${placeOf(n) ? ` · ${esc(placeOf(n))}` : ""} ${tags}</div>
    ${n.note ? `<div class="muted">${esc(n.note)}</div>` : ""}
    <div class="status" data-testid="inbox-state-${key}">${esc(state_)}${item.missing ? ` · ${esc(t("missingN", { n: item.missing }))}` : ""}</div>
    ${last && last.note ? `<div class="street-note">${esc(t("streetNote", { n: last.note }))}</div>` : ""}
    ${item.detail ? `<div>${esc(item.detail)}</div>` : ""}${item.suggestion ? `<div class="muted">${esc(item.suggestion)}</div>` : ""}
    ${approvals}${sent}${pinButton("need", `${item.community}/${n.id}`)}
    <div class="row answers"><button class="primary" data-action="assign-street" ${data} data-testid="assign-${key}">${t("assignStreet")}</button>
      <button data-action="ask-neighbour" ${data} data-testid="ask-${key}">${t("askNeighbour")}</button>
      <button class="danger" data-action="no-help" ${data} data-testid="nohelp-${key}">${t("noHelp")}</button></div></div>`;
}

function poolCard(o) {
  const org = o.organisation;
  const units = o.resources.map((r) => {
    const free = Math.max(0, r.quantity - r.sent);
    const jobs = r.jobs.map((j) => {
      const n = ((state.data.streetNeeds || {})[j.community] || []).find((x) => x.id === j.need);
      const what = n ? [cap(n.capability), placeOf(n)].filter(Boolean).join(" · ") : t("needOpen");
      return `<li>→ ${esc(communityName(j.community))} · ${esc(what)} × ${j.quantity}（${esc(T().statuses[j.status] || j.status)}）</li>`;
    }).join("");
    return `<div class="unit ${r.sent ? "sent" : "free"}" data-testid="unit-${esc(o.home)}-${esc(r.id)}" data-pin="unit:${esc(o.home)}/${esc(r.id)}">
      <strong>${esc(r.name || cap(r.capability))}</strong> · ${esc(cap(r.capability))}${placeOf(r) ? ` · ${esc(placeOf(r))}` : ""}
      <div><span class="count free">${esc(t("freeOfTotal", { f: free, q: r.quantity }))}</span>
        ${r.sent ? `<span class="count sent">${esc(t("sentN", { n: r.sent }))}</span>` : ""}
        ${r.status !== "available" ? `<span class="count">${esc(T().resStatuses[r.status] || r.status)}</span>` : ""}</div>
      ${jobs ? `<ul class="jobs">${jobs}</ul>` : ""}${pinButton("unit", `${o.home}/${r.id}`)}</div>`;
  }).join("");
  return `<div class="card org" data-testid="org-${esc(o.home)}-${esc(org.id)}">
    <div><strong>${esc(org.name || T().orgKinds[org.kind] || "")}</strong> <span class="muted">${esc(T().orgKinds[org.kind] || org.kind)} · ${esc(o.street_pool ? t("streetUnit") : o.home_name)}</span></div>
    ${units || `<div class="muted">${t("noUnits")}</div>`}</div>`;
}

function itemOf(el) {
  return (state.data.inbox || []).find((i) => i.community === el.dataset.c && i.need.id === el.dataset.need);
}

// The street's own units that do what the need asks.
function streetUnits(capability) {
  const units = [];
  for (const o of state.data.pool || []) {
    if (!o.street_pool) continue;
    for (const r of o.resources) {
      const free = r.status === "available" ? Math.max(0, r.quantity - r.sent) : 0;
      if (r.capability === capability) units.push({ ...r, free, org: o.organisation.name || T().orgKinds[o.organisation.kind] || "" });
    }
  }
  return units;
}

const path = (el) => `/communities/${el.dataset.c}`;

// By data-action.
export const actions = {
  async approve(el, c) {
    await act("POST", `${el.dataset.c ? path(el) : c}/assignments/${el.dataset.id}/approve`, { note: "" }, t("approved_"));
  },
  async "assign-street"(el) {
    const item = itemOf(el);
    if (!item) return;
    const head = `<h2>${t("assignStreet")}</h2><p>${esc(item.community_name)} · <strong>${esc(cap(item.need.capability))}</strong> × ${item.need.quantity}</p>`;
    const choice = await pickUnits(head, streetUnits(item.need.capability), item.missing || item.need.quantity,
      { pick: t("pickUnit"), none: t("noStreetUnit"), send: t("assignStreet"), testid: "assign-send" });
    if (!choice) return;
    await act("POST", `${path(el)}/needs/${el.dataset.need}/assign`, {
      resource: `street:${state.me.street}/${choice.unit.id}`, quantity: choice.quantity, note: choice.note }, t("assigned_"));
  },
  async "ask-neighbour"(el) {
    const item = itemOf(el);
    if (!item) return;
    const others = ((state.data.streetInfo && state.data.streetInfo.communities) || []).filter((c) => c.id !== item.community);
    const form = await ask(`<h2>${t("askNeighbour")}</h2><p>${esc(item.community_name)} · <strong>${esc(cap(item.need.capability))}</strong> × ${item.need.quantity}</p>
      ${others.length ? `<label>${t("pickNeighbour")}</label><div class="picks column">${others.map((c, i) => `<label class="pick" data-testid="neighbour-${esc(c.id)}">
        <input type="radio" name="community" value="${esc(c.id)}" ${i ? "" : "checked"}> <span>${esc(c.name || communityName(c.id))} · ${esc(T().modeOf[c.mode] || c.mode)}</span></label>`).join("")}</div>
        <label>${t("noteOpt")}<input name="note" data-testid="ask-note"></label>${dialogButtons(t("askNeighbour"), "primary", "ask-send")}`
    : `<p class="empty">${t("noNeighbour")}</p><div class="row choices"><button value="cancel">${t("close_")}</button></div>`}`);
    if (!form || !form.get("community")) return;
    await act("POST", `${path(el)}/needs/${el.dataset.need}/answer`, {
      answer: "asked", community: form.get("community"), note: String(form.get("note") || "").trim() }, t("asked_"));
  },
  async "no-help"(el) {
    const item = itemOf(el);
    if (!item) return;
    const form = await ask(`<h2>${t("noHelp")}</h2><p>${esc(item.community_name)} · <strong>${esc(cap(item.need.capability))}</strong> × ${item.need.quantity}</p>
      <label>${t("noHelpNote")}<textarea name="note" rows="3" maxlength="500" data-testid="nohelp-note"></textarea></label>
      ${dialogButtons(t("noHelp"), "danger", "nohelp-send")}`, (form_) => {
      form_.onsubmit = (e) => {
        if (e.submitter && e.submitter.value === "ok" && !String(new FormData(form_).get("note") || "").trim()) refuse(e, t("needNoHelpNote"));
      };
    });
    if (!form) return;
    await act("POST", `${path(el)}/needs/${el.dataset.need}/answer`, { answer: "no_help", note: String(form.get("note")).trim() }, t("noHelpSent"));
  },
};
