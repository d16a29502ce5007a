// The street's record of its partners (组织贡献): one row per organisation of its communities and of its own
// pool, the most incident jobs first, then the most normal-time jobs; over a period or all time, and as CSV.
// A clear table on a wide screen; on a phone each row stands as a card, every number with its label.
import { state } from "./state.js";
import { T, t } from "./i18n.js";
import { $, esc, loading } from "./dom.js";
import { bindDates } from "./dates.js";
import { download } from "./api.js";
import { refresh } from "./refresh.js";

const period = () => state.contrib || (state.contrib = { from: "", to: "" });

// The query both the table and the CSV read: only the dates given.
export function contribQuery() {
  const { from, to } = period();
  const q = new URLSearchParams(Object.entries({ from, to }).filter(([, v]) => v)).toString();
  return q ? `?${q}` : "";
}

// The period's fields, the CSV button and an empty place for the table, drawn once; the table on each refresh.
export function contributionsView(view, d, same) {
  if (!same || !$("#contrib-table")) {
    const p = period();
    view.innerHTML = `<h2>${t("contribTitle")}</h2><p class="muted">${t("contribNote")}</p>
      <div class="pair"><label>${t("contribFrom")}<input type="date" id="contrib-from" value="${esc(p.from)}" data-testid="contrib-from"></label>
        <label>${t("contribTo")}<input type="date" id="contrib-to" value="${esc(p.to)}" data-testid="contrib-to"></label></div>
      <div class="row choices"><button type="button" data-action="contrib-all" data-testid="contrib-all">${t("contribAll")}</button>
        <button type="button" class="primary" data-action="contrib-csv" data-testid="contrib-csv">${t("contribCsv")}</button></div>
      <div id="contrib-table"></div>`;
  }
  $("#contrib-table").innerHTML = contributionsTable(d.contributions);
}

const byWork = (a, b) => b.incident.jobs - a.incident.jobs || b.normal.jobs - a.normal.jobs
  || a.community_name.localeCompare(b.community_name, "zh") || a.organisation_name.localeCompare(b.organisation_name, "zh");

function contributionsTable(table) {
  if (table === undefined) return loading();
  if (!table) return `<div class="empty">${t("noStreet")}</div>`;
  if (!table.rows.length) return `<div class="empty">${t("noOrgs")}</div>`;
  const C = T().contribCol;
  // Each cell carries its column's name: a phone shows it beside the number.
  const cell = (label, value, more = "") => `<td data-label="${esc(label)}"${more}>${value}</td>`;
  const count = (n) => (n ? `<strong>${n}</strong>` : "0");
  const rows = [...table.rows].sort(byWork).map((r) => {
    const key = `${esc(r.community)}-${esc(r.organisation)}`;
    const work = (col) => cell(`${C[col]} · ${C.jobs}`, count(r[col].jobs), ` data-testid="contrib-${col}-${key}"`)
      + cell(`${C[col]} · ${C.hours}`, r[col].hours);
    const kind = (state.lang === "zh" && r.kind_zh) || T().orgKinds[r.kind] || r.kind_zh;
    return `<tr data-testid="contrib-${key}">${cell(C.community, esc(r.community_name), ' class="community"')}
      ${cell(C.organisation, `<strong>${esc(r.organisation_name)}</strong>`, ' class="who"')}${cell(C.kind, esc(kind), ' class="kind"')}
      ${work("normal")}${work("incident")}${cell(C.declined, r.declined)}${cell(C.timedOut, r.timed_out)}</tr>`;
  }).join("");
  // The names get the room (style.css), each number a narrower column.
  const cols = `<colgroup><col class="community"><col class="who"><col class="kind">${"<col>".repeat(6)}</colgroup>`;
  return `<table class="board contrib" data-testid="contributions">${cols}<thead>
    <tr><th rowspan="2">${C.community}</th><th rowspan="2">${C.organisation}</th><th rowspan="2">${C.kind}</th>
      <th colspan="2">${C.normal}</th><th colspan="2">${C.incident}</th><th rowspan="2">${C.declined}</th><th rowspan="2">${C.timedOut}</th></tr>
    <tr><th>${C.jobs}</th><th>${C.hours}</th><th>${C.jobs}</th><th>${C.hours}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function reread() {
  $("#contrib-table").innerHTML = loading();
  refresh();
}

// By data-action.
export const actions = {
  "contrib-all"() {
    state.contrib = { from: "", to: "" };
    $("#contrib-from").value = "";
    $("#contrib-to").value = "";
    reread();
  },
  async "contrib-csv"() {
    const { from, to } = period();
    const info = state.data.streetInfo;
    const name = (info && info.name) || state.me.street;
    const span = from || to ? `-${from || ""}-${to || ""}` : "";
    await download(`/streets/${encodeURIComponent(state.me.street)}/contributions.csv${contribQuery()}`, `${name}组织贡献${span}.csv`);
  },
};

// A date given or cleared reads the table again.
export function bindContributions() {
  bindDates("#contrib-from", "#contrib-to", false, (from, to) => {
    state.contrib = { from, to };
    reread();
  });
}
