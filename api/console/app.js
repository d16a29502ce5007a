// 平战 console: one page, no build step. Chinese first; every change arrives over the websocket and the page
// re-reads what it shows; actions taken offline wait in localStorage and go out, with their time, on reconnect.
"use strict";

const ZH = {
  title: "社区应急调度", signin: "登录", token: "请输入令牌（管理员发给您的一串字符）", signinGo: "登录",
  signout: "退出", lang: "English", badToken: "令牌无效，请核对后再试",
  normal: "常态", incident: "应急中", drill: "演练中", level: "级", exercise: "演练 · 这不是真实事件 · EXERCISE",
  offline: "网络已断开，正在重新连接…… 操作会先保存，联网后自动发送",
  start: "启动应急模式", startTitle: "启动应急模式", kind: "发生了什么", levelQ: "响应级别（1 级最严重）",
  isDrill: "这是演练", confirmStart: "确定启动", cancel: "取消", close: "结束应急", confirmClose: "确定结束应急吗？",
  changeLevel: "调整级别",
  needs: "需求（按紧急程度）", plan: "调度方案：谁去哪里", unmet: "还没有解决的需求", map: "地图",
  noNeeds: "目前没有需求", noPlan: "还没有方案", noUnmet: "所有需求都有人去了",
  confirm: "确认派出", override: "改派", pickOther: "改派给谁", minutes: "约 {m} 分钟到达", unreachable: "路线未知",
  escalate: "上报街道", escalated: "已上报街道", relax: "放宽规则「{r}」", relaxAsk: "确定在本社区停用规则「{r}」吗？",
  relaxGo: "确定放宽", ok: "确定", needPlace: "请先填写地点，或在地图上点一下", noOther: "没有其他可用的同类资源", pending: "已保存，待发送",
  legend: { need: "需求", resource: "资源", proposed: "待确认的派单", sent: "已派出", closed: "道路封闭" },
  needProgress: { sent: "已派出，正在处理", proposed: "方案待确认" },
  mine: "派给我们的任务", noMine: "暂时没有任务", ack: "接单", decline: "拒绝", enRoute: "出发", onSite: "已到达", done: "完成",
  declineWhy: "拒绝的原因（可不填）", phone: "联系电话",
  report: "上报需求", what: "需要什么", howMany: "数量", where: "地点（可在地图上点选）", urgency: "紧急程度",
  situation: "情况", phoneOpt: "联系电话（可不填）", note: "说明（可不填）", send: "上报", sent: "已上报",
  myReports: "我上报的需求", queued: "已保存，联网后自动发送", failed: "没有成功：", saved: "已完成",
  pickCommunity: "选择社区", readOnly: "只读",
  statuses: { proposed: "待确认", confirmed: "已确认", notified: "已通知", acknowledged: "已接单", en_route: "在途",
    on_site: "已到达", done: "完成", open: "待解决", served: "已解决", cancelled: "已取消" },
  priorities: { 5: "生命安全", 4: "紧急", 3: "重要", 2: "一般", 1: "较低" },
  kinds: { flood: "洪涝", typhoon: "台风", fire: "火灾", outage: "停电", heat: "高温", epidemic: "疫情", earthquake: "地震", other: "其他" },
  tags: { elderly_alone: "独居老人", disabled: "残疾", bedridden: "卧床", infant: "婴幼儿", pregnant: "孕妇" },
  caps: { "rescue.boat": "救生艇", "rescue.crew": "救援队员", "medical.first_aid": "急救", "medical.doctor": "医生",
    "supply.water": "饮用水", "supply.food": "食品", "supply.medicine": "药品", "transport.vehicle": "车辆转移",
    "care.visit": "上门探视", "power.generator": "发电机", "shelter.bed": "安置床位", "repair.electric": "电工维修" },
  // Normal-time work: street tasks, the community's parts, checks on vulnerable households.
  tabs: { emergency: "应急调度", tasks: "任务", checks: "住户核查", report: "上报需求", checklist: "核查清单", mytasks: "我的任务" },
  loading: "正在读取……", close_: "关闭",
  issueTitle: "发布任务", taskTitle: "标题", taskDesc: "说明（可不填）", due: "截止时间", dueDate: "截止日期", dueTime: "截止钟点",
  points: "分值", evidenceQ: "需要的佐证（可多选）", evidence: { text: "文字", number: "数字", photo: "照片" },
  toCommunities: "发给哪些社区", issue: "发布任务", issued: "任务已发布",
  needTitle: "请填写标题", needCommunity: "请至少选一个社区", needDue: "截止时间要晚于现在", needPoints: "分值要在 0 到 1000 之间",
  tasksOf: "各社区的任务", noTasks: "暂无任务", notSplit: "社区还没有分解这项任务", overdue: "已逾期", dueAt: "截止 {d}",
  pointsN: "{n} 分", needs_: "需要：{e}", noEvidence: "无需佐证",
  partStatus: { assigned: "待完成", submitted: "待审核", returned: "退回重做", scored: "已评分" },
  awarded: "得 {n} 分", late: "逾期提交", accept: "合格", partial: "部分完成", giveBack: "退回重做",
  share: "完成了多少", comment: "意见（可不填）", returnWhy: "退回原因（写清楚要改什么）", reviewed: "已审核", returnedBecause: "退回原因：{c}",
  reviewComment: "审核意见：{c}", number: "数字：", photo: "照片", noPhoto: "照片打不开",
  board: "积分榜", from: "开始日期", to: "结束日期", exportCsv: "导出CSV", exported: "已导出", byCommunity: "各社区得分", byMember: "各人员得分",
  badPeriod: "结束日期不能早于开始日期",
  col: { community: "社区", tasks: "任务", overdue: "逾期", score: "得分", member: "姓名", parts: "已交/分项" },
  split: "分解任务", resplit: "修改分解", splitTitle: "分解任务：{t}", toSplit: "待分解", partTitle: "标题", assignee: "负责人",
  pickAssignee: "请选择", left: "还剩 {n} 分", addPart: "添加一项", removePart: "删除这一项", save: "保存", splitSaved: "已分派",
  splitSum: "各项分值加起来要等于 {n} 分", partNeedsTitle: "每一项都要填标题", partNeedsAssignee: "每一项都要选负责人",
  allTasks: "社区任务（由书记分解）", myTasks: "我的任务", noMyTasks: "暂时没有分给我的任务", upload: "上传完成情况", reupload: "重新上传",
  uploadText: "文字说明", uploadNumber: "数字（如走访户数）", uploadPhoto: "照片", takePhoto: "拍照或选一张照片", otherPhoto: "换一张照片", submit: "提交", uploaded: "已上传",
  needText: "请填写文字说明", needNumber: "请填写数字", needPhoto: "请拍一张或选一张照片", badPhoto: "照片读不出来，请换一张",
  tooBig: "照片太大，没网时存不下，请联网后再传",
  checkResult: { pending: "待核查", safe: "平安", needs_help: "需要帮助", absent: "无人应答" },
  noIncidentChecks: "现在没有应急事件，不需要核查", noChecks: "没有需要核查的住户", peopleN: "{n} 人", contact: "联系人",
  call: "拨打", helpTitle: "需要什么帮助", needCap: "请选一种需要的帮助", helpSent: "已上报，正在安排", grid: "网格",
  needOpen: "已上报需求",
};
const EN = {
  title: "Community emergency dispatch", signin: "Sign in", token: "Enter your token (the code you were given)", signinGo: "Sign in",
  signout: "Sign out", lang: "中文", badToken: "That token is not valid",
  normal: "Normal", incident: "Incident", drill: "Drill", level: "level", exercise: "EXERCISE · not a real emergency · 演练",
  offline: "Offline, reconnecting… actions are saved and sent when back online",
  start: "Start incident mode", startTitle: "Start incident mode", kind: "What happened", levelQ: "Level (1 is most severe)",
  isDrill: "This is a drill", confirmStart: "Start", cancel: "Cancel", close: "Close incident", confirmClose: "Close the incident?",
  changeLevel: "Change level",
  needs: "Needs (most urgent first)", plan: "Plan: who goes where", unmet: "Needs not yet met", map: "Map",
  noNeeds: "No needs", noPlan: "No plan yet", noUnmet: "Every need has someone going",
  confirm: "Confirm", override: "Send another", pickOther: "Send whom instead", minutes: "about {m} min away", unreachable: "route unknown",
  escalate: "Escalate to street", escalated: "escalated to the street", relax: "Relax rule “{r}”", relaxAsk: "Stop applying rule “{r}” in this community?",
  relaxGo: "Relax it", ok: "OK", needPlace: "Enter the place first, or tap it on the map", noOther: "No other resource of this kind is free", pending: "saved, waiting to be sent",
  legend: { need: "need", resource: "resource", proposed: "proposed dispatch", sent: "dispatched", closed: "road closed" },
  needProgress: { sent: "dispatched, in hand", proposed: "plan awaits confirmation" },
  mine: "Requests for us", noMine: "No requests", ack: "Accept", decline: "Decline", enRoute: "On our way", onSite: "Arrived", done: "Done",
  declineWhy: "Why (optional)", phone: "Phone",
  report: "Report a need", what: "What is needed", howMany: "How many", where: "Where (or tap the map)", urgency: "Urgency",
  situation: "Situation", phoneOpt: "Phone (optional)", note: "Note (optional)", send: "Report", sent: "Reported",
  myReports: "My reports", queued: "Saved; will be sent when online", failed: "Failed: ", saved: "Done",
  pickCommunity: "Community", readOnly: "read only",
  statuses: { proposed: "proposed", confirmed: "confirmed", notified: "sent", acknowledged: "accepted", en_route: "en route",
    on_site: "on site", done: "done", open: "open", served: "served", cancelled: "cancelled" },
  priorities: { 5: "life-safety", 4: "urgent", 3: "important", 2: "normal", 1: "low" },
  kinds: { flood: "flood", typhoon: "typhoon", fire: "fire", outage: "power cut", heat: "heat wave", epidemic: "epidemic", earthquake: "earthquake", other: "other" },
  tags: { elderly_alone: "elderly alone", disabled: "disabled", bedridden: "bedridden", infant: "infant", pregnant: "pregnant" },
  caps: { "rescue.boat": "rescue boat", "rescue.crew": "rescue crew", "medical.first_aid": "first aid", "medical.doctor": "doctor",
    "supply.water": "drinking water", "supply.food": "food", "supply.medicine": "medicine", "transport.vehicle": "transport",
    "care.visit": "home visit", "power.generator": "generator", "shelter.bed": "shelter bed", "repair.electric": "electrician" },
  roles: { street: "street staff", cadre: "community cadre", organisation: "organisation coordinator", grid_worker: "grid worker", captain: "building captain", observer: "observer" },
  tabs: { emergency: "Emergency", tasks: "Tasks", checks: "Household checks", report: "Report", checklist: "Checklist", mytasks: "My tasks" },
  loading: "Loading…", close_: "Close",
  issueTitle: "Issue a task", taskTitle: "Title", taskDesc: "Description (optional)", due: "Due", dueDate: "Due date", dueTime: "Due time",
  points: "Points", evidenceQ: "Evidence needed (any)", evidence: { text: "text", number: "number", photo: "photo" },
  toCommunities: "To which communities", issue: "Issue task", issued: "Task issued",
  needTitle: "Enter a title", needCommunity: "Choose at least one community", needDue: "The due time must be in the future", needPoints: "Points go from 0 to 1000",
  tasksOf: "Tasks by community", noTasks: "No tasks", notSplit: "Not yet split by the community", overdue: "Overdue", dueAt: "due {d}",
  pointsN: "{n} pts", needs_: "needs: {e}", noEvidence: "no evidence needed",
  partStatus: { assigned: "to do", submitted: "to review", returned: "returned", scored: "scored" },
  awarded: "{n} pts awarded", late: "submitted late", accept: "Accept", partial: "Partly done", giveBack: "Return",
  share: "How much was done", comment: "Comment (optional)", returnWhy: "Why (what to redo)", reviewed: "Reviewed", returnedBecause: "Returned: {c}",
  reviewComment: "Review: {c}", number: "Number: ", photo: "photo", noPhoto: "photo unavailable",
  board: "Scoreboard", from: "From", to: "To", exportCsv: "Export CSV", exported: "Exported", byCommunity: "By community", byMember: "By member",
  badPeriod: "The end date is before the start date",
  col: { community: "Community", tasks: "Tasks", overdue: "Overdue", score: "Score", member: "Name", parts: "Done/parts" },
  split: "Split task", resplit: "Change split", splitTitle: "Split: {t}", toSplit: "to split", partTitle: "Title", assignee: "Who",
  pickAssignee: "Choose", left: "{n} pts left", addPart: "Add a part", removePart: "Remove this part", save: "Save", splitSaved: "Assigned",
  splitSum: "The parts must add up to {n} pts", partNeedsTitle: "Every part needs a title", partNeedsAssignee: "Every part needs someone",
  allTasks: "Community tasks (split by the head)", myTasks: "My tasks", noMyTasks: "Nothing assigned to me", upload: "Upload progress", reupload: "Upload again",
  uploadText: "Text", uploadNumber: "Number (e.g. households visited)", uploadPhoto: "Photo", takePhoto: "Take or choose a photo", otherPhoto: "Choose another photo", submit: "Submit", uploaded: "Uploaded",
  needText: "Enter the text", needNumber: "Enter the number", needPhoto: "Take or choose a photo", badPhoto: "That photo cannot be read; try another",
  tooBig: "The photo is too big to keep offline; upload it when back online",
  checkResult: { pending: "to check", safe: "safe", needs_help: "needs help", absent: "no answer" },
  noIncidentChecks: "No incident: nothing to check", noChecks: "No households to check", peopleN: "{n} people", contact: "Contact",
  call: "Call", helpTitle: "What help is needed", needCap: "Choose the help needed", helpSent: "Reported; help is being arranged", grid: "Grid",
  needOpen: "need reported",
};

