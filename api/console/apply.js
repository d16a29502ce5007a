// Each websocket message applied to what the page holds (state.data), so a live update reads nothing back over
// REST: needs, dispatches, the plan's unmet needs, resources' busy units, the community, help asked of it, tasks,
// an organisation's requests. What a message cannot carry it names in `reload` (api/channels.py, RELOAD): the
// parts (state.data keys) a page holding them reads again. apply() returns the parts to read again.
import { state } from "./state.js";
import { applyAttention } from "./attention.js";
import { forgetWarnings } from "./warnings.js";

// Lists sorted as the server sorts them, so a list changed here reads the same as one read anew.
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const byIdOrder = (a, b) => cmp(a.id, b.id);
// GET .../needs: most urgent first by the priority in force, then the longest waiting.
const needOrder = (a, b) => b.priority - a.priority || cmp(a.reported_at, b.reported_at) || cmp(a.id, b.id);
const taskOrder = (a, b) => cmp(a.due_at, b.due_at) || cmp(a.id, b.id);
const requestOrder = (a, b) => cmp(a.community, b.community) || cmp(a.need.id, b.need.id);

function upsert(list, items, order, key = (x) => x.id) {
  const at = new Map(list.map((x, i) => [key(x), i]));
  for (const item of items) {
    const i = at.get(key(item));
    if (i === undefined) at.set(key(item), list.push(item) - 1);
    else list[i] = item;
  }
  return list.sort(order);
}

// The community a message is about: named by its channel, or (the street's and an organisation's) in it.
function communityOf(channel, data) {
  const [kind, scope] = channel.split(":");
  return kind === "community" || kind === "grid" || kind === "building" ? scope : data.community;
}

function applyNeeds(list, data) {
  if (!list) return;
  if (data.need) upsert(list, [data.need], needOrder);
  for (const p of data.priorities || []) {
    const n = list.find((x) => x.id === p.id);
    if (n) Object.assign(n, { priority: p.priority, reported_priority: p.reported_priority, priority_rules: p.priority_rules });
  }
  list.sort(needOrder);
}

// The community's own board: its needs, dispatches, resources, organisations, plan and the community itself.
function applyBoard(d, type, data, reload) {
  applyNeeds(d.needs, data);
  if (d.dispatches) {
    // A message stored before dispatches were sent whole (an older server) cannot be applied: read them again.
    if ((data.changed || []).some((x) => !("travel_s" in x))) reload.add("dispatches");
    const gone = new Set((data.removed || []).map((x) => x.id));
    d.dispatches = upsert(d.dispatches.filter((x) => !gone.has(x.id)), data.changed || [], byIdOrder);
    for (const x of d.dispatches) if (data.travel && x.id in data.travel) x.travel_s = data.travel[x.id];
    if (type === "plan_proposed" && !data.travel) reload.add("dispatches");
  }
  if (d.resources) {
    for (const r of d.resources) if (data.committed && r.id in data.committed) r.committed = data.committed[r.id];
    if (data.resource) upsert(d.resources, [data.resource], byIdOrder);
  }
  if (data.resource && d.dispatches) {
    // A dispatch names its unit and organisation as the resource now has them.
    for (const x of d.dispatches) {
      if (x.resource === data.resource.id) Object.assign(x, { resource_name: data.resource.name, organisation: data.resource.organisation });
    }
  }
  if (d.organisations && (type === "organisation_registered" || type === "organisation_updated")) {
    upsert(d.organisations, [data.event.organisation], byIdOrder);
  }
  if (data.community_public) {
    d.community = data.community_public;
    // The checks are those of the incident open now.
    if (d.checks) d.checks.incident = data.community_public.incident;
  }
  if (type === "plan_proposed") {
    const e = data.event;
    if (d.community) d.community.plan_version = e.version;
    // Unmet texts come in Chinese: a page in English reads GET .../plan in its language, keeping the list as it
    // was until that read lands.
    if (d.plan !== undefined && state.lang !== "zh" && (e.unmet || []).length) reload.add("plan");
    else if (d.plan !== undefined) d.plan = { version: e.version, at: e.at, unmet: e.unmet };
  }
}

