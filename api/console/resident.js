// The residents' page (居民诉求), opened from a building's QR code at /r/{code}: send an appeal with no account,
// keep its receipt on this phone, follow it and rate it. Plain DOM, no console modules: small for a weak signal.
const $ = (id) => document.getElementById(id);
const code = decodeURIComponent(location.pathname.split("/r/")[1] || "").replace(/\/$/, "");
const MINE = "pz-resident-receipts";
const EMERGENCY = [["110", "报警"], ["119", "火警"], ["120", "急救"]];
let place = null; // GET /public/buildings/{code}
let photo = null; // {blob, url}
let pending = null; // the submission being sent: its body and Idempotency-Key, kept for a resend
let shown = null; // the receipt on the follow view
let stars = 0;
let timer = null;

// An element with properties, attributes (names with a dash: aria-*, data-*) and children.
const el = (tag, props = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (k.includes("-")) node.setAttribute(k, v); else node[k] = v;
  node.append(...kids);
  return node;
};

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function call(method, path, body, key) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const r = await fetch(`/api/v1/public${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => null);
  return { status: r.status, data };
}

// Wait, cut short when the phone is back online.
const pause = (ms) => new Promise((ok) => {
  const done = () => { clearTimeout(t); removeEventListener("online", done); ok(); };
  const t = setTimeout(done, ms);
  addEventListener("online", done);
});

// A POST resent on a network failure or a busy server with the same Idempotency-Key, so it is applied once.
async function post(path, body, say) {
  const text = JSON.stringify(body);
  if (!pending || pending.path !== path || pending.text !== text) pending = { path, text, key: newKey() };
  for (let i = 0; ; i++) {
    let r = null;
    try {
      r = await call("POST", path, body, pending.key);
    } catch { /* no network */ }
    if (r && !(r.status >= 502 && r.status <= 504)) {
      pending = null;
      return r;
    }
    if (i === 5) return { status: 0 };
    say("网络不通，稍后自动重试", []);
    await pause(1000 * 2 ** i);
  }
}

// What went wrong, in plain words; emergency numbers where waiting could hurt.
function problem(r) {
  if (r.status === 0) return ["网络不通，请检查网络后再试一次", []];
  if (r.status === 429) return ["提交太频繁，请稍后再试。紧急情况请直接拨打：", EMERGENCY];
  // The server's details are Chinese first, the English after " (".
  const detail = String((r.data && r.data.detail) || "").split(" (")[0];
  if (r.status === 422) return [`填写有误：${detail}`, []];
  return [detail || "出错了，请稍后再试", []];
}

function calls(numbers) {
  return numbers.map(([n, what]) => el("a", { href: `tel:${n.replace(/[^0-9+]/g, "")}`, className: "tel", textContent: what ? `${n} ${what}` : n }));
}

function say(box, text, numbers) {
  box.replaceChildren(text, ...calls(numbers));
  box.hidden = !text;
}

const sayer = (id) => (text, numbers) => say($(id), text, numbers);

function when(iso) {
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getMonth() + 1}月${d.getDate()}日 ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  setTimeout(() => { t.hidden = true; }, 2500);
}

// The receipts sent or looked up on this phone, newest first, with the status last read.
const mine = () => { try { return JSON.parse(localStorage.getItem(MINE)) || []; } catch { return []; } };

function keep(a, front = true) {
  const row = { receipt: a.receipt, kind_zh: a.kind_zh, building_name: a.building_name, received_at: a.received_at, status_zh: a.status_zh, done: ["resolved", "closed"].includes(a.status) };
  const rows = mine();
  const at = rows.findIndex((x) => x.receipt === a.receipt);
  if (front || at < 0) {
    if (at >= 0) rows.splice(at, 1);
    rows.unshift(row);
  } else rows[at] = row;
  try { localStorage.setItem(MINE, JSON.stringify(rows.slice(0, 20))); } catch { /* private mode: the list is not kept */ }
  drawMine();
}

// The list's open appeals read again, newest first, one at a time: their status as it is now.
async function refreshMine() {
  for (const x of mine().filter((x) => !x.done).slice(0, 5)) {
    try {
      const r = await call("GET", `/appeals/${x.receipt}`);
      if (r.status === 200) keep(r.data, false);
    } catch {
      return;
    }
  }
}

function drawMine() {
  const rows = mine();
  $("list").replaceChildren(...(rows.length ? rows.map((x) => el("li", {},
    el("a", { href: `#${x.receipt}`, className: "button quiet item" },
      el("span", { textContent: `${x.kind_zh} · ${x.building_name} · ${when(x.received_at)}` }),
      el("strong", { textContent: x.status_zh }))))
    : [el("li", { className: "hint", textContent: "还没有诉求" })]));
}

