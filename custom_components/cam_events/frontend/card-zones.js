/*
 * The zone and mask editor of the Cam Events card: a dialog over the camera's current picture,
 * opened from the card by administrators. Click on the picture to place a polygon's points,
 * drag a point to move it, name the area, make it a mask (ignored by detection) or a zone
 * (its own motion sensor), delete it, save.
 *
 * Coordinates are relative to the picture (0..1, x to the right, y down), rounded to 4
 * decimals as the integration stores them. Data (card-data.js): cam_events/layout
 * (read: {layout: [area], width, height}) and cam_events/layout/set (save, administrators
 * only: {layout: [area]}, or an error with a translated message, shown in the dialog). An
 * area is {id, name, kind: "mask"|"zone", polygon: [[x, y], ...], enabled, min_area?}.
 *
 * Loaded by the card on first use, from the folder of the card's version (a plain ES
 * module, no build step: its relative import keeps that version).
 */

import { errText, esc, fetchLayout, saveLayout } from "./card-data.js";

const MAX_ID = 32;
const MAX_NAME = 64;
const DOUBLE_CLICK_MS = 400;
const ZONE_COLOURS = ["#03a9f4", "#ff9800", "#8bc34a", "#e91e63", "#9c27b0", "#00bcd4", "#ffc107"];

const round = (v) => Math.round(Math.min(Math.max(v, 0), 1) * 10000) / 10000;

/** An id for a new area from its name: [a-z0-9_], at most 32, not one of `taken`. */
function areaId(name, kind, taken) {
  const base = name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "").slice(0, MAX_ID) || kind;
  let id = base;
  for (let n = 2; taken.has(id); n += 1) id = `${base.slice(0, MAX_ID - 1 - String(n).length)}_${n}`;
  return id;
}

const STYLE = `
  /* Anchored at the top: the picture stays put as the form below it changes. */
  dialog.zones { width: min(920px, 96vw); max-height: 96vh; margin: 2vh auto auto; box-sizing: border-box; padding: 0;
    border: none; border-radius: var(--ha-dialog-border-radius, 12px);
    background: var(--card-background-color, #fff); color: var(--primary-text-color, #212121); }
  dialog.zones::backdrop { background: rgba(0, 0, 0, 0.55); }
  .zwrap { display: flex; flex-direction: column; gap: 10px; padding: 12px 16px 16px; }
  .zhead { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
  .zhead h3 { margin: 0; font-size: 18px; font-weight: 500; }
  /* Not clipped: a point on the picture's edge keeps its whole handle to grab. */
  .zstage { position: relative; width: 100%; aspect-ratio: 16 / 9; background: #222;
    user-select: none; touch-action: none; cursor: crosshair; }
  .zstage > img, .zstage > svg, .zmarks { position: absolute; inset: 0; width: 100%;
    height: 100%; display: block; }
  .zstage > img { object-fit: fill; }
  .zstage > .zpicmsg { position: absolute; inset: auto 0 8px; text-align: center;
    color: #eee; font-size: 13px; }
  .zmarks { pointer-events: none; }
  svg polygon, svg polyline { vector-effect: non-scaling-stroke; stroke-width: 2; }
  svg .zone { fill-opacity: 0.3; }
  svg .mask { fill: url(#zhatch); stroke: #111; }
  svg .sel { stroke-width: 3; stroke-dasharray: 6 3; }
  svg .drawing { fill-opacity: 0.15; }
  .zlabel { position: absolute; transform: translate(-50%, -50%); padding: 1px 6px;
    border-radius: 4px; font-size: 12px; white-space: nowrap; color: #fff;
    background: rgba(0, 0, 0, 0.6); }
  .zlabel.mask { font-style: italic; }
  .handle { position: absolute; width: 14px; height: 14px; margin: -7px 0 0 -7px;
    box-sizing: border-box; border-radius: 50%; background: #fff; border: 2px solid #000;
    pointer-events: auto; cursor: move; touch-action: none; }
  .handle.first { background: #ffeb3b; }
  @media (pointer: coarse) { .handle { width: 26px; height: 26px; margin: -13px 0 0 -13px; } }
  .zlist { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
  .zlist button { display: inline-flex; align-items: center; gap: 6px; }
  .zlist button.on { background: rgba(3, 169, 244, 0.15); }
  .zlist .swatch { width: 12px; height: 12px; border-radius: 3px; display: inline-block; }
  .zlist .swatch.mask { background: repeating-linear-gradient(45deg, #111 0 3px, #777 3px 6px); }
  .zform { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; }
  .zform label { display: grid; gap: 2px; font-size: 13px; color: var(--secondary-text-color); }
  .zform label.check { display: flex; align-items: center; gap: 6px; }
  .zform input[type="text"] { font: inherit; font-size: 14px; padding: 5px 8px;
    border-radius: 6px; border: 1px solid var(--divider-color, #ccc);
    background: var(--card-background-color, #fff); color: var(--primary-text-color); }
  .zfoot { justify-content: flex-end; }
`;

