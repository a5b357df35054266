"""UDP push: send each event as one datagram (unicast, multicast or broadcast, IPv4).

The datagram is the payload documented in :mod:`.payload`, compact UTF-8 JSON trimmed to
``max_bytes``. UDP gives no answer: "sent" means the datagram left this host, not that anyone
received it. Multicast uses ``ttl`` as its hop limit (IP_MULTICAST_TTL) and, when
``interface`` (an IPv4 address of this host) is given, sends through that interface
(IP_MULTICAST_IF); without it the kernel picks the interface from the routing table. Broadcast
sets SO_BROADCAST. ``ttl`` and ``interface`` only apply to multicast.

Nothing here imports Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import ipaddress
import socket
from typing import Any, Final

from .base import Capabilities, DeliveryError, Host, Outgoing, Transport, require_text
from .payload import MAX_DATAGRAM, MIN_DATAGRAM, datagram

__all__ = ["Mode", "UdpProfile", "push", "validate"]

_LIMITED_BROADCAST: Final = ipaddress.IPv4Address("255.255.255.255")
_MULTICAST: Final = ipaddress.IPv4Network("224.0.0.0/4")
_CLOSE_TIMEOUT: Final = 5.0


class Mode(StrEnum):
    """How a datagram is addressed."""

    UNICAST = "unicast"
    MULTICAST = "multicast"
    BROADCAST = "broadcast"


@dataclass(frozen=True, slots=True)
class UdpProfile:
    """Where to send datagrams."""

    mode: Mode
    address: str
    port: int
    ttl: int = 1
    """Multicast hop limit (1: this network only)."""
    max_bytes: int = 1400
    """The largest datagram; longer payloads are trimmed."""
    interface: str | None = None
    """IPv4 address of the interface multicast leaves by (None: the routing table decides)."""


def _ipv4(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def _is_broadcast(address: ipaddress.IPv4Address) -> bool:
    """Return True for 255.255.255.255 and for subnet broadcasts (x.x.x.255)."""
    if address == _LIMITED_BROADCAST:
        return True
    return address not in _MULTICAST and address.packed[-1] == 0xFF


def validate(profile: UdpProfile) -> None:
    """Check a profile; raise ValueError with a key naming the first problem found.

    Keys, checked in this order:

    - ``invalid_mode``: not unicast, multicast or broadcast;
    - ``invalid_port``: not 1..65535;
    - ``invalid_address``: not an IPv4 address, or 0.0.0.0;
    - ``not_multicast``: multicast outside 224.0.0.0/4;
    - ``not_broadcast``: broadcast to neither 255.255.255.255 nor an x.x.x.255 address;
    - ``multicast_not_unicast``: unicast to a multicast or the limited broadcast address;
    - ``invalid_ttl``: not 1..255;
    - ``invalid_interface``: not an IPv4 address;
    - ``invalid_max_bytes``: not MIN_DATAGRAM..MAX_DATAGRAM (128..65507).
    """
    if profile.mode not in set(Mode):
        raise ValueError("invalid_mode")
    if not 1 <= profile.port <= 65535:
        raise ValueError("invalid_port")
    address = _ipv4(profile.address)
    if address is None or address.is_unspecified:
        raise ValueError("invalid_address")
    if profile.mode == Mode.MULTICAST and address not in _MULTICAST:
        raise ValueError("not_multicast")
    if profile.mode == Mode.BROADCAST and not _is_broadcast(address):
        raise ValueError("not_broadcast")
    if profile.mode == Mode.UNICAST and (address in _MULTICAST or address == _LIMITED_BROADCAST):
        raise ValueError("multicast_not_unicast")
    if not 1 <= profile.ttl <= 255:
        raise ValueError("invalid_ttl")
    if profile.interface is not None and _ipv4(profile.interface) is None:
        raise ValueError("invalid_interface")
    if not MIN_DATAGRAM <= profile.max_bytes <= MAX_DATAGRAM:
        raise ValueError("invalid_max_bytes")


class _Sender(asyncio.DatagramProtocol):
    """Collect the send error and the end of the transport."""

    def __init__(self) -> None:
        self.error: OSError | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def error_received(self, exc: Exception) -> None:
        """Remember the first error the transport reports."""
        if self.error is None and isinstance(exc, OSError):
            self.error = exc

    def connection_lost(self, exc: Exception | None) -> None:
        """Mark the transport closed."""
        if exc is not None:
            self.error_received(exc)
        if not self.closed.done():
            self.closed.set_result(None)


def _socket(profile: UdpProfile) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        if profile.mode == Mode.BROADCAST:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        elif profile.mode == Mode.MULTICAST:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, profile.ttl)
            if profile.interface is not None:
                sock.setsockopt(
                    socket.IPPROTO_IP,
                    socket.IP_MULTICAST_IF,
                    socket.inet_aton(profile.interface),
                )
    except BaseException:
        sock.close()
        raise
    return sock


async def push(profile: UdpProfile, payload: dict[str, Any]) -> str:
    """Send the payload as one datagram; return e.g. ``"sent 321 bytes"``.

    Raise DeliveryError when the datagram cannot be sent (no route, refused by the kernel...).
    """
    data = datagram(payload, profile.max_bytes)
    target = f"{profile.mode} {profile.address}:{profile.port}"
    loop = asyncio.get_running_loop()
    protocol = _Sender()
    try:
        sock = _socket(profile)
    except OSError as err:
        raise DeliveryError(f"UDP {target}: {err.strerror or err}") from None
    try:
        transport, _ = await loop.create_datagram_endpoint(lambda: protocol, sock=sock)
    except OSError as err:
        sock.close()
        raise DeliveryError(f"UDP {target}: {err.strerror or err}") from None
    try:
        transport.sendto(data, (profile.address, profile.port))
    finally:
        transport.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await protocol.closed
    except TimeoutError:
        transport.abort()
        raise DeliveryError(f"UDP {target}: timed out sending") from None
    if protocol.error is not None:
        error = protocol.error
        raise DeliveryError(f"UDP {target}: {error.strerror or error}")
    return f"sent {len(data)} bytes"


class UdpTransport(Transport[UdpProfile]):
    """UDP push: the event as one datagram, never an image."""

    kind = "udp"
    service = "push_udp"
    capabilities = Capabilities(image=False, files=False, max_burst=1, event=True)

    def profile(self, data: Mapping[str, Any]) -> UdpProfile:
        """Build the UDP push settings."""
        return UdpProfile(
            mode=Mode(data["mode"]),
            address=data["address"],
            port=int(data["port"]),
            ttl=int(data.get("ttl", 1)),
            interface=data.get("interface") or None,
        )

    def check(self, host: Host, data: dict[str, Any]) -> dict[str, str]:
        """Require an address to send to."""
        return require_text(data, "address", "invalid_address")

    def image_refused(self, profile: UdpProfile) -> str | None:
        """Leave the image out: a datagram has no room for it."""
        return "UDP carries the event only"

    async def test_connection(self, host: Host, profile: UdpProfile) -> None:
        """UDP gets no answer: check the settings only."""
        validate(profile)

    async def deliver(self, host: Host, profile: UdpProfile, outgoing: Outgoing) -> str:
        """Send the event."""
        return await push(profile, dict(outgoing.event or {}))


TRANSPORT = UdpTransport()
