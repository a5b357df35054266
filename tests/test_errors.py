"""Failures on Home Assistant's side (a disk, a database) answer translated, never a traceback.

A service raises a translated `HomeAssistantError` (not a validation error: the request was
fine), the HTTP API answers 500 with a JSON body whose message says what failed; nothing is
half-stored, and once the fault is gone the same request works again. An event whose picture
cannot be stored is the exception: it is kept without it, and a Repairs issue tells the user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
import shutil
import sqlite3
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.cam_events.const import DOMAIN
from custom_components.cam_events.data import DATA_DOMAIN
from tests.common import add_profile

CAMERA = "camera.porch"
EVENTS = f"/api/cam_events/cameras/{CAMERA}/events/"


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


def replace_with_file(folder: Path) -> None:
    """Put a plain file where a folder is expected (writing under it then fails, also as root)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")


def restore_folder(folder: Path) -> None:
    folder.unlink()
    folder.mkdir()


async def add_local_profile(hass: HomeAssistant, tmp_path: Path) -> ConfigEntry:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs = {str(media)}
    return await add_profile(
        hass, "local", {"name": "Disk", "folder": "cams", "pattern": "{camera}/{id}"}
    )


async def test_spool_that_cannot_be_written_is_a_translated_error(
    hass: HomeAssistant, camera: Any, tmp_path: Path
) -> None:
    """A handler whose spool folder is unusable says so, queues nothing, and works once fixed."""
    profile = await add_local_profile(hass, tmp_path)
    await call(hass, "trigger_event", camera=CAMERA, type="manual")
    domain = hass.data[DATA_DOMAIN]
    spool: Path = domain.spool_dir
    await hass.async_add_executor_job(replace_with_file, spool)

    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "save_snapshot", camera=CAMERA, profile="Disk")
    assert not isinstance(caught.value, ServiceValidationError)  # the request itself was fine
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == "file_error"
    assert str(caught.value) == (
        f"Could not write or read {spool}: File exists. Check the disk and the folder's permissions"
    )
    assert await domain.outbox.counts(profile.entry_id) == {"pending": 0, "dead": 0, "sent": 0}

    await hass.async_add_executor_job(restore_folder, spool)
    response = await call(hass, "save_snapshot", camera=CAMERA, profile="Disk")
    assert response["status"] == "queued"


async def test_snapshot_folder_that_cannot_be_written_keeps_the_event(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    """An event whose picture cannot be stored is stored without it, and the user is told.

    The event is not refused (a camera's own events have nobody to retry them): it carries
    the reason in `snapshot_error`, a Repairs issue names the folder, and both go once the
    folder can be written again.
    """
    folder = Path(hass.config.path("cam_events", "snapshots", camera.entry_id))
    await hass.async_add_executor_job(replace_with_file, folder)
    client = await hass_client()

    response = await client.post(EVENTS, json={"type": "manual"})
    assert response.status == 201
    answer = await response.json()
    assert answer["snapshot"] is None
    assert answer["metadata"]["snapshot_error"] == "File exists"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "storage_snapshots")
    assert issue is not None
    assert issue.translation_placeholders == {
        "path": hass.config.path("cam_events", "snapshots"),
        "error": "File exists",
    }
    created = await call(hass, "create_event", camera=CAMERA, type="manual")
    assert created["snapshot"] is None
    page = await call(hass, "list_events", camera=CAMERA)
    assert page["meta"]["total_count"] == 2

    await hass.async_add_executor_job(restore_folder, folder)
    response = await client.post(EVENTS, json={"type": "manual"})
    assert response.status == 201
    assert (await response.json())["snapshot"] is not None
    assert ir.async_get(hass).async_get_issue(DOMAIN, "storage_snapshots") is None


@pytest.fixture
def locked_history(hass: HomeAssistant) -> Iterator[sqlite3.Connection]:
    """Another process holding the event history's write lock (a backup tool, say)."""
    conn = sqlite3.connect(
        hass.config.path("cam_events", "events.db"), autocommit=True, check_same_thread=False
    )
    yield conn
    conn.close()


async def test_database_that_cannot_be_written_is_a_translated_error(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    camera: Any,
    locked_history: sqlite3.Connection,
) -> None:
    """The event history locked by someone else: service, HTTP and websocket say so."""
    ws = await hass_ws_client(hass)
    client = await hass_client()
    await hass.async_add_executor_job(locked_history.execute, "BEGIN EXCLUSIVE")

    async def by_service() -> HomeAssistantError:
        with pytest.raises(HomeAssistantError) as caught:
            await call(hass, "trigger_event", camera=CAMERA, type="manual")
        return caught.value

    by_http = client.post(EVENTS + "trigger/", json={"type": "manual"})
    err, response = await asyncio.gather(by_service(), by_http)  # both wait out the lock
    assert not isinstance(err, ServiceValidationError)
    assert err.translation_key == "database_error"
    assert str(err) == "The integration's database failed: database is locked"
    assert response.status == 500
    assert await response.json() == {
        "code": "database_error",
        "message": "The integration's database failed: database is locked",
    }

    await hass.async_add_executor_job(locked_history.execute, "ROLLBACK")
    await ws.send_json({"id": 1, "type": "cam_events/events", "camera": CAMERA})
    answer = await ws.receive_json()
    assert answer["success"], answer
    assert answer["result"]["meta"]["total_count"] == 0  # nothing half-stored
    assert (await client.post(EVENTS + "trigger/", json={"type": "manual"})).status == 201
