/*
 * Cam Events card, its editor: the form the dashboard shows to configure the card (camera,
 * title, hours of the activity strip, event types shown). It sends `config-changed` events.
 */

import { DEFAULT_HOURS, camEventsCameras, esc, fetchEventTypes, fillTypeSelect } from "./card-data.js";

export class CamEventsCardEditor extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" }).innerHTML = `
      <style>
        form { display: grid; gap: 12px; padding: 4px 0; }
        label { display: grid; gap: 4px; font-size: 14px; color: var(--secondary-text-color); }
        select, input { font: inherit; font-size: 15px; padding: 8px; border-radius: 6px;
          border: 1px solid var(--divider-color, #ccc); color: var(--primary-text-color);
          background: var(--card-background-color, #fff); }
        .hint { font-size: 13px; color: var(--secondary-text-color); }
      </style>
      <form>
        <label>Camera<select name="entity"></select></label>
        <label>Title<input name="title" placeholder="The camera's name"></label>
        <label>Activity strip (hours)<input name="hours" type="number" min="1" max="744"></label>
        <label>Event types shown<select name="event_type"></select></label>
        <div class="hint"></div>
      </form>`;
    const form = this.shadowRoot.querySelector("form");
    form.addEventListener("change", (ev) => this._changed(ev.target));
    form.addEventListener("input", (ev) => ev.target.name === "title" && this._changed(ev.target));
    form.addEventListener("submit", (ev) => ev.preventDefault());
    this._config = {};
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (first) this._render();
  }

  _field(name) {
    return this.shadowRoot.querySelector(`[name="${name}"]`);
  }

  _render() {
    if (!this._hass) return;
    const c = this._config;
    const cameras = camEventsCameras(this._hass);
    if (c.entity && !cameras.some((cam) => cam.entity_id === c.entity)) {
      cameras.push({ entity_id: c.entity, name: `${c.entity} (not a Cam Events camera)` });
    }
    const entity = this._field("entity");
    entity.innerHTML = (c.entity ? "" : `<option value="">Choose a camera</option>`) +
      cameras.map((cam) => `<option value="${esc(cam.entity_id)}">${esc(cam.name)}
        (${esc(cam.entity_id)})</option>`).join("");
    entity.value = c.entity || "";
    this.shadowRoot.querySelector(".hint").textContent = cameras.length
      ? "" : "No Cam Events camera yet: add one under Settings → Devices & services.";
    const active = this.shadowRoot.activeElement;
    if (active !== this._field("title")) this._field("title").value = c.title || "";
    if (active !== this._field("hours")) this._field("hours").value = c.hours ?? DEFAULT_HOURS;
    this._renderTypes();
    if (c.entity && this._typesFor !== c.entity) this._loadTypes(c.entity);
  }

  _renderTypes() {
    fillTypeSelect(this._field("event_type"), this._types, this._config.event_type || "");
  }

  async _loadTypes(entity) {
    this._typesFor = entity;
    try {
      const types = await fetchEventTypes(this._hass, entity);
      if (this._typesFor !== entity) return;
      this._types = types.map((t) => t.name);
    } catch (err) {
      this._types = null;
    }
    this._renderTypes();
  }

  _changed(target) {
    if (!target.name) return;
    const config = { ...this._config };
    let value = target.value;
    if (target.name === "hours") value = Number(value) > 0 ? Number(value) : undefined;
    if (value === "" || value === undefined) delete config[target.name];
    else config[target.name] = value;
    if (target.name === "entity") delete config.event_type;
    this._config = config;
    this.dispatchEvent(
      new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }),
    );
    if (target.name === "entity") this._render();
  }
}
