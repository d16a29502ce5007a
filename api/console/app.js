// 平战 console: one page, no build step, native modules. Chinese first; every change arrives over the websocket and
// the page applies it to what it shows (apply.js); actions taken offline wait in localStorage and go out, with their
// time, on reconnect. This module signs in, keeps the tabs, draws the open tab and sends each button to its module.
// Other modules import render(), refresh() and signOut() back from here: the cycles are safe because those are only
// called once the page is running, never while the modules load.
import { state, store } from "./state.js";
import { T, t, roleName } from "./i18n.js";
import { $, esc } from "./dom.js";
import { api } from "./api.js";
import { connect, showNetwork } from "./live.js";
import { refresh } from "./refresh.js";
import { drawMap } from "./map.js";
import { drawAttention } from "./attention.js";
import { drawWarnings } from "./warnings.js";
import { cadreView, actions as emergencyActions } from "./emergency.js";
import { organisationView, actions as organisationActions } from "./organisation.js";
import { gridView, myReports, bindReportForm, actions as reportActions } from "./report.js";
import { partsOf, myParts, cadreTasksView, streetTasksView, bindIssueForm, isHead, actions as taskActions } from "./tasks.js";
import { actions as partActions } from "./parts.js";
import { bindPeriod, actions as boardActions } from "./board.js";
import { loadPhotos, actions as photoActions } from "./photos.js";
import { checklistView, communityChecksView, actions as checkActions } from "./checks.js";
import { streetView, actions as streetActions } from "./street.js";
import { poolView, bindPool, actions as poolActions } from "./pooleditor.js";
import { peopleView, actions as peopleActions } from "./people.js";
import { requestsView, actions as requestActions } from "./requests.js";
import { contributionsView, bindContributions, actions as contribActions } from "./contributions.js";
import { appealsView, ordersView, codesView, openAppeals, actions as appealActions } from "./appeals.js";

// A redraw replaces the controls: the one that had focus (a button just pressed, a field being read out) gets
// it back, found by the same id, test id or action on the same object, and the page stays where it was
// scrolled. Focus that moved elsewhere meanwhile is left alone.
export function render(form = false) {
  const had = document.activeElement;
  const key = had && had !== document.body && $("#app").contains(had) ? controlKey(had) : null;
  const y = window.scrollY;
  draw(form);
  if (!key || had.isConnected) return;
  const again = document.querySelector(key);
  if (again) again.focus({ preventScroll: true });
  if (window.scrollY !== y) window.scrollTo(0, y);
}

function controlKey(el) {
  const is = (name) => el.getAttribute(name) !== null;
  const attr = (name) => `[${name}="${CSS.escape(el.getAttribute(name))}"]`;
  if (el.id) return `#${CSS.escape(el.id)}`;
  if (is("data-testid")) return attr("data-testid");
  if (is("data-action")) return attr("data-action") + (is("data-id") ? attr("data-id") : "") + (is("data-tab") ? attr("data-tab") : "");
  return null;
}

// A live update redraws what it changed. The grid worker's form is left alone unless the worker changed it:
// redrawing it would drop the field being typed in (and a half-composed pinyin word with it).
function draw(form) {
  const me = state.me;
  const d = state.data;
  const community = d.community;
  const banner = $("#exercise");
  banner.hidden = !(community && community.exercise);
  banner.textContent = t("exercise");
  showNetwork();
  drawAttention();
  drawWarnings();
  document.title = `平战 · ${community ? community.name || "" : ""}`;
  const mode = community && community.incident
    ? `${t(community.exercise ? "drill" : "incident")} · ${T().kinds[community.incident.kind] || community.incident.kind} · ${community.incident.level} ${t("level")}`
    : t("normal");
  const role = roleName(me);
  $("#where").textContent = where(me, d, role, mode);
  $("#signout").hidden = false;
  $("#signout").textContent = t("signout");
  const app = $("#app");
  if (me.role === "organisation") {
    app.innerHTML = organisationView(d);
    state.drawn = null;
    bind();
    return;
  }
  // Tabs above one view; a live update redraws the tabs (counts) and what the view shows.
  if (!$("#view")) app.innerHTML = `<nav id="tabs" class="tabs"></nav><div id="view"></div>`;
  const tabs = tabsFor(me, d);
  const tab = currentTab();
  const bar = $("#tabs");
  bar.hidden = tabs.length < 2;
  bar.innerHTML = tabs.length < 2 ? "" : tabs.map((x) => `<button type="button" class="tab" data-action="tab" data-tab="${x}"
    aria-pressed="${x === tab}" data-testid="tab-${x}">${esc(T().tabs[x])}${badge(x, d)}</button>`).join("");
  const view = $("#view");
  const key = `${tab}:${state.community}`;
  const same = !form && state.drawn === key;
  state.drawn = key;
  view.dataset.tab = tab;
  switch (tab) {
    case "report":
      if (same && $("#report-form")) $("#my-reports").innerHTML = myReports(d);
      else view.innerHTML = gridView(d);
      break;
    case "tasks":
      if (me.role === "street") streetTasksView(view, d, same);
      else view.innerHTML = cadreTasksView(d);
      break;
    case "mytasks": view.innerHTML = `<h2>${t("myTasks")}</h2>${myParts(state.community, d.mytasks)}`; break;
    case "checklist": view.innerHTML = checklistView(d); break;
    case "checks": view.innerHTML = communityChecksView(d); break;
    case "inbox": view.innerHTML = streetView(d); break;
    case "pool": view.innerHTML = poolView(d); break;
    case "people": view.innerHTML = peopleView(d); break;
    case "contrib": contributionsView(view, d, same); break;
    case "appeals": view.innerHTML = appealsView(d); break;
    case "orders": view.innerHTML = ordersView(d); break;
    case "codes": view.innerHTML = codesView(d); break;
    // What the street asked this community to help with comes first: another community waits for it.
    default: view.innerHTML = requestsView(d) + cadreView(d, me.role === "observer");
  }
  drawMap();
  bind();
  loadPhotos();
}

