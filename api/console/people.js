// People and their sign-in tokens: the community head (and the street's staff) keep the roster and give each
// person a token, shown once with a copy button; a token is revoked with one tap and a question. The street's
// own tokens (its staff, observers, its pool's organisations) are kept the same way.
import { state } from "./state.js";
import { ZH, T, t } from "./i18n.js";
import { esc, byId, loading, toast } from "./dom.js";
import { ask, dialogButtons, refuse } from "./dialog.js";
import { act, api } from "./api.js";
import { when } from "./dates.js";
import { refresh } from "./refresh.js";
import { owner, ownerPath, ownerPicker, freshId } from "./pooleditor.js";

// Which token each roster role signs in with (the head holds a cadre's).
const TOKEN_ROLE = { head: "cadre", cadre: "cadre", grid_worker: "grid_worker", captain: "captain" };
const COMMUNITY_ROLES = ["cadre", "grid_worker", "captain", "organisation", "observer"];
const STREET_ROLES = ["street", "observer", "organisation"];

export function peopleView(d) {
  const p = d.people;
  if (!p || p.owner !== owner()) return `${ownerPicker("peopleOf")}${loading()}`;
  const street = owner() === "street";
  const grids = byId(p.grids);
  const buildings = byId(p.buildings);
  const roster = street ? "" : `<h2>${t("members")}</h2>
    <div class="row choices"><button class="primary" data-action="add-member" data-testid="add-member">${t("addMember")}</button></div>
    <div class="cards" data-testid="members">${p.members.length ? p.members.map((m) => `<div class="card" data-testid="member-${esc(m.id)}">
      <strong>${esc(m.name)}</strong> · ${esc(T().memberRoles[m.role] || m.role)}
      <div class="muted">${[m.grid && (grids[m.grid] || {}).name, m.building && (buildings[m.building] || {}).name].filter(Boolean).map(esc).join(" · ")}</div>
      <div class="row"><button data-action="edit-member" data-id="${esc(m.id)}" data-testid="edit-member-${esc(m.id)}">${t("editMember")}</button>
        <button class="go" data-action="member-link" data-id="${esc(m.id)}" data-testid="member-link-${esc(m.id)}">${t("giveLink")}</button>
        <button data-action="member-token" data-id="${esc(m.id)}" data-testid="member-token-${esc(m.id)}">${t("giveToken")}</button></div></div>`).join("")
    : `<div class="empty">${t("noMembers")}</div>`}</div>`;
  const names = byId(p.members);
  const orgs = byId(p.orgs);
  const whom = (x) => (x.organisation ? (orgs[x.organisation] || {}).name || x.name : (names[x.name] || {}).name || x.name);
  const tokens = [...p.tokens].sort((a, b) => Boolean(a.revoked_at) - Boolean(b.revoked_at) || b.id - a.id);
  return `${ownerPicker("peopleOf")}${roster}<h2>${t("tokens")}</h2>
    <div class="row choices"><button class="primary" data-action="new-link" data-testid="new-link">${t("newLink")}</button>
      <button data-action="new-token" data-testid="new-token">${t("newToken")}</button></div>
    <div class="cards" data-testid="tokens">${tokens.length ? tokens.map((x) => `<div class="card token ${x.revoked_at ? "revoked" : ""}" data-testid="token-${x.id}">
      <strong>${esc(whom(x))}</strong> · ${esc(T().tokenRoles[x.role] || x.role)}
      <div class="muted">${esc(x.revoked_at ? t("revokedAt", { d: when(x.revoked_at) }) : t("madeAt", { d: when(x.created_at) }))}</div>
      ${x.revoked_at ? "" : `<div class="row"><button class="revoke" data-action="revoke" data-id="${x.id}" data-name="${esc(whom(x))}" data-testid="revoke-${x.id}">${t("revoke")}</button></div>`}</div>`).join("")
    : `<div class="empty">${t("noTokens")}</div>`}</div>`;
}

// Makes a token and shows it this once, with a button that copies it.
export async function giveToken(base, body) {
  let made;
  try {
    made = await api("POST", `${base}/tokens`, body);
  } catch (err) {
    toast(t("failed") + err.message);
    return;
  }
  refresh();
  await ask(`<h2>${t("tokens")}</h2><p>${t("tokenShown")}</p>
    <input id="token-shown" readonly value="${esc(made.token)}" aria-label="${esc(t("tokens"))}" data-testid="token-shown">
    <div class="row choices"><button type="button" class="go" id="token-copy" data-testid="token-copy">${t("copy")}</button>
      <button value="cancel" data-testid="token-close">${t("close_")}</button></div>`, (el) => {
    copyable(el.querySelector("#token-shown"), el.querySelector("#token-copy"), made.token);
  });
}

