"""Diagnostics carry what support needs and no credential."""

from __future__ import annotations

import json
import socket

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from tests.common import add_profile, setup_camera, smtp_data, wait_for
from tests.peers.rtsp import RtspServer
from tests.peers.smtp import SmtpServer

CAMERA_VOLATILE = props("url", "decode_fps", "detect_fps", "ring_bytes", "ring_seconds")
"""The server's port (in the URL), measured rates and how much the ring holds right now."""
PROFILE_VOLATILE = props("port")


@pytest.mark.enable_socket
async def test_diagnostics_redact_credentials(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    rtsp_auth_server: RtspServer,
    snapshot: SnapshotAssertion,
) -> None:
    """User name and password never appear; state, stats and settings do."""
    entry = await setup_camera(
        hass,
        rtsp_auth_server.url,
        data={CONF_USERNAME: "admin", CONF_PASSWORD: "secret1"},
    )
    await wait_for(lambda: entry.runtime_data.stream.stats is not None, 10)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert "secret1" not in text
    assert "admin" not in text
    assert diagnostics["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["url"] == rtsp_auth_server.url
    assert diagnostics["stream"]["state"] == "streaming"
    assert diagnostics["stream"]["transport"] == "tcp"  # automatic: TCP first, and it worked
    assert diagnostics["stream"]["stats"]["width"] == 640
    assert diagnostics["stream"]["stats"]["decode_fps"] > 5
    assert diagnostics["motion"]["detection_enabled"] is True
    assert diagnostics["recording"]["enabled"] is True
    assert diagnostics["recording"]["ring_bytes"] > 0
    assert diagnostics == snapshot(exclude=CAMERA_VOLATILE)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_profile_diagnostics_redact_everything_personal(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    smtp: SmtpServer,
    snapshot: SnapshotAssertion,
) -> None:
    """An e-mail profile's diagnostics carry its health, never its login or addresses."""
    entry = await add_profile(hass, "smtp", smtp_data(smtp))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    for secret in ("s3cret-pw", "owner@example.com", "camera@example.com", '"cam"'):
        assert secret not in text
    assert diagnostics["entry"]["data"]["host"] == "127.0.0.1"
    assert diagnostics["profile"]["kind"] == "smtp"
    assert diagnostics["profile"]["queue_length"] == 0
    assert diagnostics["profile"]["time_filter"] == "every day"
    assert diagnostics["entry"]["data"]["port"] == smtp.port
    assert diagnostics == snapshot(exclude=PROFILE_VOLATILE)


@pytest.mark.enable_socket
async def test_diagnostics_of_a_camera_that_failed_to_start(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """They answered 500 (no runtime data); now they say why, with the URL's query redacted."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"rtsp://127.0.0.1:{port}/live?user=admin&pwd=hunter2&channel=1"
    entry = await setup_camera(hass, url)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert "hunter2" not in text
    assert "admin" not in text
    assert diagnostics["entry"]["data"]["url"] == (
        f"rtsp://127.0.0.1:{port}/live?user=***&pwd=***&channel=1"
    )
    assert diagnostics["setup"]["state"] == "setup_retry"
    await hass.config_entries.async_unload(entry.entry_id)
