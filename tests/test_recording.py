"""Recording end to end: clips around motion, on demand, merged, after a loss; media source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import time
from typing import Any

import av
from homeassistant.components.media_source import (
    async_browse_media,
    async_resolve_media,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import numpy as np
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cam_events.const import DOMAIN
from custom_components.cam_events.data import DATA_DOMAIN
from custom_components.cam_events.events.model import Event, new_event_id
from tests.common import add_profile, setup_camera, smtp_data, state_of, wait_for
from tests.peers.rtsp import RtspServer

CAMERA = "camera.porch"
MOTION = "binary_sensor.porch_motion"
OPTIONS = {"preroll": 2.0, "postroll": 2.0, "off_delay": 1}


async def _events(hass: HomeAssistant, **filters: Any) -> list[dict[str, Any]]:
    page = await hass.services.async_call(
        DOMAIN, "list_events", {"camera": CAMERA, **filters}, blocking=True, return_response=True
    )
    return page["objects"]  # type: ignore[no-any-return]


def _clip_path(hass: HomeAssistant, event: dict[str, Any]) -> Path:
    return Path(hass.data[DATA_DOMAIN].recordings_dir, event["clip"])


def _probe(path: Path) -> tuple[float, int, bool, list[np.ndarray]]:
    """Return duration, frame count, whether the first frame is a key frame, and luma planes."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        duration = float(frames[-1].time - frames[0].time) + 1 / float(stream.average_rate)
        lumas = [f.to_ndarray(format="gray")[::8, ::8].astype(np.int16) for f in frames]
        return duration, len(frames), frames[0].key_frame, lumas


