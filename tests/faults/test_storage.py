"""Storage faults: the disk full while events, pictures, attachments, jobs and clips are written;
a read-only media folder.

Each test runs Home Assistant with Cam Events on a real, small tmpfs (see `disk`), fills it
while the integration works, then frees it. It checks what the user sees (Repairs issues, the
events, the deliveries), that nothing stored before is damaged, that writing resumes, and
counts events and deliveries lost (0) and duplicated (0).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from functools import partial
import json
from pathlib import Path
import time

import av
from homeassistant.core import Event as HassEvent, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.cam_events.const import DOMAIN, EVENT_CAM_EVENTS
from custom_components.cam_events.data import DATA_DOMAIN
from tests.common import (
    CAMERA,
    add_profile,
    call,
    setup_camera,
    snapshot_bytes,
    state_of,
    wait_for,
    wait_real,
)
from tests.faults.disk import fill, free, integrity, remount, tmpfs
from tests.peers.http_sink import HttpSink
from tests.peers.rtsp import RtspServer

MOTION = "binary_sensor.porch_motion"
OPTIONS = {"preroll": 1.0, "postroll": 1.0, "off_delay": 1}


@pytest.fixture
def small_disk(hass: HomeAssistant) -> Iterator[Path]:
    """Cam Events' folder (databases, pictures, spool) and its media on a 16 MB tmpfs."""
    with tmpfs(Path(hass.config.path("cam_events"))) as mount:
        hass.config.media_dirs = {"local": str(mount / "media")}
        yield mount


def _issues(hass: HomeAssistant) -> set[str]:
    return {
        issue_id
        for (domain, issue_id) in ir.async_get(hass).issues
        if domain == DOMAIN and issue_id.startswith("storage_")
    }


def _issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry:
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None, f"no Repairs issue {issue_id}"
    return issue


def _created(hass: HomeAssistant) -> list[str]:
    """Record the id of every event the bus announces (what automations see)."""
    ids: list[str] = []

    def heard(event: HassEvent) -> None:
        ids.append(event.data["id"])

    hass.bus.async_listen(EVENT_CAM_EVENTS, heard)
    return ids


async def _stored_ids(hass: HomeAssistant) -> list[str]:
    page = await call(hass, "list_events", camera=CAMERA, limit=1000)
    return [event["id"] for event in page["objects"]]


def _delivered(sink: HttpSink) -> Counter[str]:
    """How many times each event reached the HTTP peer (its test heartbeat aside)."""
    counts: Counter[str] = Counter()
    for request in sink.requests:
        if request.path != "/events":
            continue
        part = request.part("event")
        body = json.loads(part.data if part is not None else request.body)
        if not body.get("heartbeat"):
            counts[body["event"]["id"]] += 1
    return counts


