"""Home Assistant for trying cam_events in a browser: config dir, onboarding, a demo camera.

`scripts/develop` uses this in two steps around a running Home Assistant:

    python -m devtools.develop prepare config --port 8123
    python -m devtools.develop onboard http://127.0.0.1:8123 config/demo.mp4

`prepare` writes what HA needs before it starts (configuration.yaml, a link to the
integration, a looping demo clip). `onboard` waits for HA to answer, creates the user
dev / dev through the onboarding API, finishes onboarding, and adds the demo camera through
the config-flow API if no cam_events entry exists yet. Both are idempotent, and both are
importable (`prepare_config`, `onboard_and_add_demo`) so a browser test can reuse them.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
import json
import os
from pathlib import Path
import socket
import sys
import time
from typing import Any

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

# default_config is left out on purpose: on this kind of machine several of its parts fail
# (assist_pipeline's packages do not build for Python 3.14, go2rtc has no binary, dhcp has no
# libpcap) or want hardware (bluetooth, usb). Home Assistant always loads the frontend,
# person, automation, backup and the other core parts; this adds what makes the UI useful.
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

    async def websocket(self, message: dict[str, Any]) -> Any:
        """Send one WebSocket command and return its result."""
        url = f"{self.base}/api/websocket"
        async with self.session.ws_connect(url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.tokens["access_token"]})
            if (answer := await ws.receive_json())["type"] != "auth_ok":
                raise DevelopError(f"WebSocket authentication failed: {answer}")
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
    values = {
        field["name"]: field["default"] for field in form["data_schema"] if "default" in field
    }
    values.update(options)
    result = await client.request(
        "POST", f"/api/config/config_entries/options/flow/{form['flow_id']}", values
    )
    if result.get("type") != "create_entry":
        raise DevelopError(f"Setting the demo camera's options failed: {result}")


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
        "camera": next((e for e in entity_ids if e.startswith("camera.")), None),
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
    args = parser.parse_args(argv)
    started = time.monotonic()

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
