"""The dashboard card in headless Chromium, against a real Home Assistant with the demo camera.

The main test walks through the card the way a user would: log in, see the card (live view,
motion state, activity strip, timeline), watch a new event appear, trigger one with a button,
page and filter the timeline, open an event's details and see a handler's result come in,
play a clip recorded from the camera, switch to the dark theme and to a phone's width, look
at cards configured wrongly, and see the camera go away. Screenshots go to
artifacts/screenshots/ (and, with UPDATE_SCREENSHOTS=1, the light, dark, narrow and clip ones
to docs/screenshots/ for the README). Other tests put the card on a page of its own with a
stand-in `hass` for what a real camera rarely does (no history, a lost snapshot, no camera
element, a clip that cannot play, an action refused or unanswered, a strip over midnight);
another checks, in process, how the integration serves and registers it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import io
import os
from pathlib import Path
import re
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cam_events.card import async_register_card
from custom_components.cam_events.const import DEFAULT_POSTROLL
from tests.browser.conftest import media_folder

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

    from tests.browser.conftest import HomeAssistantInstance
    from tests.peers.rtsp import RtspServer

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "screenshots"
DOCS = REPO / "docs" / "screenshots"

DASHBOARD = "cam-events-test"
TITLE = "Front door"
PAGE_SIZE = 5
NEW_EVENT_WITHIN = 2.0
DESKTOP = {"width": 1100, "height": 1600}  # the whole card below the fixed toolbar
PHONE = {"width": 390, "height": 844}

# Events in the last hour, so that the activity strip and the timeline have something to show:
# (type, minutes ago, duration in seconds, metadata).
SEEDED: list[tuple[str, float, float, dict[str, Any]]] = [
    ("motion", 55, 80, {"zone": "driveway"}),
    ("tamper", 47, 12, {"contrast": 2.1}),
    ("motion", 40, 45, {"zone": "door"}),
    ("net", 33, 20, {"state": "lost"}),
    ("motion", 24, 150, {"zone": "door"}),
    ("snapshot", 15, 0, {"periodic": True}),
    ("motion", 7, 30, {"zone": "garden"}),
]


def _card_config(**config: Any) -> dict[str, Any]:
    return {"type": "custom:cam-events-card", **config}


def _dashboard(camera: str) -> dict[str, Any]:
    return {
        "title": "Cam Events",
        "views": [
            {
                "title": "Camera",
                "path": "camera",
                "type": "sections",
                "max_columns": 2,
                "sections": [
                    {
                        "type": "grid",
                        "cards": [
                            _card_config(entity=camera, title=TITLE, hours=1, page_size=PAGE_SIZE)
                        ],
                    }
                ],
            },
            {
                "title": "Errors",
                "path": "errors",
                "cards": [
                    _card_config(entity="camera.does_not_exist"),
                    _card_config(entity="sensor.demo_stream_state"),
                    _card_config(),
                ],
            },
        ],
    }


async def _set_up_dashboard(ha: HomeAssistantInstance) -> None:
    """Create a storage-mode dashboard with the card (and a view of misconfigured cards)."""
    await ha.ws(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "Cam Events",
            "mode": "storage",
            "show_in_sidebar": True,
        }
    )
    await ha.ws(
        {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": _dashboard(ha.camera)}
    )


async def _seed_events(ha: HomeAssistantInstance) -> None:
    now = datetime.now(UTC)
    for type_name, minutes_ago, duration, metadata in SEEDED:
        await ha.service(
            "create_event",
            {
                "camera": ha.camera,
                "type": type_name,
                "time": (now - timedelta(minutes=minutes_ago)).isoformat(),
                "duration": duration,
                "metadata": metadata,
            },
        )


async def _add_local_profile(ha: HomeAssistantInstance) -> str:
    """Add a handler profile that saves snapshots under media/; return its entry id."""
    flow = await ha.rest("POST", "/api/config/config_entries/flow", {"handler": "cam_events"})
    path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    await ha.rest("POST", path, {"next_step_id": "local"})
    result = await ha.rest("POST", path, {"name": "Archive", "folder": "cam_events"})
    assert result["type"] == "create_entry", result
    entry_id: str = result["result"]["entry_id"]
    return entry_id


async def _set_theme(ha: HomeAssistantInstance, *, dark: bool) -> None:
    """Choose the user's theme as the profile page does (2026.10: user data key `theme`)."""
    value = {"theme": "default", "dark": dark}
    await ha.ws({"type": "frontend/set_user_data", "key": "theme", "value": value})


async def _eventually[T](
    probe: Callable[[], Awaitable[T]],
    check: Callable[[T], bool],
    timeout: float,
    what: str,
    *,
    strict: bool = True,
) -> T:
    """Call `probe` until `check` accepts its result; after `timeout` s fail (or, not
    `strict`, return the last result)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            if not strict:
                return value
            raise AssertionError(f"{what}: still {value!r} after {timeout} s")
        await asyncio.sleep(0.1)


async def _at_least(locator: Locator, count: int, timeout: float = 5) -> None:
    await _eventually(locator.count, lambda n: n >= count, timeout, f"count of {locator}")


async def _images_loaded(images: Locator, timeout: float = 10) -> None:
    """Wait until every image matched has a picture (MJPEG streams never `complete`)."""
    await _eventually(
        lambda: images.evaluate_all("imgs => imgs.map(i => i.naturalWidth)"),
        lambda widths: bool(widths) and all(width > 0 for width in widths),
        timeout,
        "image widths",
    )


def _background_luminance(rgb: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", rgb)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def _write_screenshot(name: str, png: bytes, *, docs: bool) -> None:
    """Save a screenshot under artifacts/ (and docs/), as a small palette PNG."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            buffer = io.BytesIO()
            small.save(buffer, format="PNG", optimize=True)
            png = buffer.getvalue()
    except ImportError:  # pragma: no cover - Pillow comes with Home Assistant
        pass
    # The README's copies change only when asked for (UPDATE_SCREENSHOTS=1), so a test run
    # leaves the checkout clean.
    refresh_docs = docs and os.environ.get("UPDATE_SCREENSHOTS") == "1"
    for folder in (ARTIFACTS, DOCS) if refresh_docs else (ARTIFACTS,):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png)


async def _screenshot(target: Page | Locator, name: str, *, docs: bool = True) -> None:
    png = await target.screenshot(animations="disabled")
    await asyncio.to_thread(_write_screenshot, name, png, docs=docs)