def _playable(path: Path) -> int:
    """Decode the whole clip; return its frame count (raises if it is broken)."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.enable_socket
async def test_disk_full_events_pictures_attachments_and_jobs(
    hass: HomeAssistant, small_disk: Path, still_clip_path: Path, socket_enabled: None
) -> None:
    """Disk full: events still happen and are kept, then written; deliveries go once each.

    While full: an event is announced and stored without its picture (Repairs: pictures,
    history); a delivery with a picture is refused with a translated error (Repairs:
    attachments); one without is delivered, its job kept in memory (Repairs: queue). With the
    space back: every event is in the history once, every delivery reached the peer once,
    the issues are gone, the databases pass SQLite's integrity check.
    """
    entry = await setup_camera(hass, str(still_clip_path))
    sink = HttpSink()
    await sink.start()
    try:
        await add_profile(
            hass,
            "http",
            {
                "name": "Hook",
                "host": "127.0.0.1",
                "port": sink.port,
                "path": "/events",
                "method": "post",
                "timeout": 5,
            },
        )
        announced = _created(hass)
        domain = hass.data[DATA_DOMAIN]

        # Before: one event with its picture, delivered.
        before = await call(hass, "trigger_event", camera=CAMERA, type="manual")
        picture = await snapshot_bytes(hass, entry, before["id"])
        assert (await call(hass, "push_http", camera=CAMERA, profile="Hook"))["status"] == "queued"
        await wait_for(lambda: _delivered(sink)[before["id"]] == 1, 10)
        assert _issues(hass) == set()

        filled = await hass.async_add_executor_job(fill, small_disk)
        assert filled > 0

        # Full: the event happens all the same, without its stored picture.
        during = await call(hass, "trigger_event", camera=CAMERA, type="manual")
        assert during["snapshot"] is None
        assert during["metadata"]["snapshot_error"] == "No space left on device"
        await hass.async_block_till_done()
        assert domain.store.unsaved == 1  # kept in memory, not lost
        assert _issues(hass) == {"storage_snapshots", "storage_history"}
        issue = _issue(hass, "storage_history")
        assert issue.severity is ir.IssueSeverity.ERROR
        assert issue.translation_placeholders == {
            "path": str(small_disk),
            "error": "database or disk is full",
        }
        assert _issue(hass, "storage_snapshots").translation_placeholders == {
            "path": str(small_disk / "snapshots"),
            "error": "No space left on device",
        }
        # The camera still streams and serves its picture: detection goes on.
        assert state_of(hass, CAMERA) in ("idle", "streaming")
        assert await hass.async_add_executor_job(domain.store.get, during["id"]) is not None

        # A delivery with an attachment cannot be spooled: the caller is told, nothing queued.
        with pytest.raises(HomeAssistantError) as refused:
            await call(hass, "push_http", camera=CAMERA, profile="Hook", event_id=during["id"])
        assert refused.value.translation_key == "file_error"
        assert "storage_spool" in _issues(hass)
        assert not [p for p in (small_disk / "spool").rglob("*") if p.is_file()]
        # Without one it is queued (in memory) and delivered.
        response = await call(
            hass, "push_http", camera=CAMERA, profile="Hook", event_id=during["id"], snapshot=False
        )
        assert response["status"] == "queued"
        await wait_for(lambda: _delivered(sink)[during["id"]] == 1, 10)
        await hass.async_block_till_done()
        assert "storage_outbox" in _issues(hass)
        assert domain.outbox_store.unsaved >= 1

        # Space back: the next writes take what was kept first; the issues go away.
        await hass.async_add_executor_job(free, small_disk)
        after = await call(hass, "trigger_event", camera=CAMERA, type="manual")
        assert after["snapshot"] is not None
        assert (await call(hass, "push_http", camera=CAMERA, profile="Hook"))["status"] == "queued"
        await wait_for(lambda: _delivered(sink)[after["id"]] == 1, 10)
        await hass.async_block_till_done(wait_background_tasks=True)
        await wait_for(lambda: not _issues(hass), 5)
        assert domain.store.unsaved == 0
        assert domain.outbox_store.unsaved == 0

        # Counted: every announced event stored once, every delivery received once.
        stored = await _stored_ids(hass)
        assert sorted(stored) == sorted(announced)
        assert len(set(stored)) == len(stored) == 3
        assert {before["id"], during["id"], after["id"]} == set(stored)
        delivered = _delivered(sink)
        assert delivered == Counter({before["id"]: 1, during["id"]: 1, after["id"]: 1})
        profile = next(e for e in hass.config_entries.async_entries(DOMAIN) if e.title == "Hook")
        # The peer has the last request a moment before its job is saved as sent.
        for _ in range(100):
            counts = await domain.outbox.counts(profile.entry_id)
            if counts["sent"] == 3:
                break
            await asyncio.sleep(0.05)
        assert counts == {"pending": 0, "dead": 0, "sent": 3}
        # What was stored before is intact.
        assert await snapshot_bytes(hass, entry, before["id"]) == picture
        for name in ("events.db", "outbox.db"):
            assert await hass.async_add_executor_job(integrity, small_disk / name) == "ok"
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await sink.stop()


async def _record(hass: HomeAssistant, seconds: float) -> str:
    response = await call(hass, "record", camera=CAMERA, duration=seconds)
    return str(response["id"])


async def _clip(hass: HomeAssistant, event_id: str) -> str | None:
    event = await hass.async_add_executor_job(hass.data[DATA_DOMAIN].store.get, event_id)
    assert event is not None
    return event.clip


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.name.endswith(".part")]


@pytest.mark.enable_socket
async def test_disk_full_while_recording_then_read_only_media(
    hass: HomeAssistant, small_disk: Path, rtsp_server: RtspServer
) -> None:
    """A clip being written when the disk fills is removed, never listed broken; then a
    read-only media folder. Detection goes on throughout; clips resume when writing can."""
    entry = await setup_camera(hass, rtsp_server.url, options=OPTIONS)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
    await hass.async_add_executor_job(time.sleep, 1.5)
    announced = _created(hass)
    domain = hass.data[DATA_DOMAIN]
    recordings = domain.recordings_dir

    first = await _record(hass, 1)
    await wait_real(hass, lambda: bool(recordings.exists() and list(recordings.rglob("*.mp4"))), 10)
    await hass.async_block_till_done(wait_background_tasks=True)
    await wait_for(lambda: not _leftovers(recordings), 5)
    first_clip = await _clip(hass, first)
    assert first_clip is not None
    first_bytes = (recordings / first_clip).read_bytes()
    first_frames = await hass.async_add_executor_job(_playable, recordings / first_clip)

    # The disk fills while a clip is being written.
    cut = await _record(hass, 4)
    await hass.async_add_executor_job(time.sleep, 1)
    await hass.async_add_executor_job(fill, small_disk)
    await wait_real(hass, lambda: "storage_clips" in _issues(hass), 15)
    assert _issue(hass, "storage_clips").translation_placeholders == {
        "path": str(recordings),
        "error": "No space left on device",
    }
    assert await _clip(hass, cut) is None
    assert not _leftovers(recordings)
    # Detection goes on while the disk is full: motion is seen and announced.
    rtsp_server.set_motion(True)
    await wait_for(lambda: state_of(hass, MOTION) == "on", 10)
    rtsp_server.set_motion(False)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)

    await hass.async_add_executor_job(free, small_disk)
    resumed = await _record(hass, 1)
    await wait_real(hass, lambda: "storage_clips" not in _issues(hass), 15)
    await hass.async_block_till_done(wait_background_tasks=True)
    resumed_clip = await _clip(hass, resumed)
    assert resumed_clip is not None
    assert await hass.async_add_executor_job(_playable, recordings / resumed_clip) > 0

    # A read-only media folder: the clip is refused, the user told; writable again, it resumes.
    media = small_disk / "media"
    with tmpfs(media, "4m"):
        await hass.async_add_executor_job(partial(remount, media, read_only=True))
        refused = await _record(hass, 1)
        await wait_real(hass, lambda: "storage_clips" in _issues(hass), 15)
        placeholders = _issue(hass, "storage_clips").translation_placeholders
        assert placeholders is not None
        assert placeholders["error"] == "Read-only file system"
        assert await _clip(hass, refused) is None
        await hass.async_add_executor_job(partial(remount, media, read_only=False))
        again = await _record(hass, 1)
        await wait_real(hass, lambda: "storage_clips" not in _issues(hass), 15)
        await hass.async_block_till_done(wait_background_tasks=True)
        again_clip = await _clip(hass, again)
        assert again_clip is not None
        assert await hass.async_add_executor_job(_playable, recordings / again_clip) > 0

    # Nothing stored before was damaged; every event announced is stored, once.
    assert (recordings / first_clip).read_bytes() == first_bytes
    assert await hass.async_add_executor_job(_playable, recordings / first_clip) == first_frames
    await hass.async_block_till_done(wait_background_tasks=True)
    await wait_for(lambda: domain.store.unsaved == 0, 5)
    stored = await _stored_ids(hass)
    assert len(stored) == len(set(stored))
    assert set(announced) <= set(stored)
    assert {first, cut, resumed, refused, again} <= set(stored)
    assert Counter(stored)[cut] == 1
    assert "motion" in {
        e["type"] for e in (await call(hass, "list_events", camera=CAMERA, limit=100))["objects"]
    }
    assert await hass.async_add_executor_job(integrity, small_disk / "events.db") == "ok"
    await hass.config_entries.async_unload(entry.entry_id)
