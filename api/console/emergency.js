// The emergency view of a cadre, a street and an observer: needs by urgency, the plan (who goes where), what is
// still unmet, the map; and the buttons that run an incident and decide on the plan.
import { state } from "./state.js";
import { T, t, cap } from "./i18n.js";
import { esc } from "./dom.js";
import { ask, refuse, dialogButtons } from "./dialog.js";
import { act, pendingOn, download, fetchedText } from "./api.js";
import { withMap, pinButton, draw } from "./map.js";
import { placeField, bindPlaceField, placeBody, emptyPlace } from "./placepick.js";
import { LIFE_SAFETY, DESCENDING, priorityBadge } from "./priority.js";
import { communityName } from "./tasks.js";
import { refresh } from "./refresh.js";

// Where a need or a unit is, by the name people use for the place (the server's `place`), never a map node id.
export const placeOf = (x) => {
  const p = x && x.place;
  return !p ? "" : typeof p === "string" ? p : p.name || "";
};

// The address as the reporter typed it, where it says more than the place's name (a door, or a place the map
// does not know, kept beside the place tapped).
const typed = (n) => (n.address && n.address !== placeOf(n) ? `<span data-testid="need-address">${esc(n.address)}</span> · ` : "");

export function needLine(n) {
  const tags = (n.tags || []).map((x) => `<span class="tag">${esc(T().tags[x] || x)}</span>`).join("");
  const place = placeOf(n);
  return `${priorityBadge(n)}
    <strong>${esc(cap(n.capability))}</strong> × ${n.quantity}${place ? ` · ${esc(place)}` : ""} ${tags}
    <div class="muted">${typed(n)}${esc(n.note || "")} ${n.contact_phone ? `· ${t("phone")} ${esc(n.contact_phone)}` : ""}</div>`;
}

// Whose unit a dispatch sends: the community's own, the street's pool, or a neighbour's by its name (the
// server says, by owner and owner_name; else the resource's ref).
export function whose(x) {
  const ref = x.resource.includes("/") ? x.resource.split("/")[0] : null;
  const owner = x.owner !== undefined ? x.owner : ref;
  if (!owner) return t("ownUnit");
  if (owner.startsWith("street:")) return t("streetUnit");
  return t("neighbourUnit", { c: x.owner_name || communityName(owner) });
}

// The unit a dispatch sends, by the name its owner gave it (else by what it does): never by its id.
export function unitName(x, r, capability) {
  const name = x.resource_name || (r && r.name);
  if (x.owner) return name ? `「${name}」` : cap(capability);
  return name || cap(capability);
}

// An organisation by its name; one without a name by its kind: never its id.
export const orgLabel = (o) => (o && (o.name || T().orgKinds[o.kind])) || t("orgUnknown");

// Who a dispatch sends, as a need's card and a grid worker's report say it: "救援队 · 冲锋舟".
export function sender(x, d = state.data) {
  const o = (d.organisations || []).find((y) => y.id === x.organisation);
  const r = (d.resources || []).find((y) => y.id === x.resource);
  const need = (d.needs || []).find((n) => n.id === x.need) || {};
  const org = o ? orgLabel(o) : x.owner ? x.owner_name || "" : "";
  return [org, unitName(x, r, x.part || need.capability)].filter(Boolean).join(" · ");
}

// A need's dispatches, each with its state as it changes: the need's story on its card.
function storyHtml(n, dispatches) {
  const mine = dispatches.filter((x) => x.need === n.id);
  if (!mine.length) return "";
  return `<ul class="story" aria-label="${esc(t("storyOf"))}" data-testid="story-${esc(n.id)}">${mine.map((x) =>
    `<li data-status="${esc(x.status)}" data-testid="story-${esc(x.id)}">${esc(sender(x))} × ${x.quantity}
      <span class="status s-${esc(x.status)}">${esc(T().statuses[x.status] || x.status)}</span></li>`).join("")}</ul>`;
}

// Unmet needs, the most urgent first, then the one waiting longest (a need the board no longer lists last).
function unmetOrder(needsById) {
  return (a, b) => {
    const na = needsById[a.need] || {};
    const nb = needsById[b.need] || {};
    const pa = na.id ? na.priority : a.priority;
    const pb = nb.id ? nb.priority : b.priority;
    return pb - pa || String(na.reported_at || "~").localeCompare(String(nb.reported_at || "~")) || String(a.need).localeCompare(String(b.need));
  };
}

