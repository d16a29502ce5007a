// Official warnings covering the community (api/routes/warnings.py): each open proposal is a big card at the top
// of every view, "暴雨红色预警覆盖本社区 — 启动应急模式？", with the warning's words and two big answers.
// 启动应急模式 starts incident mode at the kind and level the profile suggests (asked once, changeable);
// 暂不启动 takes it off for everyone. A cadre reads their community's; the street's staff every community's of
// the street (its inbox). Read when a message says a proposal came or was decided (api/channels.py, RELOAD), after
// an answer here, and on a draw at most every minute besides (a proposal past its warning's expiry leaves).
import { state } from "./state.js";
import { t, T } from "./i18n.js";
import { $, esc } from "./dom.js";
import { api } from "./api.js";
import { ask, dialogButtons } from "./dialog.js";
import { refresh } from "./refresh.js";

const EVERY_MS = 60000;
let readAt = 0;
let readFor = null;
let drawn = null;

function source() {
  const me = state.me;
  if (!me) return null;
  if (me.role === "street" && !me.community) return `/streets/${me.street}/warnings?pending=true`;
  if (["cadre", "observer", "grid_worker"].includes(me.role) && state.community) return `/communities/${state.community}/warnings?pending=true`;
  return null;
}

const decides = () => state.me && ["cadre", "street"].includes(state.me.role);

async function read(path) {
  readAt = Date.now();
  readFor = path;
  try {
    const got = await api("GET", path);
    if (readFor !== path) return;
    state.data.warnings = got.map((w) => ({ ...w, community: w.community || state.community }));
  } catch {
    return;
  }
  drawWarnings();
}

// A message said the proposals changed: read them on the next draw.
export function forgetWarnings() {
  readFor = null;
}

export function drawWarnings() {
  const box = $("#warnings");
  if (!box) return;
  const path = source();
  if (path && (path !== readFor || Date.now() - readAt > EVERY_MS)) read(path);
  const items = (path && path === readFor && state.data.warnings) || [];
  const html = items.map((w) => `<section class="warning-card colour-${esc(w.severity)}" data-testid="warning-${esc(w.id)}" aria-label="${esc(w.title)}">
    <p class="warning-proposal">${esc(state.me.role === "street" ? `${w.community_name || w.community}：${w.title}覆盖该社区 — 启动应急模式？` : w.proposal)}</p>
    <p class="warning-words">${esc(w.headline || w.description)}${w.exercise ? ` <strong>${esc(t("drill"))}</strong>` : ""}</p>
    ${w.instruction ? `<p class="warning-words">${esc(w.instruction)}</p>` : ""}
    <p class="warning-meta">${esc(w.sender_name)} · ${esc(w.area)} · ${esc(t("warningSuggested"))} ${esc(T().kinds[w.suggested.kind] || w.suggested.kind)} ${esc(w.suggested.level_zh)}</p>
    ${decides() ? `<div class="row choices"><button type="button" class="primary big" data-warning-accept="${esc(w.id)}" data-community="${esc(w.community)}" data-testid="warning-accept">${esc(t("warningAccept"))}</button>
    <button type="button" class="quiet" data-warning-dismiss="${esc(w.id)}" data-community="${esc(w.community)}" data-testid="warning-dismiss">${esc(t("warningDismiss"))}</button></div>` : ""}
  </section>`).join("");
  box.hidden = !items.length;
  if (html === drawn) return;
  drawn = html;
  box.innerHTML = html;
  box.querySelectorAll("[data-warning-accept]").forEach((el) => { el.onclick = () => accept(el.dataset.warningAccept, el.dataset.community); });
  box.querySelectorAll("[data-warning-dismiss]").forEach((el) => { el.onclick = () => dismiss(el.dataset.warningDismiss, el.dataset.community); });
}

const path = (id, community) => `/communities/${community}/warnings/${encodeURIComponent(id)}`;

async function accept(id, community) {
  const w = (state.data.warnings || []).find((x) => x.id === id && x.community === community);
  if (!w) return;
  const kinds = Object.entries(T().kinds).map(([k, name]) => `<option value="${esc(k)}" ${k === w.suggested.kind ? "selected" : ""}>${esc(name)}</option>`).join("");
  const levels = [1, 2, 3, 4].map((l) => `<option ${l === w.suggested.level ? "selected" : ""}>${l}</option>`).join("");
  const form = await ask(`<h2>${esc(t("warningAccept"))}</h2><p>${esc(w.title)} · ${esc(w.community_name || community)}</p>
    <label for="warning-kind">${esc(t("kind"))}</label><select name="kind" id="warning-kind">${kinds}</select>
    <label for="warning-level">${esc(t("levelQ"))}</label><select name="level" id="warning-level">${levels}</select>
    ${dialogButtons(t("warningAccept"), "primary", "warning-accept-ok")}`);
  if (!form) return;
  await api("POST", `${path(id, community)}/accept`, { kind: form.get("kind"), level: Number(form.get("level")) });
  done(community);
}

async function dismiss(id, community) {
  await api("POST", `${path(id, community)}/dismiss`, {});
  done(community);
}

function done(community) {
  state.data.warnings = [];
  readFor = null;
  drawn = null;
  if (state.me.role === "street") state.community = community;
  refresh();
}
