// The pool editor: the street's staff keep the street's own pool (and may open a community's), the community
// head keeps the community's. Organisations are registered, their units added and changed (what they do, how
// many, certifications, where they are based, when they serve, their status); a pool also goes out to Excel or
// CSV and comes back from a sheet, checked first: with any problem nothing is written.
import { state } from "./state.js";
import { ZH, T, t, cap, cert } from "./i18n.js";
import { $, esc, byId, loading, toast } from "./dom.js";
import { ask, dialogButtons, refuse } from "./dialog.js";
import { act, api, download } from "./api.js";
import { draw } from "./map.js";
import { placeField, bindPlaceField, placeBody, emptyPlace } from "./placepick.js";
import { placeOf } from "./emergency.js";
import { refresh } from "./refresh.js";
import { communityName } from "./tasks.js";
import { giveToken } from "./people.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// Whose pool and people the page shows: "street" (the street's own) or a community's id.
export function owner() {
  return state.me.role === "street" ? state.owner || "street" : state.community;
}

export const ownerPath = (o = owner()) => (o === "street" ? `/streets/${encodeURIComponent(state.me.street)}` : `/communities/${o}`);

// The street's staff choose whose pool (and whose people) they keep.
export function ownerPicker(label = "poolOf") {
  if (state.me.role !== "street") return "";
  const o = owner();
  return `<label for="owner-pick">${t(label)}</label><select id="owner-pick" data-testid="owner-pick">
    <option value="street" ${o === "street" ? "selected" : ""}>${t("streetUnit")}</option>${state.me.communities.map((c) =>
    `<option value="${esc(c)}" ${c === o ? "selected" : ""}>${esc(communityName(c))}</option>`).join("")}</select>`;
}

// A new id no other record of `taken` has: base-1, base-2, ...
export function freshId(base, taken) {
  const used = new Set(taken);
  for (let n = used.size + 1; ; n += 1) if (!used.has(`${base}${n}`)) return `${base}${n}`;
}

export function poolView(d) {
  const e = d.editor;
  if (!e || e.owner !== owner()) return `${ownerPicker()}${loading()}`;
  if (e.missing) return `${ownerPicker()}<div class="empty" data-testid="no-street">${t("noStreet")}</div>`;
  const o = owner();
  const units = e.units;
  const sheet = `<button type="button" data-action="pool-export" data-kind="xlsx" data-testid="export-xlsx">${t("exportXlsx")}</button>
    <button type="button" data-action="pool-export" data-kind="csv" data-testid="export-pool-csv">${t("exportCsvPool")}</button>
    <label class="button file-pick" data-testid="import-pick">${t("importPool")}<input type="file" id="import-file" class="offscreen"
      accept=".xlsx,.csv,text/csv,${XLSX}" data-testid="import-file"></label>`;
  const orgs = e.orgs;
  return `${ownerPicker()}<h2>${t("poolTitle")}</h2>
    <div class="row choices"><button class="primary" data-action="add-org" data-testid="add-org">${t("addOrg")}</button>${sheet}</div>
    <div class="cards" data-testid="pool-editor">${orgs.length ? orgs.map((org) => orgCard(org, units.filter((r) => r.organisation === org.id))).join("")
    : `<div class="empty">${t("noOrgs")}</div>`}</div>`;
}

function orgCard(org, units) {
  const id = esc(org.id);
  return `<div class="card org" data-testid="pool-org-${id}"><div><strong>${esc(org.name || T().orgKinds[org.kind] || "")}</strong>
    <span class="muted">${esc(T().orgKinds[org.kind] || org.kind)}</span></div>
    ${units.map(unitRow).join("") || `<div class="muted">${t("noUnits")}</div>`}
    <div class="row"><button data-action="add-res" data-org="${id}" data-testid="add-res-${id}">${t("addRes")}</button>
      <button class="quiet" data-action="edit-org" data-org="${id}" data-testid="edit-org-${id}">${t("editOrg")}</button>
      <button class="quiet" data-action="org-token" data-org="${id}" data-testid="org-token-${id}">${t("giveToken")}</button></div></div>`;
}

function unitRow(r) {
  const id = esc(r.id);
  const certs = (r.certifications || []).map((c) => `<span class="tag">${esc(cert(c))}</span>`).join("");
  return `<div class="unit st-${esc(r.status)}" data-testid="res-${id}"><div><strong>${esc(r.name || cap(r.capability))}</strong> · ${esc(cap(r.capability))}
      × <b data-testid="res-qty-${id}">${r.quantity}</b></div>
    <div class="muted">${esc(placeOf(r))} · ${esc(T().modes[r.modes] || r.modes)} · <span data-testid="res-status-${id}">${esc(T().resStatuses[r.status] || r.status)}</span> ${certs}</div>
    <div class="row"><button data-action="edit-res" data-id="${id}" data-testid="edit-res-${id}">${t("editRes")}</button></div></div>`;
}

