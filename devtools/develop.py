"""Home Assistant for trying cam_events in a browser: config dir, onboarding, a demo camera.

`scripts/develop` uses this in two steps around a running Home Assistant:

    python -m devtools.develop prepare config --port 8123
    python -m devtools.develop onboard http://127.0.0.1:8123 config/demo.mp4

`prepare` writes what HA needs before it starts (configuration.yaml, a link to the
integration, a looping demo clip). `onboard` waits for HA to answer, creates the user
dev / dev through the onboarding API, finishes onboarding (country, time zone and units
included, so that Repairs starts empty), adds the demo camera through the config-flow API if
no cam_events entry exists yet, and makes the dashboard "Cam Events" with the card the
default one. Both are idempotent, and both are importable (`prepare_config`,
`onboard_and_add_demo`) so a browser test can reuse them.

`scripts/develop --check` runs

    python -m devtools.develop check

which does all of it in a temporary config dir on a free port, starts Home Assistant, checks
what a newcomer would see (the UI's page and the card's script served, the login, the service
descriptions the frontend waits for, the dashboard, the motion sensor turning on and off, no
Repairs item), prints it, stops Home Assistant and exits 0, or 1 with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Mapping
import contextlib
import json
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any
import zoneinfo

import aiohttp

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "custom_components" / "cam_events"
DOMAIN = "cam_events"

NAME = "Dev"
USERNAME = "dev"
PASSWORD = "dev"
LANGUAGE = "en"

DEMO_NAME = "Demo"
DEMO_OPTIONS = {"off_delay": 5}
CLIP_ARGS = ("--width", "1280", "--height", "720", "--fps", "15", "--seconds", "40")

# The dashboard a newcomer lands on: made through Home Assistant's lovelace API, and set as
# the default panel (only where no default was chosen yet).
DASHBOARD = "cam-events"
DASHBOARD_TITLE = "Cam Events"
CARD_TYPE = "custom:cam-events-card"
# Where card.py serves the card's module (it adds `?v=<hash>` to the frontend's page).
CARD_SCRIPT = re.compile(r"/cam_events/frontend/cam-events-card\.js\?v=[0-9a-f]+")

# Home Assistant 2026.10 sets up every base entity platform at start, assist_satellite among
# them (bootstrap's default integrations), so no configuration.yaml keeps Assist out; and the
# service descriptions the frontend waits for before it leaves "Loading..." import
# assist_satellite, hence assist_pipeline and its voice packages. requirements_test.txt
# installs those packages' 2.x wheels (abi3: nothing to compile); the 1.x versions its
# manifest pins are source archives only, so Home Assistant must not try to install them.
SKIP_PIP_PACKAGES = "pymicro-vad,pyspeex-noise"

# Countries that use US customary units in Home Assistant's onboarding.
US_CUSTOMARY_COUNTRIES = frozenset({"US", "LR", "MM"})

# default_config is left out on purpose: on this kind of machine several of its parts fail
# (go2rtc has no binary, dhcp has no libpcap) or want hardware (bluetooth, usb). Home Assistant
# always loads the frontend, person, automation, backup, the base entity platforms (Assist's
# satellite among them: see SKIP_PIP_PACKAGES) and the other core parts; this adds what makes
# the UI useful.
# There is no `http:` block: Home Assistant 2026.10 imports one into .storage/http only as a
# trial that it reverts (restarting on port 8123) unless confirmed in the UI within 5 minutes.
# The port comes from SETUP_PORT on the first start instead, and `prepare` keeps the stored
# port equal to PORT on later starts.
CONFIGURATION_YAML = """\
# Written by scripts/develop (devtools/develop.py); kept as it is on later runs.
# Delete the config/ folder to start over (user, entries, history and all).
# The port is not set here: scripts/develop takes it from $PORT (default 8123).

# The UI and its settings panels (Home Assistant sets these up anyway; listed for clarity).
frontend:
config:
# The motion sensor's timeline: history graphs and the logbook.
history:
logbook:
recorder:
  purge_keep_days: 3

