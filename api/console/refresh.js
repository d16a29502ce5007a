// Reading what the role sees over REST: everything the open tab shows after sign-in, each change of tab, each
// action and a snapshot; only the parts a live message names otherwise (live.js). Each reader fills parts of
// state.data (its keys); refresh(only) runs the readers of the parts in `only`, for the role and the tab open.
import { state } from "./state.js";
import { t } from "./i18n.js";
import { api } from "./api.js";
import { readEnds, readStarts, resubscribe, setNetwork } from "./live.js";
import { thisMonth } from "./dates.js";
import { owner, ownerPath } from "./pooleditor.js";
import { contribQuery } from "./contributions.js";
import { shown } from "./appeals.js";
import { currentTab, render, signOut } from "./app.js";

// Which read last started for each part: an older one that lands later must not undo it.
let reads = 0;
const latest = {};

export async function refresh(only = null) {
  const me = state.me;
  if (!me) return;
  const list = readers(me, currentTab(), only).filter((r) => !only || r.parts.some((p) => only.has(p)));
  if (!list.length) return;
  const mine = ++reads;
  for (const r of list) for (const p of r.parts) latest[p] = mine;
  const d = {};
  const from = readStarts();
  const token = state.token;
  let landed = false;
  try {
    await Promise.all(list.map((r) => r.run(d)));
    landed = true;
  } catch (err) {
    if (err.status === 401 && state.token === token) {
      readEnds(from, false);
      return signOut(t("revokedOut"));
    }
  }
  // Signed out (or in as someone else) while reading: what was read is not theirs to see.
  if (state.token !== token) landed = false;
  if (landed) {
    setNetwork(true);
    for (const [part, value] of Object.entries(d)) {
      if (latest[part] !== mine) continue;
      if (part === "me") state.me = value || state.me;
      else state.data[part] = value;
    }
  }
  readEnds(from, landed);
  if (!landed) return;
  resubscribe();
  render();
}

// A refused or missing governance read leaves its part of the page empty; signed out or offline still stops.
function soft(promise) {
  return promise.catch((err) => {
    if (!err.status || err.status === 401) throw err;
    return null;
  });
}

const get = (path) => soft(api("GET", path));
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// A reader of one part of state.data, when `when` holds.
const one = (when, part, read) => (when ? [{ parts: [part], run: async (d) => { d[part] = await read(); } }] : []);

function readers(me, tab, only) {
  if (me.role === "organisation") return [{ parts: ["me", "jobs", "community"], run: organisationData }];
  const has = Boolean(state.community);
  const c = `/communities/${state.community}`;
  const again = (part) => Boolean(only && only.has(part));
  const emergency = has && (tab === "emergency" || tab === "report");
  // The street names its communities everywhere (pickers, inbox, pool).
  const named = new Set((state.data.communityList || []).map((x) => x.id));
  const inbox = tab === "inbox";
  return [
    // A street may have no community yet: its own pool and people are still there to keep.
    ...one(has, "community", () => api("GET", c)),
    // The roster may have changed who this is (made head, moved to another grid); a street may have a new community.
    ...one(["cadre", "grid_worker", "captain", "street"].includes(me.role), "me", () => get("/me")),
    ...one(emergency, "needs", () => api("GET", `${c}/needs`)),
    ...one(emergency, "dispatches", () => api("GET", `${c}/assignments`)),
    ...one(emergency, "resources", () => api("GET", `${c}/resources`)),
    ...one(emergency, "organisations", () => api("GET", `${c}/organisations`)),
    // Only what the page shows of the plan: its version and what it leaves unmet.
    ...one(emergency, "plan", () => api("GET", `${c}/plan`).then((p) => ({ version: p.version, at: p.at, unmet: p.plan.unmet }), () => null)),
    ...one(emergency && (!state.data.map || again("map")), "map", () => api("GET", `${c}/map`)),
    // Another community's need the street asked this one to help with: a cadre sees it from any tab (a badge).
    ...one(me.role === "cadre" && has, "requests", () => get(`${c}/requests`).then((x) => (x || []).sort((a, b) => cmp(a.community, b.community) || cmp(a.need.id, b.need.id)))),
    ...one(me.role === "street" && (!state.data.communityList || again("communityList") || me.communities.some((id) => !named.has(id))),
      "communityList", () => get("/communities")),
    // The street's inbox, its pool, every community's needs and the map they share (a street's communities plan
    // on one map). A street whose own pool is not registered reads null.
    ...one(inbox, "streetInfo", () => get(streetPath())),
    ...one(inbox, "inbox", () => get(`${streetPath()}/inbox`)),
    ...one(inbox, "pool", () => get(`${streetPath()}/pool`)),
    // Notifiers that fail (robots, e-mail, SMS the operator set up): a warning above the inbox.
    ...one(inbox, "notifiers", () => get(`${streetPath()}/notifiers`)),
    ...one(inbox, "streetNeeds", async () => {
      const ids = state.me.communities;
      const needs = await Promise.all(ids.map((id) => get(`/communities/${id}/needs`)));
      return Object.fromEntries(ids.map((id, i) => [id, needs[i] || []]));
    }),
    ...one(inbox && me.communities.length && (!state.data.streetMap || again("streetMap")), "streetMap", () => get(`/communities/${me.communities[0]}/map`)),
    ...one(tab === "pool", "editor", editorData),
    ...one(tab === "people", "people", peopleData),
    ...one(tab === "contrib", "contributions", () => get(`${streetPath()}/contributions${contribQuery()}`)),
    ...governance(me, tab, c),
    ...appeals(me, tab, c, has),
  ];
}

