// Live updates over the websocket, and whether the page is online. Each channel's last seq is kept in
// localStorage, so a reconnect (or a reload) resumes after it instead of starting from a snapshot. Each message
// is applied to what the page holds (apply.js) and drawn; the page reads over REST only what a message says it
// cannot carry, and everything after a snapshot (it missed too much to catch up).
import { state, store } from "./state.js";
import { t } from "./i18n.js";
import { $ } from "./dom.js";
import { flushQueue } from "./api.js";
import { refresh } from "./refresh.js";
import { apply } from "./apply.js";
import { forgetAttention } from "./attention.js";
import { forgetWarnings } from "./warnings.js";
import { render, signOut } from "./app.js";

// What the page listens to: the community (or the organisation's own channel, which hears of its units wherever
// in the street they are sent); a grid worker's grid and a captain's building too (their households and checks in
// full); the street's staff every community of the street and the street's own channel (escalations, approvals,
// tasks). Channel names: the same shapes as api/channel.py builds (an organisation's is inside its community).
function channels() {
  const me = state.me;
  const c = state.community;
  if (me.role === "organisation") return [me.organisation_channel || `organisation:${c}:${me.organisation}`];
  const list = [`community:${c}`];
  if (me.role === "street") list.push(...me.communities.filter((x) => x !== c).map((x) => `community:${x}`));
  const grid = (me.member && me.member.grid) || me.grid;
  if (me.role === "grid_worker" && grid) list.push(`grid:${c}:${grid}`);
  if (me.role === "captain" && me.member && me.member.building) list.push(`building:${c}:${me.member.building}`);
  if (me.role === "street" && me.street) list.push(`street:${me.street}`);
  // Residents' appeals of the community looked at (a grid worker hears of a work order on the grid's channel).
  if (["cadre", "street"].includes(me.role) && c) list.push(`appeals:${c}`);
  return list;
}

export function connect() {
  const chs = channels();
  state.channels = chs.join(" ");
  const proto = location.protocol === "https:" ? "wss" : "ws";
  // The token goes in the subprotocol header, never in the URL (URLs end up in logs).
  const ws = new WebSocket(`${proto}://${location.host}/ws`, ["pingzhan", `bearer.${state.token}`]);
  state.ws = ws;
  const subscribe = (ch, last) => ws.send(JSON.stringify({ type: "subscribe", channels: { [ch]: last } }));
  ws.onopen = async () => {
    state.retry = 0;
    for (const ch of chs) {
      const last = store.getItem(`pz.seq.${ch}`);
      subscribe(ch, last === null ? null : Number(last));
    }
    setOnline(true);
    await flushQueue();
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    const ch = m.channel;
    if (!chs.includes(ch) || typeof m.seq !== "number") return;
    const last = store.getItem(`pz.seq.${ch}`);
    if (m.type === "subscribed") {
      // The server is behind what this page saw (its data was reset): start again from a snapshot, or
      // every message up to the old number would be held back.
      if (last !== null && m.seq < Number(last)) {
        store.removeItem(`pz.seq.${ch}`);
        subscribe(ch, null);
      }
      return;
    }
    store.setItem(`pz.seq.${ch}`, String(m.seq));
    if (m.type === "snapshot") {
      // Missed too much to catch up: everything read anew, the bar and the warnings' proposals too.
      forgetAttention();
      forgetWarnings();
      scheduleReload(null);
    } else {
      if (reading) log.push(m);
      const parts = apply(m);
      scheduleRender();
      if (parts.size) scheduleReload(parts);
    }
    if (ch === chs[0]) window.pzLastSeq = m.seq;
  };
  ws.onclose = (e) => {
    if (state.ws !== ws) return;
    // 4401: this person's access was revoked. Back to the sign-in page, and no retries that would count as
    // failed sign-ins from this address.
    if (e.code === 4401) return signOut(t("revokedOut"));
    setOnline(false);
    state.retry = Math.min(state.retry + 1, 5);
    setTimeout(() => state.token && state.ws === ws && connect(), 500 * state.retry);
  };
}

// The roster changed where this person looks after (another grid, another building): listen there instead.
export function resubscribe() {
  if (!state.ws || channels().join(" ") === state.channels) return;
  state.ws.onclose = null;
  state.ws.close();
  connect();
}

// Messages in quick succession are drawn once.
let renderTimer = null;
function scheduleRender() {
  if (renderTimer === null) renderTimer = setTimeout(() => { renderTimer = null; if (state.me) render(); }, 30);
}

// The parts messages asked to read again, read together (null: everything the open tab shows).
let wanted = new Set();
let everything = false;
let reloadTimer = null;
function scheduleReload(parts) {
  if (parts === null) everything = true;
  else for (const p of parts) wanted.add(p);
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    const only = everything ? null : wanted;
    wanted = new Set();
    everything = false;
    refresh(only);
  }, 60);
}

// A read over REST may answer from before or after a message that arrives meanwhile: the messages received
// while a read is under way are applied again on top of what it brought (each sets what it carries, so applying
// one again changes nothing that a later one set).
let log = [];
let logStart = 0;
let reading = 0;
export function readStarts() {
  reading += 1;
  return logStart + log.length;
}

export function readEnds(from, landed) {
  if (landed) for (const m of log.slice(from - logStart)) apply(m);
  reading -= 1;
  if (!reading) {
    logStart += log.length;
    log = [];
  }
}

// Offline when the websocket is down or the browser says the network is gone (a phone that lost its signal
// may keep a dead socket open for a long while).
function setOnline(online) {
  state.online = online;
  showNetwork();
}

export function setNetwork(up) {
  state.network = up;
  showNetwork();
}

export function showNetwork() {
  const banner = $("#offline");
  // Before the first connection is known (null), say nothing.
  banner.hidden = !state.me || (state.online !== false && state.network && navigator.onLine);
  banner.textContent = t("offline");
}

window.addEventListener("offline", () => setNetwork(false));
window.addEventListener("online", () => {
  setNetwork(true);
  if (!state.me) return;
  // The signal is back: listen again at once, not at the next retry (its timer then finds another socket).
  if (state.token && state.ws && state.ws.readyState === WebSocket.CLOSED) connect();
  flushQueue();
  refresh();
});
