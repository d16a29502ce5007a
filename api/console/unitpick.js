// Picking units to send by hand: the street's pool for an escalated need, a community's own units for the
// need of another community the street asked it to help. The freest first, the first free one chosen; how
// many (no more than it has free, nor than the need lacks); a note for whoever reads the dispatch.
import { t, cap } from "./i18n.js";
import { esc } from "./dom.js";
import { ask, dialogButtons, refuse } from "./dialog.js";
import { placeOf } from "./emergency.js";

// `units`: {id, name, location, org, free}; `want`: how many the need lacks. Resolves with
// {unit, quantity, note}, or null if the person cancelled or there was nothing to pick.
export async function pickUnits(head, units, want, { pick, none, send, testid }) {
  const sorted = [...units].sort((a, b) => b.free - a.free || a.id.localeCompare(b.id));
  const first = sorted.find((u) => u.free > 0);
  const form = await ask(sorted.length ? `${head}<label>${esc(pick)}</label><div class="picks column">${sorted.map((u) => `<label class="pick" data-testid="unit-pick-${esc(u.id)}">
      <input type="radio" name="resource" value="${esc(u.id)}" ${u === first ? "checked" : ""} ${u.free ? "" : "disabled"}>
      <span>${[u.org, u.name || cap(u.capability), placeOf(u)].filter(Boolean).map(esc).join(" · ")} · <b>${esc(u.free ? t("freeN", { n: u.free }) : t("allSent"))}</b></span></label>`).join("")}</div>
      <label>${t("sendHowMany")}<input name="quantity" type="number" inputmode="numeric" min="1" value="${Math.max(1, Math.min(want, first ? first.free : want))}" data-testid="assign-quantity"></label>
      <label>${t("noteOpt")}<input name="note" maxlength="500" data-testid="assign-note"></label>${dialogButtons(esc(send), "primary", testid)}`
    : `${head}<p class="empty">${esc(none)}</p><div class="row choices"><button value="cancel">${t("close_")}</button></div>`, (el) => {
    el.onsubmit = (e) => {
      if (!e.submitter || e.submitter.value !== "ok") return;
      const data = new FormData(el);
      const unit = sorted.find((u) => u.id === data.get("resource"));
      const q = Number(data.get("quantity"));
      if (!unit) return refuse(e, pick);
      if (!(Number.isInteger(q) && q >= 1 && q <= unit.free)) return refuse(e, t("badQty"));
      if (q > want) return refuse(e, t("tooMany", { n: want }));
    };
  });
  if (!form || !form.get("resource")) return null;
  return { unit: sorted.find((u) => u.id === form.get("resource")), quantity: Number(form.get("quantity")), note: String(form.get("note") || "").trim() };
}
