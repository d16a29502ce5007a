// Normal-time tasks: the street issues them to communities, the community's head splits each into parts for its
// members, a member uploads what was done, a reviewer scores it. Here: the task cards, the street's and the
// community's task views, a member's own parts, and the street's issue form.
import { state } from "./state.js";
import { T, t } from "./i18n.js";
import { $, esc, byId, loading, toast } from "./dom.js";
import { act, pendingAt, QUEUED } from "./api.js";
import { isoDay, thisMonth, when } from "./dates.js";
import { boardFrame, boardTables } from "./board.js";
import { render } from "./app.js";

export const isHead = () => Boolean(state.me.member && state.me.member.role === "head");
const reviewerOf = (profile) => (profile && profile.tasks && profile.tasks.reviewer) || "street";

// [task, part] for every part of the list assigned to this person.
export function partsOf(tasks) {
  const out = [];
  for (const task of tasks || []) for (const p of task.parts) if (p.assignee === state.me.name) out.push([task, p]);
  return out;
}

function isOverdue(task) {
  if (task.overdue) return true;
  const waiting = !task.parts.length || task.parts.some((p) => ["assigned", "returned"].includes(p.status));
  return waiting && new Date(task.due_at) < new Date();
}

// A community by its name, as the street's list, /me or the page's own community give it; "" when this page is
// not told it (never its id).
export function communityName(id) {
  const found = (state.data.communityList || []).find((c) => c.id === id);
  const named = (state.me && state.me.community_names) || {};
  return (found && found.name) || named[id] || (state.data.community && state.data.community.id === id && state.data.community.name) || "";
}

function evidenceNeeded(task) {
  const kinds = task.evidence || [];
  return kinds.length ? t("needs_", { e: kinds.map((k) => T().evidence[k] || k).join(state.lang === "zh" ? "、" : ", ") }) : t("noEvidence");
}

function taskHead(c, task) {
  const overdue = isOverdue(task);
  return `<div class="task-head"><strong class="task-title">${esc(task.title)}</strong> <span class="points">${esc(t("pointsN", { n: task.points }))}</span>
    ${overdue ? `<span class="flag" data-testid="overdue-${esc(c)}-${esc(task.id)}">${t("overdue")}</span>` : ""}</div>
    <div class="${overdue ? "late-text" : "muted"}">${esc(t("dueAt", { d: when(task.due_at) }))} · ${esc(evidenceNeeded(task))}</div>
    ${task.description ? `<div class="muted">${esc(task.description)}</div>` : ""}`;
}

function evidenceHtml(c, p, id) {
  const e = p.evidence;
  if (!e) return "";
  return `<div class="evidence" data-testid="evidence-${esc(id)}">
    ${e.text ? `<div class="ev-text">${esc(e.text)}</div>` : ""}
    ${e.number != null ? `<div>${t("number")}<strong data-testid="evidence-number-${esc(id)}">${esc(e.number)}</strong></div>` : ""}
    ${e.photo ? `<img class="thumb" alt="${t("photo")}" data-action="photo" data-photo="${esc(e.photo)}" data-community="${esc(c)}" data-testid="photo-${esc(id)}">` : ""}
    ${p.note ? `<div class="muted">${esc(p.note)}</div>` : ""}</div>`;
}

function partStatus(p) {
  let text = T().partStatus[p.status] || p.status;
  if (p.status === "scored") text += ` · ${t("awarded", { n: p.awarded })}`;
  if (p.late_h > 0 && ["submitted", "scored"].includes(p.status)) text += ` · ${t("late")}`;
  // A returned part keeps the reviewer's reason as its review's comment.
  const comment = p.review && p.review.comment;
  const why = comment ? `<div class="muted">${esc(t(p.status === "returned" ? "returnedBecause" : "reviewComment", { c: comment }))}</div>` : "";
  return { text, why };
}

