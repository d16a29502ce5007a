// The attention bar: what must not be missed (a life-safety dispatch withdrawn, a life-safety need with no one
// going, the street's answer, a job taken back from this organisation), red, at the top of every view, until
// someone opens it. Items come from GET .../attention, then live in `attention` messages (api/attention.py); a
// new one sounds (Web Audio, once the page has had a tap: browsers allow no sound before), vibrates where the
// phone can, and shows a system notification if the person allowed them (asked by a button, never on load).
// Tapping an item opens it for everyone of its audience and shows its need's card. Nothing here takes focus.
import { state } from "./state.js";
import { t } from "./i18n.js";
import { $, esc } from "./dom.js";
import { api } from "./api.js";
import { refresh } from "./refresh.js";

// The bar as last drawn: redrawn only when it changes, so a live update never moves focus inside it.
let drawn = null;
// Which reading of the bar is under way, by who and where: an answer for another sign-in or community is dropped.
let loadingFor = null;
// When a reading last failed (offline): tried again on a later draw, not on every one.
let failedAt = 0;
let audio = null;
// Items opened (here, or by someone else as a message said), by who reads the bar: a read that answered from before
// never brings one back.
const openedIds = new Set();
const opened = {
  has: (id) => openedIds.has(`${state.token} ${id}`),
  add: (id) => openedIds.add(`${state.token} ${id}`),
  delete: (id) => openedIds.delete(`${state.token} ${id}`),
};

// Cadres and observers read their community's bar; the street's staff and observers every community's of the
// street (what concerns the street); an organisation its own; a grid worker the items about the needs they
// reported (they may be the one beside the resident). Captains have none.
function paths() {
  const me = state.me;
  if (!me) return [];
  if (me.role === "organisation") {
    const c = me.community || (me.communities || [])[0];
    return c ? [`/communities/${c}/attention`] : [];
  }
  if (me.role === "street" || (me.role === "observer" && !me.community)) return (me.communities || []).map((c) => `/communities/${c}/attention`);
  if (["cadre", "observer", "grid_worker"].includes(me.role) && state.community) return [`/communities/${state.community}/attention`];
  return [];
}

const opens = () => ["cadre", "street", "organisation"].includes(state.me.role);
const order = (a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : -1);

async function load() {
  const list = paths();
  const key = `${state.token}|${list.join(" ")}`;
  if (loadingFor === key) return;
  loadingFor = key;
  try {
    const got = await Promise.all(list.map((p) => api("GET", p)));
    if (loadingFor !== key) return;
    const read = got.flat().filter((x) => !opened.has(x.id));
    const ids = new Set(read.map((x) => x.id));
    // Items that arrived live while this read was under way are kept.
    state.data.attention = [...read, ...(state.data.attention || []).filter((x) => !ids.has(x.id))].sort(order);
  } catch {
    failedAt = Date.now();
    return;
  } finally {
    if (loadingFor === key) loadingFor = null;
  }
  drawAttention();
}

// A snapshot or another community: read the bar again.
export function forgetAttention() {
  delete state.data.attention;
  loadingFor = null;
}

// The channel that carries this person's bar (api/attention.py, _channels).
function mine(channel) {
  const me = state.me;
  const kind = channel.split(":")[0];
  if (me.role === "organisation") return kind === "organisation";
  if (me.role === "street" || (me.role === "observer" && !me.community)) return kind === "street";
  if (["cadre", "observer", "grid_worker"].includes(me.role)) return channel === `community:${state.community}`;
  return false;
}

// A grid worker's bar keeps the items about the needs they reported; the community's channel carries them all.
const theirs = (x) => state.me.role !== "grid_worker" || x.reported_by === `${state.me.role}:${state.me.name}`;

// An `attention` message: new items join the bar (and are announced), items whose need moved on are shown as they
// now are, opened ones leave it.
export function applyAttention(m) {
  const data = m.data || {};
  if (!state.me || !mine(m.channel)) return;
  for (const x of data.opened || []) opened.add(x.id);
  if (!state.data.attention) return;
  const items = (data.items || []).filter((x) => !opened.has(x.id) && theirs(x));
  const known = new Set(state.data.attention.map((x) => x.id));
  const now = new Set(items.map((x) => x.id));
  state.data.attention = [...items, ...state.data.attention.filter((x) => !now.has(x.id) && !opened.has(x.id))].sort(order);
  const fresh = items.filter((x) => !known.has(x.id));
  if (fresh.length) announce(fresh);
}

const textOf = (x) => (state.lang === "zh" ? x.text : x.text_en || x.text);
const sinceOf = (x) => (state.lang === "zh" ? x.since : x.since_en || x.since);
const clock = (at) => new Date(at).toLocaleTimeString(state.lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });

