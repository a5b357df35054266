"""Stream sources: URL checks, credentials kept out of stored and printed URLs, PyAV options."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import os
from urllib.parse import quote, unquote, urlsplit, urlunsplit


class SourceKind(StrEnum):
    """What kind of stream a URL points at."""

    RTSP = "rtsp"
    HTTP = "http"
    FILE = "file"


class InvalidSourceError(ValueError):
    """The URL is not something we can open."""


_SCHEMES = {
    "rtsp": SourceKind.RTSP,
    "rtsps": SourceKind.RTSP,
    "http": SourceKind.HTTP,
    "https": SourceKind.HTTP,
}


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Return the URL without user and password, and the user and password it held."""
    url = url.strip()
    parts = urlsplit(url)
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
    """Return the URL with any embedded user and password replaced, safe to log or show."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or (parts.username is None and parts.password is None):
        return url
    clean, _, _ = split_credentials(url)
    clean_parts = urlsplit(clean)
    return urlunsplit(clean_parts._replace(netloc=f"***:***@{clean_parts.netloc}"))


def source_kind(url: str) -> SourceKind:
    """Classify a URL, raising InvalidSourceError when it cannot be a stream."""
    url = url.strip()
    if not url:
        raise InvalidSourceError("empty")
    parts = urlsplit(url)
    if parts.scheme in _SCHEMES:
        if not parts.hostname:
            raise InvalidSourceError("no host")
        try:
            _ = parts.port
        except ValueError as err:
            raise InvalidSourceError("bad port") from err
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

    def av_options(self) -> dict[str, str]:
        """FFmpeg options: TCP for RTSP, short probing so opening takes a fraction of a second."""
        options = {"analyzeduration": "500000", "probesize": "500000"}
        kind = self.kind
        if kind is SourceKind.RTSP:
            options["rtsp_transport"] = "tcp"
            options["rtsp_flags"] = "prefer_tcp"
        elif kind is SourceKind.HTTP:
            options["reconnect"] = "0"
        return options
