"""Runtime data of a config entry and the typed entry alias."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .runtime import CameraRuntime

type CamEventsConfigEntry = ConfigEntry[CameraRuntime]
