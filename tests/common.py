"""Helpers shared by the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntry
from homeassistant.const import CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import probatio as vol
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cam_events.const import CONF_OFF_DELAY, DOMAIN
from tests.peers.smtp import SmtpServer

PEER_USER, PEER_PASSWORD = "cam", "s3cret-pw"
SNAPSHOT_ENTRY_ID = "01JCAMEVENTSPORCH000000000"
"""A fixed entry id: unique ids and device identifiers are built from it."""


async def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> float:
    """Wait until `predicate()` holds; return the time.time() it was first seen true."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.time()
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def setup_camera(
    hass: HomeAssistant,
    url: str,
    *,
    title: str = "Porch",
    data: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    entry_id: str | None = None,
) -> MockConfigEntry:
    """Add and set up a camera entry the way the config flow stores it.

    `entry_id`: a fixed id, for snapshots that show unique ids built from it.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title=title,
        unique_id=url,
        data={CONF_URL: url, **(data or {})},
        options={CONF_OFF_DELAY: 1, **(options or {})},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def wait_real(hass: HomeAssistant, predicate: Callable[[], bool], seconds: float) -> None:
    """Wait for `predicate` in real time, also under a frozen clock (polls in a thread)."""

    def poll() -> bool:
        for _ in range(int(seconds / 0.02)):
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    assert await hass.async_add_executor_job(poll), f"condition not met within {seconds} s"


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    """Return an entity's state, or None when it does not exist."""
    state = hass.states.get(entity_id)
    return state.state if state else None


async def add_profile(
    hass: HomeAssistant,
    kind: str,
    data: dict[str, Any],
    options: dict[str, Any] | None = None,
    *,
    insecure: bool = False,
) -> ConfigEntry:
    """Add a profile through the config flow (its connection test included).

    `insecure`: the profile sends its password in clear; the flow asks, the test confirms.
    """
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    if insecure:
        assert result["type"] is FlowResultType.FORM, result
        assert result["step_id"] == "insecure_login"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    entry = result["result"]
    if options is not None:
        flow = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(flow["flow_id"], options)
        assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
        await hass.async_block_till_done()
    return entry


def smtp_data(server: SmtpServer, password: str = PEER_PASSWORD) -> dict[str, Any]:
    """Return the e-mail profile form, filled in for `server`."""
    return {
        "name": "Mail",
        "host": "127.0.0.1",
        "port": server.port,
        "security": "starttls",
        "auth": True,
        "username": PEER_USER,
        "password": password,
        "sender": "camera@example.com",
        "recipients": "owner@example.com, second@example.com",
        "timeout": 5,
        "verify_ssl": False,
    }


@contextmanager
def only_platform(platform: Platform) -> Iterator[None]:
    """Set entries up with one platform only, as `snapshot_platform` wants."""
    with (
        patch("custom_components.cam_events.PLATFORMS", (platform,)),
        patch("custom_components.cam_events.PROFILE_PLATFORMS", (platform,)),
    ):
        yield


# ---- handler services ------------------------------------------------------------------

CAMERA = "camera.porch"
"""The camera entity of the `camera` fixture (named Porch)."""


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def trigger(hass: HomeAssistant) -> dict[str, Any]:
    return await call(hass, "trigger_event", camera=CAMERA, type="manual")  # type: ignore[no-any-return]


async def snapshot_bytes(hass: HomeAssistant, entry: Any, event_id: str) -> bytes:
    path = Path(hass.config.path("cam_events", "snapshots", entry.entry_id, f"{event_id}.jpg"))
    return await hass.async_add_executor_job(path.read_bytes)


async def event_handlers(hass: HomeAssistant, event_id: str) -> list[dict[str, Any]]:
    page = await call(hass, "list_events", camera=CAMERA, limit=100)
    event = next(e for e in page["objects"] if e["id"] == event_id)
    return event["handlers"]  # type: ignore[no-any-return]


def form_values(result: Any) -> dict[str, Any]:
    """Return the values a form shows filled in: suggested values, else defaults."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        suggested = (key.description or {}).get("suggested_value")
        if suggested is not None:
            values[str(key)] = suggested
        elif key.default is not vol.UNDEFINED:
            values[str(key)] = key.default()
    return values
