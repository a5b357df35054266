"""Real UDP receivers on the loopback interface: unicast, multicast and broadcast.

Loopback needs: a multicast receiver bound to the group and joined on 127.0.0.1
(IP_ADD_MEMBERSHIP with the interface 127.0.0.1) and a sender with IP_MULTICAST_IF 127.0.0.1
(otherwise the datagram follows the default route out of another interface and the lo
membership never sees it); a broadcast receiver bound to the wildcard address, and a sender
with SO_BROADCAST (without it the kernel refuses 127.255.255.255 with EACCES).

Each receiver also records the IP TTL of every datagram (IP_RECVTTL), so tests can check the
multicast hop limit a sender set.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import socket
import sys

MULTICAST_GROUP = "239.255.42.42"
BROADCAST_ADDRESS = "127.255.255.255"


@dataclass(frozen=True, slots=True)
class Datagram:
    """One datagram as received."""

    data: bytes
    sender: tuple[str, int]
    ttl: int | None


class UdpReceiver:
    """Receives datagrams on a free port; `mode` is "unicast", "multicast" or "broadcast"."""

    def __init__(self, mode: str = "unicast", group: str = MULTICAST_GROUP) -> None:
        self.mode = mode
        self.group = group
        self.port = 0
        self.received: list[Datagram] = []
        self._queue: asyncio.Queue[Datagram] = asyncio.Queue()
        self._sock: socket.socket | None = None

    @property
    def address(self) -> str:
        """Where a sender should address its datagrams."""
        return {"multicast": self.group, "broadcast": BROADCAST_ADDRESS}.get(self.mode, "127.0.0.1")

    def _socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTTL, 1)
            if self.mode == "multicast":
                sock.bind((self.group, 0))
                membership = socket.inet_aton(self.group) + socket.inet_aton("127.0.0.1")
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            elif self.mode == "broadcast":
                sock.bind(("", 0))
            else:
                sock.bind(("127.0.0.1", 0))
        except BaseException:
            sock.close()
            raise
        return sock

    def _readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data, ancillary, _, sender = self._sock.recvmsg(65535, socket.CMSG_SPACE(4))
            except BlockingIOError:
                return
            ttl = next(
                (
                    int.from_bytes(value[:4], sys.byteorder)
                    for level, kind, value in ancillary
                    if level == socket.IPPROTO_IP and kind == socket.IP_TTL
                ),
                None,
            )
            datagram = Datagram(data, sender, ttl)
            self.received.append(datagram)
            self._queue.put_nowait(datagram)

    async def start(self) -> None:
        """Bind and start receiving."""
        self._sock = self._socket()
        self.port = self._sock.getsockname()[1]
        asyncio.get_running_loop().add_reader(self._sock.fileno(), self._readable)

    async def receive(self, timeout: float = 5.0) -> tuple[bytes, tuple[str, int]]:
        """Return the next datagram and its sender; raise TimeoutError after `timeout`."""
        datagram = await self.receive_datagram(timeout)
        return datagram.data, datagram.sender

    async def receive_datagram(self, timeout: float = 5.0) -> Datagram:
        """Return the next datagram with its sender and TTL."""
        async with asyncio.timeout(timeout):
            return await self._queue.get()

    def pending(self) -> int:
        """Return how many datagrams wait unread."""
        return self._queue.qsize()

    async def close(self) -> None:
        """Stop receiving and release the socket."""
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
