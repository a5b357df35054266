"""What every transport shares: its errors and what it sends."""

from __future__ import annotations

from dataclasses import dataclass


class DeliveryError(Exception):
    """A delivery failed for a reason that may pass: retry later (a peer down, a timeout)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the peer refused the request itself): keep as a dead letter."""


class AuthenticationError(PermanentDeliveryError):
    """The peer refused the credentials: dead letter, and the user must fix the profile."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send: a JPEG snapshot, a burst frame, a clip, the raw event as JSON."""

    filename: str
    content_type: str
    data: bytes
