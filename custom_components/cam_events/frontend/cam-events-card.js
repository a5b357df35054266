/*
 * Cam Events card: live view, motion state and activity, the event timeline with snapshots,
 * one event's details, and buttons for the event types the camera can trigger.
 *
 * Served and registered by the integration (card.py); plain ES modules, no build step: this
 * entry (the card, and the registration of its elements), card-data.js (the data feed and the
 * helpers the card and its editor share) and card-editor.js (the editor). Snapshots need
 * auth: they are fetched with hass.fetchWithAuth into object URLs, revoked once not shown.
 *
 * The frontend loads this entry as cam-events-card.js?v=<hash of the card's files>; the other
 * modules come from /cam_events/frontend/<that hash>/, so that their relative imports keep the
 * version and an update reaches browsers that cached the old files (they are served with
 * long cache headers). Without a version (a page that loads the file itself) they come from
 * this module's own folder.
 *
 * Config: entity (a Cam Events camera), title, hours (activity strip, default 24),
 * event_type (timeline filter, default all types), page_size (default 10).
 */

const VERSION = new URL(import.meta.url).searchParams.get("v");
const BASE = VERSION && /^[0-9a-f]{1,64}$/.test(VERSION) ? `./${VERSION}/` : "./";
const [
  {
    CARD_TYPE,
    DEFAULT_HOURS,
    DEFAULT_PAGE,
    DOMAIN,
    camEventsCameras,
    errText,
    esc,
    fetchActivity,
    fetchEvents,
    fetchEventTypes,
    fetchImage,
    fillTypeSelect,
    findMotionEntity,
    formatDuration,
    signPath,
    subscribeChanges,
    toMs,
    triggerEvent,
    upsertEvent,
    withTimeout,
  },
  { CamEventsCardEditor },
] = await Promise.all([import(`${BASE}card-data.js`), import(`${BASE}card-editor.js`)]);

const FALLBACK_REFRESH_MS = 5000;
const STREAM_WAIT_MS = 4000;
const STATUS_MS = 4000;
// The activity strip marks each midnight in it, up to this many (a month shows dates only).
const MAX_DAY_MARKS = 8;
const UNAVAILABLE_TIP = "The camera is unavailable: events can be triggered once it is back.";

