// Residents' appeals (居民诉求, 接诉即办): the cadres' triage queue, a grid worker's work orders, the buildings' QR
// codes, and the appeals' rates on the score board. An appeal comes from a building's QR link with no account;
// a cadre turns it into a need, a work order, a reply or a merge, each in a short dialog.
import { state } from "./state.js";
import { ZH, T, t, cap } from "./i18n.js";
import { esc, loading, toast } from "./dom.js";
import { act } from "./api.js";
import { ask, refuse, dialogButtons } from "./dialog.js";
import { waited, when } from "./dates.js";
import { formPhoto } from "./photos.js";
import { GRID_CAPS } from "./report.js";
import { DESCENDING } from "./priority.js";
import { communityPicker } from "./emergency.js";
import { communityName } from "./tasks.js";
import { refresh } from "./refresh.js";
import { render } from "./app.js";

// Open appeals, or those done (办结); the queue reads again when it changes.
export const shown = { state: "open" };

const words = (key, value) => (T()[key] || ZH[key])[value] || ZH[key][value] || value;
const OPEN = ["received", "handling"];
// A need or a work order is being handled; nothing else may be done with it but a reply (and, for a work
// order, marking it done for the grid worker).
const undecided = (a) => a.handling === null || a.handling === "reply";
const urgent = (a) => a.rescue || a.kind === "emergency";

// How many appeals wait: the tab's badge.
export const openAppeals = (d) => (d.appeals && d.appeals.open) || 0;

function late(a) {
  return OPEN.includes(a.status) && !a.responded_at && new Date(a.response_due) < new Date();
}

function phoneLink(a) {
  if (!a.contact_phone) return `<div class="muted">${t("appealNoPhone")}</div>`;
  const digits = String(a.contact_phone).replace(/[^\d+]/g, "");
  // A masked number (a live message's) cannot be dialled: shown, not linked.
  return /\*/.test(a.contact_phone) ? `<div>${esc(a.contact_phone)}</div>`
    : `<a class="button call" href="tel:${esc(digits)}" data-testid="appeal-phone-${esc(a.id)}">${t("call")} ${esc(a.contact_phone)}</a>`;
}

// Where it stands, in words: who has it, what was answered, what the grid worker wrote when done.
function progress(a) {
  const bits = [words("appealStatus", a.status)];
  if (a.handling === "order" && a.assignee_name) bits.push(t("orderedTo", { n: a.assignee_name }));
  if (a.handling === "need") bits.push(t("plannedNeed"));
  if (a.handling === "merge") {
    // By what it says, never by its number.
    const into = find(a.merged_into);
    bits.push(into ? t("mergedInto", { a: `${into.building_name}「${into.note.slice(0, 20)}」` }) : t("mergedElsewhere"));
  }
  if (a.rating) bits.push(t("ratedN", { n: a.rating }));
  return `<div class="status ap-${esc(a.status)}" data-status="${esc(a.status)}" data-testid="appeal-status-${esc(a.id)}">${esc(bits.join(" · "))}</div>
    ${a.reply ? `<div class="street-note">${esc(t("repliedWith", { r: a.reply }))}</div>` : ""}
    ${a.done_note ? `<div class="street-note">${esc(t("doneWith", { r: a.done_note }))}</div>` : ""}
    ${a.rating_comment ? `<div class="muted">${esc(t("ratingComment", { r: a.rating_comment }))}</div>` : ""}`;
}

function head(a) {
  // How long an open one has waited; when a closed one came.
  const wait = OPEN.includes(a.status) ? waited((Date.now() - new Date(a.received_at)) / 1000) : t("receivedAt", { d: when(a.received_at) });
  const over = late(a);
  return `<div class="task-head"><strong class="task-title">${esc(a.building_name)}</strong>
      <span class="tag">${esc(words("appealKinds", a.kind))}</span>
      <span class="prio ${a.urgency === "very_urgent" || urgent(a) ? "p5" : a.urgency === "urgent" ? "p4" : ""}">${esc(words("appealUrgency", a.urgency))}</span>
      ${a.rescue ? `<span class="flag">${t("rescue")}</span>` : ""}</div>
    <div class="${over ? "late-text" : "muted"}" data-testid="appeal-wait-${esc(a.id)}">${esc(wait)}${over ? ` · ${t("appealLate")}` : ""}</div>
    ${a.note ? `<div class="ev-text">${esc(a.note)}</div>` : ""}
    ${a.photo ? `<img class="thumb" alt="${t("photo")}" data-action="photo" data-photo="${esc(a.photo)}" data-community="${esc(state.community)}" data-testid="appeal-photo-${esc(a.id)}">` : ""}`;
}