// A need of another community the street asked this one to help with, or no longer asks.
function applyRequest(d, data) {
  if (!d.requests) return;
  const key = (r) => `${r.community}/${r.need.id}`;
  const here = `${data.community}/${data.need.id}`;
  d.requests = d.requests.filter((r) => key(r) !== here);
  if (data.open === false) return;
  const waiting = data.reported_at ? Math.max(0, Math.floor((Date.now() - Date.parse(data.reported_at)) / 1000)) : 0;
  upsert(d.requests, [{ community: data.community, community_name: data.community_name ?? data.community, need: data.need,
    priority: data.priority ?? data.need.priority, waiting_s: waiting, note: data.note }], requestOrder, key);
}

// A task as GET .../tasks shows it, wherever the page lists that community's tasks.
function applyTask(d, c, task) {
  if (c === state.community && d.tasks) upsert(d.tasks, [task], taskOrder);
  if (c === state.community && d.mytasks) {
    const me = (state.me.member && state.me.member.id) || state.me.name;
    d.mytasks = d.mytasks.filter((x) => x.id !== task.id);
    if (task.parts.some((p) => p.assignee === me)) upsert(d.mytasks, [task], taskOrder);
  }
  const x = d.street && d.street[c];
  if (x && x.tasks) upsert(x.tasks, [task], taskOrder);
}

// An organisation's requests, in every community its units are sent to.
function applyJobs(d, data, reload) {
  const jobs = d.jobs || [];
  const job = jobs.find((j) => j.id === data.community);
  if (!job) {
    // Sent into a community it did not work in yet: /me names it, and its requests are read there.
    if ((data.changed || []).length) reload.add("jobs");
    return;
  }
  if (data.community_public) {
    job.community = { ...data.community_public };
    delete job.community.plan_version;
    if (job.id === state.me.community) d.community = job.community;
  }
  const gone = new Set((data.removed || []).map((x) => x.id));
  const changed = (data.changed || []).map(({ need_detail, community, ...x }) => x);
  job.dispatches = upsert((job.dispatches || []).filter((x) => !gone.has(x.id)), changed, byIdOrder);
  const details = (data.changed || []).map((x) => x.need_detail).filter(Boolean);
  // GET .../needs shows an organisation the needs its sent units serve, and no other.
  const serving = new Set(job.dispatches.map((x) => x.need));
  job.needs = upsert((job.needs || []).filter((n) => serving.has(n.id)), details.filter((n) => serving.has(n.id)), needOrder);
  if (!job.dispatches.length && job.id !== state.me.community) d.jobs = jobs.filter((j) => j !== job);
}

// Applies one message; returns the parts of state.data to read again (empty for a plain diff).
export function apply(m) {
  const d = state.data;
  const data = m.data || {};
  const reload = new Set(data.reload || []);
  if (reload.has("warnings")) forgetWarnings();
  const c = communityOf(m.channel, data);
  const onChannel = m.channel.split(":")[0];
  if (m.type === "dispatches") {
    applyJobs(d, data, reload);
  } else if (m.type === "attention") {
    applyAttention(m);
  } else if (m.type === "help_requested") {
    if (c === state.community) applyRequest(d, data);
  } else if (m.type === "units") {
    if (c === state.community && d.resources) {
      for (const r of d.resources) if (r.id in data.committed) r.committed = data.committed[r.id];
    }
  } else if (data.task) {
    if (onChannel === "community") applyTask(d, c, data.task);
  } else if (data.event && onChannel === "community") {
    if (c === state.community) applyBoard(d, m.type, data, reload);
    if (d.streetNeeds && d.streetNeeds[c]) applyNeeds(d.streetNeeds[c], data);
  }
  return reload;
}
