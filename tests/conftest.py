"""Fixtures: real peers on 127.0.0.1 and generated clips."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
import random
import shutil
from typing import Any
from unittest.mock import PropertyMock, patch

import av
from homeassistant.components import camera as camera_component
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

import custom_components.cam_events  # noqa: F401 - the test plugin ships its own package
from custom_components.cam_events.video import stream_worker
from custom_components.cam_events.video.jpeg import encode_jpeg
from devtools.clips import background, make_clip
from tests.common import PEER_PASSWORD, PEER_USER, setup_camera
from tests.peers.ftp import FtpServer
from tests.peers.mjpeg import MjpegServer
from tests.peers.rtsp import RtspServer
from tests.peers.smtp import SmtpServer
from tests.peers.vsftpd import Vsftpd, vsftpd_servers


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


@pytest.fixture
async def camera(
    hass: HomeAssistant, still_clip_path: Path, socket_enabled: None
) -> AsyncIterator[MockConfigEntry]:
    """A camera "Porch" playing the still clip; unloaded afterwards unless a test stopped it."""
    entry = await setup_camera(hass, str(still_clip_path))
    yield entry
    if entry.state is ConfigEntryState.LOADED and hass.state is CoreState.running:
        await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    """A real, small JPEG snapshot."""
    frame = av.VideoFrame.from_ndarray(background(64, 48), format="rgb24")
    data = encode_jpeg(frame)
    assert data[:2] == b"\xff\xd8"
    return data


@pytest.fixture
def smtp_server(socket_enabled: None) -> Iterator[Callable[..., SmtpServer]]:
    """Start SMTP servers on demand; stop every one (and join its thread) afterwards."""
    servers: list[SmtpServer] = []

    def start(**options: Any) -> SmtpServer:
        server = SmtpServer(**options)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp(smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A STARTTLS server that wants `PEER_USER` / `PEER_PASSWORD` (the `smtp_data` login)."""
    return smtp_server(security="starttls", auth=(PEER_USER, PEER_PASSWORD))


@pytest.fixture
def ftp_server(socket_enabled: None, tmp_path: Path) -> Iterator[Callable[..., FtpServer]]:
    """Start FTP servers on demand (login `PEER_USER` / `PEER_PASSWORD` unless told); stop all."""
    servers: list[FtpServer] = []

    def start(*, user: str = PEER_USER, password: str = PEER_PASSWORD, **options: Any) -> FtpServer:
        server = FtpServer(
            tmp_path / f"home{len(servers)}", user=user, password=password, **options
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def vsftpd(socket_enabled: None, tmp_path: Path) -> Iterator[Callable[..., Vsftpd]]:
    """Start Debian's vsftpd (packaged configuration plus explicit FTPS); stop it by PID."""
    with vsftpd_servers(tmp_path) as start:
        yield start


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format (volatile ids and times shown as ANY) in snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Register every entity enabled, also those a user has to switch on (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def steady_entities(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep entity states still for a snapshot: no stats tick, camera tokens from a fixed seed."""
    monkeypatch.setattr(stream_worker, "STATS_INTERVAL", 3600.0)
    monkeypatch.setattr(camera_component, "_RND", random.Random(14))
