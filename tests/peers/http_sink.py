"""A real HTTP(S) server (aiohttp, 127.0.0.1) that records every request it gets."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, hdrs, web
from multidict import CIMultiDict, MultiDict

from tests.peers.tls import server_context


@dataclass(slots=True)
class Part:
    """One multipart/form-data part as received."""

    name: str | None
    content_type: str | None
    filename: str | None
    data: bytes


@dataclass(slots=True)
class Recorded:
    """One request as received."""

    method: str
    path: str
    query: MultiDict[str]
    headers: CIMultiDict[str]
    body: bytes = b""
    parts: list[Part] = field(default_factory=list)
    peer: tuple[str, int] | None = None
    status: int = 0

    def part(self, name: str) -> Part | None:
        """Return the first part called ``name``."""
        return next((part for part in self.parts if part.name == name), None)


class HttpSink:
    """Answers every path and method with `status` (200), optionally over HTTPS / Basic auth."""

    def __init__(
        self,
        *,
        https: bool = False,
        username: str | None = None,
        password: str | None = None,
        status: int = 200,
    ) -> None:
        self.https = https
        self.username, self.password = username, password
        self.status = status
        self.port = 0
        self.requests: list[Recorded] = []
        self.connections: set[tuple[str, int]] = set()
        self.handshake_failures: list[BaseException | None] = []
        self._changed = asyncio.Condition()
        self._handshake_failed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._previous_handler: Any = None

    @property
    def url(self) -> str:
        """Base address without credentials."""
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    def _authorised(self, request: web.Request) -> bool:
        if self.username is None:
            return True
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.headers.get(hdrs.AUTHORIZATION) == f"Basic {token}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        recorded = Recorded(
            method=request.method,
            path=request.path,
            query=MultiDict(request.query),
            headers=CIMultiDict(request.headers),
            peer=tuple(peer[:2]) if peer else None,
        )
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)  # no nested multipart expected
                recorded.parts.append(
                    Part(
                        name=part.name,
                        content_type=part.headers.get(hdrs.CONTENT_TYPE),
                        filename=part.filename,
                        data=bytes(await part.read(decode=False)),
                    )
                )
        else:
            recorded.body = await request.read()
        if not self._authorised(request):
            response = web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})
        else:
            response = web.Response(status=self.status, text="ok\n")
        recorded.status = response.status
        async with self._changed:
            self.requests.append(recorded)
            if recorded.peer is not None:
                self.connections.add(recorded.peer)
            self._changed.notify_all()
        return response

    def _exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Record TLS handshakes that clients abort on purpose; pass on anything else.

        A client that refuses the self-signed certificate resets the connection during the
        handshake, which asyncio reports to the loop's exception handler (Home Assistant's
        test fixture would fail the test for it).
        """
        if self._runner is not None and context.get("message", "").startswith(
            "Error on transport creation for incoming connection"
        ):
            self.handshake_failures.append(context.get("exception"))
            self._handshake_failed.set()
            return
        if self._previous_handler is not None:
            self._previous_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    async def wait_for_handshake_failures(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` TLS handshakes have failed."""
        async with asyncio.timeout(timeout):
            while len(self.handshake_failures) < count:
                self._handshake_failed.clear()
                await self._handshake_failed.wait()

    async def wait_for(self, count: int, timeout: float = 5.0) -> Recorded:
        """Wait until `count` requests have arrived; return the `count`-th."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.requests) >= count)
        return self.requests[count - 1]

    async def start(self) -> None:
        """Listen on 127.0.0.1 (the same port again after a stop, once chosen)."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            "127.0.0.1",
            self.port,
            reuse_address=True,
            ssl_context=server_context() if self.https else None,
        )
        await site.start()
        if self.https and self._previous_handler is None:
            loop = asyncio.get_running_loop()
            self._previous_handler = loop.get_exception_handler()
            loop.set_exception_handler(self._exception_handler)
        if not self.port:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.https:
            asyncio.get_running_loop().set_exception_handler(self._previous_handler)
            self._previous_handler = None
