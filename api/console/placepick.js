// The place picker: where a need or a unit is, by the name people use. One component for the grid worker's report,
// the cadre's new need and the pool editor's unit:
//   - a search box: what is typed is looked up (GET .../places?q=) and the closest places are listed as big buttons;
//   - 在地图上点选: the next tap on the map picks the place nearest it (map.js pickOnMap, or the dialog's own map);
//   - the chosen place shown by its name, never by the map's node id.
// What is typed and not picked from the list goes to the server as `address`: it is matched to a known place there,
// or, with a map tap, kept as a note beside the tapped place (api/places.py locate).
//
//   placeField(id, chosen)   the field's HTML; `chosen`: { text, place, node, name } (emptyPlace() to start)
//   bindPlaceField(root, id, base, chosen, { onMap, onChange })   wires it: `base` is "/communities/c1" (or
//     "/streets/s1"); onMap(tapped): 在地图上点选 was pressed (bring the map into sight); onChange(chosen) after each
//     change. Returns tapped({ node, name }), for the map's taps (map.js pickOnMap or a dialog's draw()). `chosen`
//     is changed in place, so a redraw keeps what was typed and picked.
//   placeBody(chosen)        the body's fields: { place } | { address, location? } | { location }; null if none.
import { T, t } from "./i18n.js";
import { esc } from "./dom.js";
import { api } from "./api.js";

// Matches shown at once: enough to find a unit of a building, few enough to tap on a phone.
const SHOWN = 6;
const WAIT_MS = 150;

export const emptyPlace = () => ({ text: "", place: null, node: null, name: "" });

export function placeField(id, chosen) {
  const c = chosen || emptyPlace();
  return `<div class="place-pick" id="${id}" data-testid="${id}">
    <input type="search" id="${id}-q" value="${esc(c.text)}" autocomplete="off" enterkeyhint="search"
      aria-label="${esc(t("placeSearch"))}" placeholder="${esc(t("placeHint"))}" data-testid="${id}-q">
    <div class="choices" id="${id}-list" role="group" aria-label="${esc(t("placeMatches"))}"></div>
    <div class="row choices"><button type="button" id="${id}-map" data-testid="${id}-map">${t("placeOnMap")}</button></div>
    <p class="muted" id="${id}-chosen" role="status" aria-live="polite" data-testid="${id}-chosen">${chosenText(c)}</p></div>`;
}

function chosenText(c) {
  if (c.place || c.node) return esc(t("placeChosen", { name: c.name || t("placeTapped") }));
  return c.text ? esc(t("placeTyped")) : "";
}

export function bindPlaceField(root, id, base, chosen, { onMap = null, onChange = () => {} } = {}) {
  const box = root.querySelector(`#${id}`);
  if (!box) return null;
  // Bound once per drawing of the field: a live update that leaves the form as it is binds nothing anew.
  if (box.tapped) return box.tapped;
  const input = box.querySelector(`#${id}-q`);
  const list = box.querySelector(`#${id}-list`);
  const shown = box.querySelector(`#${id}-chosen`);
  let timer = null;
  let asked = 0;
  const changed = () => {
    shown.innerHTML = chosenText(chosen);
    onChange(chosen);
  };
  const pick = (p) => {
    Object.assign(chosen, { text: p.name, place: p.id, node: p.node, name: p.name });
    input.value = p.name;
    list.innerHTML = "";
    changed();
  };
  const search = async () => {
    const mine = ++asked;
    const q = input.value.trim();
    let found = [];
    try {
      found = await api("GET", `${base}/places?q=${encodeURIComponent(q)}&limit=${SHOWN}`);
    } catch {
      // Offline or refused: what was typed still goes as an address, matched when it reaches the server.
      found = [];
    }
    if (mine !== asked) return;
    list.innerHTML = (q ? found : []).map((p, i) => `<button type="button" data-i="${i}" data-testid="${id}-hit">
      ${esc(p.name)}${p.kind && T().placeKinds[p.kind] ? ` <span class="muted">${esc(T().placeKinds[p.kind])}</span>` : ""}</button>`).join("");
    list.querySelectorAll("button").forEach((b) => { b.onclick = () => pick(found[Number(b.dataset.i)]); });
  };
  input.oninput = () => {
    // Typed anew: a place picked from the list no longer stands; a map tap does (the text is its note).
    if (chosen.place) Object.assign(chosen, { node: null, name: "" });
    Object.assign(chosen, { text: input.value, place: null });
    changed();
    clearTimeout(timer);
    timer = setTimeout(search, WAIT_MS);
  };
  // Enter takes the first place listed; it never submits the form around the field (in a dialog: its 取消).
  input.onkeydown = (e) => {
    if (e.key !== "Enter" || e.isComposing) return;
    e.preventDefault();
    const first = list.querySelector("button");
    if (first) first.click();
  };
  const tapped = ({ node, name }) => {
    // A place picked from the list gives way to the tap: its name is no note of the tapped place.
    if (chosen.place) {
      chosen.text = "";
      input.value = "";
    }
    // The map names the node it picked; a node id is never shown, whatever the map knows.
    Object.assign(chosen, { place: null, node, name: name && name !== node ? name : "" });
    list.innerHTML = "";
    changed();
  };
  const button = box.querySelector(`#${id}-map`);
  button.hidden = !onMap;
  button.onclick = () => {
    shown.textContent = t("placeTapNow");
    onMap(tapped);
  };
  if (input.value.trim() && !chosen.place) search();
  box.tapped = tapped;
  return tapped;
}

export function placeBody(chosen) {
  const c = chosen || emptyPlace();
  const text = (c.text || "").trim();
  if (c.place) return { place: c.place };
  if (text && c.node) return { address: text, location: c.node };
  if (text) return { address: text };
  if (c.node) return { location: c.node };
  return null;
}
