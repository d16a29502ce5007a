// Dates as the forms and the board show them: local days, not UTC.

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