const MARKUP = `
  <style>${STYLE}</style>
  <div class="zwrap">
    <div class="zhead"><h3 class="ztitle">Zones and masks</h3>
      <button class="flat zclose" aria-label="Close">✕</button></div>
    <div class="zstage">
      <img class="zpic" alt="The camera's current picture">
      <svg class="zsvg" viewBox="0 0 1 1" preserveAspectRatio="none">
        <defs><pattern id="zhatch" patternUnits="userSpaceOnUse" width="0.02" height="0.02"
          patternTransform="rotate(45)"><rect width="0.02" height="0.02" fill="#000"
          fill-opacity="0.55"/><rect width="0.008" height="0.02" fill="#bbb"
          fill-opacity="0.5"/></pattern></defs>
        <g class="zshapes"></g>
      </svg>
      <div class="zmarks"></div>
    </div>
    <div class="msg zhint"></div>
    <div class="row"><button class="zadd" data-kind="zone">New zone</button>
      <button class="zadd" data-kind="mask">New mask</button></div>
    <ul class="zlist"></ul>
    <div class="zform" hidden>
      <label>Name<input type="text" class="zname" maxlength="${MAX_NAME}"></label>
      <label>Kind<select class="zkind"><option value="zone">Zone (its own motion sensor)</option>
        <option value="mask">Mask (ignored by detection)</option></select></label>
      <label class="check"><input type="checkbox" class="zenabled">Enabled</label>
      <button class="zfinish">Finish drawing</button>
      <button class="zundo">Remove last point</button>
      <button class="zdelete">Delete</button>
    </div>
    <div class="msg zmsg" role="status"></div>
    <div class="row zfoot"><button class="flat zcancel">Close</button>
      <button class="zsave">Save</button></div>
  </div>`;

/** The editor of one camera's masks and zones, in a modal dialog inside `root`. */
class ZoneEditor {
  constructor(root, getHass, camera, title) {
    Object.assign(this, { getHass, camera, areas: [], selected: -1, drawing: false });
    const dialog = document.createElement("dialog");
    dialog.className = "zones";
    dialog.setAttribute("aria-label", "Zones and masks");
    dialog.innerHTML = MARKUP;
    root.append(dialog);
    this.dialog = dialog;
    this.q(".ztitle").textContent = `Zones and masks: ${title}`;
    this.listen();
  }

  q(selector) {
    return this.dialog.querySelector(selector);
  }

  async open() {
    this.dialog.showModal();
    this.loaded = false;
    this.dirty = false;
    this.areas = [];
    this.selected = -1;
    this.drawing = false;
    this.message("Loading the zones and masks…");
    this.render();
    this.showPicture();
    try {
      const answer = await fetchLayout(this.getHass(), this.camera);
      this.areas = (answer.layout || []).map((a) => ({ ...a, polygon: a.polygon.map((p) => [...p]) }));
      if (answer.width > 0 && answer.height > 0) this.setRatio(answer.width, answer.height);
      this.loaded = true;
      this.message("");
    } catch (err) {
      this.message(`Could not load the zones and masks: ${errText(err)}`, true);
    }
    this.render();
  }

  /** Close, unless there are unsaved changes: then say so, and close on a second try. */
  close() {
    if (this.dirty && !this.discard) {
      this.discard = true;
      this.message("Unsaved changes: save them, or close again to discard them.", true);
      return;
    }
    this.dialog.close();
  }

  /** The user changed something not saved yet. */
  changed() {
    this.dirty = true;
    this.discard = false;
  }