function picks(box, name, options, checked) {
  box.replaceChildren(...options.map((o, i) => el("label", { className: "pick" },
    el("input", { type: "radio", name, value: o.value, defaultChecked: i === checked }), el("span", { textContent: o.zh }))));
}

function choose(name) {
  const c = document.querySelector(`input[name=${name}]:checked`);
  return c && c.value;
}

async function loadPlace() {
  let r;
  try {
    r = await call("GET", `/buildings/${encodeURIComponent(code)}`);
  } catch {
    r = { status: 0 };
  }
  if (r.status !== 200) {
    say($("error"), problem(r)[0], EMERGENCY);
    if (r.status === 0) setTimeout(loadPlace, 10000);
    return;
  }
  say($("error"), "", []);
  place = r.data;
  $("where").textContent = place.community_name;
  $("building").textContent = place.building_name;
  document.title = `${place.building_name} · ${place.community_name} · 居民诉求`;
  if (!$("kinds").children.length) {
    picks($("kinds"), "kind", place.kinds, -1);
    picks($("urgencies"), "urgency", place.urgencies, 0);
  }
  const numbers = place.hotline ? [[place.hotline, "社区电话"]] : EMERGENCY;
  $("hotline").replaceChildren("求助电话：", ...calls(numbers));
  $("incident").hidden = !place.incident;
  if (!shown) route();
}

function phoneOf(id, box) {
  const phone = $(id).value.trim();
  if (phone && !/^\+?[0-9 -]{5,20}$/.test(phone)) {
    say(box, "电话号码只能填数字", []);
    $(id).focus();
    return false;
  }
  return phone || null;
}

async function submit(form, body, button, box) {
  button.disabled = true;
  say(box, "正在提交…", []);
  const r = await post(`/buildings/${encodeURIComponent(code)}/appeals`, body, sayer(box.id));
  button.disabled = false;
  if (r.status === 422 && r.data && r.data.field === "appeal.rescue") {
    // The incident ended while the page was open: the form takes an emergency instead.
    location.hash = "";
    await loadPlace();
    say($("ask-msg"), "社区已解除应急状态。情况紧急请选“紧急情况”提交，或直接拨打：", EMERGENCY);
    return;
  }
  if (r.status !== 201) {
    say(box, ...problem(r));
    return;
  }
  say(box, "", []);
  form.reset();
  dropPhoto();
  keep(r.data);
  show(r.data, true);
  location.hash = r.data.receipt;
}

$("ask").addEventListener("submit", async (e) => {
  e.preventDefault();
  const box = $("ask-msg");
  const kind = choose("kind");
  if (!kind) {
    say(box, "请先选择是什么事", []);
    $("kinds").querySelector("input").focus();
    return;
  }
  const phone = phoneOf("phone", box);
  if (phone === false) return;
  const body = { kind, urgency: choose("urgency") || "normal", note: $("note").value.trim() };
  if (phone) body.phone = phone;
  if (photo) body.photo = { content_type: "image/jpeg", data: photo.data };
  await submit($("ask"), body, $("send"), box);
});

$("sos").addEventListener("submit", async (e) => {
  e.preventDefault();
  const box = $("sos-msg");
  const phone = phoneOf("sos-phone", box);
  if (phone === false) return;
  const body = { kind: "emergency", urgency: "very_urgent", note: $("sos-note").value.trim(), rescue: true };
  if (phone) body.phone = phone;
  await submit($("sos"), body, $("sos-send"), box);
});

$("rescue").addEventListener("click", () => { location.hash = "sos"; });
$("sos-cancel").addEventListener("click", () => { location.hash = ""; });
$("back").addEventListener("click", () => { location.hash = ""; });

