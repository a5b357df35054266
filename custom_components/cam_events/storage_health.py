"""Tell the user when the disk refuses what Cam Events writes, and when it takes it again.

Each place that writes (the event history, the outbox database, snapshots, clips, the outbox
spool) reports here after a write: a failure raises a Repairs issue for that place (what
fails, the folder, the error), the next success removes it. Nothing is written here.
"""

from __future__ import annotations

from enum import StrEnum
import errno
import logging
from pathlib import Path
import sqlite3

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 200


class StorageArea(StrEnum):
    """What is written; each has its own Repairs issue (``storage_<area>``)."""

    HISTORY = "history"
    OUTBOX = "outbox"
    SNAPSHOTS = "snapshots"
    CLIPS = "clips"
    SPOOL = "spool"


def describe(error: BaseException) -> str:
    """Return the reason in a user's words (the OS's): "No space left on device"..."""
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror
    elif isinstance(error, OSError) and error.errno is not None:
        text = errno.errorcode.get(error.errno, str(error))
    elif isinstance(error, sqlite3.Error):
        text = str(error) or type(error).__name__
    else:
        text = str(error) or type(error).__name__
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def is_disk_error(error: BaseException) -> bool:
    """Return True for an error of the disk or the folder (not of the data written)."""
    return isinstance(error, OSError) and error.errno is not None


class StorageHealth:
    """The storage issues currently raised; report from the loop or from any thread."""

    def __init__(self, hass: HomeAssistant, folders: dict[StorageArea, Path]) -> None:
        """Know where each area writes (shown to the user)."""
        self.hass = hass
        self._folders = folders
        self.failing: dict[StorageArea, str] = {}
        """The areas whose last write failed, with the reason."""

    @callback
    def async_report(self, area: StorageArea, error: BaseException | None) -> None:
        """Record how the last write of an area went: raise or remove its issue."""
        if error is None:
            if self.failing.pop(area, None) is not None:
                _LOGGER.info("Cam Events can write its %s again", area.value)
                ir.async_delete_issue(self.hass, DOMAIN, f"storage_{area.value}")
            return
        reason = describe(error)
        if self.failing.get(area) == reason:
            return
        self.failing[area] = reason
        _LOGGER.error(
            "Cam Events cannot write its %s in %s: %s", area.value, self._folders[area], reason
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"storage_{area.value}",
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=f"storage_{area.value}",
            translation_placeholders={"path": str(self._folders[area]), "error": reason},
        )

    def report_threadsafe(self, area: StorageArea, error: BaseException | None) -> None:
        """Like :meth:`async_report`, from a worker thread (or the loop)."""
        self.hass.loop.call_soon_threadsafe(self.async_report, area, error)