// A new organisation (`org` null) or a registered one's name and kind; its id never changes once registered.
async function editOrg(org) {
  const o = owner();
  const base = `${o === "street" ? state.me.street : o}-org`;
  const id = org ? org.id : freshId(base, state.data.editor.orgs.map((x) => x.id));
  const kind = org ? org.kind : Object.keys(ZH.orgKinds)[0];
  const title = t(org ? "editOrg" : "addOrg");
  const form = await ask(`<h2>${title}</h2>
    <label>${t("orgName")}<input name="name" maxlength="200" value="${esc(org ? org.name : "")}" data-testid="org-name"></label>
    <label>${t("orgKind")}</label><div class="picks">${Object.keys(ZH.orgKinds).map((k) => `<label class="pick" data-testid="org-kind-${k}">
      <input type="radio" name="kind" value="${k}" ${k === kind ? "checked" : ""}> ${esc(T().orgKinds[k] || k)}</label>`).join("")}</div>
    ${org ? `<label>${t("orgId")}<input value="${esc(id)}" readonly data-testid="org-id"></label>`
    : `<label>${t("autoId")}<input name="id" value="${esc(id)}" pattern="[A-Za-z0-9_.\\-]+" required data-testid="org-id"></label>`}
    ${dialogButtons(org ? t("save") : title, "primary", "org-save")}`, (el) => {
    el.onsubmit = (e) => {
      if (e.submitter && e.submitter.value === "ok" && !String(new FormData(el).get("name") || "").trim()) refuse(e, t("needName"));
    };
  });
  if (!form) return;
  const body = { kind: form.get("kind"), name: String(form.get("name")).trim() };
  if (org) await act("PATCH", `${ownerPath(o)}/organisations/${encodeURIComponent(org.id)}`, body);
  else await act("POST", `${ownerPath(o)}/organisations`, { id: String(form.get("id")).trim(), ...body });
}

// Every certification the pool uses: ticked in a list rather than typed again.
function knownCerts() {
  return [...new Set(state.data.editor.units.flatMap((r) => r.certifications || []))].sort();
}

async function editUnit(org, r) {
  const e = state.data.editor;
  const o = owner();
  const isNew = !r;
  const unit = r || { id: freshId(`${org.id}-`, e.units.map((x) => x.id)), capability: "", quantity: 1, location: "",
    certifications: [], modes: "both", status: "available", name: "" };
  const caps = Object.keys(ZH.caps);
  if (unit.capability && !caps.includes(unit.capability)) caps.push(unit.capability);
  // Where the unit is: its place as the server names it, until another is picked (never the node id).
  const where = unit.location ? { ...emptyPlace(), node: unit.location, name: placeOf(unit) } : emptyPlace();
  const picks = (name, table, value) => `<div class="picks">${Object.keys(table).map((k) => `<label class="pick" data-testid="res-${name}-${k}">
    <input type="radio" name="${name}" value="${k}" ${k === value ? "checked" : ""}> ${esc(T()[name === "modes" ? "modes" : "resStatuses"][k])}</label>`).join("")}</div>`;
  const form = await ask(`<h2>${esc(t("resTitle", { o: org.name || T().orgKinds[org.kind] || "" }))}</h2>
    <label>${t("resName")}<input name="name" value="${esc(unit.name)}" maxlength="200" data-testid="res-name"></label>
    <label>${t("resCap")}${isNew ? `<select name="capability" data-testid="res-cap">${caps.map((c) =>
      `<option value="${esc(c)}" ${c === unit.capability ? "selected" : ""}>${esc(cap(c))}</option>`).join("")}</select>`
      : `<input value="${esc(cap(unit.capability))}" readonly>`}</label>
    <label>${t("resQty")}<input name="quantity" type="number" inputmode="numeric" min="0" value="${unit.quantity}" data-testid="res-quantity"></label>
    <label for="res-place-q">${t("resWhere")}</label>${placeField("res-place", where)}
    <div class="map-slot small" data-map-slot="pick-map"></div>
    <label>${t("resCerts")}</label><div class="picks">${[...new Set([...knownCerts(), ...unit.certifications])].map((c) => `<label class="pick">
      <input type="checkbox" name="cert" value="${esc(c)}" ${unit.certifications.includes(c) ? "checked" : ""}> ${esc(cert(c))}</label>`).join("")}</div>
    <label>${t("newCert")}<input name="newcert" autocomplete="off" data-testid="res-newcert"></label>
    <label>${t("resModes")}</label>${picks("modes", ZH.modes, unit.modes)}
    <label>${t("resStatus")}</label>${picks("status", ZH.resStatuses, unit.status)}
    ${dialogButtons(t("save"), "primary", "res-save")}`, (el) => {
    const slot = el.querySelector("[data-map-slot]");
    // The pool's other units are drawn, so a place is picked among known ones.
    const units = e.units.filter((x) => x.id !== unit.id).map((x) => ({ key: `unit:${x.id}`, at: x.location, label: x.name || cap(x.capability) }));
    const redraw = () => e.map && draw(slot, e.map, { units, mark: where.node }, tapped);
    const tapped = bindPlaceField(el, "res-place", ownerPath(o), where, {
      onMap: () => slot.scrollIntoView({ block: "center" }),
      onChange: redraw,
    });
    redraw();
    el.onsubmit = (ev) => {
      if (!ev.submitter || ev.submitter.value !== "ok") return;
      const data = new FormData(el);
      const q = Number(data.get("quantity"));
      const cert = String(data.get("newcert") || "").trim();
      if (!String(data.get("name") || "").trim()) return refuse(ev, t("needName"));
      if (!(Number.isInteger(q) && q >= 0) || data.get("quantity") === "") return refuse(ev, t("badQty"));
      if (!placeBody(where)) return refuse(ev, t("needWhere"));
      if (cert && !/^[a-z][a-z0-9_]*$/.test(cert)) return refuse(ev, t("badCert"));
    };
  });
  if (!form) return;
  const certs = form.getAll("cert").map(String);
  const extra = String(form.get("newcert") || "").trim();
  if (extra && !certs.includes(extra)) certs.push(extra);
  const body = { quantity: Number(form.get("quantity")), ...placeBody(where), certifications: certs.sort(),
    modes: form.get("modes"), status: form.get("status"), name: String(form.get("name")).trim() };
  if (isNew) await act("POST", `${ownerPath(o)}/resources`, { id: unit.id, organisation: org.id, capability: form.get("capability"), ...body });
  else await act("PATCH", `${ownerPath(o)}/resources/${encodeURIComponent(unit.id)}`, body);
}

