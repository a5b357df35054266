"""A camera's masks and zones as Home Assistant stores them: in the entry's options.

The layout lives under the options key ``layout`` (:meth:`Layout.to_data`), so it is
backed up with the entry, shown in diagnostics and read before the stream starts. Changing it
(websocket command, options flow, a switch) updates the options; the options listener then
applies it to the running worker without a restart (a layout never needs a new connection).
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .const import CONF_LAYOUT
from .data import CamEventsConfigEntry
from .video.zones import Layout, LayoutError

_LOGGER = logging.getLogger(__name__)


def layout_of(options: Mapping[str, Any]) -> Layout:
    """Return the stored layout (an unreadable one is logged and ignored)."""
    data = options.get(CONF_LAYOUT)
    if not data:
        return Layout()
    try:
        return Layout.from_data(data)
    except LayoutError as err:
        _LOGGER.warning("Ignoring the stored masks and zones: %s", err)
        return Layout()


@callback
def async_store_layout(hass: HomeAssistant, entry: CamEventsConfigEntry, layout: Layout) -> None:
    """Save `layout` in the entry's options and apply it at once (the stream keeps running)."""
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_LAYOUT: layout.to_data()}
    )
    entry.runtime_data.stream.async_set_layout(layout)