  setRatio(width, height) {
    this.q(".zstage").style.aspectRatio = `${width} / ${height}`;
  }

  /** The camera's current picture, through the camera proxy (the card's own fallback). */
  showPicture() {
    const hass = this.getHass();
    const img = this.q(".zpic");
    this.q(".zpicmsg")?.remove();
    const state = hass.states[this.camera];
    const token = state?.attributes?.access_token;
    const path = `/api/camera_proxy/${this.camera}?token=${encodeURIComponent(token || "")}`;
    img.hidden = false;
    img.onload = () => {
      if (img.naturalWidth) this.setRatio(img.naturalWidth, img.naturalHeight);
    };
    img.onerror = () => {
      img.hidden = true;
      this.q(".zstage").insertAdjacentHTML(
        "beforeend",
        `<div class="zpicmsg">No picture from the camera: the areas are drawn on an empty frame</div>`,
      );
    };
    img.src = `${hass.hassUrl ? hass.hassUrl(path) : path}&t=${Date.now()}`;
  }

  message(text, error = false) {
    const el = this.q(".zmsg");
    el.textContent = text;
    el.classList.toggle("error", error);
  }

  // --- input -------------------------------------------------------------------------------

  listen() {
    const stage = this.q(".zstage");
    this.dialog.addEventListener("click", (ev) => {
      const t = ev.target;
      if (t.closest(".zclose, .zcancel")) this.close();
      else if (t.closest(".zadd")) this.add(t.closest(".zadd").dataset.kind);
      else if (t.closest(".zlist button")) this.select(Number(t.closest("button").dataset.index));
      else if (t.closest(".zfinish")) this.finish();
      else if (t.closest(".zundo")) this.undo();
      else if (t.closest(".zdelete")) this.remove();
      else if (t.closest(".zsave")) this.save();
    });
    this.q(".zname").addEventListener("input", (ev) => {
      const area = this.areas[this.selected];
      if (!area) return;
      area.name = ev.target.value;
      this.changed();
      this.render(false);
    });
    this.q(".zkind").addEventListener("change", (ev) => {
      const area = this.areas[this.selected];
      if (area) area.kind = ev.target.value;
      this.changed();
      this.render();
    });
    this.q(".zenabled").addEventListener("change", (ev) => {
      const area = this.areas[this.selected];
      if (area) area.enabled = ev.target.checked;
      this.changed();
      this.render();
    });
    stage.addEventListener("pointerdown", (ev) => this.pointerDown(ev));
    stage.addEventListener("pointermove", (ev) => this.pointerMove(ev));
    stage.addEventListener("pointerup", (ev) => this.pointerUp(ev));
    stage.addEventListener("pointercancel", () => { this.drag = null; });
    // Escape closes the dialog as Close does (unsaved changes are not lost at once).
    this.dialog.addEventListener("cancel", (ev) => {
      ev.preventDefault();
      this.close();
    });
  }

  /** The pointer's place on the picture, 0..1. */
  at(ev) {
    const box = this.q(".zstage").getBoundingClientRect();
    return [round((ev.clientX - box.left) / box.width), round((ev.clientY - box.top) / box.height)];
  }

  pointerDown(ev) {
    if (ev.button !== 0 || !this.loaded) return;
    ev.preventDefault();
    const handle = ev.target.closest(".handle");
    this.q(".zstage").setPointerCapture(ev.pointerId);
    if (handle) {
      this.drag = { point: Number(handle.dataset.point), moved: false, x: ev.clientX, y: ev.clientY };
    } else {
      this.drag = null;
      this.press = { x: ev.clientX, y: ev.clientY, target: ev.target };
    }
  }

  pointerMove(ev) {
    const drag = this.drag;
    const area = this.areas[this.selected];
    if (!drag || !area) return;
    if (!drag.moved && Math.hypot(ev.clientX - drag.x, ev.clientY - drag.y) < 3) return;
    drag.moved = true;
    area.polygon[drag.point] = this.at(ev);
    this.changed();
    this.render(false);
  }