// A read-only field whose text is selected when it is tapped, and the button that copies it.
function copyable(input, button, text) {
  input.onfocus = () => input.select();
  button.onclick = async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      document.execCommand("copy");
    }
    toast(t("copied"));
  };
}

// Makes a one-time sign-in link and shows it as a QR code to scan or print, with the link to send.
export async function giveLink(base, body) {
  let made;
  try {
    made = await api("POST", `${base}/signin-links`, body);
  } catch (err) {
    toast(t("failed") + err.message);
    return;
  }
  const who = (byId(state.data.people && state.data.people.members)[made.name] || {}).name || made.name;
  await ask(`<div class="signin-link" data-testid="signin-link"><h2>${esc(t("linkTitle", { n: who }))}</h2>
    <img src="${esc(made.qr)}" alt="${esc(t("linkQr"))}" class="qr" data-testid="signin-qr">
    <p>${esc(t("linkShown", { d: when(made.expires_at) }))}</p>
    <label>${t("linkLabel")}<input id="link-shown" readonly value="${esc(made.link)}" data-testid="link-shown"></label></div>
    <div class="row choices"><button type="button" class="go" id="link-copy" data-testid="link-copy">${t("linkCopy")}</button>
      <button type="button" id="link-print" data-testid="link-print">${t("print")}</button>
      <button value="cancel" data-testid="link-close">${t("close_")}</button></div>`, (el) => {
    el.querySelector("#link-print").onclick = () => window.print();
    copyable(el.querySelector("#link-shown"), el.querySelector("#link-copy"), made.link);
  });
}

async function editMember(m) {
  const p = state.data.people;
  const member = m || { id: "", name: "", role: "grid_worker", grid: null, building: null };
  const id = m ? m.id : freshId("member", p.members.map((x) => x.id));
  const options = (list, value) => `<option value=""></option>${list.map((x) =>
    `<option value="${esc(x.id)}" ${x.id === value ? "selected" : ""}>${esc(x.name)}</option>`).join("")}`;
  const form = await ask(`<h2>${t(m ? "editMember" : "addMember")}</h2>
    <label>${t("memberName")}<input name="name" value="${esc(member.name)}" maxlength="64" data-testid="member-name"></label>
    <label>${t("memberRole")}</label><div class="picks">${Object.keys(ZH.memberRoles).map((r) => `<label class="pick" data-testid="member-role-${r}">
      <input type="radio" name="role" value="${r}" ${r === member.role ? "checked" : ""}> ${esc(T().memberRoles[r])}</label>`).join("")}</div>
    <label data-for="grid_worker">${t("memberGrid")}<select name="grid" data-testid="member-grid">${options(p.grids, member.grid)}</select></label>
    <label data-for="captain">${t("memberBuilding")}<select name="building" data-testid="member-building">${options(p.buildings, member.building)}</select></label>
    ${m ? "" : `<label>${t("memberId")}<input name="id" value="${esc(id)}" pattern="[A-Za-z0-9_.\\-]+" required data-testid="member-id"></label>`}
    ${dialogButtons(t("save"), "primary", "member-save")}`, (el) => {
    // The grid is asked of a grid worker, the building of a captain.
    const show = () => {
      const role = new FormData(el).get("role");
      el.querySelectorAll("[data-for]").forEach((x) => { x.hidden = x.dataset.for !== role; });
    };
    el.querySelectorAll('[name="role"]').forEach((x) => { x.onchange = show; });
    show();
    el.onsubmit = (e) => {
      if (!e.submitter || e.submitter.value !== "ok") return;
      const data = new FormData(el);
      if (!String(data.get("name") || "").trim()) return refuse(e, t("needMemberName"));
      if (data.get("role") === "grid_worker" && !data.get("grid")) return refuse(e, t("needGrid"));
      if (data.get("role") === "captain" && !data.get("building")) return refuse(e, t("needBuilding"));
    };
  });
  if (!form) return;
  const role = form.get("role");
  const body = { name: String(form.get("name")).trim(), role };
  if (role === "grid_worker") body.grid = form.get("grid");
  if (role === "captain") body.building = form.get("building");
  await act("PUT", `${ownerPath()}/members/${encodeURIComponent(m ? m.id : String(form.get("id")).trim())}`, body);
}