function appealCard(a, first) {
  const data = `data-id="${esc(a.id)}"`;
  const open = OPEN.includes(a.status);
  const buttons = !open ? "" : undecided(a)
    ? `<div class="row">${first && first.id !== a.id ? `<button class="primary" data-action="appeal-merge-first" ${data} data-into="${esc(first.id)}" data-testid="appeal-merge-first-${esc(a.id)}">${t("mergeFirst")}</button>` : ""}
        <button class="go" data-action="appeal-need" ${data} data-testid="appeal-need-${esc(a.id)}">${t("toNeed")}</button>
        <button class="go" data-action="appeal-order" ${data} data-testid="appeal-order-${esc(a.id)}">${t("toOrder")}</button>
        <button data-action="appeal-reply" ${data} data-testid="appeal-reply-${esc(a.id)}">${t("reply")}</button>
        <button data-action="appeal-merge" ${data} data-testid="appeal-merge-${esc(a.id)}">${t("merge")}</button></div>`
    : `<div class="row"><button data-action="appeal-reply" ${data} data-testid="appeal-reply-${esc(a.id)}">${t("reply")}</button>
        ${a.handling === "order" ? `<button class="go" data-action="appeal-done" ${data} data-testid="appeal-done-${esc(a.id)}">${t("orderDone")}</button>` : ""}</div>`;
  return `<div class="card appeal ${urgent(a) ? "p5" : ""}" data-appeal="${esc(a.id)}" data-testid="appeal-${esc(a.id)}">
    ${head(a)}${phoneLink(a)}${progress(a)}${buttons}</div>`;
}

// The queue, most urgent first as the server sorts it; likely duplicates drawn together where the first of them
// stands, each other one with a tap to merge it into the first.
function queue(d) {
  const list = d.appeals.appeals;
  if (!list.length) return `<div class="empty" data-testid="appeals-empty">${t(shown.state === "open" ? "noAppeals" : "noDoneAppeals")}</div>`;
  const at = new Map(list.map((a) => [a.id, a]));
  const groupOf = new Map();
  for (const ids of d.appeals.groups || []) {
    const members = list.filter((a) => ids.includes(a.id) && undecided(a) && OPEN.includes(a.status));
    if (members.length > 1) for (const a of members) groupOf.set(a.id, members);
  }
  const drawn = new Set();
  const out = [];
  for (const a of list) {
    if (drawn.has(a.id)) continue;
    const group = groupOf.get(a.id);
    if (!group) {
      out.push(appealCard(a));
      drawn.add(a.id);
      continue;
    }
    for (const x of group) drawn.add(x.id);
    out.push(`<section class="dup-group" aria-label="${t("dupGroup")}" data-testid="dup-group-${esc(group[0].id)}">
      <h3>${t("dupGroup")}</h3><div class="cards">${group.map((x) => appealCard(at.get(x.id), group[0])).join("")}</div></section>`);
  }
  return `<div class="cards" data-testid="appeals">${out.join("")}</div>`;
}

export function appealsView(d) {
  const picker = state.me.role === "street" ? communityPicker() : "";
  const body = d.appeals === undefined ? loading() : d.appeals === null ? `<div class="empty">${t("noAppeals")}</div>` : queue(d);
  return `${picker}<h2>${t("appealsTitle")}</h2>
    <div class="choices" role="group" aria-label="${t("appealsTitle")}">${["open", "done"].map((s) =>
      `<button type="button" data-action="appeal-shown" data-state="${s}" aria-pressed="${shown.state === s}" data-testid="appeals-${s}">${t(s === "open" ? "appealsOpen" : "appealsDone")}</button>`).join("")}</div>
    ${body}${state.me.role === "cadre" ? `<h2>${t("appealRates")}</h2>${appealBoard(d.scores)}` : ""}`;
}

