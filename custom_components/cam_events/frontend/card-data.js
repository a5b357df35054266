/*
 * Cam Events card, its data feed: what the card and its editor ask Home Assistant, and the
 * helpers both share. No rendering here, no state of its own: every function takes `hass`.
 *
 * Websocket commands cam_events/event_types, cam_events/events and cam_events/subscribe, the
 * service cam_events.trigger_event, cam_events/layout and cam_events/layout/set (the zone
 * editor), and snapshots fetched with hass.fetchWithAuth (or a
 * signed path) because they need auth.
 */

export const DOMAIN = "cam_events";
export const CARD_TYPE = "cam-events-card";
export const DEFAULT_HOURS = 24;
export const DEFAULT_PAGE = 10;
// An action with no answer by then failed (a lost connection queues messages, never fails).
const ACTION_TIMEOUT_MS = 15000;
// The activity strip's motion events, at most (the API's own cap).
const ACTIVITY_LIMIT = 1000;
// home-assistant-js-websocket rejects with these numbers, not Errors.
const SOCKET_ERRORS = {
  1: "cannot connect to Home Assistant",
  2: "the login is no longer valid",
  3: "the connection to Home Assistant was lost",
};
const BUILTIN_TYPES = ["motion", "net", "snapshot", "manual", "tamper"];
// Types whose events last (they end later); the others are instants.
const LASTING_TYPES = new Set(["motion", "net", "tamper"]);

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
export const toMs = (iso) => (iso ? Date.parse(iso) : NaN);