const store = window.localStorage;
const state = { lang: store.getItem("pz.lang") || "zh", token: store.getItem("pz.token"), me: null, community: null,
  data: {}, online: null, network: true, ws: null, retry: 0, pick: null, report: { capability: "care.visit", quantity: 1, priority: 3, tags: [] },
  tab: null, drawn: null, keep: null, period: null, photos: {} };

const T = () => (state.lang === "zh" ? ZH : EN);
const t = (key, vars = {}) => String(T()[key] ?? ZH[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => vars[k]);
const cap = (c) => (T().caps[c] || ZH.caps[c] ? `${T().caps[c] || ZH.caps[c]}` : c);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
const $ = (sel) => document.querySelector(sel);

// -- talking to the server ----------------------------------------------------------------------

function newKey() {
  return (crypto.randomUUID && crypto.randomUUID()) || `k${Date.now()}${Math.random().toString(16).slice(2)}`;
}

async function api(method, path, body, { queue = false, key = null, token = null } = {}) {
  const headers = { Authorization: `Bearer ${token || state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["Idempotency-Key"] = key || newKey();
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    setNetwork(false);
    if (queue) {
      enqueue(method, path, body, headers["Idempotency-Key"]);
      toast(t("queued"));
      return QUEUED;
    }
    throw err;
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.detail) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

// An action taken offline keeps its own time and Idempotency-Key, so sending it twice applies it once. It also
// keeps the token it was taken with: if someone else signs in on this phone meanwhile, it still goes out as its own.
function queued() {
  return JSON.parse(store.getItem("pz.queue") || "[]");
}

function enqueue(method, path, body, key) {
  const queue = queued();
  const at = new Date().toISOString();
  // Reports and a responder's steps keep the moment they happened; other requests have no such field.
  const timed = /\/needs$/.test(path) || /\/assignments\/[^/]+\/(confirm|acknowledge|decline|en-route|on-site|done)$/.test(path)
    || /\/tasks\/[^/]+\/parts\/[^/]+\/submission$/.test(path) || /\/checks\/[^/]+$/.test(path);
  queue.push({ method, path, body: timed ? { ...(body || {}), occurred_at: at } : body, key, token: state.token });
  try {
    store.setItem("pz.queue", JSON.stringify(queue));
  } catch {
    // A photo can be more than the phone will keep for a page: say so rather than lose it silently.
    throw new Error(t("tooBig"));
  }
}

// A submission or a check report waiting in the queue: its card says so instead of offering the buttons again.
function pendingAt(path) {
  return queued().some((item) => item.path === path);
}

// The actions on a dispatch still waiting in the queue: its card shows them instead of buttons to press again.
function pendingOn(id) {
  return queued().some((item) => item.path.includes(`/assignments/${id}/`));
}

const QUEUED = { queued: true };
let flushing = false;
async function flushQueue() {
  // The websocket opening and the browser coming back online both flush: one at a time, each item once.
  if (flushing) return;
  flushing = true;
  let sent = 0;
  try {
    for (let queue = queued(); queue.length; queue = queued()) {
      const item = queue[0];
      try {
        await api(item.method, item.path, item.body, { key: item.key, token: item.token });
      } catch (err) {
        if (!err.status) return; // still offline: keep it for the next reconnect
        toast(t("failed") + err.message);
      }
      store.setItem("pz.queue", JSON.stringify(queued().filter((x) => x.key !== item.key)));
      sent += 1;
    }
  } finally {
    flushing = false;
    if (sent) refresh();
  }
}

async function act(method, path, body, done = t("saved")) {
  try {
    const result = await api(method, path, body, { queue: true });
    if (result === QUEUED) {
      render(); // offline: the card shows the action as saved, waiting to be sent
      return QUEUED;
    }
    toast(done);
    await refresh();
    return result;
  } catch (err) {
    toast(t("failed") + err.message);
    return null;
  }
}

// -- live updates -------------------------------------------------------------------------------

// What the page listens to: the community (or the organisation); a grid worker's grid and a captain's building
// too (their households and checks in full); a street's own channel (its tasks across communities).
function channels() {
  const me = state.me;
  if (me.role === "organisation") return [`organisation:${me.organisation}`];
  const c = state.community;
  const list = [`community:${c}`];
  const grid = (me.member && me.member.grid) || me.grid;
  if (me.role === "grid_worker" && grid) list.push(`grid:${c}:${grid}`);
  if (me.role === "captain" && me.member && me.member.building) list.push(`building:${c}:${me.member.building}`);
  if (me.role === "street" && me.street) list.push(`street:${me.street}`);
  return list;
}

function connect() {
  const chs = channels();
  state.channels = chs.join(" ");
  const proto = location.protocol === "https:" ? "wss" : "ws";
  // The token goes in the subprotocol header, never in the URL (URLs end up in logs).
  const ws = new WebSocket(`${proto}://${location.host}/ws`, ["pingzhan", `bearer.${state.token}`]);
  state.ws = ws;
  const subscribe = (ch, last) => ws.send(JSON.stringify({ type: "subscribe", channels: { [ch]: last } }));
  ws.onopen = async () => {
    state.retry = 0;
    for (const ch of chs) {
      const last = store.getItem(`pz.seq.${ch}`);
      subscribe(ch, last === null ? null : Number(last));
    }
    setOnline(true);
    await flushQueue();
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    const ch = m.channel;
    if (!chs.includes(ch) || typeof m.seq !== "number") return;
    const last = store.getItem(`pz.seq.${ch}`);
    if (m.type === "subscribed") {
      // The server is behind what this page saw (its data was reset): start again from a snapshot, or
      // every message up to the old number would be held back.
      if (last !== null && m.seq < Number(last)) {
        store.removeItem(`pz.seq.${ch}`);
        subscribe(ch, null);
      }
      return;
    }
    store.setItem(`pz.seq.${ch}`, String(m.seq));
    if (ch === chs[0]) window.pzLastSeq = m.seq;
    scheduleRefresh();
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    setOnline(false);
    state.retry = Math.min(state.retry + 1, 5);
    setTimeout(() => state.token && state.ws === ws && connect(), 500 * state.retry);
  };
}

// The roster changed where this person looks after (another grid, another building): listen there instead.
function resubscribe() {
  if (!state.ws || channels().join(" ") === state.channels) return;
  state.ws.onclose = null;
  state.ws.close();
  connect();
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 60);
}

// Offline when the websocket is down or the browser says the network is gone (a phone that lost its signal
// may keep a dead socket open for a long while).
function setOnline(online) {
  state.online = online;
  showNetwork();
}

function setNetwork(up) {
  state.network = up;
  showNetwork();
}

function showNetwork() {
  const banner = $("#offline");
  // Before the first connection is known (null), say nothing.
  banner.hidden = !state.me || (state.online !== false && state.network && navigator.onLine);
  banner.textContent = t("offline");
}

window.addEventListener("offline", () => setNetwork(false));
window.addEventListener("online", () => {
  setNetwork(true);
  if (!state.me) return;
  flushQueue();
  refresh();
});

// -- reading what the role sees -----------------------------------------------------------------

let refreshes = 0;
async function refresh() {
  const me = state.me;
  if (!me) return;
  const c = `/communities/${state.community}`;
  const d = {};
  // Refreshes overlap when messages come fast: only the latest one started may draw.
  const mine = ++refreshes;
  const tab = currentTab();
  try {
    if (me.role === "organisation") {
      d.community = await api("GET", c);
      d.dispatches = await api("GET", `${c}/assignments`);
      d.needs = await api("GET", `${c}/needs`);
    } else {
      const jobs = [api("GET", c).then((x) => { d.community = x; })];
      // The roster may have changed who this is (made head, moved to another grid).
      if (["cadre", "grid_worker", "captain"].includes(me.role)) jobs.push(soft(api("GET", "/me")).then((x) => { d.me = x; }));
      if (tab === "emergency" || tab === "report") jobs.push(emergencyData(c, d));
      jobs.push(governanceData(c, d, tab));
      await Promise.all(jobs);
    }
  } catch (err) {
    if (err.status === 401) return signOut();
    return;
  }
  setNetwork(true);
  if (mine !== refreshes) return;
  if (d.me) state.me = d.me;
  delete d.me;
  state.data = { ...state.data, ...d };
  resubscribe();
  render();
}

// A refused or missing governance read leaves its part of the page empty; signed out or offline still stops.
function soft(promise) {
  return promise.catch((err) => {
    if (!err.status || err.status === 401) throw err;
    return null;
  });
}

async function emergencyData(c, d) {
  [d.needs, d.dispatches, d.resources, d.organisations] = await Promise.all([
    api("GET", `${c}/needs`), api("GET", `${c}/assignments`), api("GET", `${c}/resources`), api("GET", `${c}/organisations`)]);
  d.plan = await api("GET", `${c}/plan`).catch(() => null);
  if (!state.data.map) d.map = await api("GET", `${c}/map`);
}

// Only what the open tab shows (and, for a grid worker, whether they have parts and checks waiting).
async function governanceData(c, d, tab) {
  const me = state.me;
  const get = (path) => soft(api("GET", path));
  const all = (paths) => Promise.all(paths.map(get));
  if (me.role === "street" && tab === "tasks") {
    const period = state.period || (state.period = thisMonth());
    const jobs = me.communities.map(async (id) => {
      const p = `/communities/${id}`;
      const [tasks, members, profile] = await all([`${p}/tasks`, `${p}/members`, `${p}/profile`]);
      return [id, { tasks: tasks || [], members: members || [], profile }];
    });
    const [list, scores, ...per] = await Promise.all([
      state.data.communityList ? Promise.resolve(state.data.communityList) : get("/communities"),
      get(`/streets/${encodeURIComponent(me.street)}/scores?start=${period.start}&end=${period.end}`), ...jobs]);
    Object.assign(d, { communityList: list, scores, street: Object.fromEntries(per) });
  } else if (me.role === "cadre") {
    // The checks tab's count stays true while the cadre works another tab.
    const incident = tab === "checks" || (state.data.community && state.data.community.incident);
    const jobs = [incident ? get(`${c}/checks`).then((x) => { d.checks = x; }) : null];
    if (tab === "tasks") {
      jobs.push(all([`${c}/tasks`, `${c}/members`, `${c}/profile`]).then(async ([tasks, members, profile]) => {
        Object.assign(d, { tasks, members, profile });
      }));
    }
    if (tab === "checks") jobs.push(all([`${c}/grids`, `${c}/buildings`]).then(([grids, buildings]) => Object.assign(d, { grids, buildings })));
    await Promise.all(jobs);
  } else if (me.role === "grid_worker") {
    [d.mytasks, d.checks, d.buildings] = await all([`${c}/tasks?mine=true`, `${c}/checks`,
      tab === "checklist" || !state.data.buildings ? `${c}/buildings` : null].filter(Boolean));
    if (d.buildings === undefined) delete d.buildings;
  } else if (me.role === "captain") {
    [d.checks, d.buildings] = await all([`${c}/checks`, `${c}/buildings`]);
  }
}

function thisMonth() {
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth(), 1);
  const last = new Date(now.getFullYear(), now.getMonth() + 1, 0);
  return { start: isoDay(first), end: isoDay(last) };
}

