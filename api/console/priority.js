// A need's priority: the scale of engine/model/priority.py, 1 (lowest) to 5 (life-safety). A need read from
// the API carries the priority in force (`priority`, after the profile's rules in `priority_rules`) and the one
// reported (`reported_priority`): every card shows the one in force, and the reported one where they differ.
import { T, t } from "./i18n.js";
import { esc } from "./dom.js";

export const LIFE_SAFETY = 5;
// Highest first, as the report form offers them.
export const DESCENDING = [5, 4, 3, 2, 1];

// "5（上报 4）", titled with the rules that moved it. `n` is a need from the API (or, for a need not listed,
// anything with a priority, such as an unmet entry of the plan).
export function priorityBadge(n) {
  const p = n.priority;
  const moved = n.reported_priority != null && n.reported_priority !== p;
  const rules = (n.priority_rules || []).join(", ");
  const title = `${T().priorities[p] || ""}${rules ? ` · ${rules}` : ""}`;
  return `<span class="prio p${p}" title="${esc(title)}">${p}${moved ? esc(t("reportedAs", { p: n.reported_priority })) : ""}</span>`;
}