// Residents' appeals: a cadre's queue (its count is the tab's badge wherever the cadre is), the street's on its
// tab, a grid worker's work orders (done ones too); who may take a work order; the buildings' QR codes.
function appeals(me, tab, c, has) {
  const handler = me.role === "cadre" || (me.role === "street" && tab === "appeals");
  const period = thisMonth();
  return [
    ...one(has && handler, "appeals", () => get(`${c}/appeals?state=${shown.state}`)),
    ...one(has && me.role === "grid_worker", "appeals", () => get(`${c}/appeals?state=all`)),
    ...one(has && tab === "appeals", "members", () => get(`${c}/members`)),
    ...one(has && tab === "appeals" && me.role === "cadre", "scores", () => get(`${c}/scores?start=${period.start}&end=${period.end}`)),
    ...one(has && tab === "codes", "codes", () => get(`${c}/codes`)),
  ];
}

const streetPath = () => `/streets/${encodeURIComponent(state.me.street)}`;

// An organisation's requests in every community its units are sent to (its own first): /me lists them, and the
// list grows as the street lends its units. A community is kept as GET /communities/{id} shows it, less its plan's
// version (the organisation hears of its own dispatches, not of every plan).
async function organisationData(d) {
  d.me = await api("GET", "/me");
  const own = d.me.community;
  const ids = [...new Set([...(own ? [own] : []), ...d.me.communities])];
  d.jobs = await Promise.all(ids.map(async (id) => {
    const p = `/communities/${id}`;
    const [community, dispatches, needs] = await Promise.all([api("GET", p), api("GET", `${p}/assignments`), api("GET", `${p}/needs`)]);
    delete community.plan_version;
    return { id, community, dispatches, needs };
  }));
  d.community = (d.jobs.find((x) => x.id === own) || d.jobs[0] || {}).community || null;
}

// The pool being edited: its organisations and units, and the map its units are placed on (the street's is its
// communities'); places, the roster's buildings among them, are searched by the place picker.
async function editorData() {
  const o = owner();
  const base = ownerPath(o);
  const old = state.data.editor;
  const [orgs, units, map] = await Promise.all([get(`${base}/organisations`), get(`${base}/resources`),
    old && old.owner === o ? Promise.resolve(old.map) : get(`/communities/${o === "street" ? state.me.communities[0] : o}/map`)]);
  // Not found: the street's own pool is not registered yet.
  return orgs === null ? { owner: o, missing: true } : { owner: o, orgs, units: units || [], map };
}

// The roster (a community's), its grids and buildings, the tokens given out and the organisations they may go to.
async function peopleData() {
  const o = owner();
  const base = ownerPath(o);
  const list = (path) => get(path).then((x) => x || []);
  const street = o === "street";
  const [members, grids, buildings, tokens, orgs] = await Promise.all([
    ...(street ? [[], [], []] : [`${base}/members`, `${base}/grids`, `${base}/buildings`].map(list)),
    api("GET", `${base}/tokens`), list(`${base}/organisations`)]);
  return { owner: o, members, grids, buildings, tokens, orgs };
}

// Only what the open tab shows (and, for a grid worker, whether they have parts and checks waiting).
function governance(me, tab, c) {
  if (me.role === "street" && tab === "tasks") {
    const period = state.period || (state.period = thisMonth());
    return [
      ...one(true, "scores", () => get(`${streetPath()}/scores?start=${period.start}&end=${period.end}`)),
      ...one(true, "street", async () => Object.fromEntries(await Promise.all(me.communities.map(async (id) => {
        const p = `/communities/${id}`;
        const [tasks, members, profile] = await Promise.all([`${p}/tasks`, `${p}/members`, `${p}/profile`].map(get));
        return [id, { tasks: tasks || [], members: members || [], profile }];
      })))),
    ];
  }
  if (me.role === "cadre") {
    // The checks tab's count stays true while the cadre works another tab.
    const incident = tab === "checks" || Boolean(state.data.community && state.data.community.incident);
    return [
      ...one(incident, "checks", () => get(`${c}/checks`)),
      ...one(tab === "tasks", "tasks", () => get(`${c}/tasks`)),
      ...one(tab === "tasks", "members", () => get(`${c}/members`)),
      ...one(tab === "tasks", "profile", () => get(`${c}/profile`)),
      ...one(tab === "checks", "grids", () => get(`${c}/grids`)),
      ...one(tab === "checks", "buildings", () => get(`${c}/buildings`)),
    ];
  }
  if (me.role === "grid_worker") {
    return [
      ...one(true, "mytasks", () => get(`${c}/tasks?mine=true`)),
      ...one(true, "checks", () => get(`${c}/checks`)),
      ...one(tab === "checklist" || !state.data.buildings, "buildings", () => get(`${c}/buildings`)),
    ];
  }
  if (me.role === "captain") return [...one(true, "checks", () => get(`${c}/checks`)), ...one(true, "buildings", () => get(`${c}/buildings`))];
  return [];
}