// A token, or (`give` = giveLink) a sign-in link, for a person the dialog asks for.
async function newToken(give = giveToken, title = t("newToken")) {
  const p = state.data.people;
  const street = owner() === "street";
  const roles = street ? STREET_ROLES : COMMUNITY_ROLES;
  const holds = (role) => p.members.filter((m) => TOKEN_ROLE[m.role] === role);
  const form = await ask(`<h2>${title}</h2>
    <label>${t("tokenFor")}</label><div class="picks">${roles.map((r, i) => `<label class="pick" data-testid="token-role-${r}">
      <input type="radio" name="role" value="${r}" ${i ? "" : "checked"}> ${esc(T().tokenRoles[r])}</label>`).join("")}</div>
    ${["cadre", "grid_worker", "captain"].filter((r) => roles.includes(r)).map((r) => `<label data-for="${r}">${t("tokenWho")}
      <select name="member-${r}" data-testid="token-member-${r}">${holds(r).map((m) => `<option value="${esc(m.id)}">${esc(m.name)}</option>`).join("")}</select></label>`).join("")}
    <label data-for="organisation">${t("tokenWho")}<select name="organisation" data-testid="token-org">${p.orgs.map((o) =>
      `<option value="${esc(o.id)}">${esc(o.name || T().orgKinds[o.kind] || "")}</option>`).join("")}</select></label>
    <label data-for="street observer">${t("tokenName")}<input name="name" maxlength="128" data-testid="token-name"></label>
    ${dialogButtons(title, "primary", "token-make")}`, (el) => {
    const show = () => {
      const role = new FormData(el).get("role");
      el.querySelectorAll("[data-for]").forEach((x) => { x.hidden = !x.dataset.for.split(" ").includes(role); });
    };
    el.querySelectorAll('[name="role"]').forEach((x) => { x.onchange = show; });
    show();
    el.onsubmit = (e) => {
      if (!e.submitter || e.submitter.value !== "ok") return;
      const data = new FormData(el);
      const role = data.get("role");
      if (["street", "observer"].includes(role) && !String(data.get("name") || "").trim()) return refuse(e, t("needTokenName"));
      if (role === "organisation" && !data.get("organisation")) return refuse(e, t("needOrg"));
      if (TOKEN_ROLE[role] && !data.get(`member-${role}`)) return refuse(e, t("noMembers"));
    };
  });
  if (!form) return;
  const role = form.get("role");
  let body;
  if (role === "organisation") {
    const org = byId(p.orgs)[form.get("organisation")];
    body = { role, organisation: org.id, name: org.name || org.id };
  } else if (TOKEN_ROLE[role]) {
    body = memberToken(byId(p.members)[form.get(`member-${role}`)]);
  } else {
    body = { role, name: String(form.get("name")).trim() };
  }
  await give(ownerPath(), body);
}

// A roster member's token: their role's, named by their roster id, with their grid for a grid worker.
function memberToken(m) {
  const body = { role: TOKEN_ROLE[m.role], name: m.id };
  if (m.role === "grid_worker" && m.grid) body.grid = m.grid;
  return body;
}

// By data-action.
export const actions = {
  async "add-member"() { await editMember(null); },
  async "edit-member"(el) {
    const m = byId(state.data.people.members)[el.dataset.id];
    if (m) await editMember(m);
  },
  async "member-token"(el) {
    const m = byId(state.data.people.members)[el.dataset.id];
    if (m) await giveToken(ownerPath(), memberToken(m));
  },
  "new-token": () => newToken(),
  "new-link": () => newToken(giveLink, t("newLink")),
  async "member-link"(el) {
    const m = byId(state.data.people.members)[el.dataset.id];
    if (m) await giveLink(ownerPath(), memberToken(m));
  },
  async revoke(el) {
    const form = await ask(`<h2>${esc(t("revokeAsk", { n: el.dataset.name }))}</h2>${dialogButtons(t("revoke"), "danger", "revoke-go")}`);
    if (form) await act("POST", `${ownerPath()}/tokens/${el.dataset.id}/revoke`, undefined, t("revoked"));
  },
};