logger:
  default: warning
  logs:
    custom_components.cam_events: info
"""

# Seconds to wait for Home Assistant: first start can install the frontend package.
ANSWER_TIMEOUT = 900.0
RUNNING_TIMEOUT = 600.0
ENTITIES_TIMEOUT = 120.0
# `check`: the whole run, and stopping Home Assistant at its end.
CHECK_TIMEOUT = 300.0
STOP_TIMEOUT = 30.0
LOG_TAIL_LINES = 60


class DevelopError(Exception):
    """A step of preparing or onboarding the development instance failed."""


# --- before Home Assistant starts -------------------------------------------------------


async def prepare_config(config_dir: Path, *, port: int | None = None) -> None:
    """Write configuration.yaml (once), link the integration, and make the demo clip (once).

    Home Assistant takes its port from the SETUP_PORT environment variable on its first
    start with a config dir, and from .storage/http after that: given `port`, this makes
    the stored port `port` too, so that a later start with another port works.
    """
    config_dir = config_dir.resolve()
    config_dir.mkdir(parents=True, exist_ok=True)
    configuration = config_dir / "configuration.yaml"
    if not configuration.exists():
        # A file source must lie in an allowed folder, as any file Home Assistant reads:
        # the demo clip lives in the config folder.
        allowlist = (
            "\n# The demo clip is a file source: its folder must be allowed.\n"
            f"homeassistant:\n  allowlist_external_dirs:\n    - {json.dumps(str(config_dir))}\n"
        )
        configuration.write_text(CONFIGURATION_YAML + allowlist)
    _link_integration(config_dir)
    if port is not None:
        _set_stored_port(config_dir, port)
    clip = config_dir / "demo.mp4"
    if not clip.exists():
        await _make_clip(clip)


def _link_integration(config_dir: Path) -> None:
    link = config_dir / "custom_components" / DOMAIN
    link.parent.mkdir(exist_ok=True)
    target = Path(os.path.relpath(PACKAGE, link.parent))
    if link.is_symlink():
        if link.resolve() == PACKAGE:
            return
        link.unlink()
    elif link.exists():
        raise DevelopError(f"{link} exists and is not a link to {PACKAGE}: move it away")
    link.symlink_to(target, target_is_directory=True)


def _set_stored_port(config_dir: Path, port: int) -> None:
    """Put `port` into the stored HTTP config (stable and pending), if there is one."""
    path = config_dir / ".storage" / "http"
    if not path.exists():
        return
    try:
        stored = json.loads(path.read_text())
        slots = [stored["data"]["stable"], stored["data"].get("pending")]
    except (ValueError, KeyError, TypeError) as err:
        print(f"Cannot read {path} ({err!r}): Home Assistant picks the port", flush=True)
        return
    changed = False
    for slot in slots:
        if isinstance(slot, dict) and slot.get("server_port") != port:
            slot["server_port"] = port
            changed = True
    if changed:
        partial = path.with_name(f"{path.name}.partial")
        partial.write_text(json.dumps(stored, indent=2))
        partial.chmod(path.stat().st_mode & 0o777)  # Home Assistant keeps it private
        partial.replace(path)


async def _make_clip(clip: Path) -> None:
    print(f"Writing the demo clip {clip} (1280x720, 15 fps, 40 s) ...", flush=True)
    partial = clip.with_name(f".{clip.stem}.partial{clip.suffix}")
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "devtools.clips", str(partial), *CLIP_ARGS, cwd=REPO
    )
    if await process.wait() != 0:
        partial.unlink(missing_ok=True)
        raise DevelopError(f"devtools.clips failed with exit code {process.returncode}")
    partial.replace(clip)
    print(f"Demo clip written in {time.monotonic() - started:.1f} s", flush=True)


def hass_command(config_dir: Path) -> list[str]:
    """Return the command that starts Home Assistant with `config_dir`, as scripts/develop does."""
    hass_bin = Path(sys.executable).with_name("hass")
    command = [str(hass_bin)] if hass_bin.exists() else [sys.executable, "-m", "homeassistant"]
    return [*command, "-c", str(config_dir), "--skip-pip-packages", SKIP_PIP_PACKAGES]


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def home_settings() -> dict[str, str]:
    """Return the country, time zone and unit system onboarding sets.

    They come from this machine (the country of its locale, its time zone), else US and UTC.
    Without a country Home Assistant raises a Repairs issue on every start.
    """
    country = "US"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if match := re.match(r"[a-z]{2,3}_([A-Z]{2})\b", os.environ.get(name, "")):
            country = match.group(1)
            break
    time_zone = "UTC"
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(os.readlink("/etc/localtime").partition("zoneinfo/")[2])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    for candidate in candidates:
        if candidate and "/" in candidate:
            try:
                zoneinfo.ZoneInfo(candidate)
            except (ValueError, zoneinfo.ZoneInfoNotFoundError):
                continue
            time_zone = candidate
            break
    units = "us_customary" if country in US_CUSTOMARY_COUNTRIES else "metric"
    return {"country": country, "time_zone": time_zone, "unit_system": units}


def port_in_use(port: int) -> bool:
    """Return whether something on this machine already accepts connections on `port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- against a running Home Assistant ---------------------------------------------------


class _Client:
    """The few REST and WebSocket calls onboarding and the demo entry need."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base = base_url.rstrip("/")
        self.client_id = f"{self.base}/"
        self.redirect_uri = f"{self.base}/?auth_callback=1"
        self.tokens: dict[str, Any] = {}

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def request(
        self,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        auth: bool = True,
        ok: tuple[int, ...] = (200,),
    ) -> Any:
        """Send JSON, return the JSON answer; raise DevelopError on an unexpected status."""
        headers = self._headers if auth else {}
        async with self.session.request(
            method, f"{self.base}{path}", json=payload, headers=headers
        ) as response:
            text = await response.text()
            if response.status not in ok:
                raise DevelopError(f"{method} {path}: HTTP {response.status}: {text[:500]}")
            return json.loads(text) if text else None

    async def wait_until_answering(self, timeout: float) -> list[dict[str, Any]] | None:
        """Wait for the HTTP server; return the onboarding steps, or None if onboarded."""
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            try:
                async with self.session.get(f"{self.base}/api/onboarding") as response:
                    if response.status == 200:
                        steps: list[dict[str, Any]] = await response.json()
                        return steps
                    if response.status == 404:  # the onboarding views exist until it is done
                        return None
                    last_error = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as err:
                last_error = str(err) or type(err).__name__
            await asyncio.sleep(1)
        raise DevelopError(f"{self.base} did not answer within {timeout:.0f} s ({last_error})")

    async def get_tokens(self, code: str) -> None:
        """Trade an authorization code for an access and a refresh token."""
        data = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        async with self.session.post(f"{self.base}/auth/token", data=data) as response:
            if response.status != 200:
                raise DevelopError(f"/auth/token: HTTP {response.status}: {await response.text()}")
            self.tokens = await response.json()

    async def log_in(self, username: str, password: str) -> None:
        """Log in through the login flow, as the frontend does, and get tokens."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.redirect_uri,
            },
            auth=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise DevelopError(
                f"Logging in as {username!r} failed ({result.get('errors')}); this config dir "
                "has another owner: delete config/ to start over"
            )
        await self.get_tokens(result["result"])

    async def wait_until_running(self, timeout: float) -> str:
        """Wait until Home Assistant has finished starting; return its state."""
        deadline = time.monotonic() + timeout
        state = "unknown"
        while time.monotonic() < deadline:
            state = (await self.request("GET", "/api/config")).get("state", "unknown")
            if state == "RUNNING":
                break
            await asyncio.sleep(1)
        return state

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        """Open an authenticated WebSocket connection."""
        async with self.session.ws_connect(f"{self.base}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.tokens["access_token"]})
            if (answer := await ws.receive_json())["type"] != "auth_ok":
                raise DevelopError(f"WebSocket authentication failed: {answer}")
            yield ws

    async def websocket(self, message: dict[str, Any]) -> Any:
        """Send one WebSocket command and return its result."""
        async with self.connect() as ws:
            await ws.send_json({"id": 1, **message})
            answer = await ws.receive_json()
            if not answer.get("success"):
                raise DevelopError(f"WebSocket {message['type']} failed: {answer.get('error')}")
            return answer["result"]


async def _onboard(client: _Client, steps: list[dict[str, Any]] | None) -> None:
    """Create the user if needed, log in, and finish the onboarding steps not done yet."""
    done = {step["step"] for step in steps or [] if step["done"]}
    if steps is not None and "user" not in done:
        print(f"Onboarding: creating the user {USERNAME!r}", flush=True)
        answer = await client.request(
            "POST",
            "/api/onboarding/users",
            {
                "name": NAME,
                "username": USERNAME,
                "password": PASSWORD,
                "client_id": client.client_id,
                "language": LANGUAGE,
            },
            auth=False,
        )
        await client.get_tokens(answer["auth_code"])
    else:
        await client.log_in(USERNAME, PASSWORD)
    if steps is None:
        return
    if "core_config" not in done:
        # What the frontend's onboarding sets before it finishes this step.
        settings = home_settings()
        await client.websocket({"type": "config/core/update", **settings})
        print(
            "Onboarding: country {country}, time zone {time_zone}, {unit_system} units".format(
                **settings
            ),
            flush=True,
        )
    remaining = [step for step in ("core_config", "analytics") if step not in done]
    for step in remaining:
        await client.request("POST", f"/api/onboarding/{step}", {})
    if "integration" not in done:
        remaining.append("integration")
        await client.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": client.client_id, "redirect_uri": client.redirect_uri},
        )
    if remaining:
        print(f"Onboarding: finished {', '.join(remaining)}", flush=True)


async def _entries(client: _Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = await client.request(
        "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
    )
    return entries


async def _add_demo(client: _Client, clip: Path) -> str:
    """Add the demo camera through the config flow, set its options; return the entry id."""
    print(f"Adding the demo camera {DEMO_NAME!r} playing {clip}", flush=True)
    flow = await client.request("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    # The first step is a menu: a camera, or a destination for event handlers.
    await client.request(
        "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", {"next_step_id": "camera"}
    )
    result = await client.request(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"name": DEMO_NAME, "url": str(clip)},
    )
    if result.get("type") != "create_entry":
        raise DevelopError(f"Adding the demo camera failed: {result}")
    entry_id: str = result["result"]["entry_id"]
    await _set_options(client, entry_id, DEMO_OPTIONS)
    return entry_id


async def _set_options(client: _Client, entry_id: str, options: Mapping[str, Any]) -> None:
    """Run the options flow, keeping the form's defaults for everything not in `options`."""
    form = await client.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    if form.get("type") == "menu":  # a camera: detection settings, or masks and zones
        form = await client.request(
            "POST",
            f"/api/config/config_entries/options/flow/{form['flow_id']}",
            {"next_step_id": "detection"},
        )
    values = {
        field["name"]: field["default"] for field in form["data_schema"] if "default" in field
    }
    values.update(options)
    result = await client.request(
        "POST", f"/api/config/config_entries/options/flow/{form['flow_id']}", values
    )
    if result.get("type") != "create_entry":
        raise DevelopError(f"Setting the demo camera's options failed: {result}")


def dashboard_config(camera: str) -> dict[str, Any]:
    """Return the dashboard a newcomer sees first: the Cam Events card of `camera`."""
    return {
        "title": DASHBOARD_TITLE,
        "views": [
            {
                "title": DEMO_NAME,
                "path": "demo",
                "type": "sections",
                "max_columns": 2,
                "sections": [{"type": "grid", "cards": [{"type": CARD_TYPE, "entity": camera}]}],
            }
        ],
    }


async def _ensure_dashboard(client: _Client, camera: str) -> bool:
    """Make the Cam Events dashboard if it is missing, and the default if none is set.

    Return whether the dashboard was made now.
    """
    made = False
    dashboards = await client.websocket({"type": "lovelace/dashboards/list"})
    if not any(board.get("url_path") == DASHBOARD for board in dashboards):
        print(f"Adding the dashboard {DASHBOARD_TITLE!r} (/{DASHBOARD})", flush=True)
        await client.websocket(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD,
                "title": DASHBOARD_TITLE,
                "icon": "mdi:cctv",
                "mode": "storage",
                "show_in_sidebar": True,
                "require_admin": False,
            }
        )
        await client.websocket(
            {
                "type": "lovelace/config/save",
                "url_path": DASHBOARD,
                "config": dashboard_config(camera),
            }
        )
        made = True
    core = (await client.websocket({"type": "frontend/get_system_data", "key": "core"}))["value"]
    if not (core or {}).get("default_panel"):
        await client.websocket(
            {
                "type": "frontend/set_system_data",
                "key": "core",
                "value": {**(core or {}), "default_panel": DASHBOARD},
            }
        )
    return made


async def _entity_ids(
    client: _Client, entry_id: str, timeout: float
) -> tuple[list[str], list[str]]:
    """Wait for the entry's camera and motion sensor; return its enabled, disabled entity ids."""
    deadline = time.monotonic() + timeout
    while True:
        registry = await client.websocket({"type": "config/entity_registry/list"})
        mine = [e for e in registry if e.get("config_entry_id") == entry_id]
        enabled = sorted(e["entity_id"] for e in mine if not e.get("disabled_by"))
        disabled = sorted(e["entity_id"] for e in mine if e.get("disabled_by"))
        domains = {entity_id.split(".", 1)[0] for entity_id in enabled}
        if {"camera", "binary_sensor"} <= domains or time.monotonic() > deadline:
            return enabled, disabled
        await asyncio.sleep(1)


async def onboard_and_add_demo(base_url: str, clip: Path) -> dict[str, Any]:
    """Onboard a running Home Assistant (user dev / dev) and add the demo camera once.

    Waits for `base_url` to answer. Returns the base URL, the user, fresh tokens
    (`token` is the access token, valid for 30 minutes), the cam_events entry used (the one
    titled Demo, else the first) and its entity ids, enabled and disabled (`camera` and
    `motion` name the two a test needs most).
    """
    clip = clip.resolve()
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = _Client(session, base_url)
        steps = await client.wait_until_answering(ANSWER_TIMEOUT)
        await _onboard(client, steps)
        state = await client.wait_until_running(RUNNING_TIMEOUT)
        if state != "RUNNING":
            print(f"Home Assistant is still {state}; adding the demo camera anyway", flush=True)
        entries = await _entries(client)
        created = not entries
        if created:
            entry_id = await _add_demo(client, clip)
        else:
            chosen = next((e for e in entries if e["title"] == DEMO_NAME), entries[0])
            entry_id = chosen["entry_id"]
        entity_ids, disabled = await _entity_ids(client, entry_id, ENTITIES_TIMEOUT)
        entry = next(e for e in await _entries(client) if e["entry_id"] == entry_id)
        camera = next((e for e in entity_ids if e.startswith("camera.")), None)
        dashboard_made = False
        if camera is not None:
            dashboard_made = await _ensure_dashboard(client, camera)
    return {
        "base_url": client.base,
        "username": USERNAME,
        "password": PASSWORD,
        "token": client.tokens["access_token"],
        "refresh_token": client.tokens.get("refresh_token"),
        "entry_id": entry_id,
        "entry_title": entry["title"],
        "entry_state": entry["state"],
        "entry_created": created,
        "entity_ids": entity_ids,
        "disabled_entity_ids": disabled,
        "camera": camera,
        "dashboard": f"/{DASHBOARD}",
        "dashboard_created": dashboard_made,
        "motion": next(
            (e for e in entity_ids if e.startswith("binary_sensor.") and e.endswith("_motion")),
            None,
        ),
    }


def _banner(result: Mapping[str, Any], display_url: str, clip: Path, seconds: float) -> str:
    lines = [
        f"Home Assistant with cam_events is ready: {display_url}  (after {seconds:.0f} s)",
        f"  user name: {result['username']}",
        f"  password:  {result['password']}",
        f"  dashboard: {display_url.rstrip('/')}{result['dashboard']}",
        f"  camera entry: {result['entry_title']!r} ({result['entry_state']})",
        "  entity ids:",
        *(f"    {entity_id}" for entity_id in result["entity_ids"]),
    ]
    if result["disabled_entity_ids"]:
        lines.append("  disabled (enable them under the device):")
        lines.extend(f"    {entity_id}" for entity_id in result["disabled_entity_ids"])
    if result["entry_title"] == DEMO_NAME:
        lines += [
            f"  It plays {clip} in a loop: 40 s, still for 20 s, then an object",
            "  moves for 16 s; the motion sensor turns on once a loop, off 5 s after it stops.",
        ]
    lines += [
        "  Stop Home Assistant with Ctrl-C.",
    ]
    rule = "=" * max(len(line) for line in lines)
    return "\n".join(["", rule, *lines, rule, ""])


# --- check: a start from nothing, and what a newcomer sees ------------------------------


class _Check:
    """The report of `check`: what passed (with what was seen), what failed, and when."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.lines: list[str] = []
        self.passed = 0
        self.failed = 0
        self.waiting = "the config dir"  # what a timeout interrupted

    def at(self) -> str:
        return f"{time.monotonic() - self.started:5.1f} s"

    def ok(self, what: str) -> None:
        self.passed += 1
        self.lines.append(f"  ok    {self.at()}  {what}")
        print(self.lines[-1], flush=True)

    def fail(self, what: str) -> None:
        self.failed += 1
        self.lines.append(f"  FAIL  {self.at()}  {what}")
        print(self.lines[-1], flush=True)


async def _until_exit[T](process: asyncio.subprocess.Process, step: Awaitable[T]) -> T:
    """Await `step`; raise DevelopError if Home Assistant exits first."""
    task = asyncio.ensure_future(step)
    exited = asyncio.ensure_future(process.wait())
    try:
        await asyncio.wait([task, exited], return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            raise DevelopError(f"Home Assistant exited with code {process.returncode}")
        return task.result()
    finally:
        for future in (task, exited):
            future.cancel()
        await asyncio.gather(task, exited, return_exceptions=True)


async def _page_and_card(client: _Client, report: _Check) -> None:
    """Check that the UI's page answers, loads the card's module, and that it is served."""
    async with client.session.get(f"{client.base}/") as response:
        page = await response.text()
        if response.status != 200 or "<home-assistant>" not in page:
            raise DevelopError(f"GET / answered HTTP {response.status}: {page[:200]!r}")
    if (match := CARD_SCRIPT.search(page)) is None:
        raise DevelopError("the frontend's page does not load the card's module")
    report.ok(f"GET / is the frontend's page ({len(page)} bytes), loading {match.group(0)}")
    async with client.session.get(f"{client.base}{match.group(0)}") as response:
        script = await response.text()
        kind = response.content_type
    if response.status != 200 or "javascript" not in kind or CARD_TYPE[7:] not in script:
        raise DevelopError(f"the card's module: HTTP {response.status}, {kind}")
    report.ok(f"card module served: HTTP 200, {kind}, {len(script)} bytes")


async def _login_and_services(client: _Client, report: _Check) -> None:
    """Check the login flow, and the service descriptions the frontend waits for."""
    fresh = _Client(client.session, client.base)
    await fresh.log_in(USERNAME, PASSWORD)
    report.ok(f"login flow: {USERNAME} / {PASSWORD} gets tokens")
    services = await fresh.websocket({"type": "get_services"})
    if DOMAIN not in services:
        raise DevelopError(f"get_services has no {DOMAIN} services")
    report.ok(
        f"get_services (the UI waits for it): {len(services)} domains, "
        f"{len(services[DOMAIN])} of {DOMAIN}"
    )


async def _dashboard_shown(client: _Client, camera: str, report: _Check) -> None:
    """Check that the default panel is the dashboard with the demo camera's card."""
    config = await client.websocket({"type": "lovelace/config", "url_path": DASHBOARD})
    cards = [
        card
        for view in config.get("views", [])
        for section in view.get("sections", [])
        for card in section.get("cards", [])
    ]
    if not any(card.get("type") == CARD_TYPE and card.get("entity") == camera for card in cards):
        raise DevelopError(f"/{DASHBOARD} has no {CARD_TYPE} of {camera}: {cards}")
    core = (await client.websocket({"type": "frontend/get_system_data", "key": "core"}))["value"]
    if (core or {}).get("default_panel") != DASHBOARD:
        raise DevelopError(f"the default panel is {core!r}, not {DASHBOARD}")
    report.ok(f"dashboard /{DASHBOARD} (the default panel) shows {CARD_TYPE} of {camera}")


async def _motion_cycle(client: _Client, entity_id: str, report: _Check) -> None:
    """Wait until `entity_id` has turned on and then off, as the demo clip makes it."""
    seen: list[str] = []
    on_at: str | None = None
    async with client.connect() as ws:
        await ws.send_json({"id": 1, "type": "subscribe_entities", "entity_ids": [entity_id]})
        while True:
            message = await ws.receive_json()
            if message.get("type") == "result":
                if not message.get("success"):
                    raise DevelopError(f"subscribe_entities failed: {message.get('error')}")
                continue
            event = message.get("event", {})
            if entity_id in event.get("a", {}):
                state = event["a"][entity_id].get("s")
            else:
                state = event.get("c", {}).get(entity_id, {}).get("+", {}).get("s")
            if state is None:
                continue
            seen.append(state)
            if state == "on" and on_at is None:
                on_at = report.at()
                report.waiting = f"{entity_id} to turn off (it turned on at {on_at.strip()})"
                print(f"        {on_at}  {entity_id} turned on", flush=True)
            elif state == "off" and on_at is not None:
                report.ok(
                    f"{entity_id} turned on at {on_at.strip()} and off at {report.at().strip()}"
                    f" (states seen: {' > '.join(seen)})"
                )
                return


async def _no_repairs(client: _Client, report: _Check) -> None:
    issues = (await client.websocket({"type": "repairs/list_issues"}))["issues"]
    if issues:
        names = ", ".join(f"{issue['domain']}.{issue['issue_id']}" for issue in issues)
        raise DevelopError(f"Repairs lists {len(issues)} issue(s): {names}")
    report.ok("Repairs lists no issue")


async def _check_running(base_url: str, clip: Path, report: _Check) -> None:
    report.waiting = "Home Assistant to answer, onboarding and the demo camera"
    result = await onboard_and_add_demo(base_url, clip)
    if result["entry_state"] != "loaded" or not result["camera"] or not result["motion"]:
        raise DevelopError(f"the demo camera is not set up: {result}")
    report.ok(
        f"onboarded ({USERNAME} / {PASSWORD}), demo camera {result['entry_title']!r} loaded:"
        f" {', '.join(result['entity_ids'])}"
    )
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = _Client(session, base_url)
        client.tokens = {"access_token": result["token"]}
        # The demo clip's object moves from 20 s to 36 s of each loop: watch from now on.
        motion = asyncio.ensure_future(_motion_cycle(client, result["motion"], report))
        try:
            report.waiting = "the frontend's page, the login and the dashboard"
            await _page_and_card(client, report)
            await _login_and_services(client, report)
            await _dashboard_shown(client, result["camera"], report)
            report.waiting = f"{result['motion']} to turn on and off"
            await motion
        finally:
            motion.cancel()
            await asyncio.gather(motion, return_exceptions=True)
        report.waiting = "the list of Repairs"
        await _no_repairs(client, report)


async def _stop(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
    return process.returncode if process.returncode is not None else -1


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- {path} (last {len(text)} lines)\n" + "\n".join(text)


async def run_check(timeout: float = CHECK_TIMEOUT) -> int:
    """Start from nothing in a temporary config dir; check what a newcomer sees; stop.

    Return 0 when every check passed, 1 otherwise (the reason is printed).
    """
    report = _Check()
    config_dir = Path(tempfile.mkdtemp(prefix="cam-events-check-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    output_path = config_dir / "hass-output.log"
    print(f"develop --check: {config_dir}, port {port}, at most {timeout:.0f} s", flush=True)
    process: asyncio.subprocess.Process | None = None
    try:
        async with asyncio.timeout(timeout):
            await prepare_config(config_dir, port=port)
            report.ok(f"config dir written: configuration.yaml, {DOMAIN} linked, demo.mp4")
            with output_path.open("wb") as output:
                process = await asyncio.create_subprocess_exec(
                    *hass_command(config_dir),
                    env={**os.environ, "SETUP_PORT": str(port)},
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            await _until_exit(process, _check_running(base_url, config_dir / "demo.mp4", report))
    except TimeoutError:
        report.fail(f"not done within {timeout:.0f} s: waiting for {report.waiting}")
    except (DevelopError, aiohttp.ClientError, OSError) as err:
        report.fail(str(err) or type(err).__name__)
    finally:
        if process is not None:
            code = await _stop(process)
            # Terminated by us: 0 (stopped) or -15 (the signal came before its handler).
            if code in (0, -15):
                report.ok(f"Home Assistant stopped (exit code {code})")
            else:
                report.fail(f"Home Assistant stopped with exit code {code}")
    if report.failed:
        print(_log_tail(output_path), flush=True)
        print(f"develop --check failed; config dir kept: {config_dir}", flush=True)
    else:
        shutil.rmtree(config_dir, ignore_errors=True)
        print(f"develop --check passed in {report.at().strip()}", flush=True)
    # The plain closing line CI reads: one line per check above.
    print(f"check: {report.passed} passed, {report.failed} failed", flush=True)
    return 1 if report.failed else 0


# --- command line ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run `prepare` or `onboard` (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="write the config dir before HA starts")
    prepare.add_argument("config_dir", type=Path)
    prepare.add_argument(
        "--port", type=int, help="the port HA will use: fail if it is taken, store it in config"
    )
    onboard = commands.add_parser("onboard", help="onboard a running HA, add the demo camera")
    onboard.add_argument("base_url")
    onboard.add_argument("clip", type=Path)
    onboard.add_argument("--display-url", help="URL to print for people (default: base_url)")
    onboard.add_argument("--write", type=Path, help="also write the result here as JSON")
    check = commands.add_parser("check", help="start from nothing in a temporary dir, check")
    check.add_argument("--timeout", type=float, default=CHECK_TIMEOUT, help="seconds in all")
    args = parser.parse_args(argv)
    started = time.monotonic()

    if args.command == "check":
        return asyncio.run(run_check(args.timeout))
    try:
        if args.command == "prepare":
            if args.port is not None and port_in_use(args.port):
                raise DevelopError(
                    f"Port {args.port} is already in use: stop what runs there or set PORT"
                )
            asyncio.run(prepare_config(args.config_dir, port=args.port))
            return 0
        result = asyncio.run(onboard_and_add_demo(args.base_url, args.clip))
    except DevelopError as err:
        print(f"develop: {err}", file=sys.stderr, flush=True)
        return 1
    if args.write:
        args.write.write_text(json.dumps(result, indent=2) + "\n")
    url = args.display_url or result["base_url"]
    print(_banner(result, url, args.clip.resolve(), time.monotonic() - started), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