// One part as the reviewer and the head see it: who, how many points, where it stands, its evidence.
function partRow(c, task, p, o) {
  const id = `${c}-${task.id}-${p.id}`;
  const who = (o.members[p.assignee] || {}).name || "";
  const { text, why } = partStatus(p);
  const data = `data-c="${esc(c)}" data-task="${esc(task.id)}" data-part="${esc(p.id)}"`;
  const path = `/communities/${c}/tasks/${task.id}/parts/${p.id}/review`;
  const review = !o.review || p.status !== "submitted" ? ""
    : pendingAt(path) ? `<div class="status pending">${t("pending")}</div>`
      : `<div class="row"><button class="go" data-action="accept" ${data} data-testid="accept-${esc(id)}">${t("accept")}</button>
        <button data-action="partial" ${data} data-testid="partial-${esc(id)}">${t("partial")}</button>
        <button class="danger" data-action="return" ${data} data-testid="return-${esc(id)}">${t("giveBack")}</button></div>`;
  return `<div class="part st-${esc(p.status)}" data-part="${esc(id)}" data-status="${esc(p.status)}">
    <div><strong>${esc(p.title)}</strong> · ${esc(who)} · ${esc(t("pointsN", { n: p.points }))}</div>
    <div class="status" data-testid="part-status-${esc(id)}">${esc(text)}</div>${why}
    ${evidenceHtml(c, p, id)}${review}</div>`;
}

function taskCard(c, task, o) {
  const changeable = task.parts.every((p) => p.status === "assigned");
  const split = o.split && changeable
    ? `<div class="row"><button class="${task.parts.length ? "" : "primary"}" data-action="split" data-c="${esc(c)}" data-task="${esc(task.id)}"
        data-testid="split-${esc(c)}-${esc(task.id)}">${t(task.parts.length ? "resplit" : "split")}</button></div>` : "";
  const parts = task.parts.length ? task.parts.map((p) => partRow(c, task, p, o)).join("")
    : `<div class="muted">${o.split ? `<span class="flag todo">${t("toSplit")}</span>` : t("notSplit")}</div>`;
  return `<div class="card task ${isOverdue(task) ? "overdue" : ""}" data-task="${esc(task.id)}" data-testid="task-${esc(c)}-${esc(task.id)}">
    ${taskHead(c, task)}<div class="parts">${parts}</div>${split}</div>`;
}

// A member's own parts, with the button to upload what was done.
export function myParts(c, tasks) {
  if (tasks === undefined) return loading();
  const mine = partsOf(tasks);
  if (!mine.length) return `<div class="empty" data-testid="my-tasks">${t("noMyTasks")}</div>`;
  return `<div class="cards" data-testid="my-tasks">${mine.map(([task, p]) => {
    const id = `${c}-${task.id}-${p.id}`;
    const path = `/communities/${c}/tasks/${task.id}/parts/${p.id}/submission`;
    const { text, why } = partStatus(p);
    const open = ["assigned", "returned"].includes(p.status);
    const button = pendingAt(path) ? `<div class="status pending" data-testid="pending-${esc(id)}">${t("pending")}</div>`
      : open ? `<button class="go big" data-action="upload" data-c="${esc(c)}" data-task="${esc(task.id)}" data-part="${esc(p.id)}"
          data-testid="upload-${esc(id)}">${t(p.status === "returned" ? "reupload" : "upload")}</button>` : "";
    return `<div class="card task ${isOverdue(task) ? "overdue" : ""}" data-mypart="${esc(id)}" data-status="${esc(p.status)}">
      ${taskHead(c, task)}
      ${p.title !== task.title ? `<div>${esc(p.title)} · ${esc(t("pointsN", { n: p.points }))}</div>` : ""}
      <div class="status st-${esc(p.status)}" data-testid="mypart-status-${esc(id)}">${esc(text)}</div>${why}
      ${evidenceHtml(c, p, `my-${id}`)}${button}</div>`;
  }).join("")}</div>`;
}

export function cadreTasksView(d) {
  const c = state.community;
  let html = `<h2>${t("myTasks")}</h2>${myParts(c, d.tasks)}`;
  if (isHead()) {
    const o = { split: true, review: reviewerOf(d.profile) === "head", members: byId(d.members) };
    const tasks = d.tasks;
    html = `<h2>${t("allTasks")}</h2>${tasks === undefined ? loading() : tasks.length
      ? `<div class="cards" data-testid="community-tasks">${tasks.map((task) => taskCard(c, task, o)).join("")}</div>`
      : `<div class="empty" data-testid="community-tasks">${t("noTasks")}</div>`}${html}`;
  }
  return html;
}