  pointerUp(ev) {
    const { drag, press } = this;
    this.drag = this.press = null;
    if (drag) {
      const area = this.areas[this.selected];
      // A double click on a point removes it (the stage holds the pointer: no dblclick).
      const last = this.lastTap;
      this.lastTap = drag.moved ? null : { point: drag.point, at: ev.timeStamp };
      if (drag.moved) this.message("");
      else if (last?.point === drag.point && ev.timeStamp - last.at < DOUBLE_CLICK_MS) {
        this.lastTap = null;
        this.removePoint(drag.point);
      } else if (this.drawing && drag.point === 0 && area?.polygon.length >= 3) this.finish();
      return;
    }
    if (!press || Math.hypot(ev.clientX - press.x, ev.clientY - press.y) > 5) return;
    if (this.drawing) {
      const area = this.areas[this.selected];
      area.polygon.push(this.at(ev));
      this.changed();
      this.render();
      return;
    }
    // A click on an area selects it (the topmost, drawn last); elsewhere, none.
    const shape = press.target.closest?.("[data-index]");
    this.select(shape ? Number(shape.dataset.index) : -1);
  }

  // --- editing -----------------------------------------------------------------------------

  add(kind) {
    if (!this.loaded) return;
    const count = this.areas.filter((a) => a.kind === kind).length + 1;
    const name = `${kind === "mask" ? "Mask" : "Zone"} ${count}`;
    this.areas.push({ id: null, name, kind, polygon: [], enabled: true });
    this.selected = this.areas.length - 1;
    this.drawing = true;
    this.changed();
    this.message("");
    this.render();
    this.q(".zname").select();
  }

  select(index) {
    if (this.drawing) this.finish();
    this.selected = index >= 0 && index < this.areas.length ? index : -1;
    this.render();
  }

  finish() {
    this.drawing = false;
    const area = this.areas[this.selected];
    if (area && area.polygon.length < 3) {
      this.message(`${area.name || "The area"} needs at least 3 points: click on the picture.`, true);
      this.drawing = true;
    }
    this.render();
  }

  undo() {
    const area = this.areas[this.selected];
    if (!area?.polygon.length) return;
    area.polygon.pop();
    this.drawing = true;
    this.changed();
    this.render();
  }

  /** Remove one point (a double click on it); a closed polygon keeps at least 3. */
  removePoint(index) {
    const area = this.areas[this.selected];
    if (!area?.polygon[index]) return;
    if (!this.drawing && area.polygon.length <= 3) {
      this.message(`${area.name || "The area"} needs at least 3 points: delete it instead.`, true);
      return;
    }
    area.polygon.splice(index, 1);
    this.changed();
    this.message("");
    this.render();
  }

  remove() {
    if (this.selected < 0) return;
    this.areas.splice(this.selected, 1);
    this.selected = -1;
    this.drawing = false;
    this.changed();
    this.message("");
    this.render();
  }

  /** The areas as the integration takes them: ids for new ones, checked before sending. */
  layout() {
    const taken = new Set(this.areas.map((a) => a.id).filter(Boolean));
    const layout = [];
    for (const [index, area] of this.areas.entries()) {
      const name = area.name.trim();
      const what = name || `${area.kind} ${index + 1}`;
      if (!name) throw Object.assign(new Error(`The ${what} needs a name.`), { index });
      if (area.polygon.length < 3) {
        throw Object.assign(new Error(`${what} needs at least 3 points.`), { index });
      }
      let id = area.id;
      if (!id) {
        id = areaId(name, area.kind, taken);
        taken.add(id);
      }
      const item = { id, name, kind: area.kind, polygon: area.polygon.map((p) => [...p]),
        enabled: area.enabled !== false };
      if (area.min_area != null) item.min_area = area.min_area;
      layout.push(item);
    }
    return layout;
  }

  async save() {
    if (!this.loaded || this.saving) return;
    let layout;
    try {
      layout = this.layout();
    } catch (err) {
      this.selected = err.index ?? this.selected;
      this.render();
      this.message(`Not saved: ${err.message}`, true);
      return;
    }
    this.drawing = false;
    this.saving = true;
    this.q(".zsave").disabled = true;
    this.message("Saving…");
    try {
      const answer = await saveLayout(this.getHass(), this.camera, layout);
      const keep = this.areas[this.selected] ? layout[this.selected]?.id : null;
      this.areas = (answer?.layout || layout).map((a) => ({ ...a, polygon: a.polygon.map((p) => [...p]) }));
      this.selected = this.areas.findIndex((a) => a.id === keep);
      this.dirty = false;
      this.message(`Saved ${this.areas.length} area${this.areas.length === 1 ? "" : "s"}: detection uses them now.`);
    } catch (err) {
      this.message(`Could not save: ${errText(err)}`, true);
    } finally {
      this.saving = false;
      this.q(".zsave").disabled = false;
      this.render();
    }
  }