async def _log_in(page: Page, url: str) -> None:
    await page.goto(url)
    await page.locator("#username").fill("dev")
    await page.locator("#password").fill("dev")
    await page.locator("#password").press("Enter")


async def _navigate(page: Page, path: str) -> None:
    """Change the view inside the app, as its own links do (a reload would log out)."""
    await page.evaluate(
        """path => {
            history.pushState(null, "", path);
            window.dispatchEvent(new CustomEvent("location-changed", {detail: {replace: false}}));
        }""",
        path,
    )


@pytest.mark.enable_socket
@pytest.mark.timeout(240)
async def test_card_in_browser(home_assistant: HomeAssistantInstance, browser: Browser) -> None:
    """The card shows the camera's events live, triggers events, and looks right."""
    from playwright.async_api import expect

    ha = home_assistant
    timings: dict[str, float] = {"home_assistant_ready": ha.info["startup_seconds"]}
    clock = time.monotonic()
    await _set_up_dashboard(ha)
    await _seed_events(ha)

    context = await browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="UTC")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"{err}\n{err.stack}"))
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("requestfailed", lambda r: console.append(f"request failed: {r.url} {r.failure}"))
    await _log_in(page, f"{ha.base_url}/{DASHBOARD}/camera")

    # --- the card renders: title, live view, motion state, trigger buttons, timeline, strip
    card = page.locator("cam-events-card").first
    try:
        await expect(card.locator("h2.title")).to_have_text(TITLE, timeout=30_000)
    except AssertionError as err:
        defined = await page.evaluate("customElements.get('cam-events-card') !== undefined")
        shown = await page.locator("hui-error-card, hui-warning").all_text_contents()
        raise AssertionError(
            f"{err}\npage errors: {errors}\nconsole: {console}\n"
            f"card defined: {defined}, error cards: {shown}"
        ) from err
    timings["card_rendered"] = time.monotonic() - clock
    await expect(card.locator(".chip.motion")).to_have_text(
        re.compile(r"^(Motion detected|No motion)$")
    )
    await expect(card.locator(".triggers button")).to_have_text(["snapshot", "manual"])
    await _at_least(card.locator(".item"), PAGE_SIZE)  # a live motion event may come on top
    await expect(card.locator(".more")).to_be_visible()
    await expect(card.locator(".strip .bar")).not_to_have_count(0)
    await expect(card.locator(".act-label")).to_have_text("Motion, last 1 h")
    await _images_loaded(card.locator(".live img"), timeout=20)
    live = await card.locator(".live > *").evaluate("el => el.localName")
    assert live in {"ha-camera-stream", "img"}

    # --- an event created through the service appears without a reload, within 2 s
    started = time.monotonic()
    created = await ha.service(
        "create_event",
        {"camera": ha.camera, "type": "manual", "metadata": {"source": "browser test"}},
    )
    await expect(card.locator(f'.item[data-id="{created["id"]}"]')).to_be_visible(
        timeout=NEW_EVENT_WITHIN * 1000
    )
    timings["created_event_shown"] = time.monotonic() - started
    assert timings["created_event_shown"] < NEW_EVENT_WITHIN

    # --- the trigger button creates an event (seen through the websocket API and the card)
    await card.locator('.triggers button[data-type="manual"]').click()
    await expect(card.locator(".status")).to_have_text("Triggered manual")

    async def newest_manual() -> dict[str, Any]:
        answer = await ha.ws(
            {"type": "cam_events/events", "camera": ha.camera, "event_type": "manual", "limit": 1}
        )
        newest: dict[str, Any] = answer["objects"][0]
        return newest

    triggered = await _eventually(
        newest_manual, lambda event: event["id"] != created["id"], 5, "newest manual event"
    )
    assert triggered["metadata"].get("triggered") is True
    assert triggered["snapshot"] == f"/api/cam_events/snapshots/{triggered['id']}.jpg"
    await expect(card.locator(f'.item[data-id="{triggered["id"]}"]')).to_be_visible(timeout=2000)

    # --- thumbnails (fetched with auth into object URLs); the light screenshot
    await expect(card.locator(".thumb .ph", has_text="Loading")).to_have_count(0, timeout=10_000)
    await _images_loaded(card.locator(".thumb img"))
    await _images_loaded(card.locator(".live img"))
    await page.mouse.move(0, 0)  # no button hovered in the screenshots
    await _screenshot(card, "card-light.png")

    # --- paging and the type filter
    await card.locator(".more").click()
    await _eventually(
        lambda: card.locator(".item").count(), lambda n: n > PAGE_SIZE, 5, "items after paging"
    )
    await card.locator("select.filter").select_option("manual")
    await expect(card.locator(".item .type")).to_have_text(["manual", "manual"])
    await card.locator("select.filter").select_option("")
    await _at_least(card.locator(".item"), PAGE_SIZE)

    # --- the detail view: snapshot, metadata, handlers
    await card.locator(f'.item[data-id="{triggered["id"]}"]').click()
    detail = card.locator(".detail")
    await expect(detail).to_be_visible()
    await _images_loaded(detail.locator("img.snap"))
    width = await detail.locator("img.snap").evaluate("img => img.naturalWidth")
    assert width == 640  # the demo clip's width: the stored snapshot, not a placeholder
    await expect(detail.locator("pre")).to_contain_text('"triggered": true')
    await expect(detail.locator("table.meta")).to_contain_text(triggered["id"])
    await expect(detail).to_contain_text("No handlers ran for this event")
    # a handler runs for the event shown: its result comes in live, queued then sent
    profile = await _add_local_profile(ha)
    await ha.service(
        "save_snapshot", {"camera": ha.camera, "profile": profile, "event_id": triggered["id"]}
    )
    handler_row = detail.locator("table.handlers tr").nth(1)
    await expect(handler_row).to_contain_text("save_snapshot")
    await expect(handler_row.locator("td").nth(1)).to_have_text("Archive")

    async def handler_status() -> str:
        answer = await ha.ws({"type": "cam_events/events", "camera": ha.camera, "limit": 20})
        event = next(e for e in answer["objects"] if e["id"] == triggered["id"])
        status: str = event["handlers"][-1]["status"]
        return status

    # The card shows the stored result once delivered ("sent"). Under load the integration
    # can store "queued" after "sent" (a race between recording the queued job and the
    # outbox's result, reported): the card must show what is stored either way.
    stored = await _eventually(handler_status, lambda s: s == "sent", 10, "status", strict=False)
    assert stored in {"sent", "queued"}
    await expect(handler_row.locator("td").nth(2)).to_have_text(stored, timeout=5_000)
    await _screenshot(card, "card-detail.png", docs=False)
    await detail.locator(".back").click()
    await expect(card.locator(".events")).to_be_visible()

    # --- a clip recorded from the camera plays in its event's detail (the demo camera sends
    # H.264, remuxed into the clip as it came; Debian's chromium decodes it)
    # The demo camera's motion events record too, and a request overlapping one is merged
    # into its clip (as documented): motion stops recording here, and a motion clip still
    # open is let end (motion off, then the post-roll), so this clip is the request's own.
    await ha.service("update_event_type", {"camera": ha.camera, "name": "motion", "record": False})

    async def motion_state() -> str:
        state: str = (await ha.rest("GET", f"/api/states/{ha.info['motion']}"))["state"]
        return state

    await _eventually(motion_state, lambda s: s == "off", 40, "motion off")
    await asyncio.sleep(DEFAULT_POSTROLL + 1)
    started = time.monotonic()
    recorded = await ha.service(
        "record", {"camera": ha.camera, "duration": 2, "preroll": 1, "postroll": 1}
    )

    async def recorded_event() -> dict[str, Any]:
        answer = await ha.ws(
            {"type": "cam_events/events", "camera": ha.camera, "event_type": "manual", "limit": 5}
        )
        return next((e for e in answer["objects"] if e["id"] == recorded["id"]), {})

    stored_clip = await _eventually(
        recorded_event, lambda event: bool(event.get("clip_url")), 30, "the recorded clip"
    )
    timings["clip_recorded"] = time.monotonic() - started
    assert stored_clip["clip_url"] == f"/api/cam_events/clips/{recorded['id']}.mp4"
    await card.locator(f'.item[data-id="{recorded["id"]}"]').click()
    video = detail.locator(".clip video")
    await expect(video).to_have_count(1, timeout=10_000)
    src = await video.get_attribute("src") or ""
    assert re.match(
        rf"^{re.escape(ha.base_url)}/api/cam_events/clips/{recorded['id']}\.mp4\?authSig=", src
    ), src
    await video.evaluate("video => video.play()")
    playing = await _eventually(
        lambda: video.evaluate("v => v.currentTime"), lambda t: t > 1.0, 15, "the clip's time"
    )
    clip = await video.evaluate(
        "v => ({error: v.error && v.error.code, width: v.videoWidth, duration: v.duration})"
    )
    assert clip["error"] is None, clip
    assert clip["width"] == 640, clip  # decoded pictures of the demo camera
    assert 2.5 <= clip["duration"] <= 6, clip  # pre-roll + 2 s + post-roll, at key frames
    timings["clip_played_to"] = playing
    stored_files = await asyncio.to_thread(
        lambda: sorted(p.suffix for p in (media_folder(ha.config_dir) / "cam_events").rglob("*.*"))
    )
    assert ".mp4" in stored_files, stored_files  # in the test's own media folder
    assert ".jpg" in stored_files, stored_files  # the local profile's snapshot
    # A handler's result for the event shown comes in: the clip plays on, not from the start.
    await video.evaluate("v => { v.dataset.marker = 'the same player'; }")
    await ha.service(
        "save_snapshot", {"camera": ha.camera, "profile": profile, "event_id": recorded["id"]}
    )
    await expect(detail.locator("table.handlers tr").nth(1)).to_contain_text("save_snapshot")
    await expect(video).to_have_attribute("data-marker", "the same player")
    assert await video.evaluate("v => !v.paused && v.currentTime") > playing
    await video.evaluate("v => { v.pause(); v.currentTime = 1.5; }")  # the same picture each run
    await _eventually(lambda: video.evaluate("v => v.seeking"), lambda s: not s, 5, "seeking")
    await _screenshot(card, "card-clip.png")
    await detail.locator(".back").click()
    await expect(card.locator(".events")).to_be_visible()

    # --- dark theme (the user's theme setting; the frontend applies it live)
    def background() -> Awaitable[str]:
        return card.locator("ha-card").evaluate("el => getComputedStyle(el).backgroundColor")

    light_background = await background()
    assert _background_luminance(light_background) > 0.8, light_background
    await _set_theme(ha, dark=True)
    await _eventually(background, lambda c: _background_luminance(c) < 0.25, 10, "dark background")
    await _images_loaded(card.locator(".thumb img"))
    await _screenshot(card, "card-dark.png")
    await _set_theme(ha, dark=False)
    await _eventually(background, lambda c: _background_luminance(c) > 0.8, 10, "light background")

    # --- phone width: the narrow layout, no horizontal scrolling
    await page.set_viewport_size(PHONE)
    await page.mouse.move(200, 400)
    await page.mouse.wheel(0, -20_000)  # back to the top, where the card begins
    await _eventually(
        lambda: card.locator("h2.title").evaluate("el => el.getBoundingClientRect().top"),
        lambda top: 56 < top < 200,
        5,
        "the card's title below the toolbar",
    )
    await _eventually(
        lambda: card.locator(".thumb").first.evaluate("el => el.getBoundingClientRect().width"),
        lambda w: w == 72,
        5,
        "narrow thumbnail width",
    )
    overflow = await card.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0
    await _images_loaded(card.locator(".live img"))
    await _screenshot(page, "card-narrow.png")
    await page.set_viewport_size(DESKTOP)

    # --- the card picker's stub config and the visual editor
    picker = await page.evaluate(
        """() => {
            const Card = customElements.get("cam-events-card");
            const hass = document.querySelector("home-assistant").hass;
            const stub = Card.getStubConfig(hass);
            const editor = Card.getConfigElement();
            editor.hass = hass;
            editor.setConfig({type: "custom:cam-events-card", ...stub});
            document.body.append(editor);
            const cameras = [...editor.shadowRoot.querySelectorAll('select[name="entity"] option')]
                .map(option => option.value);
            editor.remove();
            const entry = window.customCards.find(c => c.type === "cam-events-card");
            return {stub, cameras, preview: entry && entry.preview};
        }"""
    )
    assert picker == {
        "stub": {"entity": ha.camera, "hours": 24},
        "cameras": [ha.camera],
        "preview": True,
    }

    # --- the zone editor against the integration: a zone drawn and saved is stored as drawn
    await card.locator(".zones-open").click()
    zones = card.locator("dialog.zones")
    await expect(zones.locator(".zsave")).to_be_enabled(timeout=10_000)
    await zones.locator('.zadd[data-kind="zone"]').click()
    await zones.locator(".zname").fill("Path")
    stage = await _stage_box(zones)
    drawn = [(0.1, 0.2), (0.8, 0.2), (0.8, 0.9), (0.1, 0.9)]
    for x, y in drawn:
        await zones.locator(".zstage").click(
            position={"x": x * stage["width"], "y": y * stage["height"]}
        )
    await zones.locator(".zsave").click()
    await expect(zones.locator(".zmsg")).to_have_text(re.compile(r"^Saved 1 area"))
    stored = (await ha.ws({"type": "cam_events/layout", "camera": ha.camera}))["layout"]
    assert [(a["id"], a["name"], a["kind"]) for a in stored] == [("path", "Path", "zone")]
    assert stored[0]["polygon"] == [
        [pytest.approx(x, abs=0.005), pytest.approx(y, abs=0.005)] for x, y in drawn
    ]
    await zones.locator(".zclose").click()
    await expect(zones).to_be_hidden()

    # --- cards set up wrongly say so in words
    await _navigate(page, f"/{DASHBOARD}/errors")
    notices = page.locator("cam-events-card .notice")
    await expect(notices).to_have_count(3, timeout=10_000)
    texts = sorted(await notices.all_text_contents())
    expected = [
        "Entity not found: camera.does_not_exist",
        "No camera chosen",
        "Not a Cam Events camera: sensor.demo_stream_state",
    ]  # the view's columns decide the cards' order
    assert [text[: len(title)] for text, title in zip(texts, expected, strict=True)] == expected

    # --- the camera going away (its entry disabled): the card says so
    await _navigate(page, f"/{DASHBOARD}/camera")
    await expect(card.locator("h2.title")).to_have_text(TITLE)
    entry_id = ha.info["entry_id"]
    await ha.ws({"type": "config_entries/disable", "entry_id": entry_id, "disabled_by": "user"})
    await expect(card.locator(".live")).to_have_text("Camera unavailable", timeout=10_000)
    for button in await card.locator(".triggers button").all():
        await expect(button).to_be_disabled()
        await expect(button).to_have_attribute("title", re.compile(r"^The camera is unavailable"))

    assert not [error for error in errors if "cam-events-card" in error], errors
    await context.close()
    timings["total_in_browser"] = time.monotonic() - clock
    print("live view:", live, "timings (s):", {k: round(v, 2) for k, v in timings.items()})


