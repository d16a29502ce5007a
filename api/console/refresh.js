// Reading what the role sees: one refresh after sign-in, each live update, each action and each change of tab.
import { state } from "./state.js";
import { api } from "./api.js";
import { resubscribe, setNetwork } from "./live.js";
import { thisMonth } from "./dates.js";
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
      d.community = await api("GET", c);
      d.dispatches = await api("GET", `${c}/assignments`);
      d.needs = await api("GET", `${c}/needs`);
    } else {
      const jobs = [api("GET", c).then((x) => { d.community = x; })];
      // The roster may have changed who this is (made head, moved to another grid).
      if (["cadre", "grid_worker", "captain"].includes(me.role)) jobs.push(soft(api("GET", "/me")).then((x) => { d.me = x; }));
      if (tab === "emergency" || tab === "report") jobs.push(emergencyData(c, d));
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
    const [list, scores, ...per] = await Promise.all([
      state.data.communityList ? Promise.resolve(state.data.communityList) : get("/communities"),
      get(`/streets/${encodeURIComponent(me.street)}/scores?start=${period.start}&end=${period.end}`), ...jobs]);
    Object.assign(d, { communityList: list, scores, street: Object.fromEntries(per) });
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