const STYLE = `
  :host { display: block; }
  .card { display: block; container-type: inline-size; overflow: hidden;
    background: var(--ha-card-background, var(--card-background-color, #fff));
    color: var(--primary-text-color, #212121);
    border-radius: var(--ha-card-border-radius, 12px); }
  .wrap, .body, .detail { display: flex; flex-direction: column; gap: 12px; }
  .wrap { padding: 12px 16px 16px; }
  header { display: flex; align-items: center; justify-content: space-between; gap: 8px;
    flex-wrap: wrap; }
  h2 { margin: 0; font-size: var(--ha-card-header-font-size, 20px); font-weight: 500; }
  header h2 { margin-right: auto; }
  .chip { display: inline-flex; align-items: center; gap: 6px; padding: 2px 10px;
    border-radius: 12px; font-size: 13px; border: 1px solid var(--divider-color, #e0e0e0);
    color: var(--secondary-text-color, #727272); }
  .chip .dot { width: 8px; height: 8px; border-radius: 50%;
    background: var(--disabled-text-color, #bdbdbd); }
  .chip.on { color: var(--primary-text-color); border-color: var(--error-color, #db4437); }
  .chip.on .dot { background: var(--error-color, #db4437); }
  .live { background: #000; border-radius: 8px; overflow: hidden; aspect-ratio: 16 / 9;
    display: flex; align-items: center; justify-content: center; }
  .live > * { width: 100%; height: 100%; object-fit: contain; display: block; }
  .live > .msg { color: #eee; height: auto; text-align: center; padding: 16px; }
  .msg { color: var(--secondary-text-color, #727272); font-size: 14px; }
  .msg.error, .status-dead { color: var(--error-color, #db4437); }
  .notice { line-height: 1.5; padding: 8px 0; }
  .notice b { display: block; color: var(--primary-text-color); margin-bottom: 4px; }
  .row { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  .spread, .axis { justify-content: space-between; }
  .label { font-size: 14px; font-weight: 500; color: var(--secondary-text-color); }
  button { font: inherit; font-size: 14px; cursor: pointer; border-radius: 18px;
    padding: 6px 14px; border: 1px solid var(--primary-color, #03a9f4);
    background: transparent; color: var(--primary-color, #03a9f4); }
  button:hover { background: rgba(127, 127, 127, 0.12); }
  button:disabled { opacity: 0.5; cursor: default; }
  button.flat { border-color: transparent; padding: 6px 8px; align-self: flex-start; }
  select { font: inherit; font-size: 14px; padding: 4px 8px; border-radius: 6px;
    border: 1px solid var(--divider-color, #ccc);
    background: var(--card-background-color, #fff); color: var(--primary-text-color); }
  .strip { position: relative; height: 24px; border-radius: 4px; overflow: hidden;
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.15)); }
  .bar { position: absolute; top: 0; bottom: 0; min-width: 2px; opacity: 0.85;
    background: var(--primary-color, #03a9f4); }
  .bar.open { background: var(--error-color, #db4437); }
  .axis { display: flex; font-size: 12px; margin-top: 2px; color: var(--secondary-text-color); }
  .midnight { position: absolute; top: 0; bottom: 0; width: 0;
    border-left: 1px dashed var(--secondary-text-color, #727272); }
  .days { position: relative; height: 16px; font-size: 12px; color: var(--secondary-text-color); }
  .days span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
  .clip .msg { margin-top: 4px; }
  .list { list-style: none; margin: 0; padding: 0; }
  .item { display: flex; gap: 12px; align-items: center; padding: 8px 4px; cursor: pointer;
    border-bottom: 1px solid var(--divider-color, #e0e0e0); border-radius: 4px; }
  .item:hover, .item:focus-visible { background: rgba(127, 127, 127, 0.1); outline: none; }
  .item.new { animation: flash 1.5s ease-out; }
  @keyframes flash { from { background: rgba(3, 169, 244, 0.25); } to { background: none; } }
  .thumb { flex: 0 0 96px; height: 54px; border-radius: 4px; overflow: hidden;
    display: flex; align-items: center; justify-content: center; text-align: center;
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.15)); }
  .thumb img { width: 100%; height: 100%; object-fit: cover; display: block; }
  .ph { font-size: 11px; color: var(--secondary-text-color); padding: 2px; }
  .info { display: flex; flex-direction: column; min-width: 0; gap: 2px; }
  .type, th { font-weight: 500; }
  .sub { font-size: 13px; color: var(--secondary-text-color); }
  .snap { width: 100%; border-radius: 8px; display: block; }
  .snapbox { min-height: 60px; display: flex; align-items: center; justify-content: center;
    border-radius: 8px; background: var(--secondary-background-color, rgba(127,127,127,.15)); }
  video { width: 100%; border-radius: 8px; background: #000; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--divider-color);
    vertical-align: top; }
  td:last-child { overflow-wrap: anywhere; }
  .handlers th, .handlers td:not(:last-child) { white-space: nowrap; }
  th { color: var(--secondary-text-color); }
  pre { margin: 0; padding: 8px; border-radius: 6px; overflow: auto; font-size: 12px;
    max-height: 240px; color: var(--primary-text-color);
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.15)); }
  .status-sent { color: var(--success-color, #43a047); }
  .status-retry { color: var(--warning-color, #ffa600); }
  [hidden] { display: none !important; }
  @container (max-width: 400px) {
    .wrap { padding: 8px 10px 12px; gap: 10px; }
    h2 { font-size: 18px; }
    .thumb { flex-basis: 72px; height: 42px; }
    .item { gap: 8px; }
    button { padding: 5px 10px; }
    .events-head { flex-direction: column; align-items: stretch; }
    .meta th { width: 35%; }
  }
`;

const TEMPLATE = `
  <style>${STYLE}</style>
  <ha-card class="card"><div class="wrap">
    <header><h2 class="title"></h2><span class="chip motion" hidden></span>
      <button class="flat zones-open" hidden>Zones and masks</button></header>
    <div class="notice msg" hidden></div>
    <div class="body">
      <div class="live"><span class="msg">Loading camera…</span></div>
      <div class="row triggers" hidden></div>
      <div class="msg status" role="status" hidden></div>
      <section class="activity">
        <div class="label act-label"></div>
        <div class="strip"></div>
        <div class="axis"></div>
        <div class="days" hidden></div>
        <div class="msg act-empty" hidden></div>
      </section>
      <section class="events">
        <div class="row spread events-head">
          <span class="label">Events</span>
          <select class="filter" aria-label="Event type"></select>
        </div>
        <ul class="list"></ul>
        <div class="msg list-msg">Loading events…</div>
        <button class="more" hidden>Load more</button>
      </section>
      <section class="detail" hidden></section>
    </div>
  </div></ha-card>`;

class CamEventsCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" }).innerHTML = TEMPLATE;
    this._key = null; // "entity|hours" of the data loaded
    this._filter = "";
    this._types = [];
    this._events = []; // the timeline, newest first (this._meta: its paging)
    this._activity = []; // motion events of the strip
    this._thumbs = new Map(); // event id -> object URL, or null (failed)
    this._pending = new Map(); // event id -> Promise of its object URL
    this._listSeq = 0;
    this._timers = [];
    // this._motionEntity: undefined until looked up, then an entity id or null (none)
    this._listen();
  }

  // --- Lovelace API ------------------------------------------------------------------------

  static getConfigElement() {
    return document.createElement(`${CARD_TYPE}-editor`);
  }

  static getStubConfig(hass) {
    const camera = camEventsCameras(hass)[0];
    return { entity: camera ? camera.entity_id : "", hours: DEFAULT_HOURS };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    const hours = Number(config.hours ?? DEFAULT_HOURS);
    this._config = {
      ...config,
      hours: hours > 0 && hours <= 24 * 31 ? hours : DEFAULT_HOURS,
      page_size: Math.min(Math.max(Number(config.page_size) || DEFAULT_PAGE, 1), 100),
    };
    this._filter = config.event_type || "";
    this._key = null;
    this._maybeStart();
  }

  set hass(hass) {
    this._hass = hass;
    // A notice (no such camera, not loaded...) is looked at again when the camera changes.
    if (this._notice && hass.states[this._config?.entity] !== this._notice.state) this._key = null;
    if (this._key === null) this._maybeStart();
    else this._updateLive();
  }

  getCardSize() {
    return 9; // rows of 50 px, for the masonry view
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" }; // the sections view
  }

  connectedCallback() {
    this._connected = true;
    this._maybeStart();
  }

  disconnectedCallback() {
    this._connected = false;
    this._stop();
    this._key = null;
  }

  // --- lifecycle ---------------------------------------------------------------------------

  _maybeStart() {
    if (!this._config || !this._hass || !this._connected) return;
    const key = `${this._config.entity}|${this._config.hours}`;
    if (this._key === key) return;
    this._stop();
    this._key = key;
    this._start(key).catch((err) => this._showNotice("Cam Events card", errText(err)));
  }

  async _start(key) {
    const entity = this._config.entity;
    Object.assign(this, { _notice: null, _events: [], _meta: null, _activity: [], _types: [] });
    this._selected = null;
    this._motionEntity = undefined;
    this._renderAll();
    const problem = this._entityProblem(entity);
    if (problem) return this._showNotice(...problem);
    let types;
    try {
      types = await fetchEventTypes(this._hass, entity);
    } catch (err) {
      if (this._key !== key) return undefined;
      const unavailable = this._hass.states[entity]?.state === "unavailable";
      return this._showNotice(
        unavailable ? `Camera unavailable: ${entity}` : `No event history for ${entity}`,
        errText(err),
      );
    }
    if (this._key !== key) return undefined;
    this._types = types;
    this._renderAll();
    findMotionEntity(this._hass, entity).then((found) => {
      if (this._key !== key) return;
      this._motionEntity = found;
      this._updateLive(true);
    });
    this._timers.push(setInterval(() => this._renderActivity(), 60_000));
    return Promise.all([this._loadPage(0), this._loadActivity(key), this._subscribe(key)]);
  }

  _stop() {
    this._changes?.stop();
    this._changes = null;
    this._timers.forEach((t) => clearInterval(t));
    this._timers = [];
    this._fallbackImg = null;
    this._clearThumbs();
  }

  _entityProblem(entity) {
    if (!entity) return ["No camera chosen", "Choose a Cam Events camera in the card's settings."];
    if (!this._hass.states[entity]) {
      return [`Entity not found: ${entity}`, "Check the card's entity: it does not exist."];
    }
    const reg = this._hass.entities?.[entity];
    if (!entity.startsWith("camera.") || (reg && reg.platform !== DOMAIN)) {
      return [`Not a Cam Events camera: ${entity}`, "Choose a camera of the Cam Events integration."];
    }
    return null;
  }

  _cameraAvailable() {
    const state = this._hass?.states[this._config?.entity];
    return !!state && state.state !== "unavailable";
  }

  // --- data ----------------------------------------------------------------------------------

  /** Load a page of the timeline; offset 0 starts it over (a new filter). */
  async _loadPage(offset) {
    const seq = ++this._listSeq;
    const { entity: camera, page_size: limit } = this._config;
    try {
      const page = await fetchEvents(this._hass, { camera, offset, limit, eventType: this._filter });
      if (seq !== this._listSeq) return;
      if (offset === 0) this._events = [];
      for (const event of page.objects) this._upsert(event, false);
      this._meta = page.meta;
      this._error = null;
    } catch (err) {
      if (seq !== this._listSeq) return;
      this._error = `Could not load events: ${errText(err)}`;
    }
    this._renderList();
  }

  async _loadActivity(key) {
    try {
      const activity = await fetchActivity(this._hass, this._config.entity, this._config.hours);
      if (this._key === key) this._activity = activity;
    } catch (err) {
      if (this._key === key) this._activity = [];
    }
    this._renderActivity();
  }

  _subscribe(key) {
    this._changes = subscribeChanges(
      this._hass,
      this._config.entity,
      (change) => this._key === key && this._onChange(change),
      // After a reconnection (Home Assistant restarted): catch up on what was missed.
      () => this._key === key && (this._loadPage(0), this._loadActivity(key)),
      (err) => this._key === key && this._setStatus(`No live updates: ${errText(err)}`, true),
    );
    return this._changes.unsubscribe;
  }

  /** A created or updated event, pushed by Home Assistant. */
  _onChange({ action, event }) {
    if (!event) return;
    if (event.type === "motion") {
      const i = this._activity.findIndex((e) => e.id === event.id);
      if (i >= 0) this._activity[i] = event;
      else this._activity.unshift(event);
      this._renderActivity();
    }
    if (!this._filter || event.type === this._filter) {
      const isNew = this._upsert(event, true);
      if (isNew && this._meta) this._meta.total_count += 1;
      // An update may bring a snapshot that failed to load before: try again.
      if (action === "updated" && this._thumbs.get(event.id) === null) this._thumbs.delete(event.id);
      this._renderList(isNew ? event.id : null);
    }
    if (this._selected?.id === event.id) {
      this._selected = event;
      this._renderDetail();
    }
  }

  /** Insert or replace an event, keeping the timeline newest first; return whether it is new. */
  _upsert(event, live) {
    return upsertEvent(this._events, event, live, this._meta?.total_count);
  }

  /** The object URL of an event's snapshot (fetched once), or null. */
  _thumbUrl(event) {
    if (!event.snapshot) return Promise.resolve(null);
    if (this._thumbs.has(event.id)) return Promise.resolve(this._thumbs.get(event.id));
    if (!this._pending.has(event.id)) {
      const promise = fetchImage(this._hass, event.snapshot)
        .catch(() => null)
        .then((url) => {
          if (promise.cancelled) {
            if (url?.startsWith("blob:")) URL.revokeObjectURL(url);
            return null;
          }
          this._pending.delete(event.id);
          this._thumbs.set(event.id, url);
          return url;
        });
      this._pending.set(event.id, promise);
    }
    return this._pending.get(event.id);
  }

  _clearThumbs(keep = new Set()) {
    for (const [id, url] of this._thumbs) {
      if (keep.has(id)) continue;
      if (url?.startsWith("blob:")) URL.revokeObjectURL(url);
      this._thumbs.delete(id);
    }
    for (const [id, promise] of this._pending) {
      if (keep.has(id)) continue;
      promise.cancelled = true;
      this._pending.delete(id);
    }
  }

  async _trigger(type, button) {
    button.disabled = true;
    this._busy = (this._busy || new Set()).add(type);
    try {
      await triggerEvent(this._hass, this._config.entity, type);
      this._setStatus(`Triggered ${type}`);
    } catch (err) {
      this._setStatus(`Could not trigger ${type}: ${errText(err)}`, true);
    } finally {
      this._busy.delete(type);
      this._updateTriggers();
    }
  }

  // --- rendering -----------------------------------------------------------------------------

  _q(selector) {
    return this.shadowRoot.querySelector(selector);
  }

  _listen() {
    this._q(".filter").addEventListener("change", (ev) => {
      this._filter = ev.target.value;
      this._events = [];
      this._meta = null;
      this._renderList();
      this._loadPage(0);
    });
    this._q(".more").addEventListener("click", () => this._loadPage(this._events.length));
    this._q(".zones-open").addEventListener("click", () => this._openZones());
    this._q(".triggers").addEventListener("click", (ev) => {
      const button = ev.target.closest("button[data-type]");
      if (button) this._trigger(button.dataset.type, button);
    });
    const open = (ev) => {
      const item = ev.target.closest(".item");
      if (!item || (ev.type === "keydown" && ev.key !== "Enter" && ev.key !== " ")) return;
      ev.preventDefault();
      this._selected = this._events.find((e) => e.id === item.dataset.id) || null;
      this._renderDetail();
    };
    this._q(".list").addEventListener("click", open);
    this._q(".list").addEventListener("keydown", open);
    this._q(".detail").addEventListener("click", (ev) => {
      if (!ev.target.closest(".back")) return;
      this._selected = null;
      this._renderDetail();
    });
    // Snapshots that fail to load (error events do not bubble: capture them).
    const failed = (ev) => {
      if (ev.target.tagName !== "IMG" || !ev.target.classList.contains("evimg")) return;
      ev.target.replaceWith(Object.assign(document.createElement("span"), {
        className: "ph", textContent: "Snapshot missing",
      }));
    };
    this.shadowRoot.addEventListener("error", failed, true);
  }

  /** The editor of the camera's masks and zones (card-zones.js), loaded on first use. */
  async _openZones() {
    try {
      const { openZoneEditor } = await import(`${BASE}card-zones.js`);
      const title = this._q(".title").textContent;
      await openZoneEditor(this.shadowRoot, () => this._hass, this._config.entity, title);
    } catch (err) {
      this._setStatus(`Could not open the zone editor: ${errText(err)}`, true);
    }
  }

  _showNotice(title, text) {
    this._notice = { title, text, state: this._hass?.states[this._config?.entity] };
    this._renderAll();
  }

  _setStatus(text, error = false) {
    const el = this._q(".status");
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle("error", error);
    clearTimeout(this._statusTimer);
    if (text && !error) this._statusTimer = setTimeout(() => this._setStatus(""), STATUS_MS);
  }

  _renderAll() {
    const notice = this._q(".notice");
    notice.hidden = !this._notice;
    this._q(".body").hidden = !!this._notice;
    this._renderTitle();
    // Masks and zones are drawn by administrators (saving them is refused to others).
    this._q(".zones-open").hidden = !!this._notice || this._hass?.user?.is_admin !== true;
    if (this._notice) {
      notice.innerHTML = `<b>${esc(this._notice.title)}</b>${esc(this._notice.text)}`;
      this._q(".chip.motion").hidden = true;
      return;
    }
    this._renderFilter();
    this._renderTriggers();
    this._updateLive(true);
    this._renderActivity();
    this._renderList();
    this._renderDetail();
  }

  _renderTitle() {
    const state = this._hass?.states[this._config?.entity];
    this._q(".title").textContent =
      this._config?.title || state?.attributes?.friendly_name || "Cam Events";
  }

  _renderFilter() {
    fillTypeSelect(this._q(".filter"), this._types.map((t) => t.name), this._filter);
  }

  _renderTriggers() {
    const triggerable = this._types.filter((t) => t.caps?.can_be_triggered);
    const row = this._q(".triggers");
    // Triggering is for administrators (the service refuses others): no buttons for them.
    const admin = this._hass?.user?.is_admin !== false;
    row.hidden = !triggerable.length || !admin;
    row.innerHTML = `<span class="label">Trigger</span>${triggerable
      .map((t) => `<button data-type="${esc(t.name)}">${esc(t.name)}</button>`)
      .join("")}`;
    this._updateTriggers();
  }

  /** Buttons work while the camera is available (the service refuses otherwise): say why not. */
  _updateTriggers() {
    const available = this._cameraAvailable();
    for (const button of this.shadowRoot.querySelectorAll(".triggers button[data-type]")) {
      const type = button.dataset.type;
      button.disabled = !available || !!this._busy?.has(type);
      button.title = available ? `Trigger a ${type} event` : UNAVAILABLE_TIP;
    }
  }

  /** Keep the live view and the motion chip up to date (on every hass update). */
  _updateLive(force = false) {
    if (!this._config || !this._hass || this._notice) return;
    const state = this._hass.states[this._config.entity];
    const motion = this._motionEntity ? this._hass.states[this._motionEntity] : undefined;
    if (this._stream) this._stream.hass = this._hass;
    if (!force && state === this._shownState && motion === this._shownMotion) return;
    this._shownState = state;
    this._shownMotion = motion;
    this._renderTitle();
    this._updateTriggers();
    if (!state || state.state === "unavailable") {
      this._q(".live").innerHTML = `<span class="msg">Camera unavailable</span>`;
    } else {
      this._showLive(state);
    }
    const chip = this._q(".chip.motion");
    chip.hidden = this._motionEntity === undefined;
    const on = motion?.state === "on";
    chip.classList.toggle("on", on);
    chip.title = this._motionEntity || "";
    const text = !motion ? "Motion sensor not found"
      : motion.state === "unavailable" ? "Motion unavailable"
      : on ? "Motion detected" : "No motion";
    chip.innerHTML = `<span class="dot"></span>${text}`;
  }

  _showLive(state) {
    const live = this._q(".live");
    const element = this._stream || this._fallbackImg;
    if (element) {
      if (this._stream && this._stream.stateObj !== state) this._stream.stateObj = state;
      if (!element.isConnected) live.replaceChildren(element);
      return;
    }
    if (this._streamLoading) return;
    this._streamLoading = true;
    this._loadStreamElement().then((ok) => {
      this._streamLoading = false;
      if (ok) {
        this._stream = Object.assign(document.createElement("ha-camera-stream"), {
          muted: true, controls: false, allowExoPlayer: false,
        });
      } else {
        this._startFallback();
      }
      this._updateLive(true);
    });
  }

  /** Make sure HA's camera stream element is defined (picture cards load it lazily). */
  async _loadStreamElement() {
    if (customElements.get("ha-camera-stream")) return true;
    try {
      if (window.loadCardHelpers) {
        const helpers = await window.loadCardHelpers();
        helpers.createCardElement({
          type: "picture-entity", entity: this._config.entity, camera_view: "live",
        });
      }
      await Promise.race([
        customElements.whenDefined("ha-camera-stream"),
        new Promise((_, reject) => setTimeout(reject, STREAM_WAIT_MS)),
      ]);
      return true;
    } catch (err) {
      return false;
    }
  }

  /** Without ha-camera-stream: the camera proxy's still image, refreshed every few seconds. */
  _startFallback() {
    const img = Object.assign(document.createElement("img"), { alt: "Camera image" });
    const refresh = () => {
      const state = this._hass?.states[this._config?.entity];
      const token = state?.attributes?.access_token;
      if (!token || !img.isConnected) return;
      const path = `/api/camera_proxy/${state.entity_id}?token=${encodeURIComponent(token)}`;
      img.src = `${this._hass.hassUrl ? this._hass.hassUrl(path) : path}&t=${Date.now()}`;
    };
    img.addEventListener("error", () => {
      img.replaceWith(Object.assign(document.createElement("span"), {
        className: "msg", textContent: "No picture from the camera",
      }));
      if (this._fallbackImg === img) this._fallbackImg = null;
    });
    this._fallbackImg = img;
    this._timers.push(setInterval(refresh, FALLBACK_REFRESH_MS));
    setTimeout(refresh);
  }

  _locale() {
    return this._hass?.locale?.language || this._hass?.language || undefined;
  }

  _renderActivity() {
    if (!this._config || this._notice) return;
    const hours = this._config.hours;
    const now = Date.now();
    const from = now - hours * 3600_000;
    const span = now - from;
    const bars = this._activity
      .map((e) => ({ e, s: toMs(e.start), t: e.end ? toMs(e.end) : now }))
      .filter(({ s, t }) => t >= from && s <= now);
    this._q(".act-label").textContent = `Motion, last ${hours} h`;
    this._q(".strip").innerHTML = bars
      .map(({ e, s, t }) => {
        const left = ((Math.max(s, from) - from) / span) * 100;
        const width = Math.max(((Math.min(t, now) - Math.max(s, from)) / span) * 100, 0.3);
        const tip = `${new Date(s).toLocaleString(this._locale())}, ${formatDuration(e)}`;
        return `<div class="bar${e.end ? "" : " open"}" title="${esc(tip)}"
          style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%"></div>`;
      })
      .join("");
    const locale = this._locale();
    const time = (t) => new Date(t).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
    const day = (t) => new Date(t).toLocaleDateString(locale, { month: "short", day: "numeric" });
    const today = new Date(now).toDateString();
    // A time of another day than today carries its date ("Dec 2, 12:16 PM").
    const label = (t) => (new Date(t).toDateString() === today ? time(t) : `${day(t)}, ${time(t)}`);
    const first = hours > 24 ? new Date(from).toLocaleDateString(locale) : label(from);
    this._q(".axis").innerHTML =
      `<span>${esc(first)}</span><span>${esc(label(from + span / 2))}</span><span>now</span>`;
    // Each midnight in the strip: a dashed line, and the new day's date under it.
    const midnights = [];
    const next = new Date(from);
    next.setHours(24, 0, 0, 0);
    while (next.getTime() <= now && midnights.length <= MAX_DAY_MARKS) {
      midnights.push(next.getTime());
      next.setDate(next.getDate() + 1);
    }
    const marks = midnights.length <= MAX_DAY_MARKS ? midnights : [];
    const at = (t) => (((t - from) / span) * 100).toFixed(3);
    this._q(".strip").insertAdjacentHTML("beforeend", marks
      .map((t) => `<div class="midnight" style="left:${at(t)}%" title="${esc(day(t))}"></div>`)
      .join(""));
    const days = this._q(".days");
    days.hidden = !marks.length;
    days.innerHTML = marks
      .map((t) => `<span style="left:${at(t)}%">${esc(day(t))}</span>`)
      .join("");
    const empty = this._q(".act-empty");
    empty.hidden = bars.length > 0;
    empty.textContent = `No motion in the last ${hours} h`;
  }

  _renderList(flashId = null) {
    if (this._notice) return;
    // Revoke the snapshots no longer listed (nor shown in the detail view).
    this._clearThumbs(new Set([...this._events, this._selected].map((e) => e?.id)));
    this._q(".list").innerHTML = this._events
      .map((e) => {
        const when = new Date(toMs(e.start)).toLocaleString(this._locale());
        const handlers = e.handlers?.length ? ` · ${e.handlers.length} handler(s)` : "";
        return `<li class="item${e.id === flashId ? " new" : ""}" data-id="${esc(e.id)}"
            tabindex="0" role="button">
          <div class="thumb" data-thumb="${esc(e.id)}">${this._thumbHtml(e)}</div>
          <div class="info"><span class="type">${esc(e.type)}</span>
            <span class="sub">${esc(when)}</span>
            <span class="sub">${esc(formatDuration(e))}${esc(handlers)}</span></div></li>`;
      })
      .join("");
    this._events.forEach((e) => this._loadThumb(e));
    const msg = this._q(".list-msg");
    msg.textContent = this._error
      || (!this._meta ? "Loading events…" : "")
      || (this._events.length ? "" : `No ${this._filter ? `${this._filter} ` : ""}events yet`);
    msg.classList.toggle("error", !!this._error);
    msg.hidden = !msg.textContent;
    this._q(".more").hidden = !(this._meta && this._meta.total_count > this._events.length);
  }

  _thumbHtml(event) {
    if (!event.snapshot) return `<span class="ph">No snapshot</span>`;
    const url = this._thumbs.get(event.id);
    if (url === undefined) return `<span class="ph">Loading…</span>`;
    if (!url) return `<span class="ph">Snapshot missing</span>`;
    return `<img class="evimg" src="${esc(url)}" alt="${esc(event.type)} snapshot">`;
  }

  async _loadThumb(event) {
    if (!event.snapshot || this._thumbs.has(event.id)) return;
    await this._thumbUrl(event);
    for (const box of this.shadowRoot.querySelectorAll(`.thumb[data-thumb="${CSS.escape(event.id)}"]`)) {
      box.innerHTML = this._thumbHtml(event);
    }
  }

  _renderDetail() {
    if (this._notice) return;
    const detail = this._q(".detail");
    const e = this._selected;
    // An update of the event shown (a handler's result) must not restart its clip.
    const shown = detail.querySelector(".clip video");
    const keep = e && shown?.dataset.event === e.id && shown.dataset.clip === e.clip_url
      ? shown.parentElement.childNodes : null;
    const kept = keep ? [...keep] : null;
    detail.hidden = !e;
    this._q(".events").hidden = !!e;
    if (!e) {
      detail.innerHTML = "";
      return;
    }
    const time = (iso) => (iso ? new Date(toMs(iso)).toLocaleString(this._locale()) : "");
    const rows = [
      ["Type", e.type],
      ["Start", time(e.start)],
      ["End", time(e.end) || formatDuration(e) || "—"],
      ["Duration", formatDuration(e) || "—"],
      ["Event id", e.id],
    ];
    const cell = (v) => esc(v !== null && typeof v === "object" ? JSON.stringify(v) : v ?? "");
    const handlers = e.handlers || [];
    const metadata = Object.keys(e.metadata || {}).length
      ? `<pre>${esc(JSON.stringify(e.metadata, null, 2))}</pre>`
      : `<div class="msg">No metadata</div>`;
    detail.innerHTML = `
      <button class="flat back">← Back to events</button>
      <div class="snapbox">${this._snapHtml(e)}</div>
      <div class="clip"></div>
      <table class="meta">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
        .join("")}</table>
      <div class="label">Metadata</div>${metadata}
      <div class="label">Handlers</div>
      ${handlers.length ? `<table class="handlers"><tr><th>Handler</th><th>Profile</th>
        <th>Status</th><th>Detail</th></tr>${handlers.map((h) => `<tr><td>${cell(h.handler)}</td>
        <td>${cell(h.profile)}</td><td class="status-${esc(h.status)}">${cell(h.status)}</td>
        <td>${cell(h.detail ?? h.reason ?? h.note)}</td></tr>`).join("")}</table>`
        : `<div class="msg">No handlers ran for this event</div>`}`;
    if (e.snapshot && !this._thumbs.has(e.id)) {
      this._thumbUrl(e).then(() => {
        const box = detail.querySelector(".snapbox");
        if (box && this._selected?.id === e.id) box.innerHTML = this._snapHtml(e);
      });
    }
    const box = detail.querySelector(".clip");
    if (kept) box.replaceChildren(...kept);
    else if (e.clip_url || e.clip) this._renderClip(e, box);
  }

  _snapHtml(event) {
    if (!event.snapshot) return `<span class="msg">No snapshot for this event</span>`;
    const url = this._thumbs.get(event.id);
    if (url === undefined) return `<span class="msg">Loading snapshot…</span>`;
    if (!url) return `<span class="msg">Snapshot missing</span>`;
    return `<img class="snap evimg" src="${esc(url)}" alt="Snapshot of the ${esc(event.type)} event">`;
  }

  /**
   * The event's clip: `clip_url` (the API's address; `clip` is where it is stored), signed so
   * that the player can stream it with range requests (a fetched blob would load it whole).
   */
  async _renderClip(event, box) {
    const fail = (text) => {
      box.insertAdjacentHTML("beforeend", `<div class="msg error">${esc(text)}</div>`);
    };
    const path = event.clip_url;
    if (!path) return fail("Clip unavailable: Home Assistant gave no address for it");
    let src;
    try {
      src = await withTimeout(signPath(this._hass, path, 3600));
    } catch (err) {
      return fail(`Clip unavailable: ${errText(err)}`);
    }
    if (this._selected?.id !== event.id || !box.isConnected) return undefined;
    const video = Object.assign(document.createElement("video"), {
      controls: true, preload: "metadata", playsInline: true, muted: true, src,
    });
    Object.assign(video.dataset, { event: event.id, clip: path });
    // Chromium reports a missing file and an undecodable one alike: ask the server which.
    video.addEventListener("error", async () => {
      const why = video.error?.message ? ` (${video.error.message})` : "";
      let status = 0;
      try {
        status = (await fetch(src, { headers: { Range: "bytes=0-0" } })).status;
      } catch (err) {
        /* unreachable: said below */
      }
      if (status >= 400) fail(`Clip unavailable: HTTP ${status}`);
      else if (status) fail(`This browser cannot play the clip${why}`);
      else fail(`The clip could not be loaded: Home Assistant is not reachable${why}`);
    });
    box.replaceChildren(video);
    return undefined;
  }
}

/**
 * Define the elements in the page's registry, once. Home Assistant's app replaces the global
 * registry with a polyfill (scoped registries) as it starts, and extra modules like this one
 * load in parallel with it: if this ran first, the new registry does not know the card, so
 * define it there too once the app is up (the elements themselves stay the same classes).
 */
function defineElements() {
  const registry = window.customElements;
  if (registry.get(CARD_TYPE)) return;
  registry.define(CARD_TYPE, CamEventsCard);
  registry.define(`${CARD_TYPE}-editor`, CamEventsCardEditor);
}

if (!customElements.get(CARD_TYPE)) {
  defineElements();
  customElements.whenDefined("home-assistant").then(defineElements);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: CARD_TYPE,
    name: "Cam Events",
    description: "Live view, motion activity and the event timeline of a Cam Events camera.",
    preview: true,
    documentationURL: "https://github.com/cam-events/cam_events",
  });
}