async def test_card_module_registered(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The card's folder is served, and the frontend loads its module, versioned by hash."""
    from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
    from homeassistant.setup import async_setup_component

    from custom_components.cam_events.card import CARD_FILE, card_url, card_version

    assert await async_setup_component(hass, "http", {})  # a dependency of cam_events
    await async_register_card(hass)  # before the frontend: registered once it is set up
    assert await async_setup_component(hass, "frontend", {})
    await hass.async_block_till_done()
    url = card_url(await hass.async_add_executor_job(card_version))
    assert url.startswith(f"/cam_events/frontend/{CARD_FILE}?v=")
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls

    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert "registry.define(CARD_TYPE, CamEventsCard)" in await response.text()
    assert (await client.get("/cam_events/frontend/missing.js")).status == 404
    # The modules it imports, from the folder of its version (their imports keep it).
    version = url.rsplit("?v=", 1)[1]
    for module in ("card-data.js", "card-editor.js", "card-zones.js"):
        response = await client.get(f"/cam_events/frontend/{version}/{module}")
        assert response.status == 200, module
        assert response.headers["Cache-Control"].startswith("public, max-age=")


FAKE_ORIGIN = "http://card.test"
FAKE_HASS = """({events, unavailable, admin, config, layout}) => {
    const camera = "camera.yard";
    const state = (s) => ({entity_id: camera, state: s,
        attributes: {friendly_name: "Yard", access_token: "t0ken"}});
    const calls = [];
    window.fakeCalls = calls;
    window.fakeLayout = layout;
    window.savedLayouts = [];
    window.fakeHass = {
        states: {[camera]: state(unavailable ? "unavailable" : "idle")},
        entities: {[camera]: {entity_id: camera, platform: "cam_events", device_id: "d1"}},
        locale: {language: "en"},
        user: {is_admin: admin},
        hassUrl: (path) => path,
        fetchWithAuth: (path) => fetch(path),
        callService: async (...args) => {
            calls.push(args);
            if (window.serviceAnswer) return window.serviceAnswer(...args);
        },
        callWS: async (msg) => {
            calls.push(msg);
            if (msg.type === "auth/sign_path") return {path: `${msg.path}?authSig=s1gned`};
            if (msg.type === "cam_events/event_types") return {event_types: [
                {name: "motion", caps: {can_be_triggered: false}},
                {name: "manual", caps: {can_be_triggered: true}}]};
            if (msg.type === "cam_events/layout") {
                if (window.layoutRefusal) throw window.layoutRefusal;
                return {layout: window.fakeLayout, width: 320, height: 180};
            }
            if (msg.type === "cam_events/layout/set") {
                window.savedLayouts.push(msg.layout);
                if (window.saveRefusal) throw window.saveRefusal;
                window.fakeLayout = msg.layout;
                return {layout: msg.layout};
            }
            const objects = msg.event_type === "motion" ? [] : events;
            return {meta: {total_count: objects.length, limit: msg.limit, offset: 0},
                    objects};
        },
        connection: {subscribeMessage: async (callback) => {
            window.pushChange = callback;
            return () => { window.unsubscribed = true; };
        }},
    };
    window.makeAvailable = () => {
        window.fakeHass = {...window.fakeHass, states: {[camera]: state("idle")}};
        document.querySelector("cam-events-card").hass = window.fakeHass;
    };
    const card = document.createElement("cam-events-card");
    card.setConfig({type: "custom:cam-events-card", entity: camera, ...config});
    card.hass = window.fakeHass;
    document.body.append(card);
}"""


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), (30, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def _fake_page(
    browser: Browser,
    *,
    now: datetime | None = None,
    fake_timers: bool = False,
    picture: bytes | None = None,
    **setup: Any,
) -> Page:
    """A page with the card and a stand-in `hass`, served from a made-up origin.

    `now` fixes the page's clock (Date) at that time, in UTC; `fake_timers` also makes its
    timers wait for `page.clock` to move them on; `picture` is the camera's (a JPEG).
    """
    from playwright.async_api import Route

    frontend = REPO / "custom_components/cam_events/frontend"
    module = (frontend / "cam-events-card.js").read_text()
    modules = {p.name: p.read_text() for p in frontend.glob("*.js")}  # what the entry imports
    jpeg = picture or await asyncio.to_thread(_jpeg)

    async def serve(route: Route) -> None:
        path = route.request.url.removeprefix(FAKE_ORIGIN).split("?")[0]
        if path == "/":
            await route.fulfill(content_type="text/html", body="<!doctype html><body></body>")
        elif path == "/card.js":
            await route.fulfill(content_type="text/javascript", body=module)
        elif path[1:] in modules:
            await route.fulfill(content_type="text/javascript", body=modules[path[1:]])
        elif path.startswith("/api/camera_proxy/"):
            await route.fulfill(content_type="image/jpeg", body=jpeg)
        elif path == "/api/cam_events/clips/NOTAVIDEO.mp4":
            await route.fulfill(content_type="video/mp4", body=b"these bytes are no video")
        else:
            await route.fulfill(status=404, body="not found")

    page = await browser.new_page(
        viewport={"width": 500, "height": 1200}, locale="en-US", timezone_id="UTC"
    )
    if fake_timers:
        await page.clock.install(time=now)
    elif now is not None:
        await page.clock.set_fixed_time(now)
    await page.route(f"{FAKE_ORIGIN}/**", serve)
    await page.goto(f"{FAKE_ORIGIN}/")
    await page.add_script_tag(url=f"{FAKE_ORIGIN}/card.js", type="module")
    await page.wait_for_function("customElements.get('cam-events-card') !== undefined")
    await page.evaluate(
        FAKE_HASS,
        {"events": [], "unavailable": False, "admin": True, "config": {}, "layout": [], **setup},
    )
    return page


@pytest.mark.enable_socket
@pytest.mark.timeout(60)
async def test_card_texts_without_home_assistant(browser: Browser) -> None:
    """Empty history, a missing snapshot, an unavailable camera and the fallback live image."""
    from playwright.async_api import expect

    # No history at all; HA's camera element missing: the camera proxy's image instead.
    page = await _fake_page(browser)
    card = page.locator("cam-events-card")
    await expect(card.locator("h2.title")).to_have_text("Yard")
    await expect(card.locator(".list-msg")).to_have_text("No events yet")
    await expect(card.locator(".act-empty")).to_have_text("No motion in the last 24 h")
    await expect(card.locator(".chip.motion")).to_have_text("Motion sensor not found")
    fallback = card.locator(".live img")
    await expect(fallback).to_have_attribute(
        "src", re.compile(r"^/api/camera_proxy/camera\.yard\?token=t0ken&t=\d+$"), timeout=10_000
    )
    await _images_loaded(fallback)

    # A new event with a snapshot that is gone: placeholder text, not a broken image.
    event = {
        "id": "01M8J4HBKPF5ZMN2RWXVARHY3X",
        "camera": "camera.yard",
        "type": "manual",
        "start": "2026-11-28T22:31:12.000Z",
        "end": None,
        "duration": None,
        "metadata": {},
        "snapshot": "/api/cam_events/snapshots/01M8J4HBKPF5ZMN2RWXVARHY3X.jpg",
        "clip": None,
        "handlers": [],
    }
    await page.evaluate("event => window.pushChange({action: 'created', event})", event)
    await expect(card.locator(".item .type")).to_have_text(["manual"])
    await expect(card.locator(".item .ph")).to_have_text("Snapshot missing")
    await card.locator(".item").click()
    await expect(card.locator(".detail .snapbox")).to_have_text("Snapshot missing")
    await expect(card.locator(".detail")).to_contain_text("No metadata")

    # The trigger button calls the service with the camera and the type.
    await card.locator(".detail .back").click()
    await card.locator('.triggers button[data-type="manual"]').click()
    calls = await page.evaluate("window.fakeCalls.filter(c => Array.isArray(c))")
    assert calls == [["cam_events", "trigger_event", {"camera": "camera.yard", "type": "manual"}]]
    await page.evaluate("document.querySelector('cam-events-card').remove()")
    assert await page.evaluate("window.unsubscribed") is True
    await page.close()

    # A camera that is unavailable when the card starts: its history is still shown.
    page = await _fake_page(browser, events=[event], unavailable=True)
    card = page.locator("cam-events-card")
    await expect(card.locator(".live")).to_have_text("Camera unavailable")
    await expect(card.locator(".item")).to_have_count(1)
    await page.evaluate("window.makeAvailable()")
    await expect(card.locator(".live img")).to_have_count(1, timeout=10_000)
    await page.close()


@pytest.mark.enable_socket
@pytest.mark.timeout(60)
async def test_card_offers_no_trigger_to_a_non_admin(browser: Browser) -> None:
    """A non-admin user (the trigger and layout services refuse them) sees no trigger buttons
    and no zone editor."""
    from playwright.async_api import expect

    page = await _fake_page(browser, admin=False)
    card = page.locator("cam-events-card")
    await expect(card.locator(".list-msg")).to_have_text("No events yet")
    await expect(card.locator(".triggers")).to_be_hidden()
    await expect(card.locator(".zones-open")).to_be_hidden()  # nor the zone editor
    await page.close()
    page = await _fake_page(browser)
    await expect(page.locator("cam-events-card .triggers button")).to_have_text(["manual"])
    await expect(page.locator("cam-events-card .zones-open")).to_be_visible()
    await page.close()


@pytest.mark.enable_socket
@pytest.mark.timeout(60)
async def test_card_says_why_an_action_fails(browser: Browser) -> None:
    """Trigger buttons wait for the camera; a refused, lost or unanswered action says so."""
    from playwright.async_api import expect

    page = await _fake_page(browser, unavailable=True, fake_timers=True, now=datetime.now(UTC))
    card = page.locator("cam-events-card")
    button = card.locator('.triggers button[data-type="manual"]')
    await expect(card.locator(".live")).to_have_text("Camera unavailable")
    await expect(button).to_be_disabled()
    await expect(button).to_have_attribute("title", re.compile(r"^The camera is unavailable"))
    await page.evaluate("window.makeAvailable()")
    await expect(button).to_be_enabled()
    await expect(button).to_have_attribute("title", "Trigger a manual event")

    status = card.locator(".status")
    refusal = {"code": "service_validation_error", "message": "The camera is not running."}
    await page.evaluate("r => { window.serviceAnswer = () => Promise.reject(r); }", refusal)
    await button.click()
    await expect(status).to_have_text("Could not trigger manual: The camera is not running.")
    await expect(status).to_have_class(re.compile(r"\berror\b"))
    await expect(button).to_be_enabled()

    # The websocket library rejects with a bare number when the connection drops.
    await page.evaluate("() => { window.serviceAnswer = () => Promise.reject(3); }")
    await button.click()
    await expect(status).to_have_text(
        "Could not trigger manual: the connection to Home Assistant was lost"
    )

    # While reconnecting, messages are queued and never answered: the card gives up.
    await page.evaluate("() => { window.serviceAnswer = () => new Promise(() => {}); }")
    await button.click()
    await expect(button).to_be_disabled()
    await page.clock.run_for(16_000)
    await expect(status).to_have_text(
        "Could not trigger manual: no answer from Home Assistant (is the connection lost?)"
    )
    await expect(button).to_be_enabled()
    await page.close()


@pytest.mark.enable_socket
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("hours", "now", "axis", "days", "lefts"),
    [
        # An hour over midnight: times of yesterday carry the date; the new day is marked.
        (1, "2026-11-28T00:30:00", ["Nov 27, 11:30 PM", "12:00 AM", "now"], ["Nov 28"], [50.0]),
        # Two days: both midnights marked where they fall.
        (
            48,
            "2026-11-28T12:00:00",
            ["11/26/2026", "Nov 27, 12:00 PM", "now"],
            ["Nov 27", "Nov 28"],
            [25.0, 75.0],
        ),
        # Within one day: no marks, plain times.
        (1, "2026-11-28T12:30:00", ["11:30 AM", "12:00 PM", "now"], [], []),
    ],
)
async def test_activity_axis_labels_the_day_change(
    browser: Browser, hours: int, now: str, axis: list[str], days: list[str], lefts: list[float]
) -> None:
    from playwright.async_api import expect

    when = datetime.fromisoformat(now).replace(tzinfo=UTC)
    page = await _fake_page(browser, now=when, config={"hours": hours})
    card = page.locator("cam-events-card")
    await expect(card.locator(".axis span")).to_have_text(axis)
    await expect(card.locator(".days span")).to_have_text(days)
    marks = await card.locator(".strip .midnight").evaluate_all(
        "els => els.map(el => parseFloat(el.style.left))"
    )
    assert marks == pytest.approx(lefts, abs=0.01)
    await page.close()


