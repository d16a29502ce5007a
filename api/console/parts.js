// The dialogs on a task's parts: the head splits a task among members, a member uploads what was done (text,
// a number, a photo), the reviewer accepts it, scores it as partly done or returns it.
import { state } from "./state.js";
import { t } from "./i18n.js";
import { esc } from "./dom.js";
import { ask, dialogButtons, refuse } from "./dialog.js";
import { act } from "./api.js";
import { formPhoto } from "./photos.js";

// Who the head can give a part to.
const ASSIGNABLE = ["head", "cadre", "grid_worker"];

function findTask(c, id) {
  const d = state.data;
  const lists = [d.tasks, d.mytasks, d.street && d.street[c] && d.street[c].tasks];
  for (const list of lists) {
    const found = (list || []).find((task) => task.id === id);
    if (found) return found;
  }
  return null;
}

async function splitTask(c, task) {
  const members = (state.data.members || []).filter((m) => ASSIGNABLE.includes(m.role));
  const rows = task.parts.length ? task.parts.map((p) => ({ title: p.title, assignee: p.assignee, points: p.points }))
    : [{ title: task.title, assignee: "", points: task.points }];
  const row = (r) => `<fieldset class="part-row"><label>${t("partTitle")}<input name="title" value="${esc(r.title)}"></label>
    <label>${t("assignee")}<select name="assignee"><option value="">${t("pickAssignee")}</option>${members.map((m) =>
      `<option value="${esc(m.id)}" ${m.id === r.assignee ? "selected" : ""}>${esc(m.name)}</option>`).join("")}</select></label>
    <label>${t("points")}<input name="points" type="number" inputmode="numeric" min="0" max="1000" value="${r.points}"></label>
    <button type="button" class="quiet" data-remove>${t("removePart")}</button></fieldset>`;
  const form = await ask(`<h2>${esc(t("splitTitle", { t: task.title }))}</h2>
    <p>${esc(t("pointsN", { n: task.points }))} · <strong id="split-left" data-testid="split-left"></strong></p>
    <div id="split-rows">${rows.map(row).join("")}</div>
    <p><button type="button" data-add data-testid="split-add">${t("addPart")}</button></p>
    ${dialogButtons(t("save"), "primary", "split-save")}`, (el) => {
    const box = el.querySelector("#split-rows");
    // Test ids follow the rows' order, so a removed row renumbers the rest.
    const update = () => {
      box.querySelectorAll(".part-row").forEach((r, i) => {
        r.querySelector('[name="title"]').dataset.testid = `split-title-${i}`;
        r.querySelector('[name="assignee"]').dataset.testid = `split-assignee-${i}`;
        r.querySelector('[name="points"]').dataset.testid = `split-points-${i}`;
        r.querySelector("[data-remove]").hidden = box.children.length < 2;
      });
      const used = [...box.querySelectorAll('[name="points"]')].reduce((sum, x) => sum + (Number(x.value) || 0), 0);
      const left = task.points - used;
      const out = el.querySelector("#split-left");
      out.textContent = t("left", { n: left });
      out.className = left === 0 ? "" : "late-text";
    };
    box.oninput = update;
    box.onclick = (e) => {
      const remove = e.target.closest("[data-remove]");
      if (remove) { remove.closest(".part-row").remove(); update(); }
    };
    el.querySelector("[data-add]").onclick = () => {
      box.insertAdjacentHTML("beforeend", row({ title: "", assignee: "", points: 0 }));
      update();
      box.lastElementChild.querySelector("input").focus();
    };
    el.onsubmit = (e) => {
      if (!e.submitter || e.submitter.value !== "ok") return;
      const data = new FormData(el);
      const points = data.getAll("points").map(Number);
      if (data.getAll("title").some((x) => !String(x).trim())) return refuse(e, t("partNeedsTitle"));
      if (data.getAll("assignee").some((x) => !x)) return refuse(e, t("partNeedsAssignee"));
      if (points.reduce((a, b) => a + (b || 0), 0) !== task.points) return refuse(e, t("splitSum", { n: task.points }));
    };
    update();
  });
  if (!form) return;
  const titles = form.getAll("title");
  const assignees = form.getAll("assignee");
  const points = form.getAll("points");
  const parts = titles.map((title, i) => ({ title: String(title).trim(), assignee: assignees[i], points: Number(points[i]) || 0 }));
  await act("PUT", `/communities/${c}/tasks/${task.id}/parts`, { parts }, t("splitSaved"));
}