// A sheet to import: checked first (dry run); a clean one is written when the person says so, a sheet with
// problems is shown as a table of them and nothing is written.
async function importSheet(file) {
  const type = file.type || (/\.csv$/i.test(file.name) ? "text/csv" : XLSX);
  const path = `${ownerPath()}/pool/import`;
  let checked;
  try {
    checked = await api("POST", `${path}?dry_run=1`, file, { type });
  } catch (err) {
    if (err.status === 422 && err.problem && err.problem.errors) return showProblems(err.problem);
    toast(t("failed") + err.message);
    return;
  }
  const o = checked.organisations;
  const r = checked.resources;
  const form = await ask(`<h2>${t("importTitle")}</h2><p data-testid="import-summary">${esc(t("importCheck",
    { rows: checked.rows, oa: o.added, ra: r.added, rc: r.changed, ru: r.unchanged }))}</p>${dialogButtons(t("importGo"), "primary", "import-go")}`);
  if (!form) return;
  try {
    await api("POST", path, file, { type });
  } catch (err) {
    if (err.status === 422 && err.problem && err.problem.errors) return showProblems(err.problem);
    toast(t("failed") + err.message);
    return;
  }
  toast(t("imported"));
  await refresh();
}

async function showProblems(problem) {
  const C = T().importCols;
  await ask(`<h2>${t("importTitle")}</h2><p class="status error">${esc(t("importBad", { n: problem.problems || problem.errors.length }))}</p>
    <table class="board" data-testid="import-problems"><thead><tr><th>${C.row}</th><th>${C.column}</th><th>${C.problem}</th><th>${C.value}</th></tr></thead>
    <tbody>${problem.errors.map((p) => `<tr><td>${esc(p.row ?? "")}</td><td>${esc(p.column ?? "")}</td><td>${esc(p.problem)}</td><td>${esc(p.value ?? "")}</td></tr>`).join("")}</tbody></table>
    <div class="row choices"><button value="cancel" data-testid="import-close">${t("close_")}</button></div>`);
}

function unitOf(id) {
  const e = state.data.editor;
  const r = e && e.units.find((x) => x.id === id);
  return r ? [byId(e.orgs)[r.organisation] || { id: r.organisation }, r] : null;
}

// By data-action.
export const actions = {
  "add-org": () => editOrg(null),
  async "edit-org"(el) {
    const org = byId(state.data.editor.orgs)[el.dataset.org];
    if (org) await editOrg(org);
  },
  async "add-res"(el) {
    const org = byId(state.data.editor.orgs)[el.dataset.org];
    if (org) await editUnit(org, null);
  },
  async "edit-res"(el) {
    const found = unitOf(el.dataset.id);
    if (found) await editUnit(...found);
  },
  async "org-token"(el) {
    const org = byId(state.data.editor.orgs)[el.dataset.org];
    if (org) await giveToken(ownerPath(), { role: "organisation", organisation: org.id, name: org.name || org.id });
  },
  async "pool-export"(el) {
    const kind = el.dataset.kind;
    const o = owner();
    const info = state.data.streetInfo;
    const name = o !== "street" ? communityName(o) : (info && info.name) || state.me.street;
    await download(`${ownerPath(o)}/pool.${kind}`, `${name}资源库.${kind}`);
  },
};

// The owner picker and the import's file input.
export function bindPool() {
  const pick = $("#owner-pick");
  if (pick) {
    pick.onchange = () => {
      state.owner = pick.value;
      delete state.data.editor;
      delete state.data.people;
      refresh();
    };
  }
  const input = $("#import-file");
  if (input) {
    input.onchange = async () => {
      const file = input.files[0];
      input.value = "";
      if (file) await importSheet(file);
    };
  }
}