@pytest.mark.enable_socket
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("clip_id", "message"),
    [
        ("GONE", "Clip unavailable: HTTP 404"),
        ("NOTAVIDEO", re.compile(r"^This browser cannot play the clip")),
    ],
)
async def test_clip_that_cannot_play_says_why(
    browser: Browser, clip_id: str, message: str | re.Pattern[str]
) -> None:
    """A clip that is gone, or that the browser cannot decode: a message, not a black box."""
    from playwright.async_api import expect

    event = {
        "id": clip_id,
        "camera": "camera.yard",
        "type": "manual",
        "start": "2026-11-28T22:31:12.000Z",
        "end": "2026-11-28T22:31:16.000Z",
        "duration": 4.0,
        "metadata": {},
        "snapshot": None,
        "clip": "Yard/20261128/223112_manual.mp4",
        "clip_url": f"/api/cam_events/clips/{clip_id}.mp4",
        "handlers": [],
    }
    page = await _fake_page(browser, events=[event])
    card = page.locator("cam-events-card")
    await card.locator(".item").click()
    video = card.locator(".detail .clip video")
    await expect(video).to_have_attribute(
        "src", f"/api/cam_events/clips/{clip_id}.mp4?authSig=s1gned"
    )
    await expect(card.locator(".detail .clip .msg.error")).to_have_text(message, timeout=10_000)
    await page.close()