// The header: the community, who this is and its mode; the street's staff see their street, and on the
// emergency tab the community they opened.
function where(me, d, role, mode) {
  const community = d.community;
  const named = community && community.name ? `${community.name} · ` : "";
  if (me.role === "street") {
    // The street by its name; a street that registered none is not named by its id.
    const street = (d.streetInfo && d.streetInfo.name) || me.street_name;
    const staff = street ? `${street} · ${role}` : role;
    return currentTab() === "emergency" ? `${staff} · ${named}${mode}` : staff;
  }
  return community ? `${named}${role} · ${mode}` : role;
}

// Which tabs a role has: the street's inbox first; the emergency view first for those who had it; a grid
// worker's tasks tab shows once a part is theirs, a cadre's checks while an incident is open; the head keeps
// the community's pool and people.
function tabsFor(me, d) {
  const incident = d.community && d.community.incident;
  switch (me.role) {
    case "street": return ["inbox", "emergency", "appeals", "pool", "people", "tasks", "contrib"];
    case "cadre": return ["emergency", "appeals", "tasks", ...(incident ? ["checks"] : []), "codes", ...(isHead() ? ["pool", "people"] : [])];
    case "grid_worker": return ["report", "checklist", ...(orders(d) ? ["orders"] : []), ...((d.mytasks || []).length ? ["mytasks"] : [])];
    case "captain": return ["checklist"];
    default: return ["emergency"];
  }
}

// A grid worker's work orders (residents' appeals sent to them): the tab shows once there is one.
const orders = (d) => Boolean(d.appeals && d.appeals.appeals && d.appeals.appeals.length);

export function currentTab() {
  const tabs = tabsFor(state.me, state.data);
  return tabs.includes(state.tab) ? state.tab : tabs[0];
}

// How many wait on this tab: checks not yet made, parts to do, escalations and requests for help.
function badge(tab, d) {
  let n = 0;
  // Still to check, and to check again (nobody answered): both are this person's to do.
  if (tab === "checklist" || tab === "checks") n = ((d.checks && d.checks.checks) || []).filter((x) => ["pending", "follow_up"].includes(x.state)).length;
  if (tab === "mytasks") n = partsOf(d.mytasks).filter(([, p]) => ["assigned", "returned"].includes(p.status)).length;
  if (tab === "inbox") n = (d.inbox || []).filter((i) => ["open", "approval"].includes(i.state)).length;
  if (tab === "emergency" && state.me.role === "cadre") n = (d.requests || []).length;
  if (tab === "appeals" || tab === "orders") n = openAppeals(d);
  return n ? ` <span class="badge">${n}</span>` : "";
}

// What each button does, by its data-action.
const ACTIONS = {
  ...emergencyActions, ...organisationActions, ...reportActions, ...taskActions, ...partActions, ...boardActions,
  ...photoActions, ...checkActions, ...streetActions, ...poolActions, ...peopleActions, ...requestActions, ...contribActions,
  ...appealActions,
  async tab(el) {
    state.tab = el.dataset.tab;
    render(true);
    window.scrollTo(0, 0);
    await refresh();
  },
};

function bind() {
  const c = `/communities/${state.community}`;
  const pick = $("#community-pick");
  if (pick) pick.onchange = () => { state.community = pick.value; state.data = {}; reconnect(); };
  document.querySelectorAll("[data-action]").forEach((el) => {
    el.onclick = async (e) => {
      e.preventDefault();
      const action = ACTIONS[el.dataset.action];
      if (action) await action(el, c);
    };
  });
  bindIssueForm();
  bindPeriod();
  bindContributions();
  bindReportForm();
  bindPool();
}

// -- signing in ---------------------------------------------------------------------------------

function signInView(message = "") {
  $("#where").textContent = t("title");
  $("#signout").hidden = true;
  $("#app").innerHTML = `<form id="signin-form"><h2>${t("signin")}</h2><label for="token">${t("token")}</label>
    <input id="token" autocomplete="off" autocapitalize="off" spellcheck="false" data-testid="token">
    <p><button class="primary big" id="go" data-testid="signin">${t("signinGo")}</button></p>
    <p class="status error" role="alert" data-testid="signin-message">${esc(message)}</p></form>`;
  // A form, so the phone keyboard's "Go" signs in as well as the button.
  $("#signin-form").onsubmit = async (e) => {
    e.preventDefault();
    state.token = $("#token").value.trim();
    if (state.token) await start();
  };
}

