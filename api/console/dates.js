// Dates as the forms and the board show them: local days, not UTC; how long something has waited.
import { t } from "./i18n.js";

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
