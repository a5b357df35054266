"""Fixtures of the browser test: Home Assistant as a subprocess, and headless Chromium.

Home Assistant is started the way `scripts/develop` starts it (devtools.develop prepares the
config dir, onboards the user dev / dev and adds the demo camera), on a free port with a
temporary config dir. It is not the in-process `hass` fixture of the test plugin, so the
autouse fixture that would create one is replaced here by a no-op.

The browser is Debian's /usr/bin/chromium driven by Playwright (its node driver comes with the
Python wheel; the browser download of `playwright install` is never used). Without chromium or
Playwright the test is skipped on a developer machine, and fails in CI (`CI` set), where
.ci/run and requirements_test.txt install both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
import importlib.util
import json
import os
from pathlib import Path
import subprocess
import time
from typing import IO, TYPE_CHECKING, Any

import aiohttp
import pytest

from devtools.clips import make_clip
from devtools.develop import CONFIGURATION_YAML, hass_command, prepare_config
from tests.peers.net import free_port

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STOP_TIMEOUT = 30.0
LOG_TAIL_LINES = 60


def _missing_browser() -> str | None:
    """Say what the browser test lacks, or None."""
    if importlib.util.find_spec("playwright") is None:
        return (
            "the Python package playwright is not installed (pip install -r requirements_test.txt)"
        )
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium, as .ci/run does)"
    return None


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite's autouse fixture: no in-process `hass` for these tests."""


@pytest.fixture(autouse=True)
def sockets(socket_enabled: None) -> None:
    """Let the test talk to Home Assistant (the test plugin blocks sockets before markers)."""


@pytest.fixture(scope="session")
def browser_available() -> None:
    """Skip (fail in CI) when chromium or Playwright is missing."""
    if (reason := _missing_browser()) is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"Browser test cannot run in CI: {reason}")
    pytest.skip(f"Browser test skipped: {reason}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, for the fixtures' failure diagnostics."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@dataclass
class HomeAssistantInstance:
    """A running Home Assistant: where it is, the API token and the demo camera."""

    base_url: str
    config_dir: Path
    session: aiohttp.ClientSession
    info: dict[str, Any] = field(default_factory=dict)
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _next_id: int = 1

    @property
    def token(self) -> str:
        """Return the access token (valid 30 minutes)."""
        token: str = self.info["token"]
        return token

    @property
    def camera(self) -> str:
        """Return the demo camera's entity id."""
        camera: str = self.info["camera"]
        return camera

    async def ws(self, message: dict[str, Any]) -> Any:
        """Send one WebSocket command on a shared connection and return its result."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.base_url}/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            if (answer := await self._ws.receive_json())["type"] != "auth_ok":
                raise AssertionError(f"WebSocket authentication failed: {answer}")
        msg_id, self._next_id = self._next_id, self._next_id + 1
        await self._ws.send_json({"id": msg_id, **message})
        while True:
            answer = await self._ws.receive_json(timeout=30)
            if answer.get("id") == msg_id and answer.get("type") == "result":
                break
        if not answer.get("success"):
            raise AssertionError(f"WebSocket {message['type']} failed: {answer.get('error')}")
        return answer["result"]

    async def rest(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Send a REST request with the token; return the JSON answer (status 2xx asserted)."""
        async with self.session.request(
            method,
            f"{self.base_url}{path}",
            json=payload,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            body = await response.json()
            assert response.status < 300, body
        return body

    async def service(self, service: str, data: dict[str, Any]) -> dict[str, Any]:
        """Call a cam_events service over REST and return its response."""
        body = await self.rest("POST", f"/api/services/cam_events/{service}?return_response", data)
        result: dict[str, Any] = body["service_response"]
        return result

    async def close(self) -> None:
        """Close the WebSocket connection."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """Return the end of Home Assistant's log (for failure reports)."""
        parts = []
        for name in ("hass-output.log",):  # all of home-assistant.log, and start-up errors
            path = self.config_dir / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} (last {lines} lines)\n" + "\n".join(text))
        return "\n".join(parts)


@pytest.fixture
def hass_config_folder(tmp_path: Path, browser_available: None) -> Path:
    """A config dir with a short demo clip: 30 s, an object moving from 20 s to 24 s.

    Its configuration.yaml is scripts/develop's with the media folder (clips, snapshots, a
    local profile's files) next to it, in the test's temporary folder: Home Assistant's
    default in a container is /media, which a test must not write to.
    """
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    media = media_folder(config_dir)
    media.mkdir()
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION_YAML
        + "\nhomeassistant:\n  allowlist_external_dirs:\n"
        + f"    - {json.dumps(str(config_dir))}\n    - {json.dumps(str(media))}\n"
        + f"  media_dirs:\n    local: {json.dumps(str(media))}\n"
    )
    make_clip(config_dir / "demo.mp4", seconds=30, motion=((20.0, 24.0),))
    return config_dir


def media_folder(config_dir: Path) -> Path:
    """Return the media folder of the Home Assistant using `config_dir`."""
    return config_dir.parent / "media"


@pytest.fixture
def hass_env() -> dict[str, str]:
    """The environment of the Home Assistant subprocess."""
    return dict(os.environ)


@pytest.fixture
def hass_output(hass_config_folder: Path) -> Iterator[IO[bytes]]:
    """Home Assistant's stdout and stderr (all but early start-up errors also go to its log)."""
    with (hass_config_folder / "hass-output.log").open("wb") as output:
        yield output


@pytest.fixture
async def home_assistant(
    request: pytest.FixtureRequest,
    hass_config_folder: Path,
    hass_env: dict[str, str],
    hass_output: IO[bytes],
) -> AsyncIterator[HomeAssistantInstance]:
    """Start Home Assistant like scripts/develop does, onboarded and with the demo camera."""
    from devtools.develop import onboard_and_add_demo

    port = free_port()
    await prepare_config(hass_config_folder, port=port)
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *hass_command(hass_config_folder),
        env={**hass_env, "SETUP_PORT": str(port)},
        stdin=subprocess.DEVNULL,
        stdout=hass_output,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    instance = HomeAssistantInstance(base_url, hass_config_folder, session)
    try:
        onboarding = asyncio.ensure_future(
            onboard_and_add_demo(base_url, hass_config_folder / "demo.mp4")
        )
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait([onboarding, exited], return_when=asyncio.FIRST_COMPLETED)
        if not onboarding.done():
            onboarding.cancel()
            await asyncio.gather(onboarding, return_exceptions=True)
            raise AssertionError(
                f"Home Assistant exited with {process.returncode} while starting\n"
                + instance.log_tail()
            )
        exited.cancel()
        await asyncio.gather(exited, return_exceptions=True)
        instance.info = onboarding.result()
        instance.info["startup_seconds"] = round(time.monotonic() - started, 1)
        assert instance.info["camera"], instance.info
        assert instance.info["motion"], instance.info
        yield instance
    finally:
        await instance.close()
        await session.close()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
        if _failed(request):
            print(instance.log_tail())  # shown with the failure report


@pytest.fixture
async def browser(browser_available: None) -> AsyncIterator[Browser]:
    """Headless Chromium (Debian's), driven by Playwright."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield browser
        finally:
            await browser.close()
