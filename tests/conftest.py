"""Fixtures: real peers on 127.0.0.1 and generated clips."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
import shutil

import pytest

import custom_components.cam_events  # noqa: F401 - the test plugin ships its own package
from custom_components.cam_events.video import stream_worker
from devtools.clips import make_clip
from tests.peers.mjpeg import MjpegServer
from tests.peers.rtsp import RtspServer


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom integrations in every test."""


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give every test its own, empty config folder (event history, snapshots)."""
    shutil.rmtree(Path(hass_tmp_config_dir, "cam_events"), ignore_errors=True)
    shutil.rmtree(Path(hass_tmp_config_dir, "media", "cam_events"), ignore_errors=True)
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
def isolated_media(request: pytest.FixtureRequest) -> None:
    """Keep each test's clips in its own config folder, not the plugin's shared media folder."""
    if "hass" in request.fixturenames:
        hass = request.getfixturevalue("hass")
        hass.config.media_dirs = {"local": str(Path(hass.config.config_dir, "media"))}
        # File sources must be allowed (allowlist_external_dirs); the generated clips are.
        basetemp = request.getfixturevalue("tmp_path_factory").getbasetemp()
        hass.config.allowlist_external_dirs = {*hass.config.allowlist_external_dirs, str(basetemp)}


@pytest.fixture(autouse=True)
def fast_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect quickly so the tests need not wait out a production back-off."""
    monkeypatch.setattr(stream_worker, "BACKOFF_INITIAL", 0.3)
    monkeypatch.setattr(stream_worker, "BACKOFF_MAX", 1.0)
    monkeypatch.setattr(stream_worker, "STATS_INTERVAL", 1.0)


@pytest.fixture(scope="session")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 s 640x360 clip: still, an object moving from 2 s to 4 s, still again."""
    return make_clip(tmp_path_factory.mktemp("clips") / "motion.mp4")


@pytest.fixture(scope="session")
def still_clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s clip with no motion at all."""
    return make_clip(tmp_path_factory.mktemp("clips") / "still.mp4", seconds=3, motion=())


@pytest.fixture
def rtsp_server(socket_enabled: None) -> Iterator[RtspServer]:
    """An RTSP server with a still scene; tests switch motion on and off."""
    server = RtspServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rtsp_auth_server(socket_enabled: None) -> Iterator[RtspServer]:
    """An RTSP server that wants user `admin`, password `secret1`."""
    server = RtspServer(user="admin", password="secret1")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def mjpeg_server(socket_enabled: None) -> AsyncIterator[MjpegServer]:
    """An MJPEG server with a still scene."""
    server = MjpegServer()
    await server.start()
    yield server
    await server.stop()
