// Checks on vulnerable households in an incident: a grid worker's or captain's list (one tap per household;
// "needs help" asks what help and becomes a need), and the cadre's view of every check by grid.
import { state } from "./state.js";
import { T, t, cap } from "./i18n.js";
import { esc, byId, loading } from "./dom.js";
import { ask, dialogButtons, refuse } from "./dialog.js";
import { act, pendingAt } from "./api.js";
import { GRID_CAPS } from "./report.js";

function household(x) {
  return x.household && typeof x.household === "object" ? x.household : { id: x.household, building: x.building, tags: [] };
}

// Where a check stands (the server says; an older server's check by its result): nobody answering is to be
// followed up, not done.
const stateOf = (x) => x.state || (x.result === "pending" ? "pending" : x.result === "absent" ? "follow_up" : "done");
// Still to check first, then those to follow up, then the done.
const ORDER = { pending: 0, follow_up: 1, done: 2 };
const byState = (a, b) => ORDER[stateOf(a)] - ORDER[stateOf(b)];

function counts(list, key) {
  const kinds = [["pending", T().checkResult.pending, (x) => x.result === "pending"], ["follow_up", T().checkState.follow_up, (x) => stateOf(x) === "follow_up"],
    ["safe", T().checkResult.safe, (x) => x.result === "safe"], ["needs_help", T().checkResult.needs_help, (x) => x.result === "needs_help"]];
  return `<div class="counts" data-testid="counts-${esc(key)}">${kinds.map(([r, label, is]) =>
    `<span class="count r-${r}">${esc(label)} <b data-testid="count-${esc(key)}-${r}">${list.filter(is).length}</b></span>`).join("")}</div>`;
}

// The households nobody answered at: their own list, to visit again (a later answer closes the check).
function followUps(list, buildings) {
  const open = list.filter((x) => stateOf(x) === "follow_up");
  return `<h3>${t("followUps")}</h3><div class="cards" data-testid="follow-ups">${open.length
    ? open.map((c) => checkCard(c, buildings)).join("") : `<div class="empty">${t("noFollowUps")}</div>`}</div>`;
}

function checkCard(x, buildings) {
  const h = household(x);
  const building = buildings[h.building || x.building];
  const path = `/communities/${state.community}/checks/${h.id}`;
  const phone = h.phone || "";
  const callable = phone && !phone.includes("*");
  const data = `data-household="${esc(h.id)}"`;
  const buttons = pendingAt(path) ? `<div class="status pending" data-testid="pending-${esc(h.id)}">${t("pending")}</div>`
    : `<div class="row three"><button class="go" data-action="check" data-result="safe" ${data} aria-pressed="${x.result === "safe"}" data-testid="safe-${esc(h.id)}">${T().checkResult.safe}</button>
      <button class="danger" data-action="help" ${data} aria-pressed="${x.result === "needs_help"}" data-testid="help-${esc(h.id)}">${T().checkResult.needs_help}</button>
      <button data-action="check" data-result="absent" ${data} aria-pressed="${x.result === "absent"}" data-testid="absent-${esc(h.id)}">${T().checkResult.absent}</button></div>`;
  return `<div class="card check r-${esc(x.result)}" data-household="${esc(h.id)}" data-result="${esc(x.result)}" data-state="${esc(stateOf(x))}" data-testid="check-${esc(h.id)}">
    <div><strong>${esc(building ? building.name : h.place || "")} ${esc(h.address || "")}</strong>
      <span class="status result" data-testid="result-${esc(h.id)}">${esc(stateOf(x) === "follow_up"
        ? `${T().checkResult.absent} · ${T().checkState.follow_up}` : T().checkResult[x.result] || x.result)}</span></div>
    <div>${(h.tags || []).map((tag) => `<span class="tag">${esc(T().tags[tag] || tag)}</span>`).join("")} ${h.people ? esc(t("peopleN", { n: h.people })) : ""}</div>
    ${h.contact || phone ? `<div>${h.contact ? `${t("contact")} ${esc(h.contact)} ` : ""}${callable
      ? `<a class="button call" href="tel:${esc(phone)}" data-testid="tel-${esc(h.id)}">${t("call")} ${esc(phone)}</a>` : esc(phone)}</div>` : ""}
    ${h.note ? `<div class="muted">${esc(h.note)}</div>` : ""}
    ${x.note ? `<div class="muted">${esc(x.note)}</div>` : ""}
    ${x.need ? `<div class="muted">${t("needOpen")}</div>` : ""}
    ${buttons}</div>`;
}

