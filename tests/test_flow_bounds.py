"""Config flow input that used to answer "Unknown error" gets a translated form error instead."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.cam_events.const import DOMAIN
from tests.common import form_values, setup_camera
from tests.peers.smtp import SmtpServer
from tests.video.test_frame_cap import write_jpeg


async def _form(hass: HomeAssistant, step: str) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    return str(result["flow_id"])


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({CONF_URL: "rtsp://admin:pa[ss@127.0.0.1:8554/stream"}, {CONF_URL: "invalid_url"}),
        ({CONF_URL: "rtsp://admin:pw@127.0.0.1:99999/stream"}, {CONF_URL: "invalid_url"}),
        ({CONF_URL: "rtsp://admin:pw@127.0.0.1:port/stream"}, {CONF_URL: "invalid_url"}),
        ({CONF_URL: "rtsp://admin:pw@/stream"}, {CONF_URL: "invalid_url"}),
        ({CONF_URL: "http://[::1/stream"}, {CONF_URL: "invalid_url"}),
        ({CONF_URL: "/tmp/porch\x00.mp4"}, {CONF_URL: "invalid_url"}),
        ({CONF_URL: "rtsp://127.0.0.1/a\x00b"}, {CONF_URL: "invalid_url"}),
        (
            {CONF_URL: "rtsp://127.0.0.1/s", "detect_url": "rtsp://u:p@[::1/sub"},
            {CONF_URL: "invalid_url"},
        ),
    ],
)
async def test_camera_urls_that_crashed_the_form(
    hass: HomeAssistant, data: dict[str, Any], errors: dict[str, str]
) -> None:
    flow_id = await _form(hass, "camera")
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_NAME: "Porch", **data})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_file_source_outside_the_allowlist_is_refused(
    hass: HomeAssistant, still_clip_path: Path, tmp_path: Path
) -> None:
    """A file source must be under allowlist_external_dirs, as for any HA file access."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    flow_id = await _form(hass, "camera")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Porch", CONF_URL: "/etc/passwd"}
    )
    assert result["errors"] == {CONF_URL: "file_not_allowed"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Porch", CONF_URL: str(still_clip_path)}
    )
    assert result["errors"] == {CONF_URL: "file_not_allowed"}
    copy = tmp_path / "porch.mp4"
    copy.write_bytes(still_clip_path.read_bytes())
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Porch", CONF_URL: f"file://{copy}"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_fifo_or_folder_source_is_refused_at_once(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A FIFO used to hang the flow for ever (FFmpeg waits for a writer)."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    flow_id = await _form(hass, "camera")
    for url in (str(fifo), str(tmp_path)):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_NAME: "Porch", CONF_URL: url}
        )
        assert result["errors"] == {CONF_URL: "not_a_file"}


SMTP = {
    "name": "Mail",
    "host": "127.0.0.1",
    "port": 2525,
    "security": "none",
    "auth": False,
    "sender": "camera@example.com",
    "recipients": "owner@example.com",
    "timeout": 5,
    "verify_ssl": False,
}
UDP = {"name": "Panel", "mode": "unicast", "address": "127.0.0.1", "port": 9999, "ttl": 1}
HTTP = {"name": "Hook", "host": "127.0.0.1", "port": 8080, "path": "/", "method": "post"}
LOCAL = {"name": "Disk", "folder": "cam_events"}