export function formatDuration(event) {
  const seconds = event.duration;
  if (seconds == null) return LASTING_TYPES.has(event.type) ? "ongoing" : "";
  if (seconds === 0) return "instant";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** What went wrong, in words: a socket error number, a Home Assistant error, anything. */
export function errText(err) {
  if (typeof err === "number") return SOCKET_ERRORS[err] || `connection error ${err}`;
  return err?.message || err?.code || String(err);
}

/** Run an action; reject if Home Assistant does not answer within ACTION_TIMEOUT_MS. */
export function withTimeout(promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("no answer from Home Assistant (is the connection lost?)")),
      ACTION_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The Cam Events cameras the frontend knows: [{entity_id, name}]. */
export function camEventsCameras(hass) {
  if (!hass) return [];
  const ids = hass.entities
    ? Object.values(hass.entities)
        .filter((e) => e.platform === DOMAIN && e.entity_id.startsWith("camera."))
        .map((e) => e.entity_id)
    : Object.keys(hass.states).filter((id) => id.startsWith("camera."));
  return ids
    .sort()
    .map((id) => ({ entity_id: id, name: hass.states[id]?.attributes?.friendly_name || id }));
}

/** Fill a select with "All types" and the type names (the built-in ones if none known). */
export function fillTypeSelect(select, names, current) {
  const all = names?.length ? [...names] : [...BUILTIN_TYPES];
  if (current && !all.includes(current)) all.push(current);
  select.innerHTML = `<option value="">All types</option>${all
    .map((n) => `<option value="${esc(n)}">${esc(n)}</option>`)
    .join("")}`;
  select.value = current;
}

// --- the feed --------------------------------------------------------------------------------

/** The camera's catalogue: [{name, caps, ...}]. */
export async function fetchEventTypes(hass, camera) {
  const result = await hass.callWS({ type: `${DOMAIN}/event_types`, camera });
  return result.event_types || [];
}

/** A page of the camera's events, newest first: {meta, objects}. */
export function fetchEvents(hass, { camera, offset, limit, eventType }) {
  const msg = { type: `${DOMAIN}/events`, camera, offset, limit };
  if (eventType) msg.event_type = eventType;
  return hass.callWS(msg);
}

/** The camera's motion events of the last `hours`: [event]. */
export async function fetchActivity(hass, camera, hours) {
  const from = Math.floor(Date.now() / 1000 - hours * 3600);
  const msg = { type: `${DOMAIN}/events`, camera, event_type: "motion" };
  const page = await hass.callWS({ ...msg, from, limit: ACTIVITY_LIMIT });
  return page.objects;
}

/**
 * Call `onChange({action, event})` for every event of the camera created or updated, and
 * `onReconnect()` after a reconnection (Home Assistant restarted: catch up on what was missed).
 * Return {unsubscribe: Promise of the unsubscribe function (null if refused), stop()}.
 */
export function subscribeChanges(hass, camera, onChange, onReconnect, onRefused) {
  const connection = hass.connection;
  connection.addEventListener?.("ready", onReconnect);
  const unsubscribe = connection
    .subscribeMessage(onChange, { type: `${DOMAIN}/subscribe`, camera })
    .catch((err) => {
      onRefused(err);
      return null;
    });
  const stop = () => {
    connection.removeEventListener?.("ready", onReconnect);
    unsubscribe.then((unsub) => unsub?.()).catch(() => {});
  };
  return { unsubscribe, stop };
}

/**
 * Insert or replace an event in a timeline kept newest first; return whether it is new.
 * A `live` event older than everything loaded, while more are on the server, is left to
 * "Load more" (`total`: how many the server has).
 */
export function upsertEvent(events, event, live, total) {
  const i = events.findIndex((e) => e.id === event.id);
  if (i >= 0) {
    events[i] = event;
    return false;
  }
  const start = toMs(event.start);
  const at = events.findIndex((e) => toMs(e.start) < start);
  if (live && at < 0 && total !== undefined && total > events.length) return false;
  events.splice(at < 0 ? events.length : at, 0, event);
  return true;
}

/** Find the camera's motion sensor: same device (registry), else by its name; or null. */
export async function findMotionEntity(hass, camera) {
  const pick = (list, key) => {
    const device = list.find((e) => e[key.id] === camera)?.[key.device];
    const same = list.filter(
      (e) => device && e[key.device] === device && e[key.id].startsWith("binary_sensor."),
    );
    const found =
      same.find((e) => e[key.tk] === "motion") ||
      same.find((e) => hass.states[e[key.id]]?.attributes?.device_class === "motion") ||
      same.find((e) => e[key.id].endsWith("_motion"));
    return found?.[key.id];
  };
  let found = hass.entities
    ? pick(Object.values(hass.entities), { id: "entity_id", device: "device_id", tk: "translation_key" })
    : undefined;
  if (!found) {
    try {
      const reg = await hass.callWS({ type: "config/entity_registry/list_for_display" });
      found = pick(reg.entities || [], { id: "ei", device: "di", tk: "tk" });
    } catch (err) {
      /* the naming convention below */
    }
  }
  const guess = `binary_sensor.${camera.split(".")[1]}_motion`;
  return found || (hass.states[guess] ? guess : null);
}

/** An image that needs auth, as an object URL (revoke it) or a signed address. */
export async function fetchImage(hass, path) {
  if (typeof hass.fetchWithAuth === "function") {
    const response = await hass.fetchWithAuth(path);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return URL.createObjectURL(await response.blob());
  }
  return signPath(hass, path, 300);
}

/** A path signed for `seconds`, as an address the browser may load without a token. */
export async function signPath(hass, path, seconds) {
  const signed = await hass.callWS({ type: "auth/sign_path", path, expires: seconds });
  return hass.hassUrl ? hass.hassUrl(signed.path) : signed.path;
}

/** Have the camera make an event of `type` (rejects after ACTION_TIMEOUT_MS unanswered). */
export function triggerEvent(hass, camera, type) {
  return withTimeout(hass.callService(DOMAIN, "trigger_event", { camera, type }));
}

/** The camera's masks and zones: {layout: [area], width, height} (cam_events/layout). */
export function fetchLayout(hass, camera) {
  return withTimeout(hass.callWS({ type: `${DOMAIN}/layout`, camera }));
}

/** Store the camera's masks and zones (administrators): {layout}, or a translated error. */
export function saveLayout(hass, camera, layout) {
  return withTimeout(hass.callWS({ type: `${DOMAIN}/layout/set`, camera, layout }));
}