// A sign-in link (/#signin=CODE, made in the people view) signs in with one tap: the code is traded for a token
// of this person's, and dropped from the address at once so that it is neither kept in the history nor shared.
async function signInByLink(code) {
  history.replaceState(null, "", location.pathname + location.search);
  $("#app").innerHTML = `<p class="empty">${t("signingIn")}</p>`;
  try {
    state.token = (await api("POST", "/signin", { code })).token;
  } catch (err) {
    state.token = store.getItem("pz.token");
    return signInView(err.status === 410 ? t("linkUsed") : err.status ? t("failed") + err.message : t("offline"));
  }
  await start();
}

async function start() {
  try {
    state.me = await api("GET", "/me");
  } catch (err) {
    if (!err.status && store.getItem("pz.token") === state.token) {
      // The server or the network is down, not the token: keep it and try again.
      signInView(t("offline"));
      setTimeout(() => state.token && !state.me && start(), 2000);
      return;
    }
    state.token = null;
    store.removeItem("pz.token");
    return signInView(err.status === 401 ? t("badToken") : t("failed") + err.message);
  }
  store.setItem("pz.token", state.token);
  state.community = state.me.community || state.me.communities[0] || null;
  const need = openLinked();
  firstRead = refresh();
  await firstRead;
  connect();
  showLinked(need);
}

// A notification's link (api/notifiers/rules.py): #c=COMMUNITY&need=NEED opens that community's emergency view
// (the street's staff: the community picked there) with the need's card in sight. Returns the need.
function openLinked() {
  const link = new URLSearchParams(location.hash.slice(1));
  const c = link.get("c");
  if (!c) return null;
  history.replaceState(null, "", location.pathname + location.search);
  if ((state.me.communities || []).includes(c)) state.community = c;
  if (state.me.role === "street") state.tab = "emergency";
  return link.get("need");
}

function showLinked(need) {
  if (!need) return;
  // The card, not the map's pin of it.
  const card = [...document.querySelectorAll(`[data-pin="need:${CSS.escape(need)}"]`)].find((el) => !el.closest(".leaflet-container"));
  if (card) card.scrollIntoView({ block: "center" });
}
// The first read after signing in (sw.js reads again once it serves the page, after this one has landed).
let firstRead = null;

function reconnect() {
  if (state.ws) { state.ws.onclose = null; state.ws.close(); }
  return refresh().then(connect);
}


// Where sw.js keeps the last data the page read (the same name there).
const DATA_CACHE = "pz-data";

// `message`: why (access revoked); signing out by the button also ends the token on the server.
export function signOut(message = "") {
  if (state.ws) { state.ws.onclose = null; state.ws.close(); }
  // What the page kept to open offline is this person's: it goes with them.
  if (window.caches) caches.delete(DATA_CACHE).catch(() => {});
  store.removeItem("pz.token");
  for (const url of Object.values(state.photos)) url.then((u) => URL.revokeObjectURL(u)).catch(() => {});
  Object.assign(state, { token: null, me: null, data: {}, online: null, ws: null, tab: null, drawn: null, keep: null, period: null, contrib: null, photos: {}, owner: null });
  showNetwork();
  drawAttention();
  drawWarnings();
  $("#exercise").hidden = true;
  signInView(message);
}

$("#lang").onclick = () => {
  state.lang = state.lang === "zh" ? "en" : "zh";
  store.setItem("pz.lang", state.lang);
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  $("#lang").textContent = t("lang");
  // The server's own texts (a plan's unmet needs) are read again in the language chosen.
  if (state.me) { render(true); refresh(new Set(["plan"])); } else signInView();
};
$("#signout").onclick = () => {
  // Best effort: offline, the page still forgets the token.
  api("POST", "/signout").catch(() => {});
  signOut();
};
$("#lang").textContent = t("lang");
document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
// The link may also be opened where the console is already open: the address changes only after its "#".
function linkCode() {
  const link = /^#signin=([\w-]+)$/.exec(location.hash);
  return link && link[1];
}
window.addEventListener("hashchange", () => {
  if (state.me && location.hash.startsWith("#c=")) {
    const need = openLinked();
    state.data = {};
    reconnect().then(() => showLinked(need));
    return;
  }
  const code = linkCode();
  if (!code) return;
  // Whoever was signed in here leaves, with what the page kept of theirs (their token is not revoked).
  signOut();
  signInByLink(code);
});
if (linkCode()) signInByLink(linkCode()); else if (state.token) start(); else signInView();
// Installable, and opens with no network after one visit (sw.js keeps the shell and the last data read).
if (navigator.serviceWorker) {
  navigator.serviceWorker.register("sw.js").catch(() => {});
  // The first visit read its data before the worker served the page: read it again, through the worker, so
  // that the page opens offline with it: every part, the map (read once, then kept) too.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    Promise.resolve(firstRead).then(() => state.me && refresh({ has: () => true }));
  });
}