// A grid worker's work orders: where, what, the resident's number to call, and a big button once it is done.
export function ordersView(d) {
  if (d.appeals === undefined) return loading();
  // Those still to do first, in the queue's order; then those done.
  const all = (d.appeals && d.appeals.appeals) || [];
  const list = [...all.filter((a) => OPEN.includes(a.status)), ...all.filter((a) => !OPEN.includes(a.status))];
  if (!list.length) return `<h2>${t("myOrders")}</h2><div class="empty" data-testid="my-orders">${t("noOrders")}</div>`;
  return `<h2>${t("myOrders")}</h2><div class="cards" data-testid="my-orders">${list.map((a) => `<div class="card appeal ${urgent(a) ? "p5" : ""}" data-order="${esc(a.id)}" data-testid="order-${esc(a.id)}">
    ${head(a)}${phoneLink(a)}${progress(a)}
    ${OPEN.includes(a.status) ? `<button class="go big" data-action="appeal-done" data-id="${esc(a.id)}" data-testid="order-done-${esc(a.id)}">${t("orderDone")}</button>` : ""}</div>`).join("")}</div>`;
}

// -- the buildings' QR codes ----------------------------------------------------------------------

export function codesView(d) {
  const codes = d.codes === undefined ? undefined : (d.codes && d.codes.codes) || [];
  const name = (d.community && d.community.name) || "";
  const missing = (codes || []).filter((x) => !x.link).length;
  const cards = codes === undefined ? loading() : !codes.length ? `<div class="empty">${t("noBuildings")}</div>`
    : `<div class="qr-sheet" data-testid="qr-sheet">${codes.map((x) => `<div class="card qr-card" data-testid="code-${esc(x.building)}">
        <div class="qr-building">${esc(x.building_name)}</div>
        ${x.qr ? `<img class="qr" src="${esc(x.qr)}" alt="${esc(t("qrOf", { b: x.building_name }))}" data-testid="qr-${esc(x.building)}">
          <div class="qr-say">${t("scanToReport")}</div><div class="qr-community">${esc(name)}${x.grid_name ? ` · ${esc(x.grid_name)}` : ""}</div>
          <a class="qr-link" href="${esc(x.link)}" target="_blank" rel="noopener" data-testid="link-${esc(x.building)}">${esc(x.link)}</a>
          <button class="no-print" data-action="rotate-code" data-id="${esc(x.building)}" data-testid="rotate-${esc(x.building)}">${t("rotateCode")}</button>`
          : `<div class="muted">${t("noCodeYet")}</div>`}</div>`).join("")}</div>`;
  return `<div class="no-print"><h2>${t("codesTitle")}</h2><p class="muted">${t("codesHint")}</p>
    <div class="row choices">${missing ? `<button class="primary" data-action="make-codes" data-testid="make-codes">${t("makeCodes")}</button>` : ""}
      <button data-action="print-codes" data-testid="print-codes">${t("printCodes")}</button></div></div>${cards}`;
}

// -- the score board ------------------------------------------------------------------------------

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);

// 接诉即办 per community and in all: how many came, and the share answered in time, resolved and satisfied, each
// with the counts it is worked out from.
export function appealBoard(scores, name = communityName) {
  if (scores === undefined) return loading();
  if (!scores || !scores.appeals) return "";
  const C = { ...ZH.appealCol, ...(T().appealCol || {}) };
  const cell = (rate, part, whole, key, id) => `<td data-testid="rate-${key}-${esc(id)}" title="${part}/${whole}"><strong>${pct(rate)}</strong><div class="muted">${part}/${whole}</div></td>`;
  const row = (r, label, id) => `<tr data-testid="appeal-row-${esc(id)}"><td>${esc(label)}</td><td data-testid="rate-received-${esc(id)}">${r.received}</td>
    ${cell(r.response_rate, r.responded, r.counted, "response", id)}${cell(r.resolution_rate, r.resolved, r.received, "resolution", id)}
    ${cell(r.satisfaction_rate, r.satisfied, r.rated, "satisfaction", id)}</tr>`;
  const many = scores.appeals.length > 1;
  return `<div class="board-wrap"><table class="board" data-testid="board-appeals">
    <thead><tr><th>${C.community}</th><th>${C.received}</th><th>${C.response}</th><th>${C.resolution}</th><th>${C.satisfaction}</th></tr></thead>
    <tbody>${scores.appeals.map((r) => row(r, name(r.community), r.community)).join("")}
    ${many ? row(scores.appeals_total, C.total, "total") : ""}</tbody></table></div>`;
}

// -- actions --------------------------------------------------------------------------------------

