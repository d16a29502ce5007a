// Dates as the forms and the board show them: local days, not UTC; how long something has waited; a period's
// two date fields.
import { t } from "./i18n.js";
import { $, toast } from "./dom.js";

export function thisMonth() {
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth(), 1);
  const last = new Date(now.getFullYear(), now.getMonth() + 1, 0);
  return { start: isoDay(first), end: isoDay(last) };
}

export function isoDay(date) {
  const p = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
}

export function when(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${isoDay(d)} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// How long a need has waited, from its waiting_s: "已等 5 分钟", "已等 1 小时 20 分钟".
export function waited(s) {
  const m = Math.floor(s / 60);
  return m < 60 ? t("waitedM", { m: Math.max(0, m) }) : t("waitedH", { h: Math.floor(m / 60), m: m % 60 });
}

// A period's start and end fields: a change passes both days to `apply`, unless the end is before the start
// (refused, said) or, when both are `required`, one is empty.
export function bindDates(startSel, endSel, required, apply) {
  const start = $(startSel);
  const end = $(endSel);
  if (!start || !end) return;
  start.onchange = end.onchange = () => {
    if (required && !(start.value && end.value)) return;
    if (start.value && end.value && end.value < start.value) {
      toast(t("badPeriod"));
      return;
    }
    apply(start.value, end.value);
  };
}
