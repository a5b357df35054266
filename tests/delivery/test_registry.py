"""The registry of destinations and what each carries of a handler call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from custom_components.cam_events.const import PROFILE_KINDS
from custom_components.cam_events.delivery.registry import BY_SERVICE, TRANSPORTS
from custom_components.cam_events.delivery.request import (
    Ask,
    Message,
    build_job,
    clip_note,
    outgoing,
    plan,
)
from custom_components.cam_events.profile_flow import FORMS

SERVICES = yaml.safe_load(
    (Path(__file__).parents[2] / "custom_components/cam_events/services.yaml").read_text()
)
EVENT: dict[str, Any] = {
    "id": "01JDQ3Z5N8M6V2W4X7Y9A0B1C2",
    "camera": "camera.porch",
    "type": "motion",
    "start": "2026-11-28T21:35:56.123Z",
    "end": None,
    "duration": None,
    "metadata": {},
    "snapshot": None,
    "clip": None,
    "handlers": [],
}
WHEN = dt.datetime(2026, 11, 28, 22, 35, 56, tzinfo=dt.UTC)
EVERYTHING = Ask(snapshot=True, burst_count=3, raw_data=True, clip=True)


def test_every_destination_in_the_menu_has_a_transport_a_form_and_a_service() -> None:
    """What the config flow offers is what the registry delivers, formed and callable."""
    assert tuple(TRANSPORTS) == PROFILE_KINDS
    assert set(FORMS) == set(TRANSPORTS)
    assert set(BY_SERVICE) == {"send_email", "upload_ftp", "push_http", "push_udp", "save_snapshot"}
    for service, transport in BY_SERVICE.items():
        assert service in SERVICES, service
        assert transport.kind in TRANSPORTS


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("smtp", {}, (3, True, True, None)),
        ("ftp", {}, (3, True, True, None)),
        ("local", {}, (3, True, True, None)),
        ("http", {"method": "post"}, (1, False, False, None)),
        ("http", {"method": "get"}, (0, False, False, "only POST carries the image")),
        ("udp", {}, (0, False, False, "UDP carries the event only")),
    ],
)
def test_what_each_destination_carries(
    kind: str, data: dict[str, Any], expected: tuple[int, bool, bool, str | None]
) -> None:
    """A burst, the raw event and the clip go where files go; push gets one image or none."""
    transport = TRANSPORTS[kind]
    stored = {
        "host": "127.0.0.1",
        "port": 1,
        "security": "none",
        "sender": "a@example.com",
        "username": "u",
        "mode": "unicast",
        "address": "127.0.0.1",
        **data,
    }
    planned = plan(transport, transport.profile(stored), EVERYTHING)
    assert (planned.frames, planned.raw_data, planned.clip, planned.note) == expected


def test_a_files_only_destination_needs_something_to_send() -> None:
    nothing = Ask(snapshot=False, burst_count=1, raw_data=False, clip=False)
    assert [k for k, t in TRANSPORTS.items() if nothing.nothing_for(t.capabilities)] == [
        "ftp",
        "local",
    ]
    assert not EVERYTHING.nothing_for(TRANSPORTS["ftp"].capabilities)


def test_a_stored_job_becomes_the_request_with_its_clip() -> None:
    """Files are named by the pattern; the clip is added at delivery with its own type."""
    transport = TRANSPORTS["smtp"]
    profile = transport.profile(
        {"host": "h", "port": 25, "security": "none", "sender": "a@example.com"}
    )
    planned = plan(transport, profile, EVERYTHING)
    items, payload = build_job(
        transport.capabilities,
        planned,
        event=EVENT,
        camera="Porch",
        when=WHEN,
        pattern="{camera}/{id}",
        frames=[b"1", b"2"],
        message=Message("subject", "body", ["b@example.com"]),
    )
    assert [suffix for suffix, _ in items] == [".jpg", ".jpg", ".json"]
    assert payload["clip_event"] == EVENT["id"]
    assert "event" not in payload  # e-mail carries files, not the push payload
    request = outgoing(
        payload, [data for _, data in items], clip=("Porch/c1.mkv", b"clip"), note=None
    )
    assert [(f.filename, f.content_type) for f in request.files] == [
        (f"Porch/{EVENT['id']}_01.jpg", "image/jpeg"),
        (f"Porch/{EVENT['id']}_02.jpg", "image/jpeg"),
        (f"Porch/{EVENT['id']}.json", "application/json"),
        (f"Porch/{EVENT['id']}.mkv", "video/x-matroska"),
    ]
    assert (request.subject, request.body, request.to) == ("subject", "body", ("b@example.com",))


def test_push_jobs_carry_the_event_payload() -> None:
    transport = TRANSPORTS["udp"]
    _, payload = build_job(
        transport.capabilities,
        plan(transport, None, EVERYTHING),
        event=EVENT,
        camera="Porch",
        when=WHEN,
        pattern="{id}",
        frames=[],
    )
    assert payload["event"]["event"]["id"] == EVENT["id"]
    assert outgoing(payload, []).event == payload["event"]


def test_a_clip_stays_home_when_missing_or_too_large() -> None:
    assert clip_note(None, 0, None) == "The event has no clip (recording is off or it failed)."
    assert clip_note("Porch/c.mp4", 2_000_000, None) is None
    assert clip_note("Porch/c.mp4", 2_000_000, 2_000_000.0) is None
    note = clip_note("Porch/c.mp4", 2_000_001, 5_000.0)
    assert note is not None
    assert "larger than the 0.005 MB" in note
    assert "media/cam_events/recordings/Porch/c.mp4" in note