// Another community's name as this page knows it (the street's list, or a dispatch of its units); "" when
// unknown (a cadre is not told the other communities' names): never its id.
function neighbourName(id) {
  const named = communityName(id);
  if (named) return named;
  const x = (state.data.dispatches || []).find((d) => d.owner === id && d.owner_name);
  return x ? x.owner_name : "";
}

// The neighbour the street asked that sent one of its units: the last answer is its, not the street's staff's.
function neighbourSent(n) {
  const [prev, last] = (n.answers || []).slice(-2);
  return last && prev && last.answer === "assigned" && prev.answer === "asked" && !String(last.by || "").startsWith("street:") ? prev : null;
}

// What the street did about an escalated need, in plain words ("" for a need not escalated nor answered).
export function escalationState(n) {
  const last = (n.answers || []).at(-1);
  if (!last) return n.escalated ? T().escalation.open : "";
  const asked = neighbourSent(n);
  if (asked) {
    const name = neighbourName(asked.community);
    return t("neighbourSent", { c: name ? `「${name}」` : "" });
  }
  const text = T().escalation[last.answer] || last.answer;
  const name = last.answer === "asked" && last.community ? neighbourName(last.community) : "";
  return name ? text + t("askedWho", { c: name }) : text;
}

// The state and the note of whoever answered (the street, or the neighbour it asked), as a need's and an unmet
// need's cards show them.
function escalationHtml(n) {
  const state = escalationState(n);
  if (!state) return "";
  const note = ((n.answers || []).at(-1) || {}).note;
  const label = neighbourSent(n) ? "neighbourNote" : "streetNote";
  return `<div class="escalation" data-testid="escalation-${esc(n.id)}"><span class="status" data-testid="escalated-${esc(n.id)}">⬆ ${esc(state)}</span>
    ${note ? `<div class="street-note" data-testid="street-note-${esc(n.id)}">${esc(t(label, { n: note }))}</div>` : ""}</div>`;
}

// Which of the street's communities the view shows (app.js reads the choice); one community: no picker.
export function communityPicker() {
  if (state.me.communities.length < 2) return "";
  return `<label for="community-pick">${t("pickCommunity")}</label><select id="community-pick" data-testid="community-pick">${state.me.communities
    .map((c) => `<option value="${esc(c)}" ${c === state.community ? "selected" : ""}>${esc(communityName(c))}</option>`).join("")}</select>`;
}

