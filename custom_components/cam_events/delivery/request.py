"""What one handler call sends: the job it stores and the request a transport receives.

Built here, without Home Assistant.
A service call is turned into a :class:`Plan` (what the transport carries of what was asked),
then into the files to spool and the job's JSON payload (:func:`build_job`). At delivery time
the stored payload, the spooled files and the event's clip become an :class:`Outgoing`
(:func:`outgoing`). A job that asks for a clip not recorded yet is stored due at
``created + CLIP_WAIT`` and released as soon as the clip is attached (:func:`waits_for_clip`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import datetime as dt
import json
from pathlib import PurePosixPath
from typing import Any, Final

from .base import Attachment, Capabilities, Outgoing, Transport
from .naming import render
from .payload import event_payload

__all__ = [
    "CLIP_WAIT",
    "Ask",
    "Message",
    "Plan",
    "build_job",
    "clip_note",
    "clip_waits",
    "message_payload",
    "outgoing",
    "plan",
    "waits_for_clip",
]

CLIP_WAIT: Final = 900.0
"""Seconds a job waits for its event's clip before it goes without it."""
CLIP_TYPES: Final = {".mp4": "video/mp4", ".mkv": "video/x-matroska", ".mov": "video/quicktime"}
NO_CLIP: Final = "The event has no clip (recording is off or it failed)."


@dataclass(frozen=True, slots=True)
class Ask:
    """What a service call asks to send."""

    snapshot: bool
    burst_count: int
    raw_data: bool
    clip: bool

    def nothing_for(self, capabilities: Capabilities) -> bool:
        """Return whether a transport that sends only files would get nothing."""
        return capabilities.files_only and not (self.snapshot or self.raw_data or self.clip)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the transport will carry of what was asked."""

    frames: int
    """JPEGs to take: 0 (no snapshot), 1 (the event's own frame), more (a burst)."""
    raw_data: bool
    clip: bool
    note: str | None = None
    """Why something asked for is left out."""


@dataclass(frozen=True, slots=True)
class Message:
    """The rendered subject and body of an e-mail, and its recipients (empty: the profile's)."""

    subject: str
    body: str
    to: Sequence[str] = ()


def plan[P](transport: Transport[P], profile: P, ask: Ask) -> Plan:
    """Return what `transport` with `profile` carries of `ask`."""
    capabilities = transport.capabilities
    snapshot, note = ask.snapshot, None
    if snapshot and (why := transport.image_refused(profile)) is not None:
        snapshot, note = False, why
    frames = min(ask.burst_count, capabilities.max_burst) if snapshot else 0
    return Plan(
        frames=frames,
        raw_data=ask.raw_data and capabilities.files,
        clip=ask.clip and capabilities.files,
        note=note,
    )


def build_job(
    capabilities: Capabilities,
    plan: Plan,
    *,
    event: Mapping[str, Any],
    camera: str,
    when: dt.datetime,
    pattern: str,
    frames: Sequence[bytes],
    message: Message | None = None,
) -> tuple[list[tuple[str, bytes]], dict[str, Any]]:
    """Return the files to spool (suffix, bytes) and the job's payload naming them.

    `event` is the event as its JSON dict (`Event.as_dict`), `when` its start in local time,
    `pattern` the profile's file-name pattern.
    """

    def name(ext: str, index: int | None = None) -> str:
        return render(
            pattern,
            camera=camera,
            event_type=str(event["type"]),
            event_id=str(event["id"]),
            when=when,
            index=index,
            ext=ext,
        )

    items: list[tuple[str, bytes]] = [(".jpg", jpeg) for jpeg in frames]
    burst = len(frames) > 1
    names = [name(".jpg", index + 1 if burst else None) for index in range(len(frames))]
    content_types = ["image/jpeg"] * len(frames)
    if plan.raw_data:
        items.append((".json", json.dumps(event, indent=2).encode()))
        names.append(name(".json"))
        content_types.append("application/json")
    payload: dict[str, Any] = {"names": names, "content_types": content_types}
    if plan.clip:
        payload["clip_event"] = event["id"]
        payload["clip_name"] = name("")
    if capabilities.message and message is not None:
        payload["subject"] = message.subject
        payload["body"] = message.body
        payload["to"] = list(message.to)
    if capabilities.event:
        payload["event"] = event_payload(dict(event), camera_name=camera)
    return items, payload


def message_payload(message: Message) -> dict[str, Any]:
    """Return the payload of a job that mails only a message (no event, no files)."""
    return {
        "names": [],
        "content_types": [],
        "subject": message.subject,
        "body": message.body,
        "to": list(message.to),
    }


def clip_waits(payload: Mapping[str, Any], event_clip: str | None) -> bool:
    """Return whether a new job must wait for its event's clip (asked for, not there yet)."""
    return bool(payload.get("clip_event")) and not event_clip


def waits_for_clip(payload: Mapping[str, Any], event_id: str) -> bool:
    """Return whether a stored job's payload asks for the clip of `event_id`."""
    return payload.get("clip_event") == event_id


def clip_note(stored: str | None, size: int, limit: float | None) -> str | None:
    """Return why the clip stays home (none recorded, too large), or None to attach it.

    `stored` is the clip's path below the recordings folder, `size` its bytes, `limit` the
    largest file the transport takes (None: any).
    """
    if not stored:
        return NO_CLIP
    if limit is not None and size > limit:
        return (
            f"The clip ({size / 1_000_000:.1f} MB) is larger than the {limit / 1_000_000:g} MB "
            f"this mail server takes; it is stored at media/cam_events/recordings/{stored}."
        )
    return None


def outgoing(
    payload: Mapping[str, Any],
    contents: Sequence[bytes],
    *,
    clip: tuple[str, bytes] | None = None,
    note: str | None = None,
    key: str | None = None,
) -> Outgoing:
    """Return the request a transport receives from a stored job.

    `contents` are its spooled files' bytes; `clip`, if attached, the clip's stored path and
    bytes.
    """
    names: list[str] = list(payload.get("names", []))
    content_types: list[str] = list(payload.get("content_types", []))
    files = [
        Attachment(name, content_type, data)
        for name, content_type, data in zip(names, content_types, contents, strict=True)
    ]
    if clip is not None:
        stored, data = clip
        suffix = PurePosixPath(stored).suffix
        files.append(
            Attachment(
                payload["clip_name"] + suffix,
                CLIP_TYPES.get(suffix, "application/octet-stream"),
                data,
            )
        )
    to = payload.get("to")
    return Outgoing(
        files=tuple(files),
        event=payload.get("event"),
        subject=str(payload.get("subject", "")),
        body=str(payload.get("body", "")),
        to=tuple(to) if to else None,
        note=note,
        key=key,
    )
