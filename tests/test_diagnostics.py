"""Diagnostics carry what support needs and no credential."""

from __future__ import annotations

import json

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.common import setup_camera, wait_for
from tests.peers.rtsp import RtspServer


@pytest.mark.enable_socket
async def test_diagnostics_redact_credentials(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, rtsp_auth_server: RtspServer
) -> None:
    """User name and password never appear; state, stats and settings do."""
    entry = await setup_camera(
        hass,
        rtsp_auth_server.url,
        data={CONF_USERNAME: "admin", CONF_PASSWORD: "secret1"},
    )
    await wait_for(lambda: entry.runtime_data.stats is not None, 10)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert "secret1" not in text
    assert "admin" not in text
    assert diagnostics["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["url"] == rtsp_auth_server.url
    assert diagnostics["stream"]["state"] == "streaming"
    assert diagnostics["stream"]["stats"]["width"] == 640
    assert diagnostics["stream"]["stats"]["decode_fps"] > 5
    assert diagnostics["motion"]["detection_enabled"] is True
    await hass.config_entries.async_unload(entry.entry_id)