export function cadreView(d, readOnly) {
  const community = d.community;
  const canRun = !readOnly && (state.me.role === "cadre" || state.me.role === "street");
  const needsById = Object.fromEntries((d.needs || []).map((n) => [n.id, n]));
  const orgName = Object.fromEntries((d.organisations || []).map((o) => [o.id, orgLabel(o)]));
  const res = Object.fromEntries((d.resources || []).map((r) => [r.id, r]));
  let html = communityPicker();
  if (canRun) {
    html += community.incident
      ? `<div class="row choices"><button class="quiet" data-action="level" data-testid="change-level">${t("changeLevel")}</button>
         <button class="danger" data-action="close-incident" data-testid="close-incident">${t("close")}</button></div>`
      : `<button class="danger big" data-action="start" data-testid="start-incident">${t("start")}</button>`;
  } else if (readOnly) {
    html += `<p class="muted">${t("readOnly")}</p>`;
  }
  // The incident in the standard forms other systems and the paper trail read (api/routes/exports.py).
  if (community.incident) {
    html += `<div class="row choices"><button class="quiet" data-action="print-request" data-testid="print-request">${t("printRequest")}</button>
      <button class="quiet" data-action="export-edxl" data-testid="export-edxl">${t("exportEdxl")}</button>
      <button class="quiet" data-action="export-geojson" data-testid="export-geojson">${t("exportGeojson")}</button></div>`;
  }
  const open = (d.needs || []).filter((n) => n.status === "open");
  // What a cadre most wants to know of a need: is someone on the way, or does it still wait for a decision.
  const progress = (n) => {
    const mine = (d.dispatches || []).filter((x) => x.need === n.id);
    if (mine.some((x) => x.status !== "proposed")) return T().needProgress.sent;
    if (mine.some((x) => x.approval)) return t("waitStreet");
    if (mine.length) return T().needProgress.proposed;
    return T().statuses[n.status];
  };
  if (canRun) html += `<div class="row choices"><button class="big" data-action="new-need" data-testid="new-need">${t("newNeed")}</button></div>`;
  html += `<h2>${t("needs")}</h2><div class="cards" data-testid="needs">${open.length ? open.map((n) =>
    `<div class="card p${n.priority}" data-need="${esc(n.id)}" data-pin="need:${esc(n.id)}">${needLine(n)}<div class="status" data-testid="need-status-${esc(n.id)}">${esc(progress(n))}</div>
    ${pinButton("need", n.id)}
    ${storyHtml(n, d.dispatches || [])}${escalationHtml(n)}</div>`).join("") : `<div class="empty">${t("noNeeds")}</div>`}</div>`;
  const dispatches = d.dispatches || [];
  // 全部确认: every proposal this page shows a confirm button for, in one request.
  const confirmable = canRun ? dispatches.filter((x) => x.status === "proposed" && !x.approval && !pendingOn(x.id)) : [];
  const confirmAll = confirmable.length ? `<div class="row"><button class="go big" data-action="confirm-all"
    data-ids="${esc(confirmable.map((x) => x.id).join(" "))}" data-testid="confirm-all">${esc(t("confirmAll", { n: confirmable.length }))}</button></div>` : "";
  html += `<h2>${t("plan")}</h2>${confirmAll}<div class="cards" data-testid="plan">${dispatches.length ? dispatches.map((x) => {
    const n = needsById[x.need] || { capability: x.part || "" };
    const r = res[x.resource] || {};
    const id = esc(x.id);
    // Once the unit is there, how far it was is no news.
    const eta = ["on_site", "done"].includes(x.status) ? "" : x.travel_s == null ? t("unreachable") : t("minutes", { m: Math.max(1, Math.round(x.travel_s / 60)) });
    const overrideButton = `<button data-action="override" data-id="${id}" data-testid="override-${id}">${t("override")}</button>`;
    // A neighbour's unit waits for the street: its staff approve here, a cadre sees that it waits.
    const decide = x.approval
      ? state.me.role === "street" ? `<button class="go" data-action="approve" data-id="${id}" data-testid="approve-${id}">${t("approve")}</button>`
        : `<span class="status wait" data-testid="wait-street-${id}">${t("waitStreet")}</span>`
      : `<button class="go" data-action="confirm" data-id="${id}" data-testid="confirm-${id}">${t("confirm")}</button>`;
    const buttons = pendingOn(x.id) ? `<div class="status pending" data-testid="pending-${id}">${t("pending")}</div>`
      : canRun && x.status === "proposed" ? `<div class="row">${decide}${overrideButton}</div>`
        : canRun && ["confirmed", "notified"].includes(x.status) ? `<div class="row">${overrideButton}</div>` : "";
    // Another's organisation is not in this community's list: its owner's name says whose it is.
    const who = orgName[x.organisation] || (x.owner ? "" : t("orgUnknown"));
    const place = placeOf(n);
    return `<div class="card ${n.priority === LIFE_SAFETY ? "p5" : ""}" data-dispatch="${id}" data-status="${esc(x.status)}" data-pin="dispatch:${id}">
      <span class="owner" data-testid="owner-${id}">${esc(whose(x))}</span>
      ${who ? `<strong>${esc(who)}</strong> · ` : ""}<span data-testid="unit-${id}">${esc(unitName(x, r, x.part || n.capability))}</span> × ${x.quantity}
      → ${esc(cap(x.part || n.capability))}${place ? ` · ${esc(place)}` : ""}
      ${n.note ? `<div class="muted" data-testid="plan-note-${id}">${esc(n.note)}</div>` : ""}
      <div>${eta ? `${esc(eta)} · ` : ""}<span class="status" data-testid="status-${id}">${esc(T().statuses[x.status])}</span></div>${buttons}${pinButton("dispatch", x.id)}</div>`;
  }).join("") : `<div class="empty">${t("noPlan")}</div>`}</div>`;
  const unmet = [...((d.plan && d.plan.unmet) || [])].sort(unmetOrder(needsById));
  html += `<h2>${t("unmet")}</h2><div class="cards" data-testid="unmet">${unmet.length ? unmet.map((u) => {
    const n = needsById[u.need] || {};
    // The need's priority as the board has it now, as on its need card; the plan's own if it is not listed.
    const shown = n.id ? n : u;
    const s = u.suggestion;
    const button = !canRun ? "" : s.action === "relax_rule"
      ? `<button data-action="relax" data-rule="${esc(s.rule)}" data-testid="relax-${esc(u.need)}">${esc(t("relax", { r: s.rule }))}</button>`
      : n.escalated ? "" : `<button class="danger" data-action="escalate" data-id="${esc(u.need)}" data-testid="escalate-${esc(u.need)}">${t("escalate")}</button>`;
    const answered = escalationState(n);
    return `<div class="card p${shown.priority}" data-unmet="${esc(u.need)}" data-reason="${esc(u.reason)}">${priorityBadge(shown)} <strong>${esc(cap(n.capability))}</strong> × ${u.quantity}
      <div>${esc(u.detail)}</div><div class="muted">${esc(s.text)}</div>${answered ? `<div class="status">⬆ ${esc(answered)}</div>` : ""}
      ${button ? `<div class="row">${button}</div>` : ""}</div>`;
  }).join("") : `<div class="empty">${t("noUnmet")}</div>`}</div>`;
  return withMap(html);
}