function isoDay(date) {
  const p = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
}

// -- drawing ------------------------------------------------------------------------------------

// A live update redraws what it changed. The grid worker's form is left alone unless the worker changed it:
// redrawing it would drop the field being typed in (and a half-composed pinyin word with it).
function render(form = false) {
  const me = state.me;
  const d = state.data;
  const community = d.community;
  const banner = $("#exercise");
  banner.hidden = !(community && community.exercise);
  banner.textContent = t("exercise");
  showNetwork();
  document.title = `平战 · ${community ? community.name || community.id : ""}`;
  const mode = community && community.incident
    ? `${t(community.exercise ? "drill" : "incident")} · ${T().kinds[community.incident.kind] || community.incident.kind} · ${community.incident.level} ${t("level")}`
    : t("normal");
  const role = state.lang === "zh" ? me.role_zh : EN.roles[me.role] || me.role;
  $("#where").textContent = community ? `${community.name || community.id} · ${role} · ${mode}` : "";
  $("#signout").hidden = false;
  $("#signout").textContent = t("signout");
  const app = $("#app");
  if (me.role === "organisation") {
    app.innerHTML = organisationView(d);
    state.drawn = null;
    bind();
    return;
  }
  // Tabs above one view; a live update redraws the tabs (counts) and what the view shows.
  if (!$("#view")) app.innerHTML = `<nav id="tabs" class="tabs"></nav><div id="view"></div>`;
  const tabs = tabsFor(me, d);
  const tab = currentTab();
  const bar = $("#tabs");
  bar.hidden = tabs.length < 2;
  bar.innerHTML = tabs.length < 2 ? "" : tabs.map((x) => `<button type="button" class="tab" data-action="tab" data-tab="${x}"
    aria-pressed="${x === tab}" data-testid="tab-${x}">${esc(T().tabs[x])}${badge(x, d)}</button>`).join("");
  const view = $("#view");
  const key = `${tab}:${state.community}`;
  const same = !form && state.drawn === key;
  state.drawn = key;
  view.dataset.tab = tab;
  switch (tab) {
    case "report":
      if (same && $("#report-form")) $("#my-reports").innerHTML = myReports(d);
      else view.innerHTML = gridView(d);
      break;
    case "tasks":
      if (me.role === "street") streetTasksView(view, d, same);
      else view.innerHTML = cadreTasksView(d);
      break;
    case "mytasks": view.innerHTML = `<h2>${t("myTasks")}</h2>${myParts(state.community, d.mytasks, d)}`; break;
    case "checklist": view.innerHTML = checklistView(d); break;
    case "checks": view.innerHTML = communityChecksView(d); break;
    default: view.innerHTML = cadreView(d, me.role === "observer");
  }
  drawMap();
  bind();
  loadPhotos();
}