const path = (id) => `/communities/${state.community}/appeals/${id}`;
const find = (id) => ((state.data.appeals && state.data.appeals.appeals) || []).find((a) => a.id === id);
const summary = (a) => `<p><strong>${esc(a.building_name)}</strong> · ${esc(words("appealKinds", a.kind))}${a.note ? `<br>${esc(a.note)}` : ""}</p>`;
const picks = (name, items, checked, testid) => `<div class="picks">${items.map(([value, label]) =>
  `<label class="pick" data-testid="${testid}-${esc(value)}"><input type="radio" name="${name}" value="${esc(value)}" ${value === checked ? "checked" : ""}> ${esc(label)}</label>`).join("")}</div>`;
const required = (name, message) => (el) => {
  el.onsubmit = (e) => {
    if (e.submitter && e.submitter.value === "ok" && !new FormData(el).get(name)) refuse(e, t(message));
  };
};

async function toNeed(a) {
  const priority = a.rescue ? 5 : urgent(a) || a.urgency === "very_urgent" ? 4 : 3;
  const form = await ask(`<h2>${t("toNeed")}</h2>${summary(a)}
    <fieldset class="plain"><legend>${t("what")}</legend>${picks("capability", GRID_CAPS.map((c) => [c, cap(c)]), null, "need-cap")}</fieldset>
    <label>${t("howMany")}<input name="quantity" type="number" inputmode="numeric" min="1" max="100" value="1" data-testid="need-quantity"></label>
    <fieldset class="plain"><legend>${t("urgency")}</legend>${picks("priority", DESCENDING.map((p) => [String(p), `${p} ${T().priorities[p]}`]), String(priority), "need-priority")}</fieldset>
    ${dialogButtons(t("toNeedGo"), "go", "need-send")}`, required("capability", "needCap"));
  if (!form) return;
  const body = { capability: form.get("capability"), quantity: Math.min(100, Math.max(1, Number(form.get("quantity")) || 1)), priority: Number(form.get("priority")) };
  await act("POST", `${path(a.id)}/need`, body, t("toNeedDone"));
}

// Staff who take work orders: the grid worker of the appeal's building's grid first, then other grid workers,
// then cadres.
function orderTakers(a) {
  const members = (state.data.members || []).filter((m) => ["grid_worker", "cadre", "head"].includes(m.role));
  const rank = (m) => (m.role === "grid_worker" ? (m.grid === a.grid ? 0 : 1) : 2);
  return members.sort((x, y) => rank(x) - rank(y) || x.name.localeCompare(y.name, "zh"));
}

async function toOrder(a) {
  const takers = orderTakers(a);
  if (!takers.length) return toast(t("noTakers"));
  const roles = T().memberRoles || ZH.memberRoles;
  const form = await ask(`<h2>${t("toOrder")}</h2>${summary(a)}
    <fieldset class="plain"><legend>${t("orderWho")}</legend><div class="picks column">${takers.map((m, i) =>
      `<label class="pick" data-testid="order-member-${esc(m.id)}"><input type="radio" name="member" value="${esc(m.id)}" ${i === 0 ? "checked" : ""}>
        ${esc(m.name)} · ${esc(roles[m.role] || m.role)}${m.grid === a.grid && m.role === "grid_worker" ? ` · ${t("ownGrid")}` : ""}</label>`).join("")}</div></fieldset>
    <label>${t("noteOpt")}<input name="note" maxlength="500" data-testid="order-note"></label>
    ${dialogButtons(t("toOrderGo"), "go", "order-send")}`, required("member", "pickMember"));
  if (!form) return;
  await act("POST", `${path(a.id)}/order`, { member: form.get("member"), note: String(form.get("note") || "").trim() }, t("toOrderDone"));
}

async function reply(a) {
  const outcomes = [["reply", t("replyOnly")], ["resolved", t("replyResolved")], ["close", t("replyClose")]];
  const form = await ask(`<h2>${t("reply")}</h2>${summary(a)}
    <label>${t("replyText")}<textarea name="text" rows="3" maxlength="500" data-testid="reply-text"></textarea></label>
    <fieldset class="plain"><legend>${t("replyAfter")}</legend><div class="picks column">${outcomes.map(([v, label], i) =>
      `<label class="pick" data-testid="reply-${v}"><input type="radio" name="outcome" value="${v}" ${i === 0 ? "checked" : ""}> ${esc(label)}</label>`).join("")}</div></fieldset>
    ${dialogButtons(t("replyGo"), "go", "reply-send")}`, (el) => {
    el.onsubmit = (e) => {
      if (e.submitter && e.submitter.value === "ok" && !String(new FormData(el).get("text") || "").trim()) refuse(e, t("needReply"));
    };
  });
  if (!form) return;
  const outcome = form.get("outcome");
  const body = { text: String(form.get("text")).trim(), resolved: outcome === "resolved", close: outcome === "close" };
  await act("POST", `${path(a.id)}/reply`, body, t("replied"));
}

