// The street's score board: points by community and by member over a chosen period, and its CSV export.
import { state } from "./state.js";
import { T, t } from "./i18n.js";
import { $, esc, loading } from "./dom.js";
import { bindDates } from "./dates.js";
import { download } from "./api.js";
import { communityName } from "./tasks.js";
import { refresh } from "./refresh.js";
import { appealBoard } from "./appeals.js";

// The period's fields and an empty place for the tables, drawn once; the tables are redrawn on each refresh.
export function boardFrame(period) {
  return `<h2>${t("board")}</h2><div class="pair"><label>${t("from")}<input type="date" id="score-start" value="${period.start}" data-testid="score-start"></label>
      <label>${t("to")}<input type="date" id="score-end" value="${period.end}" data-testid="score-end"></label></div>
      <p><button data-action="export" data-testid="export-csv">${t("exportCsv")}</button></p><div id="board-tables"></div>`;
}

export function boardTables(scores) {
  if (scores === undefined) return loading();
  if (!scores) return `<div class="empty">${t("noTasks")}</div>`;
  const C = T().col;
  const rows = (list, cell) => list.map(cell).join("");
  const members = [...scores.members].sort((a, b) => b.awarded - a.awarded || a.community.localeCompare(b.community));
  return `<h3>${t("byCommunity")}</h3><table class="board" data-testid="board-communities"><thead><tr><th>${C.community}</th><th>${C.tasks}</th><th>${C.overdue}</th><th>${C.score}</th></tr></thead>
    <tbody>${rows(scores.communities, (r) => `<tr data-testid="score-${esc(r.community)}"><td>${esc(communityName(r.community))}</td><td>${r.tasks}</td>
      <td class="${r.overdue ? "late-text" : ""}">${r.overdue}</td><td><strong>${r.awarded}</strong> / ${r.points}</td></tr>`)}</tbody></table>
    <h3>${t("byMember")}</h3><table class="board" data-testid="board-members"><thead><tr><th>${C.member}</th><th>${C.parts}</th><th>${C.score}</th></tr></thead>
    <tbody>${members.length ? rows(members, (r) => `<tr data-testid="score-${esc(r.community)}-${esc(r.member)}"><td>${esc(r.name)}<div class="muted">${esc(communityName(r.community))}</div></td>
      <td>${r.submitted}/${r.parts}</td><td><strong>${r.awarded}</strong> / ${r.points}</td></tr>`) : `<tr><td colspan="3">${t("noTasks")}</td></tr>`}</tbody></table>
    <h3>${t("appealBoard")}</h3>${appealBoard(scores, communityName)}`;
}

async function exportCsv() {
  const { start, end } = state.period;
  await download(`/streets/${encodeURIComponent(state.me.street)}/scores.csv?start=${start}&end=${end}`, `pingzhan-scores-${start}-${end}.csv`);
}

// By data-action.
export const actions = { export: exportCsv };

// A new period reads the board again.
export function bindPeriod() {
  bindDates("#score-start", "#score-end", true, (start, end) => {
    state.period = { start, end };
    $("#board-tables").innerHTML = loading();
    refresh();
  });
}
