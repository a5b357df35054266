"""A real HTTP MJPEG server (aiohttp, 127.0.0.1) whose scene can start and stop moving."""

from __future__ import annotations

import asyncio
import base64
import time

from aiohttp import web
import av

from custom_components.cam_events.video.jpeg import encode_jpeg
from devtools.clips import background, draw_object

BOUNDARY = "camframe"


class MjpegServer:
    """Serves multipart/x-mixed-replace JPEG frames at `fps`, optionally behind Basic auth."""

    def __init__(
        self,
        *,
        width: int = 320,
        height: int = 240,
        fps: int = 10,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.user, self.password = user, password
        self.motion = False
        self.port = 0
        self._scene = background(width, height)
        self._still = self._jpeg(self._scene)
        self._runner: web.AppRunner | None = None
        self._clients: set[web.StreamResponse] = set()

    @property
    def url(self) -> str:
        """Stream address without credentials."""
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    @staticmethod
    def _jpeg(rgb: object) -> bytes:
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")  # type: ignore[arg-type]
        return encode_jpeg(frame.reformat(format="yuv420p"))

    def _authorised(self, request: web.Request) -> bool:
        if self.user is None:
            return True
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {token}"

    async def _video(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="cam"'})
        response = web.StreamResponse(
            headers={"Content-Type": f"multipart/x-mixed-replace;boundary={BOUNDARY}"}
        )
        await response.prepare(request)
        self._clients.add(response)
        start = time.monotonic()
        try:
            while True:
                t = time.monotonic() - start
                jpeg = self._jpeg(draw_object(self._scene, t)) if self.motion else self._still
                await response.write(
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                    + jpeg
                    + b"\r\n"
                )
                await asyncio.sleep(1 / self.fps)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(response)
        return response

    async def start(self) -> None:
        """Listen on 127.0.0.1 (a fixed port once chosen, so a restart keeps the URL)."""
        app = web.Application()
        app.router.add_get("/video.mjpg", self._video)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close every client connection and stop listening."""
        for client in list(self._clients):
            if client.task is not None:
                client.task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