async function merge(a, into = null) {
  if (!into) {
    const others = ((state.data.appeals && state.data.appeals.appeals) || [])
      .filter((x) => x.id !== a.id && OPEN.includes(x.status) && x.handling !== "merge")
      .sort((x, y) => Number(y.building === a.building) - Number(x.building === a.building));
    if (!others.length) return toast(t("noOtherAppeal"));
    const form = await ask(`<h2>${t("merge")}</h2>${summary(a)}
      <fieldset class="plain"><legend>${t("mergeWhich")}</legend><div class="picks column">${others.map((x) =>
        `<label class="pick" data-testid="merge-into-${esc(x.id)}"><input type="radio" name="into" value="${esc(x.id)}">
          ${esc(x.building_name)} · ${esc(words("appealKinds", x.kind))} · ${esc(x.note.slice(0, 40))}</label>`).join("")}</div></fieldset>
      ${dialogButtons(t("mergeGo"), "go", "merge-send")}`, required("into", "pickAppeal"));
    if (!form) return;
    into = form.get("into");
  }
  await act("POST", `${path(a.id)}/merge`, { into }, t("merged"));
}

async function done(a) {
  const form = await ask(`<h2>${t("orderDone")}</h2>${summary(a)}
    <label>${t("doneNote")}<textarea name="note" rows="3" maxlength="500" data-testid="done-note"></textarea></label>
    <label class="button photo-pick" data-testid="done-photo-pick"><input name="photo" type="file" accept="image/*" capture="environment" class="offscreen" data-testid="done-photo">
      <span id="photo-label">${t("donePhoto")}</span></label>
    ${dialogButtons(t("orderDone"), "go", "done-send")}`, (el) => {
    const input = el.querySelector('input[name="photo"]');
    input.onchange = () => { el.querySelector("#photo-label").textContent = t(input.files[0] ? "otherPhoto" : "donePhoto"); };
  });
  if (!form) return;
  const body = { note: String(form.get("note") || "").trim() };
  const photo = await formPhoto(form);
  if (photo === null) return;
  if (photo) body.photo = photo;
  await act("POST", `${path(a.id)}/done`, body, t("orderDoneSaid"));
}

async function makeCodes(buildings) {
  await act("POST", `/communities/${state.community}/codes`, buildings ? { buildings } : {}, t("codesMade"));
}

const withAppeal = (fn) => async (el) => {
  const a = find(el.dataset.id);
  if (a) await fn(a, el);
};

// By data-action.
export const actions = {
  "appeal-shown"(el) {
    shown.state = el.dataset.state;
    state.data.appeals = undefined;
    render(true);
    refresh(new Set(["appeals"]));
  },
  "appeal-need": withAppeal(toNeed),
  "appeal-order": withAppeal(toOrder),
  "appeal-reply": withAppeal(reply),
  "appeal-merge": withAppeal((a) => merge(a)),
  "appeal-merge-first": withAppeal((a, el) => merge(a, el.dataset.into)),
  "appeal-done": withAppeal(done),
  "make-codes": () => makeCodes(null),
  async "rotate-code"(el) {
    const code = ((state.data.codes && state.data.codes.codes) || []).find((x) => x.building === el.dataset.id);
    const form = await ask(`<h2>${t("rotateCode")}</h2><p><strong>${esc(code ? code.building_name : "")}</strong></p><p>${t("rotateWarn")}</p>
      ${dialogButtons(t("rotateGo"), "danger", "rotate-send")}`);
    if (form) await makeCodes([el.dataset.id]);
  },
  // The sheet alone, one building to a card (style.css, print): the page around it is left off.
  "print-codes"() {
    document.body.classList.add("print-codes");
    window.print();
    document.body.classList.remove("print-codes");
  },
};