// Which tabs a role has: the emergency view stays first for those who had it; a grid worker's tasks tab shows
// once a part is theirs, a cadre's checks while an incident is open.
function tabsFor(me, d) {
  const incident = d.community && d.community.incident;
  switch (me.role) {
    case "street": return ["emergency", "tasks"];
    case "cadre": return ["emergency", "tasks", ...(incident ? ["checks"] : [])];
    case "grid_worker": return ["report", "checklist", ...((d.mytasks || []).length ? ["mytasks"] : [])];
    case "captain": return ["checklist"];
    default: return ["emergency"];
  }
}

function currentTab() {
  const tabs = tabsFor(state.me, state.data);
  return tabs.includes(state.tab) ? state.tab : tabs[0];
}

// How many wait on this tab: checks not yet made, parts to do.
function badge(tab, d) {
  let n = 0;
  if (tab === "checklist" || tab === "checks") n = ((d.checks && d.checks.checks) || []).filter((x) => x.result === "pending").length;
  if (tab === "mytasks") n = partsOf(d.mytasks).filter(([, p]) => ["assigned", "returned"].includes(p.status)).length;
  return n ? ` <span class="badge">${n}</span>` : "";
}

function needLine(n) {
  const tags = (n.tags || []).map((x) => `<span class="tag">${esc(T().tags[x] || x)}</span>`).join("");
  return `<span class="prio p${n.priority}" title="${esc(T().priorities[n.priority])}">${n.priority}</span>
    <strong>${esc(cap(n.capability))}</strong> × ${n.quantity} · ${esc(n.location)} ${tags}
    <div class="muted">${esc(n.note || "")} ${n.contact_phone ? `· ${t("phone")} ${esc(n.contact_phone)}` : ""}</div>`;
}

function cadreView(d, readOnly) {
  const community = d.community;
  const canRun = !readOnly && (state.me.role === "cadre" || state.me.role === "street");
  const needsById = Object.fromEntries((d.needs || []).map((n) => [n.id, n]));
  const orgName = Object.fromEntries((d.organisations || []).map((o) => [o.id, o.name || o.id]));
  const res = Object.fromEntries((d.resources || []).map((r) => [r.id, r]));
  let html = "";
  if (state.me.communities.length > 1) {
    html += `<label for="community-pick">${t("pickCommunity")}</label><select id="community-pick" data-testid="community-pick">${state.me.communities
      .map((c) => `<option ${c === state.community ? "selected" : ""}>${esc(c)}</option>`).join("")}</select>`;
  }
  if (canRun) {
    html += community.incident
      ? `<div class="row choices"><button class="quiet" data-action="level" data-testid="change-level">${t("changeLevel")}</button>
         <button class="danger" data-action="close-incident" data-testid="close-incident">${t("close")}</button></div>`
      : `<button class="danger big" data-action="start" data-testid="start-incident">${t("start")}</button>`;
  } else if (readOnly) {
    html += `<p class="muted">${t("readOnly")}</p>`;
  }
  const open = (d.needs || []).filter((n) => n.status === "open");
  // What a cadre most wants to know of a need: is someone on the way, or does it still wait for a decision.
  const progress = (n) => {
    const mine = (d.dispatches || []).filter((x) => x.need === n.id);
    if (mine.some((x) => x.status !== "proposed")) return T().needProgress.sent;
    if (mine.length) return T().needProgress.proposed;
    return T().statuses[n.status];
  };
  html += `<h2>${t("needs")}</h2><div class="cards" data-testid="needs">${open.length ? open.map((n) =>
    `<div class="card p${n.priority}" data-need="${esc(n.id)}">${needLine(n)}<div class="status" data-testid="need-status-${esc(n.id)}">${esc(progress(n))}${n.escalated ? ` · <span data-testid="escalated-${esc(n.id)}">⬆ ${t("escalated")}</span>` : ""}</div></div>`).join("") : `<div class="empty">${t("noNeeds")}</div>`}</div>`;
  const dispatches = d.dispatches || [];
  html += `<h2>${t("plan")}</h2><div class="cards" data-testid="plan">${dispatches.length ? dispatches.map((x) => {
    const n = needsById[x.need] || { capability: x.part || "", location: "" };
    const r = res[x.resource] || {};
    const eta = x.travel_s == null ? t("unreachable") : t("minutes", { m: Math.max(1, Math.round(x.travel_s / 60)) });
    const buttons = pendingOn(x.id) ? `<div class="status pending" data-testid="pending-${esc(x.id)}">${t("pending")}</div>`
      : canRun && x.status === "proposed"
      ? `<div class="row"><button class="go" data-action="confirm" data-id="${esc(x.id)}" data-testid="confirm-${esc(x.id)}">${t("confirm")}</button>
         <button data-action="override" data-id="${esc(x.id)}" data-testid="override-${esc(x.id)}">${t("override")}</button></div>`
      : canRun && ["confirmed", "notified"].includes(x.status)
        ? `<div class="row"><button data-action="override" data-id="${esc(x.id)}" data-testid="override-${esc(x.id)}">${t("override")}</button></div>` : "";
    return `<div class="card ${n.priority === 5 ? "p5" : ""}" data-dispatch="${esc(x.id)}" data-status="${esc(x.status)}">
      <strong>${esc(orgName[x.organisation] || x.organisation)}</strong> · ${esc(r.name || x.resource)} × ${x.quantity}
      → ${esc(cap(x.part || n.capability))} @ ${esc(n.location)}
      <div>${esc(eta)} · <span class="status" data-testid="status-${esc(x.id)}">${esc(T().statuses[x.status])}</span></div>${buttons}</div>`;
  }).join("") : `<div class="empty">${t("noPlan")}</div>`}</div>`;
  const unmet = (d.plan && d.plan.plan.unmet) || [];
  html += `<h2>${t("unmet")}</h2><div class="cards" data-testid="unmet">${unmet.length ? unmet.map((u) => {
    const n = needsById[u.need] || {};
    const s = u.suggestion;
    const button = !canRun ? "" : s.action === "relax_rule"
      ? `<button data-action="relax" data-rule="${esc(s.rule)}" data-testid="relax-${esc(u.need)}">${esc(t("relax", { r: s.rule }))}</button>`
      : n.escalated ? `<span class="status">⬆ ${t("escalated")}</span>`
        : `<button class="danger" data-action="escalate" data-id="${esc(u.need)}" data-testid="escalate-${esc(u.need)}">${t("escalate")}</button>`;
    return `<div class="card p${u.priority}" data-unmet="${esc(u.need)}" data-reason="${esc(u.reason)}"><span class="prio p${u.priority}">${u.priority}</span> <strong>${esc(cap(n.capability))}</strong> × ${u.quantity}
      <div>${esc(u.detail)}</div><div class="muted">${esc(s.text)}</div><div class="row">${button}</div></div>`;
  }).join("") : `<div class="empty">${t("noUnmet")}</div>`}</div>`;
  html += `<h2>${t("map")}</h2>${mapFigure()}`;
  return html;
}

