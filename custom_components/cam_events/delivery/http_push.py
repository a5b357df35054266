"""HTTP push: send each event (and its snapshot) to a web server.

POST sends ``multipart/form-data`` with the part ``event`` (``application/json``, the payload
documented in :mod:`.payload`) and, when there is a snapshot, the part ``image``
(``image/jpeg``). GET sends the payload as query parameters and never an image: only POST
carries the image. A heartbeat is the same request with ``"heartbeat": true`` in place of the
event (``heartbeat=true`` as a query parameter for GET).

Outcomes: a 2xx answer is a success; 401/403 raise :class:`AuthenticationError`; 408, 429, 5xx,
connection errors and timeouts raise :class:`DeliveryError` (retry later); a TLS verification
failure, a redirect and any other answer raise :class:`PermanentDeliveryError`. No message
ever contains the password.

The caller owns the ``aiohttp.ClientSession`` (Home Assistant's shared one), so keep-alive
connections are reused between pushes. Nothing here imports Home Assistant.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import ipaddress
import json
from typing import Any, Final

import aiohttp
from yarl import URL

from .base import (
    AuthenticationError,
    Capabilities,
    DeliveryError,
    Host,
    Outgoing,
    PermanentDeliveryError,
    Transport,
    endpoint,
    require_text,
)
from .payload import heartbeat_payload, query_params

__all__ = ["HttpProfile", "Method", "heartbeat", "push", "test_connection", "validate"]

_RETRY_STATUSES: Final = frozenset({408, 429})
_AUTH_STATUSES: Final = frozenset({401, 403})
_HOST_FORBIDDEN: Final = frozenset("/?#@\\")


class Method(StrEnum):
    """The HTTP method of a profile."""

    POST = "POST"
    GET = "GET"


@dataclass(frozen=True, slots=True)
class HttpProfile:
    """Where and how to push: the server, the request, the credentials."""

    host: str
    port: int
    path: str = "/"
    method: Method = Method.POST
    username: str | None = None
    password: str | None = None
    https: bool = False
    verify_tls: bool = True
    keepalive: int = 0
    """Seconds between heartbeats (0: none); the caller schedules them."""
    timeout: float = 10.0
    """Seconds for the whole request, answer included."""

    def __repr__(self) -> str:
        """Describe the profile without its password."""
        return (
            f"HttpProfile(url={self.url!r}, method={self.method}, "
            f"username={self.username!r}, verify_tls={self.verify_tls})"
        )

    @property
    def url(self) -> str:
        """Return the target URL, never with the credentials."""
        return str(self._url())

    def _url(self) -> URL:
        path, _, query = self.path.partition("?")
        host = self.host.strip("[]")
        return URL.build(
            scheme="https" if self.https else "http",
            host=host,
            port=self.port,
            path=path,
            query_string=query,
        )


def validate(profile: HttpProfile) -> None:
    """Check a profile; raise ValueError with a key naming the first problem found.

    Keys: ``invalid_host`` (empty, blank, with a scheme or other URL parts), ``invalid_port``
    (not 1..65535), ``invalid_path`` (not starting with "/"), ``invalid_username`` (with a
    colon, which Basic auth cannot carry), ``invalid_timeout`` (not positive),
    ``invalid_method`` (neither POST nor GET).
    """
    host = profile.host
    if (
        not host
        or any(char.isspace() for char in host)
        or "://" in host
        or _HOST_FORBIDDEN.intersection(host)
    ):
        raise ValueError("invalid_host")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.strip("[]"))
        except ValueError:
            raise ValueError("invalid_host") from None
    if not 1 <= profile.port <= 65535:
        raise ValueError("invalid_port")
    if not profile.path.startswith("/"):
        raise ValueError("invalid_path")
    if profile.username is not None and ":" in profile.username:
        raise ValueError("invalid_username")
    if not profile.timeout > 0:
        raise ValueError("invalid_timeout")
    if profile.method not in set(Method):
        raise ValueError("invalid_method")


def _auth_headers(profile: HttpProfile) -> dict[str, str]:
    """Return the Basic auth header (RFC 7617, UTF-8), if the profile has a user name.

    Built here rather than with ``aiohttp.BasicAuth``, which aiohttp 3.14 deprecates.
    """
    if not profile.username:
        return {}
    if ":" in profile.username:
        raise PermanentDeliveryError("the user name cannot contain a colon")
    credentials = f"{profile.username}:{profile.password or ''}".encode()
    return {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}


def _form(payload: dict[str, Any], image: bytes | None, filename: str) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field(
        "event",
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
    )
    if image is not None:
        safe_name = "".join(char for char in filename if char.isprintable()) or "snapshot.jpg"
        form.add_field("image", image, content_type="image/jpeg", filename=safe_name)
    return form


async def _request(
    session: aiohttp.ClientSession,
    profile: HttpProfile,
    payload: dict[str, Any],
    image: bytes | None,
    filename: str,
    key: str | None = None,
) -> str:
    url = profile._url()
    headers = _auth_headers(profile)
    if key is not None:
        headers["Idempotency-Key"] = key
    options: dict[str, Any] = {
        "headers": headers,
        "timeout": aiohttp.ClientTimeout(total=profile.timeout),
        "allow_redirects": False,
        "ssl": profile.verify_tls or not profile.https,
    }
    if profile.method == Method.GET:
        options["params"] = query_params(payload)
    else:
        options["data"] = _form(payload, image, filename)
    method = str(profile.method)
    target = f"{method} {url}"
    try:
        async with session.request(method, url, **options) as response:
            await response.read()
            status, reason = response.status, response.reason or ""
    except aiohttp.ClientSSLError as err:
        raise PermanentDeliveryError(f"TLS failed for {target}: {_describe(err)}") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as err:
        raise DeliveryError(f"{target} failed: {_describe(err)}") from None

    result = f"HTTP {status}" + (f" {reason}" if reason else "")
    if 200 <= status < 300:
        return result
    if status in _AUTH_STATUSES:
        raise AuthenticationError(f"{target}: {result} (check the user name and password)")
    if status in _RETRY_STATUSES or status >= 500:
        raise DeliveryError(f"{target}: {result}")
    if 300 <= status < 400:
        raise PermanentDeliveryError(f"{target}: {result} (redirects are not followed)")
    raise PermanentDeliveryError(f"{target}: {result}")


def _describe(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    return str(err) or type(err).__name__


async def push(
    session: aiohttp.ClientSession,
    profile: HttpProfile,
    payload: dict[str, Any],
    image: bytes | None = None,
    *,
    filename: str = "snapshot.jpg",
    key: str | None = None,
) -> str:
    """Send one event payload (and, with POST only, its JPEG); return e.g. ``"HTTP 200 OK"``.

    ``key`` goes as the ``Idempotency-Key`` header: the same on every attempt of one delivery.
    Raise AuthenticationError, PermanentDeliveryError or DeliveryError (retry later).
    """
    return await _request(session, profile, payload, image, filename, key)


async def heartbeat(
    session: aiohttp.ClientSession, profile: HttpProfile, payload: dict[str, Any]
) -> str:
    """Send a keep-alive request: ``payload`` plus ``"heartbeat": true`` and ``sent_at``.

    ``payload`` is usually :func:`.payload.heartbeat_payload`; it goes to the same URL with
    the same method as events. Raise as :func:`push` does.
    """
    body = heartbeat_payload() | dict(payload) | {"heartbeat": True}
    return await _request(session, profile, body, None, "")


async def test_connection(session: aiohttp.ClientSession, profile: HttpProfile) -> None:
    """Check a profile by sending a heartbeat; raise as :func:`push` does."""
    await heartbeat(session, profile, heartbeat_payload())


class HttpTransport(Transport[HttpProfile]):
    """HTTP push: the event as JSON (a POST also carries the snapshot); keep-alives."""

    kind = "http"
    service = "push_http"
    capabilities = Capabilities(image=True, files=False, max_burst=1, event=True)

    def profile(self, data: Mapping[str, Any]) -> HttpProfile:
        """Build the HTTP push settings."""
        return HttpProfile(
            **endpoint(data, 10),
            path=data.get("path") or "/",
            # Forms store "post"/"get" (option values are translation keys); older entries "POST".
            method=Method(str(data.get("method", "post")).upper()),
            username=data.get("username") or None,
            password=data.get("password") or None,
            https=bool(data.get("https", False)),
            keepalive=int(data.get("keepalive", 0)),
        )

    def check(self, host: Host, data: dict[str, Any]) -> dict[str, str]:
        """Require a host to push to."""
        return require_text(data, "host", "invalid_host")

    def insecure_login(self, profile: HttpProfile) -> bool:
        """HTTP Basic credentials without HTTPS."""
        return bool(profile.password or profile.username) and not profile.https

    def image_refused(self, profile: HttpProfile) -> str | None:
        """Leave the image out of a GET: it has no body to carry it."""
        return None if profile.method == Method.POST else "only POST carries the image"

    def keepalive(self, profile: HttpProfile) -> float:
        """Return the profile's heartbeat interval."""
        return float(profile.keepalive)

    async def heartbeat(self, host: Host, profile: HttpProfile) -> None:
        """One keep-alive request."""
        await heartbeat(host.http_session(profile.verify_tls), profile, heartbeat_payload())

    async def test_connection(self, host: Host, profile: HttpProfile) -> None:
        """Check the settings, then send a heartbeat."""
        validate(profile)
        await test_connection(host.http_session(profile.verify_tls), profile)

    async def deliver(self, host: Host, profile: HttpProfile, outgoing: Outgoing) -> str:
        """Push the event, with the first image when there is one."""
        image = outgoing.files[0].data if outgoing.files else None
        session = host.http_session(profile.verify_tls)
        return await push(session, profile, dict(outgoing.event or {}), image, key=outgoing.key)


TRANSPORT = HttpTransport()
