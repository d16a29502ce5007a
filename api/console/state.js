// What the page knows, in one object every module reads and changes; localStorage keeps the language and the
// token across reloads (and, in api.js and live.js, the offline queue and the last seq per channel).

export const store = window.localStorage;
export const state = { lang: store.getItem("pz.lang") || "zh", token: store.getItem("pz.token"), me: null, community: null,
  data: {}, online: null, network: true, ws: null, retry: 0, report: { capability: "care.visit", quantity: 1, priority: 3, tags: [] },
  tab: null, drawn: null, keep: null, period: null, contrib: null, photos: {}, owner: null };
// What the page holds, for the browser tests and benchmarks/console_load.py to compare with a page read anew.
window.pzState = state;