  // --- rendering ---------------------------------------------------------------------------

  colour(index) {
    const zones = this.areas.slice(0, index + 1).filter((a) => a.kind === "zone").length;
    return ZONE_COLOURS[(zones - 1) % ZONE_COLOURS.length];
  }

  render(form = true) {
    const points = (poly) => poly.map(([x, y]) => `${x},${y}`).join(" ");
    this.q(".zshapes").innerHTML = this.areas
      .map((a, i) => {
        const sel = i === this.selected ? " sel" : "";
        const colour = a.kind === "zone" ? this.colour(i) : "#000";
        const style = a.kind === "zone" ? `fill="${colour}" stroke="${colour}"` : "";
        const off = a.enabled === false ? ' opacity="0.45"' : "";
        const open = i === this.selected && this.drawing;
        const tag = open && a.polygon.length < 3 ? "polyline" : "polygon";
        return `<${tag} data-index="${i}" class="${esc(a.kind)}${sel}${open ? " drawing" : ""}"
          ${style}${off} points="${points(a.polygon)}"></${tag}>`;
      })
      .join("");
    const labels = this.areas
      .map((a, i) => {
        if (!a.polygon.length) return "";
        const x = a.polygon.reduce((s, p) => s + p[0], 0) / a.polygon.length;
        const y = a.polygon.reduce((s, p) => s + p[1], 0) / a.polygon.length;
        const off = a.enabled === false ? " (off)" : "";
        return `<span class="zlabel ${esc(a.kind)}" style="left:${x * 100}%;top:${y * 100}%">${esc(
          a.name)}${off}</span>`;
      })
      .join("");
    const area = this.areas[this.selected];
    const handles = (area?.polygon || [])
      .map(([x, y], p) => `<span class="handle${p === 0 ? " first" : ""}" data-point="${p}"
        title="Point ${p + 1}: drag to move" style="left:${x * 100}%;top:${y * 100}%"></span>`)
      .join("");
    this.q(".zmarks").innerHTML = labels + handles;
    this.q(".zhint").textContent = this.hint(area);
    this.q(".zlist").innerHTML = this.areas
      .map((a, i) => {
        const swatch = a.kind === "zone"
          ? `<span class="swatch" style="background:${this.colour(i)}"></span>`
          : `<span class="swatch mask"></span>`;
        return `<li><button data-index="${i}" class="${i === this.selected ? "on" : ""}">${swatch}${
          esc(a.name || "(no name)")}</button></li>`;
      })
      .join("");
    const formEl = this.q(".zform");
    formEl.hidden = !area;
    this.q(".zsave").disabled = !this.loaded || !!this.saving;
    for (const button of this.dialog.querySelectorAll(".zadd")) button.disabled = !this.loaded;
    if (!area || !form) return;
    this.q(".zname").value = area.name;
    this.q(".zkind").value = area.kind;
    this.q(".zenabled").checked = area.enabled !== false;
    this.q(".zfinish").hidden = !this.drawing;
    this.q(".zundo").disabled = !area.polygon.length;
  }

  hint(area) {
    if (!this.loaded) return "";
    if (area && this.drawing) {
      return `Click on the picture to place the points of ${area.name || "the area"}; ` +
        "click the first point (yellow) or Finish drawing to close it.";
    }
    if (area) return "Drag a point to move it, double-click it to remove it. Save to apply.";
    if (!this.areas.length) return "No masks or zones yet: the whole picture counts for motion.";
    return "Click an area to change it.";
  }
}

const editors = new WeakMap();

/** Open the editor of `camera`'s masks and zones in a dialog inside `root` (a shadow root). */
export function openZoneEditor(root, getHass, camera, title) {
  let editor = editors.get(root);
  if (!editor || editor.camera !== camera) {
    editor?.dialog.remove();
    editor = new ZoneEditor(root, getHass, camera, title);
    editors.set(root, editor);
  }
  editor.q(".ztitle").textContent = `Zones and masks: ${title}`;
  return editor.open();
}