function mapFigure() {
  const L = T().legend;
  return `<figure class="mapbox"><svg id="map" class="map" role="img" aria-label="${t("map")}" data-testid="map"></svg>
    <figcaption class="legend"><span><i class="dot"></i>${L.need}</span><span><i class="sq"></i>${L.resource}</span>
    <span><i class="ln proposed"></i>${L.proposed}</span><span><i class="ln sent"></i>${L.sent}</span>
    <span><i class="ln closed"></i>${L.closed}</span></figcaption></figure>`;
}

function organisationView(d) {
  const needs = Object.fromEntries((d.needs || []).map((n) => [n.id, n]));
  const next = {
    notified: [["acknowledge", "ack", "go"], ["decline", "decline", "danger"]],
    acknowledged: [["en-route", "enRoute", "go"], ["decline", "decline", "danger"]],
    en_route: [["on-site", "onSite", "go"]],
    on_site: [["done", "done", "go"]],
  };
  const mine = d.dispatches || [];
  return `<h2>${t("mine")}</h2><div class="cards" data-testid="mine">${mine.length ? mine.map((x) => {
    const n = needs[x.need] || { capability: x.part, location: "", tags: [] };
    const pending = pendingOn(x.id);
    const buttons = pending ? `<span class="status pending" data-testid="pending-${esc(x.id)}">${t("pending")}</span>`
      : (next[x.status] || []).map(([path, label, style]) =>
        `<button class="${style}" data-action="advance" data-path="${path}" data-id="${esc(x.id)}" data-testid="${path}-${esc(x.id)}">${t(label)}</button>`).join("");
    const phone = n.contact_phone ? `<a class="button" href="tel:${esc(n.contact_phone)}">${t("phone")} ${esc(n.contact_phone)}</a>` : "";
    return `<div class="card ${n.priority === 5 ? "p5" : ""}" data-dispatch="${esc(x.id)}" data-status="${esc(x.status)}">
      ${needLine({ ...n, capability: x.part || n.capability, quantity: x.quantity, contact_phone: null })}
      <div><span class="status" data-testid="status-${esc(x.id)}">${esc(T().statuses[x.status])}</span>
      ${x.travel_s != null ? " · " + esc(t("minutes", { m: Math.max(1, Math.round(x.travel_s / 60)) })) : ""}</div>
      <div class="row">${phone}${buttons}</div></div>`;
  }).join("") : `<div class="empty">${t("noMine")}</div>`}</div>`;
}

function gridView(d) {
  const r = state.report;
  const caps = GRID_CAPS;
  return `<div id="report-form"><h2>${t("report")}</h2>
  <label>${t("what")}</label><div class="choices" data-testid="capabilities">${caps.map((c) =>
    `<button type="button" data-action="cap" data-cap="${c}" aria-pressed="${r.capability === c}">${esc(cap(c))}</button>`).join("")}</div>
  <label for="qty">${t("howMany")}</label><div class="stepper"><button type="button" data-action="qty" data-d="-1" aria-label="-">−</button>
    <input id="qty" inputmode="numeric" value="${r.quantity}" data-testid="quantity"><button type="button" data-action="qty" data-d="1" aria-label="+">+</button></div>
  <label for="loc">${t("where")}</label><input id="loc" value="${esc(r.location || "")}" data-testid="location">
  ${mapFigure()}
  <label>${t("urgency")}</label><div class="choices">${[5, 4, 3, 2, 1].map((p) =>
    `<button type="button" data-action="prio" data-p="${p}" aria-pressed="${r.priority === p}">${p} ${esc(T().priorities[p])}</button>`).join("")}</div>
  <label>${t("situation")}</label><div class="choices">${Object.keys(ZH.tags).map((tag) =>
    `<button type="button" data-action="tag" data-tag="${tag}" aria-pressed="${r.tags.includes(tag)}">${esc(T().tags[tag])}</button>`).join("")}</div>
  <label for="phone">${t("phoneOpt")}</label><input id="phone" inputmode="tel" value="${esc(r.phone || "")}">
  <label for="note">${t("note")}</label><input id="note" value="${esc(r.note || "")}">
  <p><button class="primary big" data-action="report" data-testid="send-report">${t("send")}</button></p></div>
  <h2>${t("myReports")}</h2><div class="cards" id="my-reports" data-testid="my-reports">${myReports(d)}</div>`;
}

function myReports(d) {
  const mine = (d.needs || []).filter((n) => n.reported_by === `${state.me.role}:${state.me.name}`).slice(0, 20);
  return mine.map((n) => `<div class="card">${needLine(n)}<div class="status">${esc(T().statuses[n.status])}</div></div>`).join("");
}

function drawMap() {
  const svg = $("#map");
  const m = state.data.map;
  if (!svg || !m) return;
  const nodes = m.nodes;
  const xs = Object.values(nodes).map((p) => p[0]);
  const ys = Object.values(nodes).map((p) => p[1]);
  if (!xs.length) return;
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = Math.max(x1 - x0, y1 - y0, 1e-6) * 0.06;
  svg.setAttribute("viewBox", `${x0 - pad} ${y0 - pad} ${x1 - x0 + 2 * pad} ${y1 - y0 + 2 * pad}`);
  const unit = Math.max(x1 - x0, y1 - y0, 1e-6) / 60;
  const line = (a, b, cls) => (nodes[a] && nodes[b]
    ? `<line x1="${nodes[a][0]}" y1="${nodes[a][1]}" x2="${nodes[b][0]}" y2="${nodes[b][1]}" ${cls}/>` : "");
  let out = m.roads.map(([a, b]) => line(a, b, `stroke="#999" stroke-width="${unit * 0.25}"`)).join("");
  out += m.closed.map(([a, b]) => line(a, b, `stroke="#b00020" stroke-width="${unit * 0.6}" stroke-dasharray="${unit} ${unit * 0.6}"`)).join("");
  const needs = Object.fromEntries((state.data.needs || []).map((n) => [n.id, n]));
  const res = Object.fromEntries((state.data.resources || []).map((r) => [r.id, r]));
  for (const x of state.data.dispatches || []) {
    const n = needs[x.need];
    const r = res[x.resource];
    if (n && r) out += line(r.location, n.location, `stroke="${x.status === "proposed" ? "#0b4f9c" : "#0a6b2d"}" stroke-width="${unit * 0.5}"`);
  }
  for (const r of state.data.resources || []) {
    const p = nodes[r.location];
    if (p) out += `<rect x="${p[0] - unit}" y="${p[1] - unit}" width="${2 * unit}" height="${2 * unit}" fill="#0b4f9c"><title>${esc(r.name || r.id)}</title></rect>`;
  }
  for (const n of (state.data.needs || []).filter((n) => n.status === "open")) {
    const p = nodes[n.location];
    if (p) out += `<circle cx="${p[0]}" cy="${p[1]}" r="${unit * (1 + n.priority * 0.25)}" fill="${n.priority >= 5 ? "#b00020" : "#c4410c"}"><title>${esc(cap(n.capability))}</title></circle>`;
  }
  if (state.report.location && nodes[state.report.location]) {
    const p = nodes[state.report.location];
    out += `<circle cx="${p[0]}" cy="${p[1]}" r="${unit * 1.6}" fill="none" stroke="#000" stroke-width="${unit * 0.5}"/>`;
  }
  svg.innerHTML = out;
  svg.onclick = (e) => {
    if (state.me.role !== "grid_worker") return;
    const point = svg.createSVGPoint();
    point.x = e.clientX;
    point.y = e.clientY;
    const at = point.matrixTransform(svg.getScreenCTM().inverse());
    let best = null;
    let bestD = Infinity;
    for (const [id, p] of Object.entries(nodes)) {
      const dd = (p[0] - at.x) ** 2 + (p[1] - at.y) ** 2;
      if (dd < bestD) [best, bestD] = [id, dd];
    }
    state.report.location = best;
    $("#loc").value = best;
    drawMap();
  };
}