// By data-action; `c` is the path of the community the view was drawn for.
function newNeedForm(d, again) {
  return `<h2>${t("report")}</h2>${again ? `<p class="status error" role="alert">${t("needRetry")}</p>` : ""}
    <label>${t("what")}<select name="capability" data-testid="new-need-cap">${Object.keys(T().caps).map((k) =>
      `<option value="${esc(k)}" ${k === d.capability ? "selected" : ""}>${esc(cap(k))}</option>`).join("")}</select></label>
    <label>${t("howMany")}<input name="quantity" type="number" inputmode="numeric" min="1" value="${d.quantity}" data-testid="new-need-qty"></label>
    <label>${t("urgency")}<select name="priority" data-testid="new-need-priority">${DESCENDING.map((p) =>
      `<option value="${p}" ${p === d.priority ? "selected" : ""}>${p} ${esc(T().priorities[p])}</option>`).join("")}</select></label>
    <label for="new-need-place-q">${t("where")}</label>${placeField("new-need-place", d.where)}
    <div class="map-slot small" data-map-slot="new-need-map"></div>
    <label>${t("note")}<input name="note" value="${esc(d.note)}" maxlength="1000" data-testid="new-need-note"></label>
    ${dialogButtons(t("send"), "primary", "new-need-send")}`;
}