export function streetTasksView(view, d, same) {
  if (!same || !$("#task-lists")) {
    const k = state.keep || (state.keep = taskDefaults());
    const period = state.period || (state.period = thisMonth());
    view.innerHTML = `<div id="task-form">${issueForm(k)}</div><h2>${t("tasksOf")}</h2><div id="task-lists"></div>
      ${boardFrame(period)}`;
  }
  $("#task-lists").innerHTML = d.street === undefined ? loading() : state.me.communities.map((c) => {
    const x = d.street[c] || { tasks: [], members: [] };
    const o = { review: reviewerOf(x.profile) === "street", members: byId(x.members) };
    return `<section class="community-tasks" data-community="${esc(c)}" data-testid="tasks-${esc(c)}"><h3>${esc(communityName(c))}</h3>
      ${x.tasks.length ? `<div class="cards">${x.tasks.map((task) => taskCard(c, task, o)).join("")}</div>` : `<div class="empty">${t("noTasks")}</div>`}</section>`;
  }).join("");
  $("#board-tables").innerHTML = boardTables(d.scores);
}

function taskDefaults() {
  const due = new Date(Date.now() + 7 * 86400e3);
  return { title: "", desc: "", date: isoDay(due), time: "17:00", points: "10", evidence: ["text"], communities: [] };
}

function issueForm(k) {
  return `<h2>${t("issueTitle")}</h2>
    <label for="task-title">${t("taskTitle")}</label><input id="task-title" data-keep="title" value="${esc(k.title)}" data-testid="task-title">
    <label for="task-desc">${t("taskDesc")}</label><textarea id="task-desc" rows="3" data-keep="desc" data-testid="task-description">${esc(k.desc)}</textarea>
    <div class="pair"><label>${t("dueDate")}<input type="date" id="task-date" data-keep="date" value="${esc(k.date)}" data-testid="task-due-date"></label>
      <label>${t("dueTime")}<input type="time" id="task-time" data-keep="time" value="${esc(k.time)}" data-testid="task-due-time"></label></div>
    <label for="task-points">${t("points")}</label><input id="task-points" type="number" inputmode="numeric" min="0" max="1000" data-keep="points" value="${esc(k.points)}" data-testid="task-points">
    <label>${t("evidenceQ")}</label><div class="choices">${["text", "number", "photo"].map((e) =>
      `<button type="button" data-action="evidence" data-kind="${e}" aria-pressed="${k.evidence.includes(e)}" data-testid="evidence-${e}">${esc(T().evidence[e])}</button>`).join("")}</div>
    <label>${t("toCommunities")}</label><div class="checks">${state.me.communities.map((c) =>
      `<label class="check box"><input type="checkbox" name="task-community" value="${esc(c)}" ${k.communities.includes(c) ? "checked" : ""} data-testid="task-community-${esc(c)}"> ${esc(communityName(c))}</label>`).join("")}</div>
    <p><button class="primary big" data-action="issue-task" data-testid="issue-task">${t("issue")}</button></p>`;
}

async function issueTask() {
  const k = state.keep;
  const title = $("#task-title").value.trim();
  const points = Number($("#task-points").value);
  const communities = [...document.querySelectorAll('input[name="task-community"]:checked')].map((x) => x.value);
  const due = new Date(`${$("#task-date").value}T${$("#task-time").value || "17:00"}`);
  const problem = !title ? ["needTitle", "#task-title"]
    : !(Number.isInteger(points) && points >= 0 && points <= 1000) ? ["needPoints", "#task-points"]
      : !(due > new Date()) ? ["needDue", "#task-date"]
        : !communities.length ? ["needCommunity", 'input[name="task-community"]'] : null;
  if (problem) {
    toast(t(problem[0]));
    $(problem[1]).focus();
    return;
  }
  const body = { title, description: $("#task-desc").value.trim(), due_at: due.toISOString(), points, evidence: k.evidence, communities };
  const result = await act("POST", `/streets/${encodeURIComponent(state.me.street)}/tasks`, body, t("issued"));
  if (result && result !== QUEUED) {
    state.keep = { ...taskDefaults(), evidence: k.evidence };
    render(true);
  }
}

// By data-action.
export const actions = {
  evidence(el) {
    const k = state.keep;
    const kind = el.dataset.kind;
    k.evidence = k.evidence.includes(kind) ? k.evidence.filter((x) => x !== kind) : [...k.evidence, kind];
    el.setAttribute("aria-pressed", String(k.evidence.includes(kind)));
  },
  "issue-task": issueTask,
};

// Keep what the street typed in the task form when the page redraws.
export function bindIssueForm() {
  document.querySelectorAll("[data-keep]").forEach((input) => {
    input.oninput = () => { state.keep[input.dataset.keep] = input.value; };
  });
  document.querySelectorAll('input[name="task-community"]').forEach((box) => {
    box.onchange = () => {
      state.keep.communities = [...document.querySelectorAll('input[name="task-community"]:checked')].map((x) => x.value);
    };
  });
}
