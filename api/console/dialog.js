// The one <dialog> every question is asked in: ask() resolves with the form's data, or null if cancelled.
import { t } from "./i18n.js";
import { $ } from "./dom.js";

export function ask(html, setup = null) {
  const dialog = $("#dialog");
  const form = $("#dialog-form");
  form.innerHTML = html;
  // One form serves every dialog: a check left by the last one must not refuse this one.
  form.onsubmit = null;
  // Escape closes a dialog without touching returnValue: clear it, or the last "ok" would count again.
  dialog.returnValue = "";
  dialog.showModal();
  if (setup) setup(form);
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === "ok" ? new FormData($("#dialog-form")) : null);
  });
}

// Shows a problem inside the open dialog and keeps it open.
export function refuse(e, message) {
  e.preventDefault();
  const el = $("#dialog-error");
  el.textContent = message;
  el.hidden = false;
}

export const dialogButtons = (label, style, testid) => `<p class="status error" id="dialog-error" role="alert" hidden></p>
  <div class="row choices"><button value="cancel" formnovalidate>${t("cancel")}</button><button class="${style}" value="ok" data-testid="${testid}">${label}</button></div>`;