// -- normal-time work: tasks, parts, the board; checks on vulnerable households ---------------------------

const GRID_CAPS = ["care.visit", "medical.first_aid", "supply.water", "supply.food", "supply.medicine", "transport.vehicle", "rescue.boat", "power.generator"];
const ASSIGNABLE = ["head", "cadre", "grid_worker"];

const byId = (list) => Object.fromEntries((list || []).map((x) => [x.id, x]));
const isHead = () => Boolean(state.me.member && state.me.member.role === "head");
const reviewerOf = (profile) => (profile && profile.tasks && profile.tasks.reviewer) || "street";
const loading = () => `<div class="empty">${t("loading")}</div>`;

function when(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${isoDay(d)} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// [task, part] for every part of the list assigned to this person.
function partsOf(tasks) {
  const out = [];
  for (const task of tasks || []) for (const p of task.parts) if (p.assignee === state.me.name) out.push([task, p]);
  return out;
}

function isOverdue(task) {
  if (task.overdue) return true;
  const waiting = !task.parts.length || task.parts.some((p) => ["assigned", "returned"].includes(p.status));
  return waiting && new Date(task.due_at) < new Date();
}

function communityName(id) {
  const found = (state.data.communityList || []).find((c) => c.id === id);
  return (found && found.name) || (state.data.community && state.data.community.id === id && state.data.community.name) || id;
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
  const who = (o.members[p.assignee] || {}).name || p.assignee;
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
function myParts(c, tasks, d) {
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

function cadreTasksView(d) {
  const c = state.community;
  let html = `<h2>${t("myTasks")}</h2>${myParts(c, d.tasks, d)}`;
  if (isHead()) {
    const o = { split: true, review: reviewerOf(d.profile) === "head", members: byId(d.members) };
    const tasks = d.tasks;
    html = `<h2>${t("allTasks")}</h2>${tasks === undefined ? loading() : tasks.length
      ? `<div class="cards" data-testid="community-tasks">${tasks.map((task) => taskCard(c, task, o)).join("")}</div>`
      : `<div class="empty" data-testid="community-tasks">${t("noTasks")}</div>`}${html}`;
  }
  return html;
}

function streetTasksView(view, d, same) {
  if (!same || !$("#task-lists")) {
    const k = state.keep || (state.keep = taskDefaults());
    const period = state.period || (state.period = thisMonth());
    view.innerHTML = `<div id="task-form">${issueForm(k)}</div><h2>${t("tasksOf")}</h2><div id="task-lists"></div>
      <h2>${t("board")}</h2><div class="pair"><label>${t("from")}<input type="date" id="score-start" value="${period.start}" data-testid="score-start"></label>
      <label>${t("to")}<input type="date" id="score-end" value="${period.end}" data-testid="score-end"></label></div>
      <p><button data-action="export" data-testid="export-csv">${t("exportCsv")}</button></p><div id="board-tables"></div>`;
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

function boardTables(scores) {
  if (scores === undefined) return loading();
  if (!scores) return `<div class="empty">${t("noTasks")}</div>`;
  const C = T().col;
  const rows = (list, cell) => list.map(cell).join("");
  const members = [...scores.members].sort((a, b) => b.awarded - a.awarded || a.community.localeCompare(b.community));
  return `<h3>${t("byCommunity")}</h3><table class="board" data-testid="board-communities"><thead><tr><th>${C.community}</th><th>${C.tasks}</th><th>${C.overdue}</th><th>${C.score}</th></tr></thead>
    <tbody>${rows(scores.communities, (r) => `<tr data-testid="score-${esc(r.community)}"><td>${esc(communityName(r.community))}</td><td>${r.tasks}</td>
      <td class="${r.overdue ? "late-text" : ""}">${r.overdue}</td><td><strong>${r.awarded}</strong> / ${r.points}</td></tr>`)}</tbody></table>
    <h3>${t("byMember")}</h3><table class="board" data-testid="board-members"><thead><tr><th>${C.member}</th><th>${C.parts}</th><th>${C.score}</th></tr></thead>
    <tbody>${members.length ? rows(members, (r) => `<tr data-testid="score-${esc(r.community)}-${esc(r.member)}"><td>${esc(r.name || r.member)}<div class="muted">${esc(communityName(r.community))}</div></td>
      <td>${r.submitted}/${r.parts}</td><td><strong>${r.awarded}</strong> / ${r.points}</td></tr>`) : `<tr><td colspan="3">${t("noTasks")}</td></tr>`}</tbody></table>`;
}

// -- checks ----------------------------------------------------------------------------------------------

function household(x) {
  return x.household && typeof x.household === "object" ? x.household : { id: x.household, building: x.building, tags: [] };
}

function counts(list, key) {
  return `<div class="counts" data-testid="counts-${esc(key)}">${["pending", "safe", "needs_help", "absent"].map((r) =>
    `<span class="count r-${r}">${esc(T().checkResult[r])} <b data-testid="count-${esc(key)}-${r}">${list.filter((x) => x.result === r).length}</b></span>`).join("")}</div>`;
}

function checkCard(x, buildings) {
  const h = household(x);
  const building = buildings[h.building || x.building];
  const path = `/communities/${state.community}/checks/${h.id}`;
  const phone = h.phone || "";
  const callable = phone && !phone.includes("*");
  const data = `data-household="${esc(h.id)}"`;
  const buttons = pendingAt(path) ? `<div class="status pending" data-testid="pending-${esc(h.id)}">${t("pending")}</div>`
    : `<div class="row three"><button class="go" data-action="check" data-result="safe" ${data} aria-pressed="${x.result === "safe"}" data-testid="safe-${esc(h.id)}">${T().checkResult.safe}</button>
      <button class="danger" data-action="help" ${data} aria-pressed="${x.result === "needs_help"}" data-testid="help-${esc(h.id)}">${T().checkResult.needs_help}</button>
      <button data-action="check" data-result="absent" ${data} aria-pressed="${x.result === "absent"}" data-testid="absent-${esc(h.id)}">${T().checkResult.absent}</button></div>`;
  return `<div class="card check r-${esc(x.result)}" data-household="${esc(h.id)}" data-result="${esc(x.result)}" data-testid="check-${esc(h.id)}">
    <div><strong>${esc(building ? building.name : h.building || x.building)} ${esc(h.address || "")}</strong>
      <span class="status result" data-testid="result-${esc(h.id)}">${esc(T().checkResult[x.result] || x.result)}</span></div>
    <div>${(h.tags || []).map((tag) => `<span class="tag">${esc(T().tags[tag] || tag)}</span>`).join("")} ${h.people ? esc(t("peopleN", { n: h.people })) : ""}</div>
    ${h.contact || phone ? `<div>${h.contact ? `${t("contact")} ${esc(h.contact)} ` : ""}${callable
      ? `<a class="button call" href="tel:${esc(phone)}" data-testid="tel-${esc(h.id)}">${t("call")} ${esc(phone)}</a>` : esc(phone)}</div>` : ""}
    ${h.note ? `<div class="muted">${esc(h.note)}</div>` : ""}
    ${x.note ? `<div class="muted">${esc(x.note)}</div>` : ""}
    ${x.need ? `<div class="muted">${t("needOpen")} · ${esc(x.need)}</div>` : ""}
    ${buttons}</div>`;
}

// A grid worker's or captain's list: the households still to check first.
function checklistView(d) {
  const x = d.checks;
  if (x === undefined) return loading();
  if (!x || !x.incident) return `<h2>${T().tabs.checklist}</h2><div class="empty" data-testid="checks">${t("noIncidentChecks")}</div>`;
  const list = [...x.checks].sort((a, b) => (a.result === "pending" ? 0 : 1) - (b.result === "pending" ? 0 : 1));
  const buildings = byId(d.buildings);
  return `<h2>${T().tabs.checklist}</h2>${counts(list, "all")}<div class="cards" data-testid="checks">${list.length
    ? list.map((c) => checkCard(c, buildings)).join("") : `<div class="empty">${t("noChecks")}</div>`}</div>`;
}

// The community's checks by grid, with how many are still to be made in each.
function communityChecksView(d) {
  const x = d.checks;
  if (x === undefined) return loading();
  if (!x || !x.incident) return `<div class="empty" data-testid="checks">${t("noIncidentChecks")}</div>`;
  const grids = byId(d.grids);
  const buildings = byId(d.buildings);
  const groups = {};
  for (const c of x.checks) (groups[c.grid] ||= []).push(c);
  return `<h2>${T().tabs.checks}</h2>${counts(x.checks, "all")}<div data-testid="checks">${Object.keys(groups).sort().map((g) => {
    const list = [...groups[g]].sort((a, b) => (a.result === "pending" ? 0 : 1) - (b.result === "pending" ? 0 : 1));
    return `<section class="grid-checks" data-grid="${esc(g)}" data-testid="grid-${esc(g)}"><h3>${esc((grids[g] && grids[g].name) || g)}</h3>
      ${counts(list, g)}<div class="cards">${list.map((c) => checkCard(c, buildings)).join("")}</div></section>`;
  }).join("") || `<div class="empty">${t("noChecks")}</div>`}</div>`;
}

// Evidence photos need the token: fetched once each, shown from a blob URL.
function loadPhotos() {
  document.querySelectorAll("img[data-photo]").forEach(async (img) => {
    const key = `${img.dataset.community}/${img.dataset.photo}`;
    if (!state.photos[key]) {
      state.photos[key] = fetch(`/api/v1/communities/${encodeURIComponent(img.dataset.community)}/photos/${img.dataset.photo}`,
        { headers: { Authorization: `Bearer ${state.token}` } })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
        .then((blob) => URL.createObjectURL(blob));
    }
    try {
      img.src = await state.photos[key];
    } catch {
      delete state.photos[key];
      img.alt = t("noPhoto");
    }
  });
}

// -- dialogs for the work: split, upload, review, needs help ----------------------------------------------

function findTask(c, id) {
  const d = state.data;
  const lists = [d.tasks, d.mytasks, d.street && d.street[c] && d.street[c].tasks];
  for (const list of lists) {
    const found = (list || []).find((task) => task.id === id);
    if (found) return found;
  }
  return null;
}

// Shows a problem inside the open dialog and keeps it open.
function refuse(e, message) {
  e.preventDefault();
  const el = $("#dialog-error");
  el.textContent = message;
  el.hidden = false;
}

const dialogButtons = (label, style, testid) => `<p class="status error" id="dialog-error" role="alert" hidden></p>
  <div class="row choices"><button value="cancel" formnovalidate>${t("cancel")}</button><button class="${style}" value="ok" data-testid="${testid}">${label}</button></div>`;

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
  const photo = form.get("photo");
  if (photo && photo.size) {
    try {
      body.photo = await photoBody(photo);
    } catch {
      toast(t("badPhoto"));
      return;
    }
  }
  await act("POST", `/communities/${c}/tasks/${task.id}/parts/${part.id}/submission`, body, t("uploaded"));
}

const fileData = (blob) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(String(reader.result).split(",")[1]);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(blob);
});

// A phone photo is often several MB: made smaller (and JPEG) before it goes out over a weak signal.
async function photoBody(file) {
  const kinds = ["image/jpeg", "image/png", "image/webp"];
  if (kinds.includes(file.type) && file.size <= 1_000_000) return { content_type: file.type, data: await fileData(file) };
  const image = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(image.width, image.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  if (!blob) throw new Error("photo");
  return { content_type: "image/jpeg", data: await fileData(blob) };
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

async function needsHelp(id) {
  const x = ((state.data.checks && state.data.checks.checks) || []).find((c) => household(c).id === id);
  const h = x ? household(x) : { id };
  const building = byId(state.data.buildings)[h.building];
  const form = await ask(`<h2>${t("helpTitle")}</h2><p><strong>${esc(building ? building.name : h.building || "")} ${esc(h.address || "")}</strong></p>
    <div class="picks">${GRID_CAPS.map((c) => `<label class="pick" data-testid="help-cap-${c}"><input type="radio" name="capability" value="${c}"> ${esc(cap(c))}</label>`).join("")}</div>
    <label>${t("note")}<input name="note" data-testid="help-note"></label>
    ${dialogButtons(t("send"), "danger", "help-send")}`, (el) => {
    el.onsubmit = (e) => {
      if (e.submitter && e.submitter.value === "ok" && !new FormData(el).get("capability")) refuse(e, t("needCap"));
    };
  });
  if (!form) return;
  const body = { result: "needs_help", capability: form.get("capability") };
  const note = String(form.get("note") || "").trim();
  if (note) body.note = note;
  await act("POST", `/communities/${state.community}/checks/${id}`, body, t("helpSent"));
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

async function exportCsv() {
  const { start, end } = state.period;
  let response;
  try {
    response = await fetch(`/api/v1/streets/${encodeURIComponent(state.me.street)}/scores.csv?start=${start}&end=${end}`,
      { headers: { Authorization: `Bearer ${state.token}` } });
  } catch {
    toast(t("offline"));
    return;
  }
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    toast(t("failed") + ((data && data.detail) || response.statusText));
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `pingzhan-scores-${start}-${end}.csv`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  toast(t("exported"));
}

// -- actions ------------------------------------------------------------------------------------

function ask(html, setup = null) {
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

function bind() {
  const c = `/communities/${state.community}`;
  const pick = $("#community-pick");
  if (pick) pick.onchange = () => { state.community = pick.value; state.data = {}; reconnect(); };
  document.querySelectorAll("[data-action]").forEach((el) => {
    el.onclick = async (e) => {
      e.preventDefault();
      const id = el.dataset.id;
      const r = state.report;
      switch (el.dataset.action) {
        case "start": {
          const form = await ask(`<h2>${t("startTitle")}</h2><label>${t("kind")}</label>
            <select name="kind" data-testid="incident-kind">${Object.entries(T().kinds).map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join("")}</select>
            <label>${t("levelQ")}</label><select name="level" data-testid="incident-level">${[1, 2, 3, 4].map((l) => `<option ${l === 2 ? "selected" : ""}>${l}</option>`).join("")}</select>
            <label class="check"><input type="checkbox" name="exercise" data-testid="incident-exercise"> ${t("isDrill")}</label>
            <div class="row choices"><button value="cancel">${t("cancel")}</button><button class="danger" value="ok" data-testid="confirm-start">${t("confirmStart")}</button></div>`);
          if (form) await act("POST", `${c}/incidents`, { kind: form.get("kind"), level: Number(form.get("level")), exercise: form.get("exercise") === "on" });
          break;
        }
        case "level": {
          const now = state.data.community.incident.level;
          const form = await ask(`<h2>${t("changeLevel")}</h2><label>${t("levelQ")}</label><select name="level">${[1, 2, 3, 4].map((l) => `<option ${l === now ? "selected" : ""}>${l}</option>`).join("")}</select>
            <div class="row choices"><button value="cancel">${t("cancel")}</button><button class="primary" value="ok">${t("ok")}</button></div>`);
          if (form) await act("POST", `${c}/incidents/${state.data.community.incident.id}/level`, { level: Number(form.get("level")) });
          break;
        }
        case "close-incident": {
          const form = await ask(`<h2>${t("confirmClose")}</h2><div class="row choices"><button value="cancel">${t("cancel")}</button>
            <button class="danger" value="ok" data-testid="confirm-close">${t("close")}</button></div>`);
          if (form) await act("POST", `${c}/incidents/${state.data.community.incident.id}/close`);
          break;
        }
        case "confirm": await act("POST", `${c}/assignments/${id}/confirm`); break;
        case "override": {
          const x = state.data.dispatches.find((d) => d.id === id);
          const need = state.data.needs.find((n) => n.id === x.need);
          const wanted = x.part || need.capability;
          const options = state.data.resources.filter((r) => r.capability === wanted && r.id !== x.resource && r.status === "available" && r.quantity - r.committed >= x.quantity);
          const orgName = Object.fromEntries((state.data.organisations || []).map((o) => [o.id, o.name || o.id]));
          const form = await ask(`<h2>${t("pickOther")}</h2>${options.length ? `<select name="resource" data-testid="override-pick">${options.map((r) =>
            `<option value="${esc(r.id)}">${esc(orgName[r.organisation] || r.organisation)} · ${esc(r.name || r.id)} · ${esc(r.location)} · ${r.quantity - r.committed}</option>`).join("")}</select>`
            : `<p class="empty">${t("noOther")}</p>`}
            <div class="row choices"><button value="cancel">${t("cancel")}</button>${options.length ? `<button class="primary" value="ok" data-testid="confirm-override">${t("override")}</button>` : ""}</div>`);
          if (form && form.get("resource")) await act("POST", `${c}/assignments/${id}/override`, { resource: form.get("resource") });
          break;
        }
        case "escalate": await act("POST", `${c}/needs/${id}/escalate`); break;
        case "relax": {
          const form = await ask(`<h2>${esc(t("relaxAsk", { r: el.dataset.rule }))}</h2><div class="row choices"><button value="cancel">${t("cancel")}</button>
            <button class="danger" value="ok" data-testid="confirm-relax">${t("relaxGo")}</button></div>`);
          if (form) await act("POST", `${c}/profile/relax`, { rule: el.dataset.rule });
          break;
        }
        case "advance": {
          let body = {};
          if (el.dataset.path === "decline") {
            const form = await ask(`<h2>${t("decline")}</h2><label>${t("declineWhy")}</label><input name="note">
              <div class="row choices"><button value="cancel">${t("cancel")}</button><button class="danger" value="ok">${t("decline")}</button></div>`);
            if (!form) break;
            body = { note: form.get("note") || "" };
          }
          await act("POST", `${c}/assignments/${id}/${el.dataset.path}`, body);
          break;
        }
        case "tab":
          state.tab = el.dataset.tab;
          render(true);
          window.scrollTo(0, 0);
          await refresh();
          break;
        case "evidence": {
          const k = state.keep;
          const kind = el.dataset.kind;
          k.evidence = k.evidence.includes(kind) ? k.evidence.filter((x) => x !== kind) : [...k.evidence, kind];
          el.setAttribute("aria-pressed", String(k.evidence.includes(kind)));
          break;
        }
        case "issue-task": await issueTask(); break;
        case "export": await exportCsv(); break;
        case "split": {
          const task = findTask(el.dataset.c, el.dataset.task);
          if (task) await splitTask(el.dataset.c, task);
          break;
        }
        case "upload": case "accept": case "partial": case "return": {
          const task = findTask(el.dataset.c, el.dataset.task);
          const part = task && task.parts.find((p) => p.id === el.dataset.part);
          if (!part) break;
          if (el.dataset.action === "upload") await uploadPart(el.dataset.c, task, part);
          else await review(el.dataset.c, task, part, el.dataset.action);
          break;
        }
        case "check":
          await act("POST", `${c}/checks/${el.dataset.household}`, { result: el.dataset.result }, T().checkResult[el.dataset.result]);
          break;
        case "help": await needsHelp(el.dataset.household); break;
        case "photo":
          if (el.src) await ask(`<img class="full" src="${esc(el.src)}" alt="${t("photo")}"><div class="row choices"><button value="cancel">${t("close_")}</button></div>`);
          break;
        case "cap": r.capability = el.dataset.cap; render(true); break;
        case "prio": r.priority = Number(el.dataset.p); render(true); break;
        case "tag": r.tags = r.tags.includes(el.dataset.tag) ? r.tags.filter((x) => x !== el.dataset.tag) : [...r.tags, el.dataset.tag]; render(true); break;
        case "qty": r.quantity = Math.max(1, (Number($("#qty").value) || 1) + Number(el.dataset.d)); render(true); break;
        case "report": {
          r.location = $("#loc").value.trim();
          r.quantity = Math.max(1, Number($("#qty").value) || 1);
          if (!r.location) {
            toast(t("needPlace"));
            $("#loc").focus();
            break;
          }
          const body = { capability: r.capability, quantity: r.quantity, location: r.location, priority: r.priority, tags: r.tags };
          const phone = $("#phone").value.trim();
          const note = $("#note").value.trim();
          if (phone) body.contact_phone = phone;
          if (note) body.note = note;
          const result = await act("POST", `${c}/needs`, body, t("sent"));
          // Sent, or saved to send when back online: either way the form is ready for the next resident.
          if (result) state.report = { capability: r.capability, quantity: 1, priority: 3, tags: [] };
          render(true);
          break;
        }
      }
    };
  });
  // Keep what the street typed in the task form when the page redraws, and the board's period.
  document.querySelectorAll("[data-keep]").forEach((input) => {
    input.oninput = () => { state.keep[input.dataset.keep] = input.value; };
  });
  document.querySelectorAll('input[name="task-community"]').forEach((box) => {
    box.onchange = () => {
      state.keep.communities = [...document.querySelectorAll('input[name="task-community"]:checked')].map((x) => x.value);
    };
  });
  for (const sel of ["#score-start", "#score-end"]) {
    const input = $(sel);
    if (!input) continue;
    input.onchange = () => {
      const start = $("#score-start").value;
      const end = $("#score-end").value;
      if (!start || !end) return;
      if (end < start) {
        toast(t("badPeriod"));
        return;
      }
      state.period = { start, end };
      $("#board-tables").innerHTML = loading();
      refresh();
    };
  }
  // Keep what the grid worker typed when the page redraws.
  for (const [sel, key] of [["#loc", "location"], ["#phone", "phone"], ["#note", "note"]]) {
    const input = $(sel);
    if (input) input.oninput = () => { state.report[key] = input.value; };
  }
}

let toastTimer = null;
function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3000);
}

// -- signing in ---------------------------------------------------------------------------------

function signInView(message = "") {
  $("#where").textContent = t("title");
  $("#signout").hidden = true;
  $("#app").innerHTML = `<form id="signin-form"><h2>${t("signin")}</h2><label for="token">${t("token")}</label>
    <input id="token" autocomplete="off" autocapitalize="off" spellcheck="false" data-testid="token">
    <p><button class="primary big" id="go" data-testid="signin">${t("signinGo")}</button></p>
    <p class="status error" role="alert" data-testid="signin-message">${esc(message)}</p></form>`;
  // A form, so the phone keyboard's "Go" signs in as well as the button.
  $("#signin-form").onsubmit = async (e) => {
    e.preventDefault();
    state.token = $("#token").value.trim();
    if (state.token) await start();
  };
}

async function start() {
  try {
    state.me = await api("GET", "/me");
  } catch (err) {
    if (!err.status && store.getItem("pz.token") === state.token) {
      // The server or the network is down, not the token: keep it and try again.
      signInView(t("offline"));
      setTimeout(() => state.token && !state.me && start(), 2000);
      return;
    }
    state.token = null;
    store.removeItem("pz.token");
    return signInView(err.status === 401 ? t("badToken") : t("failed") + err.message);
  }
  store.setItem("pz.token", state.token);
  state.community = state.me.community || state.me.communities[0];
  await refresh();
  connect();
}

function reconnect() {
  if (state.ws) { state.ws.onclose = null; state.ws.close(); }
  refresh().then(connect);
}

function signOut() {
  if (state.ws) { state.ws.onclose = null; state.ws.close(); }
  store.removeItem("pz.token");
  for (const url of Object.values(state.photos)) url.then((u) => URL.revokeObjectURL(u)).catch(() => {});
  Object.assign(state, { token: null, me: null, data: {}, online: null, ws: null, tab: null, drawn: null, keep: null, period: null, photos: {} });
  showNetwork();
  $("#exercise").hidden = true;
  signInView();
}

$("#lang").onclick = () => {
  state.lang = state.lang === "zh" ? "en" : "zh";
  store.setItem("pz.lang", state.lang);
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  $("#lang").textContent = t("lang");
  if (state.me) render(true); else signInView();
};
$("#signout").onclick = signOut;
$("#lang").textContent = t("lang");
document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
if (state.token) start(); else signInView();
