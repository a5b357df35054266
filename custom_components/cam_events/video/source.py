"""Stream sources: URL checks, credentials kept out of stored and printed URLs, PyAV options."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import os
import re
from typing import Final
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit


class SourceKind(StrEnum):
    """What kind of stream a URL points at."""

    RTSP = "rtsp"
    HTTP = "http"
    FILE = "file"


class RtspTransport(StrEnum):
    """How RTP travels from an RTSP camera: chosen per camera."""

    AUTO = "auto"  # TCP first, UDP when the camera refuses TCP; the one that worked is kept
    TCP = "tcp"  # interleaved in the RTSP connection: no loss, through NAT and firewalls
    UDP = "udp"  # separate UDP ports: what some cameras and servers (VLC) only offer


class InvalidSourceError(ValueError):
    """The URL is not something we can open."""


_SCHEMES = {
    "rtsp": SourceKind.RTSP,
    "rtsps": SourceKind.RTSP,
    "http": SourceKind.HTTP,
    "https": SourceKind.HTTP,
}


_CREDENTIAL_KEY: Final = re.compile(
    r"pwd|pass|token|key|auth|user|secret|login|sig|session|cred|account", re.IGNORECASE
)
"""A query parameter whose name matches holds a credential (`?user=admin&pwd=…`)."""
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def _split(url: str) -> SplitResult:
    """Split a URL, raising InvalidSourceError for one Python cannot read (`pa[ss@`, port 99999)."""
    if _CONTROL.search(url):
        raise InvalidSourceError("control character")
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as err:
        raise InvalidSourceError(str(err)) from err
    return parts


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Return the URL without user and password, and the user and password it held.

    Raises InvalidSourceError for a URL that cannot be parsed.
    """
    url = url.strip()
    parts = _split(url)
    if parts.scheme not in _SCHEMES or (parts.username is None and parts.password is None):
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return clean, user, password


def redact_url(url: str) -> str:
    """Return the URL safe to log or show: no user, password or credential query values.

    Never raises: a URL that cannot be parsed is shown as its scheme only.
    """
    try:
        clean, user, password = split_credentials(url)
        parts = urlsplit(clean)
    except InvalidSourceError:
        scheme = url.split(":", 1)[0] if ":" in url else ""
        return f"{scheme}://***" if scheme.isalpha() else "***"
    if parts.query:
        parts = parts._replace(query=redact_query(parts.query))
    if user is not None or password is not None:
        parts = parts._replace(netloc=f"***:***@{parts.netloc}")
    return urlunsplit(parts)


def redact_query(query: str) -> str:
    """Replace the values of credential-looking query parameters with `***`."""
    items = []
    for item in query.split("&"):
        name, sep, _ = item.partition("=")
        items.append(f"{name}=***" if sep and _CREDENTIAL_KEY.search(unquote(name)) else item)
    return "&".join(items)


def source_kind(url: str) -> SourceKind:
    """Classify a URL, raising InvalidSourceError when it cannot be a stream."""
    url = url.strip()
    if not url:
        raise InvalidSourceError("empty")
    parts = _split(url)
    if parts.scheme in _SCHEMES:
        if not parts.hostname:
            raise InvalidSourceError("no host")
        return _SCHEMES[parts.scheme]
    if parts.scheme == "file":
        path = unquote(parts.path)
    elif parts.scheme == "" and url.startswith("/"):
        path = url
    else:
        raise InvalidSourceError("unsupported scheme")
    if not os.path.isabs(path):
        raise InvalidSourceError("not an absolute path")
    return SourceKind.FILE


@dataclass(frozen=True, slots=True)
class StreamSource:
    """A stream to open: the stored URL (no credentials) and the credentials beside it."""

    url: str
    username: str | None = None
    password: str | None = None
    open_timeout: float = 5.0
    read_timeout: float = 5.0
    transport: RtspTransport = RtspTransport.AUTO

    @property
    def kind(self) -> SourceKind:
        """The kind of source."""
        return source_kind(self.url)

    @property
    def path(self) -> str:
        """The local path of a file source."""
        parts = urlsplit(self.url)
        return unquote(parts.path) if parts.scheme == "file" else self.url

    def open_url(self) -> str:
        """Return the URL to hand to FFmpeg, with credentials (never log this)."""
        kind = self.kind
        if kind is SourceKind.FILE:
            return self.path
        if not self.username:
            return self.url
        parts = urlsplit(self.url)
        auth = quote(self.username, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return urlunsplit(parts._replace(netloc=f"{auth}@{parts.netloc}"))

    def transports(self, worked: RtspTransport | None = None) -> tuple[RtspTransport | None, ...]:
        """Return the RTSP transports to try, in order (``(None,)`` for a source that is not RTSP).

        A fixed choice is the only one tried. Automatic tries TCP, then UDP; once a transport
        has `worked`, it is tried first (and the other only if the camera refuses it).
        """
        if self.kind is not SourceKind.RTSP:
            return (None,)
        if self.transport is not RtspTransport.AUTO:
            return (self.transport,)
        if worked is RtspTransport.UDP:
            return (RtspTransport.UDP, RtspTransport.TCP)
        return (RtspTransport.TCP, RtspTransport.UDP)

    def av_options(self, transport: RtspTransport | None = None) -> dict[str, str]:
        """FFmpeg options: one RTSP transport, short probing (opens in a fraction of a second).

        `transport` is a concrete choice (TCP or UDP); left out, the first of transports().
        """
        options = {"analyzeduration": "500000", "probesize": "500000"}
        kind = self.kind
        if kind is SourceKind.RTSP:
            chosen = transport or self.transports()[0]
            if chosen is None or chosen is RtspTransport.AUTO:
                chosen = RtspTransport.TCP
            # Exactly one lower transport: FFmpeg's own fallback would hide which one worked.
            options["rtsp_transport"] = chosen.value
        elif kind is SourceKind.HTTP:
            options["reconnect"] = "0"
        return options