export function drawAttention() {
  const bar = $("#attention");
  if (!bar) return;
  if (state.me && state.data.attention === undefined && paths().length && Date.now() - failedAt > 5000) load();
  const items = (state.me && state.data.attention) || [];
  const asking = typeof Notification !== "undefined" && Notification.permission === "default";
  const html = items.length ? `<ul class="attention-list" aria-label="${esc(t("attentionTitle"))}">${items.map((x) => `<li>
      <button type="button" class="attention-item" data-attention="${esc(x.id)}" data-testid="attention-${esc(x.id)}" data-kind="${esc(x.kind)}">
      <time datetime="${esc(x.at)}">${esc(clock(x.at))}</time> ${esc(textOf(x))}${sinceOf(x) ? ` <span class="attention-since">${esc(sinceOf(x))}</span>` : ""}</button></li>`).join("")}</ul>
    ${asking ? `<button type="button" class="attention-notify" data-testid="attention-notify">${esc(t("attentionNotify"))}</button>` : ""}` : "";
  bar.hidden = !items.length;
  if (html === drawn) return;
  drawn = html;
  bar.innerHTML = html;
  document.documentElement.style.setProperty("--attention-h", `${bar.hidden ? 0 : bar.offsetHeight}px`);
  bar.querySelectorAll("[data-attention]").forEach((el) => { el.onclick = () => openItem(el.dataset.attention); });
  const ask = bar.querySelector(".attention-notify");
  if (ask) ask.onclick = () => Notification.requestPermission().then(() => { drawn = null; drawAttention(); });
}

async function openItem(id) {
  const item = (state.data.attention || []).find((x) => x.id === id);
  if (!item) return;
  if (opens()) {
    // Gone from this bar at once; the server tells everyone else of the same audience.
    opened.add(id);
    state.data.attention = state.data.attention.filter((x) => x.id !== id);
    drawAttention();
    try {
      await api("POST", `/communities/${item.community}/attention/${encodeURIComponent(id)}/open`);
    } catch (err) {
      if (err.status && err.status !== 404) {
        opened.delete(id);
        state.data.attention = [item, ...state.data.attention].sort(order);
        drawAttention();
      }
    }
  }
  show(item);
}

// The need's card, on the emergency tab opened for it (the street's staff: on the need's community).
async function show(item) {
  const find = () => document.querySelector(`[data-need="${CSS.escape(item.need)}"]`);
  const role = state.me.role;
  if (!find() && (role === "cadre" || role === "street")) {
    if (role === "street" && item.community !== state.community) {
      // What the page shows stays until the other community's is read (a redraw meanwhile draws the old one
      // whole); its map is read again, communities may have their own.
      state.community = item.community;
      delete state.data.map;
    }
    state.tab = "emergency";
    // Drawn once what the tab shows is read (the community may be another one, its data not read yet).
    await refresh();
  }
  const card = find();
  if (!card) return;
  card.scrollIntoView({ block: "center" });
  card.classList.add("attention-shown");
  setTimeout(() => card.classList.remove("attention-shown"), 2500);
}

// Sound needs a tap on the page first (the browsers' autoplay rule): the audio is made ready on the first one.
function ready() {
  if (audio || typeof AudioContext === "undefined") return;
  audio = new AudioContext();
}
window.addEventListener("pointerdown", ready, { once: true, capture: true });
window.addEventListener("keydown", ready, { once: true, capture: true });

function beep() {
  if (!audio || audio.state !== "running") return;
  const now = audio.currentTime;
  // Two short high tones, loud enough to be heard across a room and short enough not to annoy.
  for (const [start, freq] of [[0, 880], [0.25, 1175]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.3, now + start);
    gain.gain.exponentialRampToValueAtTime(0.001, now + start + 0.2);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + start);
    osc.stop(now + start + 0.2);
  }
}

function announce(items) {
  beep();
  if (audio && navigator.vibrate) navigator.vibrate([200, 100, 200]);
  if (typeof Notification !== "undefined" && Notification.permission === "granted") {
    for (const x of items) notify(t("attentionTitle"), { body: textOf(x), tag: x.id, lang: state.lang === "zh" ? "zh-CN" : "en" });
  }
  // How many were announced, for the browser tests (as window.pzState lets them read the page's state).
  window.pzAnnounced = (window.pzAnnounced || 0) + items.length;
}

// A phone's browser makes notifications through the service worker only (new Notification throws there).
function notify(title, options) {
  try {
    new Notification(title, options);
  } catch {
    if (navigator.serviceWorker) navigator.serviceWorker.getRegistration().then((r) => r && r.showNotification(title, options));
  }
}