// A photo shrunk on the phone (at most 1280 px on its long side, JPEG): quick to send on a weak signal.
async function shrink(file) {
  const url = URL.createObjectURL(file);
  try {
    const img = await new Promise((ok, fail) => {
      const i = new Image();
      i.onload = () => ok(i);
      i.onerror = fail;
      i.src = url;
    });
    const scale = Math.min(1, 1280 / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = el("canvas", { width: Math.round(img.naturalWidth * scale), height: Math.round(img.naturalHeight * scale) });
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    const most = place ? place.photo_max_bytes : 2097152;
    for (let q = 0.8; ; q -= 0.2) {
      const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", q));
      if (blob.size <= most / 2 || q < 0.3) return blob;
    }
  } finally {
    URL.revokeObjectURL(url);
  }
}

function dropPhoto() {
  if (photo) URL.revokeObjectURL(photo.url);
  photo = null;
  $("photo").value = "";
  $("preview").hidden = true;
  $("photo-rm").hidden = true;
  $("photo-pick").textContent = "拍照或选照片（可不填）";
}

$("photo").addEventListener("change", async () => {
  const file = $("photo").files[0];
  if (!file) return;
  const box = $("ask-msg");
  let blob;
  try {
    blob = await shrink(file);
  } catch {
    say(box, "这张照片打不开，请换一张", []);
    return;
  }
  const data = await new Promise((ok) => {
    const reader = new FileReader();
    reader.onload = () => ok(String(reader.result).split(",")[1]);
    reader.readAsDataURL(blob);
  });
  dropPhoto();
  photo = { url: URL.createObjectURL(blob), data };
  $("preview").src = photo.url;
  $("preview").hidden = false;
  $("photo-rm").hidden = false;
  $("photo-pick").textContent = "换一张照片";
  say(box, "", []);
});

$("photo-rm").addEventListener("click", () => { dropPhoto(); $("photo-pick").focus(); });

// The follow view: the receipt large, the status and its story; the rating once it is done.
function show(a, sent) {
  shown = a.receipt;
  $("sent").hidden = !sent;
  $("code").textContent = a.receipt;
  $("status").textContent = a.status_zh;
  $("status").dataset.status = a.status;
  $("what").textContent = [a.kind_zh, a.building_name, a.note].filter(Boolean).join(" · ");
  $("steps").replaceChildren(...a.steps.map((s) => el("li", {}, el("time", { dateTime: s.at, textContent: when(s.at) }), " ", s.text)));
  $("rate").hidden = !a.can_rate;
  $("thanks").hidden = !a.rating;
  $("thanks").textContent = a.rating ? `谢谢您的评价（${a.rating} 星）` : "";
}

async function follow(receipt, sent) {
  if (shown !== receipt) {
    shown = receipt;
    $("code").textContent = receipt;
    $("status").textContent = "正在查询…";
    $("steps").replaceChildren();
    $("rate").hidden = true;
    $("thanks").hidden = true;
    $("sent").hidden = !sent;
    stars = 0;
    drawStars();
  }
  let r;
  try {
    r = await call("GET", `/appeals/${receipt}`);
  } catch {
    r = { status: 0 };
  }
  if (shown !== receipt) return;
  if (r.status === 200) {
    show(r.data, !$("sent").hidden);
    keep(r.data);
  } else if (r.status === 0) {
    $("status").textContent = "网络不通，稍后自动重试";
  } else {
    $("status").textContent = problem(r)[0];
  }
}

function drawStars() {
  $("stars").replaceChildren(...[1, 2, 3, 4, 5].map((n) => el("button", {
    type: "button", className: n <= stars ? "star on" : "star", textContent: "★", "aria-label": `${n} 星`, "aria-pressed": String(n === stars),
  }, el("span", { textContent: n }))));
  $("rate-send").disabled = !stars;
}

$("stars").addEventListener("click", (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  stars = [...$("stars").children].indexOf(b) + 1;
  drawStars();
  $("stars").children[stars - 1].focus();
});

$("rate").addEventListener("submit", async (e) => {
  e.preventDefault();
  const box = $("rate-msg");
  $("rate-send").disabled = true;
  const r = await post(`/appeals/${shown}/rating`, { stars, comment: $("comment").value.trim() }, sayer(box.id));
  $("rate-send").disabled = false;
  if (r.status !== 200) {
    say(box, ...problem(r));
    return;
  }
  say(box, "", []);
  show(r.data, false);
  keep(r.data);
  $("thanks").focus();
});

$("copy").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(shown);
    toast("已复制受理编号");
  } catch {
    getSelection().selectAllChildren($("code"));
    toast("请长按编号复制");
  }
});

$("find").addEventListener("submit", (e) => {
  e.preventDefault();
  const receipt = $("find-in").value.toUpperCase().replace(/[^A-Z0-9]/g, "");
  if (receipt) location.hash = receipt;
});

// The address's #part says what is open: nothing (the form), "sos" (the rescue step) or a receipt.
function route() {
  const at = location.hash.slice(1);
  const receipt = /^[A-Z0-9]{4,20}$/.test(at) ? at : null;
  const ready = place !== null;
  $("ask").hidden = !ready || !!receipt || at === "sos";
  $("sos").hidden = !ready || !place.incident || at !== "sos" || !!receipt;
  $("follow").hidden = !receipt;
  $("mine").hidden = !!receipt;
  clearInterval(timer);
  if (receipt) {
    follow(receipt, shown === receipt && !$("sent").hidden);
    timer = setInterval(() => { if (!document.hidden) follow(receipt); }, 30000);
    $("follow-h").focus();
  } else {
    shown = null;
    if (at === "sos" && !$("sos").hidden) $("sos-h").focus();
  }
}

addEventListener("hashchange", route);
document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  if (shown) follow(shown);
  else {
    refreshMine();
    if (code) loadPlace();
  }
});

drawMine();
refreshMine();
drawStars();
route();
if (code) loadPlace();
else say($("error"), "请扫描楼栋里贴的二维码", EMERGENCY);