async def _clip_of(hass: HomeAssistant, event_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await hass.async_block_till_done(wait_background_tasks=True)
        for event in await _events(hass, limit=100):
            if event["id"] == event_id and event["clip"]:
                return event
        await hass.async_add_executor_job(time.sleep, 0.2)
    raise AssertionError(f"no clip for {event_id} within {timeout} s")


@pytest.fixture
def rtsp_half_second_gop(socket_enabled: None) -> Iterator[RtspServer]:
    """An RTSP server with a key frame every 0.5 s: clip starts snap to within 0.25 s."""
    server = RtspServer(gop=8)
    server.start()
    yield server
    server.stop()


@pytest.mark.enable_socket
async def test_motion_clip(hass: HomeAssistant, rtsp_half_second_gop: RtspServer) -> None:
    """Motion: pre-roll + event + post-roll within 0.5 s, from a key frame, still scene first."""
    rtsp_server = rtsp_half_second_gop
    entry = await setup_camera(hass, rtsp_server.url, options=OPTIONS)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
    await hass.async_add_executor_job(time.sleep, 3)  # fill the pre-roll with the still scene
    rtsp_server.set_motion(True)
    await wait_for(lambda: state_of(hass, MOTION) == "on", 5)
    await hass.async_add_executor_job(time.sleep, 2)
    rtsp_server.set_motion(False)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 6)
    await hass.async_block_till_done(wait_background_tasks=True)
    motion = (await _events(hass, type="motion"))[0]
    event = await _clip_of(hass, motion["id"])
    assert event["clip_url"] == f"/api/cam_events/clips/{event['id']}.mp4"
    path = _clip_path(hass, event)
    assert path.suffix == ".mp4"
    assert path.with_suffix(".jpg").is_file()
    assert not list(path.parent.glob(".*.part"))

    duration, frames, first_is_key, lumas = await hass.async_add_executor_job(_probe, path)
    expected = OPTIONS["preroll"] + event["duration"] + OPTIONS["postroll"]
    assert abs(duration - expected) <= 0.5, (duration, expected)
    assert first_is_key
    assert frames >= int(duration * 15) - 2
    # The pre-roll shows the scene before the motion: the first frames are alike, and
    # frames during the motion differ from them.
    still = np.abs(lumas[1] - lumas[0]).mean()
    moving = max(np.abs(luma - lumas[0]).mean() for luma in lumas[len(lumas) // 3 :])
    assert still < 1.0
    assert moving > 5 * max(still, 0.2)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_record_service_overlap_and_loss(
    hass: HomeAssistant, rtsp_half_second_gop: RtspServer, hass_client: ClientSessionGenerator
) -> None:
    """On-demand recording; two overlapping requests make one clip; a loss closes it playable."""
    rtsp_server = rtsp_half_second_gop
    entry = await setup_camera(hass, rtsp_server.url, options=OPTIONS)
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
    await hass.async_add_executor_job(time.sleep, 2.5)
    first = await hass.services.async_call(
        DOMAIN, "record", {"camera": CAMERA, "duration": 3}, blocking=True, return_response=True
    )
    await hass.async_add_executor_job(time.sleep, 1)
    second = await hass.services.async_call(
        DOMAIN, "record", {"camera": CAMERA, "duration": 1}, blocking=True, return_response=True
    )
    one = await _clip_of(hass, first["id"])
    two = await _clip_of(hass, second["id"])
    assert one["clip"] == two["clip"]  # one clip for both requests
    duration, frames, first_is_key, _ = await hass.async_add_executor_job(
        _probe, _clip_path(hass, one)
    )
    assert abs(duration - (2 + 3 + 2)) <= 0.5
    assert first_is_key
    assert frames >= int(duration * 15) - 2  # every frame is there (15 fps)

    client = await hass_client()
    response = await client.get(one["clip_url"])
    assert response.status == 200
    assert response.content_type == "video/mp4"
    assert len(await response.read()) == _clip_path(hass, one).stat().st_size
    response = await client.get(one["clip_url"].replace(".mp4", ".jpg"))
    assert response.status == 200
    assert (await response.read())[:2] == b"\xff\xd8"

    # A recording cut short by a lost stream is closed and playable.
    third = await hass.services.async_call(
        DOMAIN, "record", {"camera": CAMERA, "duration": 30}, blocking=True, return_response=True
    )
    await hass.async_add_executor_job(time.sleep, 2)
    rtsp_server.kill()
    cut = await _clip_of(hass, third["id"])
    duration, _, first_is_key, _ = await hass.async_add_executor_job(_probe, _clip_path(hass, cut))
    assert 2.5 < duration < 8
    assert first_is_key
    await hass.config_entries.async_unload(entry.entry_id)


async def test_media_source_browse_and_page(
    hass: HomeAssistant,
    still_clip_path: Path,
    socket_enabled: None,
    hass_client: ClientSessionGenerator,
) -> None:
    """Media → Cam Events → camera → day → clips, 100 per page, each playable by signed URL."""
    assert await async_setup_component(hass, "media_source", {})
    entry = await setup_camera(hass, str(still_clip_path))
    domain = hass.data[DATA_DOMAIN]
    folder = domain.recordings_dir / "Porch"
    folder.mkdir(parents=True)
    clip = folder / "sample.mp4"
    clip.write_bytes(still_clip_path.read_bytes())
    clip.with_suffix(".jpg").write_bytes(b"\xff\xd8thumb\xff\xd9")
    now = time.time()
    events = [
        Event(
            new_event_id(now - 3600 + i),
            entry.entry_id,
            "motion",
            now - 3600 + i,
            now - 3590 + i,
            clip="Porch/sample.mp4",
        )
        for i in range(250)
    ]
    await hass.async_add_executor_job(domain.store.add_many, events)

    root = await async_browse_media(hass, f"media-source://{DOMAIN}")
    assert [c.title for c in root.children] == ["Porch"]
    camera = await async_browse_media(hass, root.children[0].media_content_id)
    assert len(camera.children) >= 1
    assert camera.children[0].title.endswith("(250)")
    day = await async_browse_media(hass, camera.children[0].media_content_id)
    playable = [c for c in day.children if c.can_play]
    assert len(playable) == 100
    assert day.children[-1].title == "Older (150 more)"
    last = await async_browse_media(hass, day.children[-1].media_content_id)
    last = await async_browse_media(
        hass, (await async_browse_media(hass, last.children[-1].media_content_id)).media_content_id
    )
    assert len([c for c in last.children if c.can_play]) == 50

    resolved = await async_resolve_media(hass, playable[0].media_content_id, None)
    assert resolved.mime_type == "video/mp4"
    assert "authSig=" in resolved.url
    client = await hass_client()
    response = await client.get(resolved.url)
    assert response.status == 200
    assert await response.read() == clip.read_bytes()
    await hass.config_entries.async_unload(entry.entry_id)


async def test_retention_by_size_keeps_the_newest(
    hass: HomeAssistant, still_clip_path: Path, socket_enabled: None
) -> None:
    """Over the size cap the oldest clips go first; their events stay, without a clip."""
    entry = await setup_camera(hass, str(still_clip_path), options={"storage_mb": 1})
    await hass.async_block_till_done(wait_background_tasks=True)
    domain = hass.data[DATA_DOMAIN]
    folder = domain.recordings_dir / "Porch"
    folder.mkdir(parents=True)
    now = time.time()
    events = []
    for i in range(5):
        (folder / f"c{i}.mp4").write_bytes(b"\0" * 400_000)
        events.append(
            Event(
                new_event_id(now - 500 + i),
                entry.entry_id,
                "motion",
                now - 500 + i,
                clip=f"Porch/c{i}.mp4",
            )
        )
    await hass.async_add_executor_job(domain.store.add_many, events)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sorted(p.name for p in folder.glob("*.mp4")) == ["c3.mp4", "c4.mp4"]
    stored = {e["id"]: e["clip"] for e in await _events(hass)}
    assert [stored[e.id] for e in events] == [None, None, None, "Porch/c3.mp4", "Porch/c4.mp4"]

    # A clip file deleted behind our back: its event no longer claims a clip.
    (folder / "c3.mp4").unlink()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    stored = {e["id"]: e["clip"] for e in await _events(hass)}
    assert stored[events[3].id] is None
    assert stored[events[4].id] == "Porch/c4.mp4"
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_email_and_ftp_carry_the_clip(
    hass: HomeAssistant, rtsp_server: RtspServer, tmp_path: Path
) -> None:
    """The clip rides along when asked; above the mail server's limit the mail says where it is."""
    from tests.peers.ftp import FtpServer
    from tests.peers.smtp import SmtpServer

    smtp = SmtpServer(security="starttls", auth=("cam", "s3cret-pw"))
    smtp.start()
    ftp = FtpServer(tmp_path / "ftp", user="cam", password="pw1234")
    ftp.start()
    try:
        entry = await setup_camera(hass, rtsp_server.url, options=OPTIONS)
        await add_profile(hass, "smtp", smtp_data(smtp))
        await add_profile(
            hass, "smtp", {**smtp_data(smtp), "name": "Small", "max_attachment_mb": 0.005}
        )
        await add_profile(
            hass,
            "ftp",
            {
                "name": "Archive",
                "host": "127.0.0.1",
                "port": ftp.port,
                "username": "cam",
                "password": "pw1234",
                "pattern": "{camera}/{id}",
                "passive": True,
                "timeout": 5,
            },
        )
        await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
        await hass.async_add_executor_job(time.sleep, 2.5)
        recorded = await hass.services.async_call(
            DOMAIN,
            "record",
            {"camera": CAMERA, "duration": 1},
            blocking=True,
            return_response=True,
        )
        # Asked for before the clip is finished: the jobs wait for it.
        for profile, service in (
            ("Mail", "send_email"),
            ("Small", "send_email"),
            ("Archive", "upload_ftp"),
        ):
            response = await hass.services.async_call(
                DOMAIN,
                service,
                {"camera": CAMERA, "profile": profile, "event_id": recorded["id"], "clip": True},
                blocking=True,
                return_response=True,
            )
            assert response["status"] == "queued"
        event = await _clip_of(hass, recorded["id"])
        clip = _clip_path(hass, event).read_bytes()
        assert len(clip) > 5_000

        await wait_for(lambda: len(smtp.messages) == 2, 30)
        by_size = sorted(smtp.messages, key=lambda m: len(m.raw))
        small, full = by_size[0].message, by_size[1].message
        videos = [p for p in full.iter_attachments() if p.get_content_type() == "video/mp4"]
        assert len(videos) == 1
        assert videos[0].get_content() == clip
        assert not [p for p in small.iter_attachments() if p.get_content_type() == "video/mp4"]
        body = small.get_body(("plain",)).get_content()
        assert "larger than the 0.005 MB" in body
        assert event["clip"] in body

        uploaded = ftp.root / "Porch" / f"{recorded['id']}.mp4"
        await wait_for(uploaded.exists, 30)
        assert uploaded.read_bytes() == clip
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        smtp.stop()
        ftp.stop()


@pytest.mark.enable_socket
async def test_a_job_waiting_for_its_clip_spends_no_attempts(
    hass: HomeAssistant, rtsp_server: RtspServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job asked for before its clip is finished goes once the clip is there, in one attempt.

    Retries are for a destination that fails, not a clock: with three attempts 0.2 s apart,
    a recording of several seconds must not make the job a dead letter.
    """
    import custom_components.cam_events as integration
    from tests.common import add_profile, event_handlers

    monkeypatch.setattr(integration, "OUTBOX_BACKOFF_INITIAL", 0.2)
    monkeypatch.setattr(integration, "OUTBOX_BACKOFF_MAX", 0.2)
    monkeypatch.setattr(integration, "OUTBOX_MAX_ATTEMPTS", 3)
    media = tmp_path / "media"
    media.mkdir()
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs = {str(media)}
    entry = await setup_camera(hass, rtsp_server.url, options=OPTIONS)
    await add_profile(hass, "local", {"name": "Disk", "folder": "cams", "pattern": "{id}"})
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
    await hass.async_add_executor_job(time.sleep, 2.5)
    recorded = await hass.services.async_call(
        DOMAIN, "record", {"camera": CAMERA, "duration": 1}, blocking=True, return_response=True
    )
    response = await hass.services.async_call(
        DOMAIN,
        "save_snapshot",
        {
            "camera": CAMERA,
            "profile": "Disk",
            "event_id": recorded["id"],
            "snapshot": False,
            "clip": True,
        },
        blocking=True,
        return_response=True,
    )
    assert response["status"] == "queued"
    event = await _clip_of(hass, recorded["id"])
    saved = media / "cams" / f"{recorded['id']}.mp4"
    await wait_for(saved.exists, 30)
    assert saved.read_bytes() == _clip_path(hass, event).read_bytes()
    await hass.async_block_till_done(wait_background_tasks=True)
    results = await event_handlers(hass, recorded["id"])
    assert [(r["status"], r["attempts"]) for r in results] == [("sent", 1)]
    await hass.config_entries.async_unload(entry.entry_id)
