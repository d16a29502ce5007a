// Small helpers the views share: find an element, escape text into HTML, index a list by id, the loading line,
// the toast.
import { t } from "./i18n.js";

export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
export const $ = (sel) => document.querySelector(sel);
export const byId = (list) => Object.fromEntries((list || []).map((x) => [x.id, x]));
export const loading = () => `<div class="empty">${t("loading")}</div>`;

let toastTimer = null;
export function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3000);
}
