"""Config flow: each error path recovers to an entry; duplicates, reauth, reconfigure, options."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import socket
import threading

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.cam_events.const import (
    CONF_DETECT_FPS,
    CONF_DETECT_URL,
    CONF_MIN_AREA,
    CONF_MOTION_DETECTION,
    CONF_OFF_DELAY,
    CONF_PREROLL,
    CONF_RETENTION_DAYS,
    CONF_RTSP_TRANSPORT,
    CONF_THRESHOLD,
    DOMAIN,
)
from tests.common import setup_camera
from tests.peers.net import free_port
from tests.peers.rtsp import RtspServer


@pytest.fixture
def silent_server(socket_enabled: None) -> Iterator[str]:
    """A TCP server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    yield f"rtsp://127.0.0.1:{listener.getsockname()[1]}/stream"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["camera", "smtp", "ftp", "http", "udp", "local"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "camera"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "camera"
    return str(result["flow_id"])


@pytest.mark.enable_socket
async def test_user_flow_rtsp_with_credentials_in_url(
    hass: HomeAssistant, rtsp_auth_server: RtspServer
) -> None:
    """Credentials typed into the URL are moved out of it; the entry is created after a frame."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_NAME: "Porch",
            CONF_URL: rtsp_auth_server.url_with_credentials("admin", "secret1"),
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Porch"
    assert result["data"] == {
        CONF_URL: rtsp_auth_server.url,
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "secret1",
        CONF_RTSP_TRANSPORT: "auto",
    }
    assert result["result"].unique_id == rtsp_auth_server.url
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.porch_motion") is not None
    await hass.config_entries.async_unload(result["result"].entry_id)


@pytest.mark.enable_socket
@pytest.mark.parametrize(
    ("case", "error_key", "error"),
    [
        ("bad_scheme", "url", "invalid_url"),
        ("relative_path", "url", "invalid_url"),
        ("missing_file", "base", "invalid_url"),
        ("closed_port", "base", "cannot_connect"),
        ("wrong_password", "base", "invalid_auth"),
        ("silent", "base", "timeout"),
        ("bad_detect_url", "url", "invalid_url"),
    ],
)
async def test_user_flow_errors_then_recover(
    hass: HomeAssistant,
    rtsp_auth_server: RtspServer,
    silent_server: str,
    tmp_path: Path,
    case: str,
    error_key: str,
    error: str,
) -> None:
    """Each failure is a translated form error, nothing is saved, and a good input then works."""
    bad: dict[str, str] = {
        "bad_scheme": {CONF_URL: "ftp://127.0.0.1/stream"},
        "relative_path": {CONF_URL: "videos/porch.mp4"},
        "missing_file": {CONF_URL: str(tmp_path / "missing.mp4")},
        "closed_port": {CONF_URL: f"rtsp://127.0.0.1:{free_port()}/stream"},
        "wrong_password": {
            CONF_URL: rtsp_auth_server.url,
            CONF_USERNAME: "admin",
            CONF_PASSWORD: "nope",
        },
        "silent": {CONF_URL: silent_server},
        "bad_detect_url": {CONF_URL: rtsp_auth_server.url, CONF_DETECT_URL: "gopher://x"},
    }[case]
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_NAME: "Porch", **bad})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {error_key: error}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_NAME: "Porch",
            CONF_URL: rtsp_auth_server.url,
            CONF_USERNAME: "admin",
            CONF_PASSWORD: "secret1",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


@pytest.mark.enable_socket
async def test_duplicate_stream_aborts(hass: HomeAssistant, clip_path: Path) -> None:
    """The same stream URL cannot be added twice."""
    entry = await setup_camera(hass, str(clip_path))
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Again", CONF_URL: str(clip_path)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_detect_stream_is_tested_and_stored(
    hass: HomeAssistant, clip_path: Path, still_clip_path: Path, tmp_path: Path
) -> None:
    """A detection substream is decoded in the flow too; a broken one is an error."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_NAME: "Yard", CONF_URL: str(clip_path), CONF_DETECT_URL: str(tmp_path / "no.mp4")},
    )
    assert result["errors"] == {"base": "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_NAME: "Yard", CONF_URL: str(clip_path), CONF_DETECT_URL: str(still_clip_path)},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DETECT_URL] == str(still_clip_path)
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.runtime_data.stream.worker.source.url == str(still_clip_path)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_reauth_flow(hass: HomeAssistant, rtsp_auth_server: RtspServer) -> None:
    """Reauth rejects a wrong password with a form error and stores the right one."""
    entry = await setup_camera(
        hass, rtsp_auth_server.url, data={CONF_USERNAME: "admin", CONF_PASSWORD: "old"}
    )
    flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "still-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "secret1"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "secret1"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_reconfigure_flow(
    hass: HomeAssistant, clip_path: Path, still_clip_path: Path, tmp_path: Path
) -> None:
    """Reconfigure tests the new URL, refuses another camera's URL, then switches streams."""
    entry = await setup_camera(hass, str(clip_path))
    other = await setup_camera(hass, str(still_clip_path), title="Other")
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: str(tmp_path / "gone.mp4")}
    )
    assert result["errors"] == {"base": "invalid_url"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: "nope"})
    assert result["errors"] == {CONF_URL: "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: str(still_clip_path)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.config_entries.async_unload(other.entry_id)
    await hass.config_entries.async_remove(other.entry_id)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: str(still_clip_path)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_URL] == str(still_clip_path)
    assert entry.unique_id == str(still_clip_path)
    assert entry.runtime_data.stream.worker.source.url == str(still_clip_path)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_options_flow_applies_live(hass: HomeAssistant, clip_path: Path) -> None:
    """Detection options are stored and reach the running detector without a restart."""
    entry = await setup_camera(hass, str(clip_path))
    worker = entry.runtime_data.stream.worker
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    assert result["menu_options"] == ["detection", "areas"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "detection"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_MOTION_DETECTION: False,
            CONF_THRESHOLD: 40,
            CONF_MIN_AREA: 1.5,
            CONF_DETECT_FPS: 5,
            CONF_OFF_DELAY: 20,
            CONF_RETENTION_DAYS: 7,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.stream.worker is worker  # the stream kept running
    assert worker.settings.detect is False
    assert worker.settings.detector.threshold == 40
    assert worker.settings.detector.min_area == 1.5
    assert worker.settings.detect_fps == 5
    assert entry.runtime_data.stream.off_delay == 20
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_recording_options_restart_the_stream(hass: HomeAssistant, clip_path: Path) -> None:
    """A new pre-roll needs a new recorder: the camera restarts with it; the off delay does not."""
    entry = await setup_camera(hass, str(clip_path))
    worker = entry.runtime_data.stream.worker
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "detection"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PREROLL: 2.5, CONF_OFF_DELAY: 3}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.stream.worker is not worker
    assert entry.runtime_data.stream.recorder.preroll == 2.5
    assert entry.runtime_data.stream.off_delay == 3
    await hass.config_entries.async_unload(entry.entry_id)