async function uploadPart(c, task, part) {
  const need = task.evidence || [];
  const text = need.includes("text") || !need.length;
  const form = await ask(`<h2>${t("upload")}</h2><p><strong>${esc(task.title)}</strong>${part.title !== task.title ? ` · ${esc(part.title)}` : ""}</p>
    ${text ? `<label>${t("uploadText")}<textarea name="text" rows="4" data-testid="upload-text"></textarea></label>` : ""}
    ${need.includes("number") ? `<label>${t("uploadNumber")}<input name="number" type="number" inputmode="decimal" step="any" data-testid="upload-number"></label>` : ""}
    ${need.includes("photo") ? `<label>${t("uploadPhoto")}</label><label class="button photo-pick" data-testid="upload-photo-pick">
      <input name="photo" type="file" accept="image/*" capture="environment" class="offscreen" data-testid="upload-photo"><span id="photo-label">${t("takePhoto")}</span></label>
      <img id="photo-preview" class="thumb" alt="${t("photo")}" hidden>` : ""}
    <label>${t("note")}<input name="note" data-testid="upload-note"></label>
    ${dialogButtons(t("submit"), "go", "upload-send")}`, (el) => {
    // The photo chosen is shown, so the worker knows it is the right one.
    const input = el.querySelector('input[name="photo"]');
    if (input) {
      input.onchange = () => {
        const file = input.files[0];
        const preview = el.querySelector("#photo-preview");
        if (preview.src) URL.revokeObjectURL(preview.src);
        preview.hidden = !file;
        if (file) preview.src = URL.createObjectURL(file);
        el.querySelector("#photo-label").textContent = t(file ? "otherPhoto" : "takePhoto");
      };
    }
    el.onsubmit = (e) => {
      if (!e.submitter || e.submitter.value !== "ok") return;
      const data = new FormData(el);
      if (need.includes("text") && !String(data.get("text") || "").trim()) return refuse(e, t("needText"));
      if (need.includes("number") && (data.get("number") === "" || !Number.isFinite(Number(data.get("number"))))) return refuse(e, t("needNumber"));
      const photo = data.get("photo");
      if (need.includes("photo") && !(photo && photo.size)) return refuse(e, t("needPhoto"));
    };
  });
  if (!form) return;
  const body = { note: String(form.get("note") || "").trim() };
  const typed = String(form.get("text") || "").trim();
  if (typed) body.text = typed;
  if (need.includes("number")) body.number = Number(form.get("number"));
  const photo = await formPhoto(form);
  if (photo === null) return;
  if (photo) body.photo = photo;
  await act("POST", `/communities/${c}/tasks/${task.id}/parts/${part.id}/submission`, body, t("uploaded"));
}

async function review(c, task, part, verdict) {
  const path = `/communities/${c}/tasks/${task.id}/parts/${part.id}/review`;
  if (verdict === "accept") return act("POST", path, { verdict }, t("reviewed"));
  const partial = verdict === "partial";
  const form = await ask(`<h2>${t(partial ? "partial" : "giveBack")}</h2><p><strong>${esc(task.title)}</strong> · ${esc(part.title)}</p>
    ${partial ? `<label>${t("share")}</label><div class="picks">${[25, 50, 75].map((n) =>
      `<label class="pick" data-testid="share-${n}"><input type="radio" name="completion" value="${n}" ${n === 50 ? "checked" : ""}> ${n}%</label>`).join("")}</div>` : ""}
    <label>${t(partial ? "comment" : "returnWhy")}<textarea name="comment" rows="3" data-testid="review-comment"></textarea></label>
    ${dialogButtons(t(partial ? "partial" : "giveBack"), partial ? "primary" : "danger", "review-send")}`);
  if (!form) return null;
  const body = { verdict, comment: String(form.get("comment") || "").trim() };
  if (partial) body.completion = Number(form.get("completion")) / 100;
  return act("POST", path, body, t("reviewed"));
}

// The task and part a button is about, from what was last read; null if they have gone since it was drawn.
function partOf(el) {
  const task = findTask(el.dataset.c, el.dataset.task);
  const part = task && task.parts.find((p) => p.id === el.dataset.part);
  return part ? [task, part] : null;
}

async function reviewPart(el) {
  const found = partOf(el);
  if (found) await review(el.dataset.c, ...found, el.dataset.action);
}

// By data-action.
export const actions = {
  async split(el) {
    const task = findTask(el.dataset.c, el.dataset.task);
    if (task) await splitTask(el.dataset.c, task);
  },
  async upload(el) {
    const found = partOf(el);
    if (found) await uploadPart(el.dataset.c, ...found);
  },
  accept: reviewPart,
  partial: reviewPart,
  return: reviewPart,
};