// A grid worker's or captain's list: the households still to check first.
export function checklistView(d) {
  const x = d.checks;
  if (x === undefined) return loading();
  if (!x || !x.incident) return `<h2>${T().tabs.checklist}</h2><div class="empty" data-testid="checks">${t("noIncidentChecks")}</div>`;
  const list = [...x.checks].sort(byState);
  const buildings = byId(d.buildings);
  const rest = list.filter((c) => stateOf(c) !== "follow_up");
  return `<h2>${T().tabs.checklist}</h2>${counts(list, "all")}${followUps(list, buildings)}<h3>${T().checkState.pending} · ${T().checkState.done}</h3>
    <div class="cards" data-testid="checks">${rest.length ? rest.map((c) => checkCard(c, buildings)).join("") : `<div class="empty">${t("noChecks")}</div>`}</div>`;
}

// The community's checks by grid, with how many are still to be made in each.
export function communityChecksView(d) {
  const x = d.checks;
  if (x === undefined) return loading();
  if (!x || !x.incident) return `<div class="empty" data-testid="checks">${t("noIncidentChecks")}</div>`;
  const grids = byId(d.grids);
  const buildings = byId(d.buildings);
  const groups = {};
  for (const c of x.checks) (groups[c.grid] ||= []).push(c);
  return `<h2>${T().tabs.checks}</h2>${counts(x.checks, "all")}${followUps(x.checks, buildings)}<div data-testid="checks">${Object.keys(groups).sort().map((g) => {
    const list = groups[g].filter((c) => stateOf(c) !== "follow_up").sort(byState);
    return `<section class="grid-checks" data-grid="${esc(g)}" data-testid="grid-${esc(g)}"><h3>${esc((grids[g] && grids[g].name) || t("grid"))}</h3>
      ${counts(groups[g], g)}<div class="cards">${list.map((c) => checkCard(c, buildings)).join("")}</div></section>`;
  }).join("") || `<div class="empty">${t("noChecks")}</div>`}</div>`;
}

async function needsHelp(id) {
  const x = ((state.data.checks && state.data.checks.checks) || []).find((c) => household(c).id === id);
  const h = x ? household(x) : { id };
  const building = byId(state.data.buildings)[h.building];
  const form = await ask(`<h2>${t("helpTitle")}</h2><p><strong>${esc(building ? building.name : h.building || "")} ${esc(h.address || "")}</strong></p>
    <div class="picks">${GRID_CAPS.map((c) => `<label class="pick" data-testid="help-cap-${c}"><input type="radio" name="capability" value="${c}"> ${esc(cap(c))}</label>`).join("")}</div>
    <label>${t("note")}<input name="note" data-testid="help-note"></label>
    ${dialogButtons(t("send"), "danger", "help-send")}`, (el) => {
    el.onsubmit = (e) => {
      if (e.submitter && e.submitter.value === "ok" && !new FormData(el).get("capability")) refuse(e, t("needCap"));
    };
  });
  if (!form) return;
  const body = { result: "needs_help", capability: form.get("capability") };
  const note = String(form.get("note") || "").trim();
  if (note) body.note = note;
  await act("POST", `/communities/${state.community}/checks/${id}`, body, t("helpSent"));
}

// By data-action; `c` is the path of the community the view was drawn for.
export const actions = {
  async check(el, c) {
    await act("POST", `${c}/checks/${el.dataset.household}`, { result: el.dataset.result },
      el.dataset.result === "absent" ? T().checkState.follow_up : T().checkResult[el.dataset.result]);
  },
  async help(el) {
    await needsHelp(el.dataset.household);
  },
};
