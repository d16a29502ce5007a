// Talking to the server: every request carries the token, a refusal (problem+json) becomes an Error with its
// status, and an action taken offline waits in localStorage to go out on reconnect.
import { state, store } from "./state.js";
import { t } from "./i18n.js";
import { toast } from "./dom.js";
import { setNetwork } from "./live.js";
import { refresh } from "./refresh.js";
import { render } from "./app.js";

function newKey() {
  return (crypto.randomUUID && crypto.randomUUID()) || `k${Date.now()}${Math.random().toString(16).slice(2)}`;
}

// A community moving between servers (its server stopped, another one takes it over) answers 503 for a few
// seconds, and a load balancer 502 or 504: the same request goes again after Retry-After with the same
// Idempotency-Key, so that it is applied once however many times it is sent.
const MOVING = [502, 503, 504];
const RETRY_FOR_MS = 15000;

// `type`: the body is a file sent as it is (a spreadsheet to import), of that content type.
export async function api(method, path, body, { queue = false, key = null, token = null, type = null } = {}) {
  // The language the reader chose: the server's own texts (a plan's unmet needs) come back in it.
  const headers = { Authorization: `Bearer ${token || state.token}`, "Accept-Language": state.lang === "zh" ? "zh-CN" : "en" };
  if (body !== undefined) headers["Content-Type"] = type || "application/json";
  if (method !== "GET") headers["Idempotency-Key"] = key || newKey();
  const started = Date.now();
  let response;
  for (;;) {
    try {
      response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined || type ? body : JSON.stringify(body) });
    } catch (err) {
      setNetwork(false);
      if (queue) {
        enqueue(method, path, body, headers["Idempotency-Key"]);
        toast(t("queued"));
        return QUEUED;
      }
      throw err;
    }
    // An answer from the server (not the service worker's kept copy) shows the network is back, whatever a
    // request that failed meanwhile said (one sent just before the signal returned may fail just after).
    if (state.network === false && !response.headers.has("X-Pingzhan-Kept")) setNetwork(true);
    if (!MOVING.includes(response.status) || Date.now() - started > RETRY_FOR_MS) break;
    const wait = Math.max(0.2, Number(response.headers.get("Retry-After")) || 1);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.detail) || response.statusText);
    error.status = response.status;
    error.problem = data;
    throw error;
  }
  return data;
}

// A file the server makes, fetched with the token; null when it cannot be had (and the reader is told why).
async function fetched(path) {
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${state.token}` } });
  } catch {
    toast(t("offline"));
    return null;
  }
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    toast(t("failed") + ((data && data.detail) || response.statusText));
    return null;
  }
  return response;
}

// A page the server makes (the printable resource request), as text; null when it cannot be had.
export async function fetchedText(path) {
  const response = await fetched(path);
  return response && response.text();
}

// A file the server makes (a CSV, a workbook), fetched with the token and saved as `filename`.
export async function download(path, filename) {
  const response = await fetched(path);
  if (!response) return;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  toast(t("exported"));
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
export function pendingAt(path) {
  return queued().some((item) => item.path === path);
}

// The actions on a dispatch still waiting in the queue: its card shows them instead of buttons to press again.
export function pendingOn(id) {
  // 全部确认 names its dispatches in its body.
  return queued().some((item) => item.path.includes(`/assignments/${id}/`)
    || (item.path.endsWith("/assignments/confirm") && ((item.body && item.body.assignments) || []).includes(id)));
}

export const QUEUED = { queued: true };
let flushing = false;
export async function flushQueue() {
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

export async function act(method, path, body, done = t("saved")) {
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
