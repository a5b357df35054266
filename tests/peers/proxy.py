"""A TCP proxy on 127.0.0.1 in front of a real peer, that can make it slow or drop connections.

`reply_delay`: each chunk the peer sends is passed on that many seconds after it came (a peer
that takes 10 s per reply), in order. `drop_after`: a connection is cut (reset) once the
client has sent that many bytes on it, the next `drops` times; `drop_on`: cut 0.2 s after the
client sent these bytes (an FTP upload has begun on its data connection by then). What the
client sends is passed on at once. Runs its own event loop in a thread (as the other peers
do), so nothing of it lingers on Home Assistant's loop; `stop()` closes every connection and
joins it.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading


class FaultyProxy:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`target`, with the faults set at run time."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = 0
        self.reply_delay = 0.0
        self.drop_after: int | None = None
        self.drop_on: bytes | None = None
        """Cut a connection just after the client sent these bytes (a command), instead."""
        self.drops = 0
        """How many more connections to cut once `drop_after` bytes have come from the client."""
        self.dropped = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen (blocking until ready)."""
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="test-proxy", daemon=True)
        self._thread.start()
        assert ready.wait(5), "the proxy did not start"

    def stop(self) -> None:
        """Close the listener and every connection; join the thread."""
        if self._thread is None:
            return

        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._thread = None
        self._loop.close()

    def _take_drop(self) -> bool:
        with self._lock:
            if self.drops <= 0:
                return False
            self.drops -= 1
            self.dropped += 1
            return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        cut = asyncio.Event()
        try:
            await asyncio.gather(
                self._upstream(reader, up_writer, writer, cut),
                self._downstream(up_reader, writer, cut),
            )
        except OSError:
            pass  # a side went away (or was cut): the other is closed below
        finally:
            for each in (writer, up_writer):
                self._writers.discard(each)
                each.transport.abort()

    async def _upstream(
        self,
        reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
        writer: asyncio.StreamWriter,
        cut: asyncio.Event,
    ) -> None:
        sent = 0
        while data := await reader.read(65536):
            limit = self.drop_after
            if limit is not None and sent + len(data) >= limit and self._take_drop():
                up_writer.write(data[: max(limit - sent, 0)])
                await up_writer.drain()
                _reset(writer)
                _reset(up_writer)
                cut.set()
                return
            sent += len(data)
            up_writer.write(data)
            await up_writer.drain()
            marker = self.drop_on
            if marker is not None and marker in data and self._take_drop():
                await asyncio.sleep(0.2)
                _reset(writer)
                _reset(up_writer)
                cut.set()
                return
        if up_writer.can_write_eof():
            up_writer.write_eof()

    async def _downstream(
        self, up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cut: asyncio.Event
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def relay() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    return
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                if cut.is_set():
                    return
                writer.write(data)
                await writer.drain()

        relaying = asyncio.ensure_future(relay())
        try:
            while data := await up_reader.read(65536):
                await queue.put((loop.time() + self.reply_delay, data))
            await queue.put((loop.time() + self.reply_delay, b""))
            await relaying
        finally:
            relaying.cancel()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Cut a connection with a reset (SO_LINGER 0), as a peer or a network failing does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