@pytest.mark.parametrize(
    ("kind", "data", "errors"),
    [
        ("smtp", {**SMTP, "host": ""}, {"host": "invalid_host"}),
        ("smtp", {**SMTP, "host": "   "}, {"host": "invalid_host"}),
        ("http", {**HTTP, "host": ""}, {"host": "invalid_host"}),
        ("udp", {**UDP, "address": ""}, {"address": "invalid_address"}),
        ("udp", {**UDP, "address": " "}, {"address": "invalid_address"}),
        ("smtp", {**SMTP, "port": float("nan")}, {"port": "invalid_number"}),
        ("smtp", {**SMTP, "timeout": float("nan")}, {"timeout": "invalid_number"}),
        ("udp", {**UDP, "ttl": float("nan")}, {"ttl": "invalid_number"}),
        ("http", {**HTTP, "keepalive": float("nan")}, {"keepalive": "invalid_number"}),
        ("local", {**LOCAL, "folder": "cam\x00events"}, {"folder": "unsafe_folder"}),
    ],
)
async def test_profile_input_that_crashed_the_form(
    hass: HomeAssistant, kind: str, data: dict[str, Any], errors: dict[str, str]
) -> None:
    flow_id = await _form(hass, kind)
    result = await hass.config_entries.flow.async_configure(flow_id, data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_camera_options_refuse_nan(hass: HomeAssistant, still_clip_path: Path) -> None:
    entry = await setup_camera(hass, str(still_clip_path))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "detection"}
    )
    defaults = form_values(result)
    for key in ("threshold", "min_area", "detect_fps", "preroll", "retention_days"):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {**defaults, key: float("nan")}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {key: "invalid_number"}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_and_reauth_never_send_the_password_back(
    hass: HomeAssistant, still_clip_path: Path
) -> None:
    """The stored password stays on the server; an empty field keeps it."""
    entry = await setup_camera(
        hass, str(still_clip_path), data={CONF_USERNAME: "admin", CONF_PASSWORD: "hunter2"}
    )
    hass.config.allowlist_external_dirs = {str(still_clip_path.parent)}
    result = await entry.start_reconfigure_flow(hass)
    schema = {str(key.schema): key for key in result["data_schema"].schema}
    assert "hunter2" not in repr(result["data_schema"].schema)
    assert (schema[CONF_PASSWORD].description or {}).get("suggested_value") is None
    assert schema[CONF_USERNAME].description["suggested_value"] == "admin"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: str(still_clip_path), CONF_USERNAME: "admin"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PASSWORD] == "hunter2"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reauth_with_an_empty_password_keeps_the_stored_one(
    hass: HomeAssistant, still_clip_path: Path
) -> None:
    entry = await setup_camera(
        hass, str(still_clip_path), data={CONF_USERNAME: "admin", CONF_PASSWORD: "hunter2"}
    )
    result = await entry.start_reauth_flow(hass)
    assert "hunter2" not in repr(result["data_schema"].schema)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin"}
    )
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "hunter2"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(entry.entry_id)


async def test_profile_reconfigure_never_sends_the_password_back(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """The SMTP profile's form comes back without its password; empty keeps it."""
    server = SmtpServer(security="starttls", auth=("cam", "s3cret-pw"))
    server.start()
    try:
        data = {
            **SMTP,
            "port": server.port,
            "security": "starttls",
            "auth": True,
            "username": "cam",
            "password": "s3cret-pw",
        }
        flow_id = await _form(hass, "smtp")
        result = await hass.config_entries.flow.async_configure(flow_id, data)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        entry = result["result"]
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": "reconfigure", "entry_id": entry.entry_id}
        )
        assert "s3cret-pw" not in repr(result["data_schema"].schema)
        typed = {k: v for k, v in data.items() if k not in ("name", "password")}
        result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
        assert result["reason"] == "reconfigure_successful", result.get("errors")
        assert entry.data["password"] == "s3cret-pw"
        await hass.async_block_till_done()
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        server.stop()


async def test_source_over_8k_is_refused_with_a_clear_error(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A 12000x12000 JPEG took 2.6 GB and 7.5 s a snapshot; now the form and setup say why."""
    huge = await hass.async_add_executor_job(write_jpeg, tmp_path / "huge.jpg", 8000, 4400)
    flow_id = await _form(hass, "camera")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Porch", CONF_URL: str(huge)}
    )
    assert result["errors"] == {"base": "frame_too_large"}
    entry = await setup_camera(hass, str(huge))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "larger than 8K" in str(entry.reason)
    await hass.config_entries.async_unload(entry.entry_id)
