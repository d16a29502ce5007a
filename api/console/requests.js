// Help the street asked this community for: a need of another community of the street that the street could
// not meet itself. Its cadres see what is needed, where, how urgent, how long it has waited and the street's
// note, and send one of their own free units that do it; once sent the request is answered and its card goes.
import { state } from "./state.js";
import { t, cap } from "./i18n.js";
import { esc } from "./dom.js";
import { act, pendingAt } from "./api.js";
import { refresh } from "./refresh.js";
import { waited } from "./dates.js";
import { needLine, orgLabel, placeOf } from "./emergency.js";
import { pickUnits } from "./unitpick.js";
import { communityName } from "./tasks.js";

const offerPath = (r) => `/communities/${state.community}/requests/${r.community}/${r.need.id}/offer`;

// The cards, above everything else on a cadre's emergency page ("" when nothing is asked).
export function requestsView(d) {
  const list = state.me.role === "cadre" ? d.requests || [] : [];
  if (!list.length) return "";
  return `<h2>${t("requests")}</h2><div class="cards" data-testid="requests">${list.map(requestCard).join("")}</div>`;
}

function requestCard(r) {
  const n = r.need;
  const key = `${esc(r.community)}-${esc(n.id)}`;
  const button = pendingAt(offerPath(r)) ? `<div class="status pending">${t("pending")}</div>`
    : `<button class="go big" data-action="offer" data-c="${esc(r.community)}" data-need="${esc(n.id)}" data-testid="offer-${key}">${t("offer")}</button>`;
  return `<div class="card request p${r.priority}" data-testid="request-${key}">
    <div class="inbox-head"><strong class="community">${esc(t("requestFrom", { c: r.community_name || communityName(r.community) }))}</strong>
      <span class="muted" data-testid="request-waited-${key}">${esc(waited(r.waiting_s))}</span></div>
    ${needLine({ ...n, priority: r.priority, contact_phone: null })}
    ${r.note ? `<div class="street-note" data-testid="request-note-${key}">${esc(t("streetNote", { n: r.note }))}</div>` : ""}
    ${button}</div>`;
}

// By data-action.
export const actions = {
  async offer(el) {
    const r = (state.data.requests || []).find((x) => x.community === el.dataset.c && x.need.id === el.dataset.need);
    if (!r) return;
    const n = r.need;
    const orgName = Object.fromEntries((state.data.organisations || []).map((o) => [o.id, orgLabel(o)]));
    const units = (state.data.resources || []).filter((u) => u.capability === n.capability).map((u) => ({
      ...u, org: orgName[u.organisation] || t("orgUnknown"),
      free: u.status === "available" ? Math.max(0, u.quantity - (u.committed || 0)) : 0 }));
    const asking = r.community_name || communityName(r.community);
    const head = `<h2>${t("offer")}</h2><p>${esc(asking)} · <strong>${esc(cap(n.capability))}</strong> × ${n.quantity}${placeOf(n) ? ` · ${esc(placeOf(n))}` : ""}</p>`;
    const choice = await pickUnits(head, units, n.quantity, { pick: t("pickOwnUnit"), none: t("noOwnUnit"), send: t("offer"), testid: "offer-send" });
    if (!choice) return;
    const done = t("offered_", { name: choice.unit.name || cap(n.capability), q: choice.quantity, c: asking });
    const body = { resource: choice.unit.id, quantity: choice.quantity, note: choice.note };
    // Refused (the need was met or answered meanwhile): read the requests again, so a card that is no longer asked goes.
    if ((await act("POST", offerPath(r), body, done)) === null) await refresh();
  },
};
