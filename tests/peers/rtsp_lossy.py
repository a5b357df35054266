"""A lossy network between an RTSP client and server: a real RTSP proxy with a UDP relay.

The proxy forwards the RTSP control connection (TCP) both ways. In each SETUP request it
replaces the client's ``client_port=A-B`` with ports of its own relay, so the server sends RTP
and RTCP to the relay; the relay forwards them to the client's real ports and drops a share of
the RTP packets, the way a busy Wi-Fi link or a cheap switch does. Everything else (the
client's RTCP to the server, the replies) goes unchanged.

Example::

    with RtspServer(udp_only=True) as cam, LossyRtspProxy(cam.port, loss=0.05) as net:
        url = net.url(cam.path)
        ...
        net.dropped, net.forwarded  # RTP packets dropped and passed on
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import threading
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
_CLIENT_PORT = re.compile(rb"client_port=(\d+)-(\d+)")
_HEADER_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")


class _Relay(asyncio.DatagramProtocol):
    """Receives the server's RTP (or RTCP) on one port and passes it to the client's port."""

    def __init__(self, proxy: LossyRtspProxy, target: int, lossy: bool) -> None:
        self._proxy = proxy
        self._target = (HOST, target)
        self._lossy = lossy
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self.transport is None:
            return
        if self._lossy and self._proxy.drop():
            return
        self.transport.sendto(data, self._target)


class LossyRtspProxy:
    """An RTSP proxy on 127.0.0.1 that drops `loss` of the RTP packets sent over UDP."""

    def __init__(self, upstream_port: int, *, loss: float = 0.05, seed: int = 11) -> None:
        """Forward to the RTSP server on 127.0.0.1:`upstream_port`; nothing runs before start()."""
        self.upstream_port = upstream_port
        self.loss = loss
        self.port = 0
        self.dropped = 0
        self.forwarded = 0
        self.sessions = 0
        self._random = random.Random(seed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._relays: list[asyncio.DatagramTransport] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()

    def url(self, path: str) -> str:
        """The stream's address through the proxy."""
        return f"rtsp://{HOST}:{self.port}{path}"

    def drop(self) -> bool:
        """Decide whether the next RTP packet is lost (counts both outcomes)."""
        if self._random.random() < self.loss:
            self.dropped += 1
            return True
        self.forwarded += 1
        return False

    # ---- lifecycle (test thread) ----------------------------------------------------------

    def start(self) -> None:
        """Run the proxy in its own thread and event loop."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="lossy-rtsp-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the lossy RTSP proxy did not start")

    def stop(self) -> None:
        """Close every connection and relay, stop the loop and join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        """Start the proxy."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the proxy."""
        self.stop()

    # ---- the proxy's loop ------------------------------------------------------------------

    def _run(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._client, HOST, self.port)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        for relay in self._relays:
            relay.close()
        self._relays.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        down = asyncio.create_task(self._pipe(up_reader, writer))
        self._tasks.add(down)
        try:
            await self._requests(reader, up_writer)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            up_writer.close()
            writer.close()
            down.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await down
            self._tasks.discard(down)
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Server to client, unchanged (the client does not read client_port in the reply)."""
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Client to server, one request at a time, with SETUP's client ports replaced."""
        while True:
            try:
                head = await reader.readuntil(_HEADER_END)
            except asyncio.IncompleteReadError:
                return
            body = b""
            if match := _CONTENT_LENGTH.search(head):
                body = await reader.readexactly(int(match.group(1)))
            if match := _CLIENT_PORT.search(head):
                rtp, rtcp = await self._relay_pair(int(match.group(1)), int(match.group(2)))
                head = head.replace(match.group(0), f"client_port={rtp}-{rtcp}".encode())
                self.sessions += 1
            writer.write(head + body)
            await writer.drain()

    async def _relay_pair(self, rtp_target: int, rtcp_target: int) -> tuple[int, int]:
        """Open the relay's RTP and RTCP ports towards the client's; return the relay's ports."""
        assert self._loop is not None
        ports = []
        for target, lossy in ((rtp_target, True), (rtcp_target, False)):
            transport, _ = await self._loop.create_datagram_endpoint(
                lambda target=target, lossy=lossy: _Relay(self, target, lossy),
                local_addr=(HOST, 0),
            )
            self._relays.append(transport)
            ports.append(transport.get_extra_info("sockname")[1])
        return ports[0], ports[1]