export const actions = {
  // A need the cadre reports: what, how many, how urgent, and where (the place picker), in one dialog. Refused by the
  // server (an address that matches no place, with no tap on the map), it opens again as it was.
  async "new-need"(el, c) {
    const draft = { capability: "rescue.boat", quantity: 1, priority: 4, note: "", where: emptyPlace() };
    for (let tries = 0; ; tries++) {
      const form = await ask(newNeedForm(draft, tries > 0), (f) => {
        const slot = f.querySelector("[data-map-slot]");
        const redraw = () => state.data.map && draw(slot, state.data.map, { mark: draft.where.node }, tapped);
        const tapped = bindPlaceField(f, "new-need-place", c, draft.where, {
          onMap: () => slot.scrollIntoView({ block: "center" }),
          onChange: redraw,
        });
        redraw();
        f.onsubmit = (ev) => {
          if (ev.submitter && ev.submitter.value === "ok" && !placeBody(draft.where)) refuse(ev, t("needPlace"));
        };
      });
      if (!form) return;
      Object.assign(draft, { capability: String(form.get("capability")), quantity: Math.max(1, Number(form.get("quantity")) || 1),
        priority: Number(form.get("priority")), note: String(form.get("note") || "").trim() });
      const body = { capability: draft.capability, quantity: draft.quantity, priority: draft.priority, ...placeBody(draft.where) };
      if (draft.note) body.note = draft.note;
      if ((await act("POST", `${c}/needs`, body, t("sent"))) !== null) return;
    }
  },
  async start(el, c) {
    const form = await ask(`<h2>${t("startTitle")}</h2><label for="incident-kind">${t("kind")}</label>
      <select name="kind" id="incident-kind" data-testid="incident-kind">${Object.entries(T().kinds).map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join("")}</select>
      <label for="incident-level">${t("levelQ")}</label><select name="level" id="incident-level" data-testid="incident-level">${[1, 2, 3, 4].map((l) => `<option ${l === 2 ? "selected" : ""}>${l}</option>`).join("")}</select>
      <label class="check"><input type="checkbox" name="exercise" data-testid="incident-exercise"> ${t("isDrill")}</label>
      <div class="row choices"><button value="cancel">${t("cancel")}</button><button class="danger" value="ok" data-testid="confirm-start">${t("confirmStart")}</button></div>`);
    if (form) await act("POST", `${c}/incidents`, { kind: form.get("kind"), level: Number(form.get("level")), exercise: form.get("exercise") === "on" });
  },
  async level(el, c) {
    const now = state.data.community.incident.level;
    const form = await ask(`<h2>${t("changeLevel")}</h2><label for="level-pick">${t("levelQ")}</label><select name="level" id="level-pick">${[1, 2, 3, 4].map((l) => `<option ${l === now ? "selected" : ""}>${l}</option>`).join("")}</select>
      <div class="row choices"><button value="cancel">${t("cancel")}</button><button class="primary" value="ok">${t("ok")}</button></div>`);
    if (form) await act("POST", `${c}/incidents/${state.data.community.incident.id}/level`, { level: Number(form.get("level")) });
  },
  async "close-incident"(el, c) {
    const form = await ask(`<h2>${t("confirmClose")}</h2><div class="row choices"><button value="cancel">${t("cancel")}</button>
      <button class="danger" value="ok" data-testid="confirm-close">${t("close")}</button></div>`);
    if (form) await act("POST", `${c}/incidents/${state.data.community.incident.id}/close`);
  },
  // 资源请求单: the server's page, printed alone (resource-request.css), as the buildings' QR sheet is.
  async "print-request"(el, c) {
    const text = await fetchedText(`${c}/incidents/${encodeURIComponent(state.data.community.incident.id)}/resource-request.html`);
    if (text === null) return;
    const page = new DOMParser().parseFromString(text, "text/html");
    let area = document.getElementById("print-request");
    if (!area) {
      area = document.createElement("div");
      area.id = "print-request";
      document.body.appendChild(area);
    }
    area.replaceChildren(...[...page.body.childNodes].map((n) => document.adoptNode(n)));
    document.body.classList.add("print-request");
    window.print();
    document.body.classList.remove("print-request");
  },
  async "export-edxl"(el, c) {
    const incident = state.data.community.incident.id;
    for (const kind of ["request-resource", "commit-resource"]) {
      await download(`${c}/incidents/${encodeURIComponent(incident)}/edxl-rm/${kind}`, `${state.community}-${incident}-${kind}.xml`);
    }
  },
  async "export-geojson"(el, c) {
    await download(`${c}/geojson`, `${state.community}.geojson`);
  },
  async confirm(el, c) {
    await act("POST", `${c}/assignments/${el.dataset.id}/confirm`, undefined, t("confirmed_"));
  },
  async "confirm-all"(el, c) {
    const ids = el.dataset.ids.split(" ").filter(Boolean);
    await act("POST", `${c}/assignments/confirm`, { assignments: ids }, t("confirmedAll", { n: ids.length }));
  },
  async override(el, c) {
    const id = el.dataset.id;
    const x = state.data.dispatches.find((d) => d.id === id);
    // The plan's message may land before the need's: read the page's data again rather than fail.
    const needOf = () => (state.data.needs || []).find((n) => n.id === x.need);
    if (!needOf()) await refresh();
    const need = needOf();
    if (!need) return;
    const wanted = x.part || need.capability;
    const options = state.data.resources.filter((r) => r.capability === wanted && r.id !== x.resource && r.status === "available" && r.quantity - r.committed >= x.quantity);
    const orgName = Object.fromEntries((state.data.organisations || []).map((o) => [o.id, orgLabel(o)]));
    const form = await ask(`<h2>${t("pickOther")}</h2>${options.length ? `<select name="resource" aria-label="${esc(t("pickOther"))}" data-testid="override-pick">${options.map((r) =>
      `<option value="${esc(r.id)}">${[orgName[r.organisation] || t("orgUnknown"), r.name || cap(r.capability), placeOf(r), r.quantity - r.committed].filter((v) => v !== "").map(esc).join(" · ")}</option>`).join("")}</select>`
      : `<p class="empty">${t("noOther")}</p>`}
      <div class="row choices"><button value="cancel">${t("cancel")}</button>${options.length ? `<button class="primary" value="ok" data-testid="confirm-override">${t("override")}</button>` : ""}</div>`);
    if (form && form.get("resource")) await act("POST", `${c}/assignments/${id}/override`, { resource: form.get("resource") }, t("overridden_"));
  },
  async escalate(el, c) {
    await act("POST", `${c}/needs/${el.dataset.id}/escalate`, undefined, t("escalated_"));
  },
  async relax(el, c) {
    const form = await ask(`<h2>${esc(t("relaxAsk", { r: el.dataset.rule }))}</h2><div class="row choices"><button value="cancel">${t("cancel")}</button>
      <button class="danger" value="ok" data-testid="confirm-relax">${t("relaxGo")}</button></div>`);
    if (form) await act("POST", `${c}/profile/relax`, { rule: el.dataset.rule });
  },
};
