"""What every transport shares: its errors and what it sends."""

from __future__ import annotations

from dataclasses import dataclass
import ssl


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


def client_tls_context(verify: bool) -> ssl.SSLContext:
    """Create a client TLS context that verifies the server, or accepts any certificate.

    It loads the system CA store: call it off the event loop.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def redact(text: str, secret: str | None) -> str:
    """Remove a secret from `text`, should a server or library ever echo it."""
    return text.replace(secret, "***") if secret else text
