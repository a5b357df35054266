"""Helpers shared by the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time
from typing import Any

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cam_events.const import CONF_OFF_DELAY, DOMAIN


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
) -> MockConfigEntry:
    """Add and set up a camera entry the way the config flow stores it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
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
