"""The dashboard card, served by the integration and registered with the frontend.

The card is ES modules in ``frontend/``: the entry ``cam-events-card.js`` imports the data
feed and the editor (and, on first use, the zone editor ``card-zones.js``). The folder is
served as static files under :data:`URL_BASE` (long cache headers), and once the frontend
is set up the entry is added to the modules every page of the UI loads, with a hash of all
the card's files as version so that browsers fetch it again after an update. The same folder
is also served under ``URL_BASE/<version>/``, where the entry imports the other modules
from: their relative imports keep the version, so no browser mixes an old module with a new
one. Nothing has to be added to the dashboard resources by hand.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Final

from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_when_setup

_LOGGER = logging.getLogger(__name__)

FRONTEND_DIR: Final = Path(__file__).parent / "frontend"
CARD_FILE: Final = "cam-events-card.js"
URL_BASE: Final = "/cam_events/frontend"


def card_version(folder: Path = FRONTEND_DIR) -> str:
    """Return a short hash of the card's modules, their version for cache busting."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.js")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def card_url(version: str) -> str:
    """Return the URL of the card's module, with its version as query."""
    return f"{URL_BASE}/{CARD_FILE}?v={version}"


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card's folder and have the frontend load the card's module."""
    version = await hass.async_add_executor_job(card_version)
    await hass.http.async_register_static_paths(
        [
            StaticPathConfig(URL_BASE, str(FRONTEND_DIR), cache_headers=True),
            StaticPathConfig(f"{URL_BASE}/{version}", str(FRONTEND_DIR), cache_headers=True),
        ]
    )
    url = card_url(version)

    async def add_module(hass: HomeAssistant, _component: str) -> None:
        from homeassistant.components.frontend import add_extra_js_url

        add_extra_js_url(hass, url)
        _LOGGER.debug("Dashboard card registered: %s", url)

    # The frontend may be set up after this integration (it is not a dependency).
    async_when_setup(hass, "frontend", add_module)