def _scene_jpeg() -> bytes:
    """A yard as a camera sees it: sky, a street at the top, a house, a lawn, a driveway."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 360), (96, 140, 70))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 640, 40), fill=(150, 185, 225))
    draw.rectangle((0, 40, 640, 72), fill=(90, 90, 96))
    draw.line((0, 56, 640, 56), fill=(230, 230, 230), width=2)
    draw.rectangle((420, 110, 600, 250), fill=(170, 120, 90))
    draw.polygon([(410, 112), (510, 80), (610, 112)], fill=(120, 60, 50))
    draw.rectangle((490, 190, 525, 250), fill=(80, 50, 35))
    draw.polygon([(130, 360), (330, 360), (300, 150), (220, 150)], fill=(150, 150, 150))
    draw.ellipse((40, 90, 140, 190), fill=(50, 100, 45))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


STREET_MASK = {
    "id": "street",
    "name": "Street",
    "kind": "mask",
    "polygon": [[0.0, 0.1], [1.0, 0.1], [1.0, 0.2], [0.0, 0.2]],
    "enabled": True,
}


async def _open_zone_editor(page: Page) -> Locator:
    from playwright.async_api import expect

    card = page.locator("cam-events-card")
    await card.locator(".zones-open").click()
    dialog = card.locator("dialog.zones")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator(".zsave")).to_be_enabled()
    return dialog


async def _stage_box(dialog: Locator) -> dict[str, float]:
    box = await dialog.locator(".zstage").bounding_box()
    assert box is not None
    return box


@pytest.mark.enable_socket
@pytest.mark.timeout(60)
async def test_zone_drawn_on_the_picture_is_saved(browser: Browser) -> None:
    """An administrator draws a zone by clicks on the picture, names it, saves it, then drags
    one of its points: each save sends the polygon where it was drawn, 0..1 of the picture."""
    from playwright.async_api import expect

    scene = await asyncio.to_thread(_scene_jpeg)
    page = await _fake_page(browser, layout=[STREET_MASK], picture=scene)
    await page.set_viewport_size({"width": 1000, "height": 900})
    dialog = await _open_zone_editor(page)
    # The mask already stored is shown, hatched, with its name.
    await expect(dialog.locator("svg polygon.mask")).to_have_count(1)
    await expect(dialog.locator(".zlabel.mask")).to_have_text("Street")
    await _images_loaded(dialog.locator("img.zpic"))

    await dialog.locator('.zadd[data-kind="zone"]').click()
    await dialog.locator(".zname").fill("Driveway")
    box = await _stage_box(dialog)
    clicks = [(0.33, 0.42), (0.48, 0.42), (0.54, 0.97), (0.19, 0.97)]
    for x, y in clicks:
        await dialog.locator(".zstage").click(
            position={"x": x * box["width"], "y": y * box["height"]}
        )
    await expect(dialog.locator(".handle")).to_have_count(4)
    await dialog.locator(".zfinish").click()
    await expect(dialog.locator("svg polygon.zone")).to_have_count(1)
    await expect(dialog.locator(".zlabel.zone")).to_have_text("Driveway")
    await page.mouse.move(0, 0)
    await _screenshot(dialog, "card-zones.png")
    await dialog.locator(".zsave").click()
    await expect(dialog.locator(".zmsg")).to_have_text(re.compile(r"^Saved 2 areas"))

    saved = await page.evaluate("window.savedLayouts")
    assert len(saved) == 1
    mask, zone = saved[0]
    assert mask == STREET_MASK  # untouched, as it came
    assert {k: v for k, v in zone.items() if k != "polygon"} == {
        "id": "driveway",
        "name": "Driveway",
        "kind": "zone",
        "enabled": True,
    }
    assert zone["polygon"] == [
        [pytest.approx(x, abs=0.005), pytest.approx(y, abs=0.005)] for x, y in clicks
    ]

    # Drag the zone's second point elsewhere; save: the new place is sent, the rest kept.
    await dialog.locator(".zlist button", has_text="Driveway").click()
    handle = dialog.locator('.handle[data-point="1"]')
    box = await _stage_box(dialog)
    start = await handle.bounding_box()
    assert start is not None
    await page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    await page.mouse.down()
    target = (0.9, 0.3)
    await page.mouse.move(
        box["x"] + target[0] * box["width"], box["y"] + target[1] * box["height"], steps=5
    )
    await page.mouse.up()
    await expect(dialog.locator(".handle")).to_have_count(4)  # a drag places no new point
    await dialog.locator(".zsave").click()
    await expect(dialog.locator(".zmsg")).to_have_text(re.compile(r"^Saved 2 areas"))
    saved = await page.evaluate("window.savedLayouts")
    assert len(saved) == 2
    moved = saved[1][1]
    assert moved["id"] == "driveway"
    assert moved["polygon"][1] == [pytest.approx(v, abs=0.005) for v in target]
    assert moved["polygon"][0] == zone["polygon"][0]
    assert moved["polygon"][2:] == zone["polygon"][2:]

    # A double click removes a point; a closed polygon keeps at least 3.
    await dialog.locator('.handle[data-point="3"]').dblclick()
    await expect(dialog.locator(".handle")).to_have_count(3)
    await dialog.locator('.handle[data-point="0"]').dblclick()
    await expect(dialog.locator(".zmsg")).to_have_text(
        "Driveway needs at least 3 points: delete it instead."
    )
    await expect(dialog.locator(".handle")).to_have_count(3)

    # Made a mask, then deleted: each save sends what the user sees.
    await dialog.locator(".zkind").select_option("mask")
    await expect(dialog.locator("svg polygon.mask")).to_have_count(2)
    await dialog.locator(".zlist button", has_text="Street").click()
    await dialog.locator(".zdelete").click()
    await dialog.locator(".zsave").click()
    await expect(dialog.locator(".zmsg")).to_have_text(re.compile(r"^Saved 1 area:"))
    saved = await page.evaluate("window.savedLayouts")
    assert [(a["id"], a["kind"]) for a in saved[2]] == [("driveway", "mask")]
    await page.close()


@pytest.mark.enable_socket
@pytest.mark.timeout(60)
async def test_zone_editor_says_why_a_save_fails(browser: Browser) -> None:
    """A save Home Assistant refuses shows its message; so does an area with too few points,
    a close with unsaved changes, and a layout that cannot be read."""
    from playwright.async_api import expect

    page = await _fake_page(browser)
    refusal = {
        "code": "home_assistant_error",
        "message": "The polygon of Door crosses itself (edges 1 and 3).",
    }
    await page.evaluate("r => { window.saveRefusal = r; }", refusal)
    dialog = await _open_zone_editor(page)
    await expect(dialog.locator(".zhint")).to_have_text(re.compile(r"^No masks or zones yet"))
    message = dialog.locator(".zmsg")

    await dialog.locator('.zadd[data-kind="zone"]').click()
    await dialog.locator(".zname").fill("Door")
    box = await _stage_box(dialog)
    for x, y in [(0.1, 0.1), (0.5, 0.1)]:
        await dialog.locator(".zstage").click(
            position={"x": x * box["width"], "y": y * box["height"]}
        )
    await dialog.locator(".zsave").click()
    await expect(message).to_have_text("Not saved: Door needs at least 3 points.")
    await expect(message).to_have_class(re.compile(r"\berror\b"))
    assert await page.evaluate("window.savedLayouts") == []  # nothing sent

    for x, y in [(0.5, 0.5), (0.1, 0.5)]:
        await dialog.locator(".zstage").click(
            position={"x": x * box["width"], "y": y * box["height"]}
        )
    await dialog.locator(".zsave").click()
    await expect(message).to_have_text(
        "Could not save: The polygon of Door crosses itself (edges 1 and 3)."
    )
    await expect(message).to_have_class(re.compile(r"\berror\b"))
    assert len(await page.evaluate("window.savedLayouts")) == 1
    await expect(dialog.locator(".zlist button")).to_have_text(["Door"])  # kept to fix
    # Closing with unsaved changes warns first; closing again discards them.
    await dialog.locator(".zclose").click()
    await expect(message).to_have_text(
        "Unsaved changes: save them, or close again to discard them."
    )
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    # The integration has no layout command (or refuses it): said, and nothing can be saved.
    await page.evaluate(
        "() => { window.layoutRefusal = {code: 'unknown_command', message: 'Unknown command.'}; }"
    )
    await page.locator("cam-events-card .zones-open").click()
    await expect(message).to_have_text("Could not load the zones and masks: Unknown command.")
    await expect(dialog.locator(".zsave")).to_be_disabled()
    await page.close()


async def _add_camera(ha: HomeAssistantInstance, name: str, url: str) -> str:
    """Add a camera through the config flow (as a user does); return its entry id."""
    flow = await ha.rest("POST", "/api/config/config_entries/flow", {"handler": "cam_events"})
    path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    await ha.rest("POST", path, {"next_step_id": "camera"})
    result = await ha.rest("POST", path, {"name": name, "url": url})
    assert result["type"] == "create_entry", result
    entry_id: str = result["result"]["entry_id"]
    return entry_id


async def _click_polygon(dialog: Locator, points: list[tuple[float, float]]) -> None:
    """Place the points of a new area by clicks on the picture, then close the polygon."""
    box = await _stage_box(dialog)
    for x, y in points:
        await dialog.locator(".zstage").click(
            position={"x": x * box["width"], "y": y * box["height"]}
        )
    await dialog.locator(".zfinish").click()


@pytest.mark.enable_socket
@pytest.mark.timeout(240)
async def test_zone_editor_on_a_live_camera(
    home_assistant: HomeAssistantInstance, browser: Browser, rtsp_server: RtspServer
) -> None:
    """On a camera streaming the RTSP peer's moving box: a zone drawn across the box's path
    gets its sensor, which turns on when the box moves through it, while a zone drawn above
    the path stays off; one of its points dragged down into the path and saved, it turns on
    too, without a reload of the page or the camera."""
    from playwright.async_api import expect

    ha = home_assistant
    await _add_camera(ha, "Yard", rtsp_server.url)
    camera = "camera.yard"
    path_sensor = "binary_sensor.yard_path_motion"
    sky_sensor = "binary_sensor.yard_sky_motion"
    dashboard = "cam-events-zones"
    await ha.ws(
        {
            "type": "lovelace/dashboards/create",
            "url_path": dashboard,
            "title": "Zones",
            "mode": "storage",
        }
    )
    config = {"views": [{"path": "yard", "cards": [_card_config(entity=camera, title="Yard")]}]}
    await ha.ws({"type": "lovelace/config/save", "url_path": dashboard, "config": config})

    async def state(entity_id: str) -> dict[str, Any]:
        async with ha.session.get(
            f"{ha.base_url}/api/states/{entity_id}",
            headers={"Authorization": f"Bearer {ha.token}"},
        ) as response:
            if response.status == 404:
                return {"state": None}
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    stream = await _eventually(
        lambda: state("sensor.yard_stream_state"),
        lambda s: s["state"] == "streaming",
        20,
        "the RTSP camera streaming",
    )

    context = await browser.new_context(
        viewport={"width": 1000, "height": 1200}, locale="en-US", timezone_id="UTC"
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"{err}\n{err.stack}"))
    await _log_in(page, f"{ha.base_url}/{dashboard}/yard")
    card = page.locator("cam-events-card").first
    await expect(card.locator("h2.title")).to_have_text("Yard", timeout=30_000)
    await page.evaluate("() => { window.notReloaded = true; }")
    dialog = await _open_zone_editor(page)
    await _images_loaded(dialog.locator("img.zpic"))

    # The box sweeps the middle band (y 0.375..0.625) of the whole width.
    await dialog.locator('.zadd[data-kind="zone"]').click()
    await dialog.locator(".zname").fill("Path")
    await _click_polygon(dialog, [(0.05, 0.3), (0.45, 0.3), (0.45, 0.7), (0.05, 0.7)])
    await dialog.locator('.zadd[data-kind="zone"]').click()
    await dialog.locator(".zname").fill("Sky")
    sky = [(0.05, 0.05), (0.95, 0.05), (0.5, 0.2)]
    await _click_polygon(dialog, sky)
    await expect(dialog.locator("svg polygon.zone")).to_have_count(2)
    await dialog.locator(".zsave").click()
    await expect(dialog.locator(".zmsg")).to_have_text(re.compile(r"^Saved 2 areas"))
    await page.mouse.move(0, 0)
    await _screenshot(dialog, "card-zones-live.png")

    # Their sensors appear (off: nothing moves yet).
    for sensor, name in ((path_sensor, "Yard Path motion"), (sky_sensor, "Yard Sky motion")):
        shown = await _eventually(
            lambda sensor=sensor: state(sensor), lambda s: s["state"] == "off", 10, sensor
        )
        assert shown["attributes"]["friendly_name"] == name

    started = rtsp_server.set_motion(True)
    await _eventually(lambda: state(path_sensor), lambda s: s["state"] == "on", 5, path_sensor)
    seen = time.time()
    assert seen - started < 2.0, f"the zone saw the box {seen - started:.2f} s after it moved"
    # A full sweep of the box (about 2.5 s) passes below the sky zone.
    while time.time() - seen < 3.0:
        assert (await state(sky_sensor))["state"] == "off"
        await asyncio.sleep(0.2)

    # Drag the sky zone's lowest point down through the box's path; save.
    await dialog.locator(".zlist button", has_text="Sky").click()
    handle = dialog.locator('.handle[data-point="2"]')
    box = await _stage_box(dialog)
    start = await handle.bounding_box()
    assert start is not None
    await page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    await page.mouse.down()
    target = (0.5, 0.95)
    await page.mouse.move(
        box["x"] + target[0] * box["width"], box["y"] + target[1] * box["height"], steps=5
    )
    await page.mouse.up()
    await dialog.locator(".zsave").click()
    await expect(dialog.locator(".zmsg")).to_have_text(re.compile(r"^Saved 2 areas"))
    stored = (await ha.ws({"type": "cam_events/layout", "camera": camera}))["layout"]
    assert [a["name"] for a in stored] == ["Path", "Sky"]
    assert stored[1]["polygon"][:2] == [
        [pytest.approx(x, abs=0.005), pytest.approx(y, abs=0.005)] for x, y in sky[:2]
    ]
    assert stored[1]["polygon"][2] == [pytest.approx(v, abs=0.005) for v in target]
    await _eventually(lambda: state(sky_sensor), lambda s: s["state"] == "on", 5, sky_sensor)

    # Neither the page nor the camera was reloaded: the stream state never changed.
    assert await page.evaluate("window.notReloaded") is True
    assert (await state("sensor.yard_stream_state"))["last_changed"] == stream["last_changed"]
    rtsp_server.set_motion(False)
    assert not [error for error in errors if "cam-events-card" in error], errors
    await context.close()
