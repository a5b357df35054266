"""What every transport shares: its errors, what it sends and the interface it offers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
import ssl
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

if TYPE_CHECKING:
    import aiohttp


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


# ---- the transport interface ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a kind of destination carries; the service asks for no more than this."""

    image: bool
    """The event's snapshot (an e-mail attachment, an uploaded file, a POST's image part)."""
    files: bool
    """More files: the raw event as JSON, the clip."""
    max_burst: int
    """Frames of a burst it takes (1: the event's own frame only)."""
    files_only: bool = False
    """It sends files and nothing else: a call that asks for no file has nothing to send."""
    message: bool = False
    """A subject, a body and recipients (e-mail)."""
    event: bool = False
    """The event itself as a JSON payload (HTTP and UDP push)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One delivery as a transport receives it: built by the core from a stored job."""

    files: tuple[Attachment, ...] = ()
    """Images first, then the raw event, then the clip; names are relative paths."""
    event: dict[str, Any] | None = None
    subject: str = ""
    body: str = ""
    to: tuple[str, ...] | None = None
    """Recipients of this message; None: the profile's own."""
    note: str | None = None
    """What the receiver should know (a clip left out and where it is); mail adds it."""
    key: str | None = None
    """The same on every attempt of one delivery (the job's id), so a receiver can drop a
    repeat: an attempt whose answer was lost may have arrived. HTTP sends it as
    ``Idempotency-Key``, mail as the Message-ID."""


class Endpoint(TypedDict):
    """The settings every networked profile stores alike (form field names differ a little)."""

    host: str
    port: int
    timeout: float
    verify_tls: bool


def endpoint(data: Mapping[str, Any], timeout: float) -> Endpoint:
    """Read a profile's server, port, time-out (`timeout` if not stored) and TLS check."""
    return Endpoint(
        host=data["host"],
        port=int(data["port"]),
        timeout=float(data.get("timeout", timeout)),
        verify_tls=bool(data.get("verify_ssl", True)),
    )


class Host(Protocol):
    """What the host application (Home Assistant) lends a transport."""

    @property
    def media_dir(self) -> Path:
        """Return the media folder local files are written below."""

    def is_allowed_path(self, path: str) -> bool:
        """Return whether the host lets the integration write to `path`."""

    def http_session(self, verify_tls: bool) -> aiohttp.ClientSession:
        """Return the host's shared HTTP client session."""

    def run_blocking[T](self, func: Callable[[], T], /) -> Awaitable[T]:
        """Run blocking work (file writes) off the event loop."""


class Transport[P](Protocol):
    """One kind of destination, as httpx's `BaseTransport`: all the core knows of it.

    Each of `email`, `ftp`, `http_push`, `udp_push` and `local` exports one (`TRANSPORT`);
    `registry.TRANSPORTS` holds them by kind. The methods with a body are defaults.
    """

    kind: str
    """Stored in the profile's config entry: ``smtp``, ``ftp``, ``http``, ``udp``, ``local``."""
    service: str
    """The handler service that sends through it."""
    capabilities: Capabilities

    def profile(self, data: Mapping[str, Any]) -> P:
        """Build the settings from a profile's stored data (form field names as keys)."""
        ...

    def check(self, host: Host, data: dict[str, Any]) -> dict[str, str]:
        """Check a form without connecting; return {field: error key}. May normalise `data`."""
        return {}

    def insecure_login(self, profile: P) -> bool:
        """Return whether the profile sends a password unencrypted."""
        return False

    def image_refused(self, profile: P) -> str | None:
        """Return why this profile leaves the snapshot out, or None if it carries it."""
        return None

    def attachment_limit(self, profile: P) -> float | None:
        """Return the largest file (bytes) it takes, or None for any size."""
        return None

    def keepalive(self, profile: P) -> float:
        """Return the seconds between keep-alive requests (0: none)."""
        return 0.0

    async def heartbeat(self, host: Host, profile: P) -> None:
        """Send one keep-alive request (only called when `keepalive` is positive)."""
        return

    async def test_connection(self, host: Host, profile: P) -> None:
        """Check the profile, reach the destination; raise ValueError (a key) or DeliveryError."""
        ...

    async def deliver(self, host: Host, profile: P, outgoing: Outgoing) -> str:
        """Send; return what the peer answered; raise a delivery error."""
        ...


def require_text(data: Mapping[str, Any], key: str, error: str) -> dict[str, str]:
    """Return {key: error} when a form's field is empty, only blanks or holds a control character.

    A NUL or a line break in a host name would otherwise reach the name lookup or the socket
    layer, whose own words (untranslated) would become the form's error.
    """
    value = str(data.get(key, "")).strip()
    return {} if value and value.isprintable() else {key: error}
