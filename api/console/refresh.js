// Reading what the role sees: one refresh after sign-in, each live update, each action and each change of tab.
import { state } from "./state.js";
import { api } from "./api.js";
import { resubscribe, setNetwork } from "./live.js";
import { thisMonth } from "./dates.js";
import { owner, ownerPath } from "./pooleditor.js";
import { contribQuery } from "./contributions.js";
import { currentTab, render, signOut } from "./app.js";

let refreshes = 0;
export async function refresh() {
  const me = state.me;
  if (!me) return;
  const c = `/communities/${state.community}`;
  const d = {};
  // Refreshes overlap when messages come fast: only the latest one started may draw.
  const mine = ++refreshes;
  const tab = currentTab();
  try {
    if (me.role === "organisation") {
      await organisationData(d);
    } else {
      // A street may have no community yet: its own pool and people are still there to keep.
      const jobs = state.community ? [api("GET", c).then((x) => { d.community = x; })] : [];
      // The roster may have changed who this is (made head, moved to another grid); a street may have a new community.
      if (["cadre", "grid_worker", "captain", "street"].includes(me.role)) jobs.push(soft(api("GET", "/me")).then((x) => { d.me = x; }));
      if ((tab === "emergency" || tab === "report") && state.community) jobs.push(emergencyData(c, d));
      // Another community's need the street asked this one to help with: a cadre sees it from any tab (a badge).
      if (me.role === "cadre" && state.community) jobs.push(soft(api("GET", `${c}/requests`)).then((x) => { d.requests = x || []; }));
      // The street names its communities everywhere (pickers, inbox, pool).
      const named = new Set((state.data.communityList || []).map((x) => x.id));
      if (me.role === "street" && (!state.data.communityList || me.communities.some((id) => !named.has(id)))) {
        jobs.push(soft(api("GET", "/communities")).then((x) => { d.communityList = x; }));
      }
      if (tab === "inbox") jobs.push(streetData(d));
      if (tab === "pool") jobs.push(editorData(d));
      if (tab === "people") jobs.push(peopleData(d));
      if (tab === "contrib") {
        const path = `/streets/${encodeURIComponent(me.street)}/contributions${contribQuery()}`;
        jobs.push(soft(api("GET", path)).then((x) => { d.contributions = x; }));
      }
      jobs.push(governanceData(c, d, tab));
      await Promise.all(jobs);
    }
  } catch (err) {
    if (err.status === 401) return signOut();
    return;
  }
  setNetwork(true);
  if (mine !== refreshes) return;
  if (d.me) state.me = d.me;
  delete d.me;
  state.data = { ...state.data, ...d };
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

// An organisation's requests in every community its units are sent to (its own first): /me lists them, and the
// list grows as the street lends its units.
async function organisationData(d) {
  d.me = await api("GET", "/me");
  const own = d.me.community;
  const ids = [...new Set([...(own ? [own] : []), ...d.me.communities])];
  d.jobs = await Promise.all(ids.map(async (id) => {
    const p = `/communities/${id}`;
    const [community, dispatches, needs] = await Promise.all([api("GET", p), api("GET", `${p}/assignments`), api("GET", `${p}/needs`)]);
    return { id, community, dispatches, needs };
  }));
  d.community = (d.jobs.find((x) => x.id === own) || d.jobs[0] || {}).community || null;
}

// The street's inbox, its pool, every community's needs and the map they share (a street's communities plan
// on one map). A street whose own pool is not registered reads null.
async function streetData(d) {
  const s = `/streets/${encodeURIComponent(state.me.street)}`;
  const get = (path) => soft(api("GET", path));
  const ids = state.me.communities;
  const [info, inbox, pool, ...needs] = await Promise.all([get(s), get(`${s}/inbox`), get(`${s}/pool`),
    ...ids.map((id) => get(`/communities/${id}/needs`))]);
  Object.assign(d, { streetInfo: info, inbox, pool });
  d.streetNeeds = Object.fromEntries(ids.map((id, i) => [id, needs[i] || []]));
  if (!state.data.streetMap && ids.length) d.streetMap = await get(`/communities/${ids[0]}/map`);
}

// The pool being edited: its organisations and units, the map its units are placed on (the street's is its
// communities'), and a community's buildings to pick a place by.
async function editorData(d) {
  const o = owner();
  const base = ownerPath(o);
  const get = (path) => soft(api("GET", path));
  const old = state.data.editor;
  const [orgs, units, map, buildings] = await Promise.all([get(`${base}/organisations`), get(`${base}/resources`),
    old && old.owner === o ? Promise.resolve(old.map) : get(`/communities/${o === "street" ? state.me.communities[0] : o}/map`),
    o === "street" ? Promise.resolve([]) : get(`/communities/${o}/buildings`)]);
  // Not found: the street's own pool is not registered yet.
  d.editor = orgs === null ? { owner: o, missing: true } : { owner: o, orgs, units: units || [], map, buildings: buildings || [] };
}

// The roster (a community's), its grids and buildings, the tokens given out and the organisations they may go to.
async function peopleData(d) {
  const o = owner();
  const base = ownerPath(o);
  const get = (path) => soft(api("GET", path)).then((x) => x || []);
  const street = o === "street";
  const [members, grids, buildings, tokens, orgs] = await Promise.all([
    ...(street ? [[], [], []] : [`${base}/members`, `${base}/grids`, `${base}/buildings`].map(get)),
    api("GET", `${base}/tokens`), get(`${base}/organisations`)]);
  d.people = { owner: o, members, grids, buildings, tokens, orgs };
}

async function emergencyData(c, d) {
  [d.needs, d.dispatches, d.resources, d.organisations] = await Promise.all([
    api("GET", `${c}/needs`), api("GET", `${c}/assignments`), api("GET", `${c}/resources`), api("GET", `${c}/organisations`)]);
  d.plan = await api("GET", `${c}/plan`).catch(() => null);
  if (!state.data.map) d.map = await api("GET", `${c}/map`);
}

// Only what the open tab shows (and, for a grid worker, whether they have parts and checks waiting).
async function governanceData(c, d, tab) {
  const me = state.me;
  const get = (path) => soft(api("GET", path));
  const all = (paths) => Promise.all(paths.map(get));
  if (me.role === "street" && tab === "tasks") {
    const period = state.period || (state.period = thisMonth());
    const jobs = me.communities.map(async (id) => {
      const p = `/communities/${id}`;
      const [tasks, members, profile] = await all([`${p}/tasks`, `${p}/members`, `${p}/profile`]);
      return [id, { tasks: tasks || [], members: members || [], profile }];
    });
    const [scores, ...per] = await Promise.all([
      get(`/streets/${encodeURIComponent(me.street)}/scores?start=${period.start}&end=${period.end}`), ...jobs]);
    Object.assign(d, { scores, street: Object.fromEntries(per) });
  } else if (me.role === "cadre") {
    // The checks tab's count stays true while the cadre works another tab.
    const incident = tab === "checks" || (state.data.community && state.data.community.incident);
    const jobs = [incident ? get(`${c}/checks`).then((x) => { d.checks = x; }) : null];
    if (tab === "tasks") {
      jobs.push(all([`${c}/tasks`, `${c}/members`, `${c}/profile`]).then(([tasks, members, profile]) => {
        Object.assign(d, { tasks, members, profile });
      }));
    }
    if (tab === "checks") jobs.push(all([`${c}/grids`, `${c}/buildings`]).then(([grids, buildings]) => Object.assign(d, { grids, buildings })));
    await Promise.all(jobs);
  } else if (me.role === "grid_worker") {
    [d.mytasks, d.checks, d.buildings] = await all([`${c}/tasks?mine=true`, `${c}/checks`,
      tab === "checklist" || !state.data.buildings ? `${c}/buildings` : null].filter(Boolean));
    if (d.buildings === undefined) delete d.buildings;
  } else if (me.role === "captain") {
    [d.checks, d.buildings] = await all([`${c}/checks`, `${c}/buildings`]);
  }
}
