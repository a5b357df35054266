#!/usr/bin/python3
"""Standalone RTSP test camera built on GStreamer's rtsp-server.

Run with the *system* interpreter (it needs python3-gi and the GStreamer typelibs)::

    /usr/bin/python3 tests/peers/rtsp_server.py --port 0 [--path /stream]
        [--width 640] [--height 360] [--fps 15]
        [--user U --password W] [--auth basic|digest] [--udp-only] [--one-client]

The server binds to 127.0.0.1 only and serves one H.264 stream (RTP over UDP or
TCP-interleaved) from a shared media factory, so every client sees the same
pipeline and the same motion state.

Scene: static full-height 100% colour bars (videotestsrc ``smpte100``; plain ``smpte``
has a noise patch and is not static). With motion on, a white-bordered
black square (25% of the frame height) sweeps back and forth across the frame.
With motion off the square is hidden and every frame is identical (the encoder
runs at a constant quantizer, so even successive key frames decode identically).

Control protocol, one command per line on stdin:

* ``motion on`` / ``motion off`` -> prints ``MOTION on <t>`` / ``MOTION off <t>``
  where ``t`` is ``time.time()`` right after the change was applied to the live
  pipeline(s); the next composed frame (at most one frame interval later)
  reflects it.
* ``quit`` (or stdin EOF, SIGTERM, SIGINT) -> clean shutdown, exit status 0.

Once listening it prints ``READY <port>`` exactly once (the real port when
``--port 0`` was given). If the port cannot be bound it prints an error on
stderr and exits with status 2. All stdout lines are flushed immediately.

Only elements from gstreamer1.0-plugins-base/good/ugly are used (no h264parse,
which lives in plugins-bad).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

BIND_ADDRESS = "127.0.0.1"
#: GLib source callback results (plain bools keep type checkers happy).
SOURCE_REMOVE = False
SOURCE_CONTINUE = True
ROLE = "user"
#: Sink pads of the compositor that draw the moving object (border first, then core).
OBJECT_PADS = ("sink_1", "sink_2")
#: Seconds for one left-to-right pass of the object.
SWEEP_SECONDS = 2.0
#: With --one-client, seconds after a client left before the next one is served: a single-client
#: camera (ESP32-CAM) notices that its client has gone only when its next frame cannot be sent.
ONE_CLIENT_RELEASE = 2.0


def emit(line: str) -> None:
    """Write one protocol line to stdout and flush it."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """Write a diagnostic line to stderr."""
    sys.stderr.write(f"rtsp_server: {message}\n")
    sys.stderr.flush()


class MotionScene:
    """Owns the live pipelines' compositors and moves the object while motion is on."""

    def __init__(self, width: int, height: int, fps: int) -> None:
        """Remember the frame geometry; no pipeline exists until a client connects."""
        self.width = width
        self.height = height
        self.fps = fps
        # Object: white square of `outer` px with a black square of `inner` px inside.
        self.outer = max(8, (height // 4) & ~1)
        border = max(2, (self.outer // 8) & ~1)
        self.inner = self.outer - 2 * border
        self.border = border
        self.y = ((height - self.outer) // 2) & ~1
        self.motion = False
        self._motion_since = 0.0
        self._mixers: list[Gst.Element] = []
        self._tick_source: int | None = None

    # -- pipeline bookkeeping -------------------------------------------------

    def attach(self, media: GstRtspServer.RTSPMedia) -> None:
        """Register the compositor of a freshly configured media and apply the current state."""
        mixer = media.get_element().get_by_name("mix")
        if mixer is None:  # pragma: no cover - launch string always names it
            log("media without a 'mix' element")
            return
        self._mixers.append(mixer)
        media.connect("unprepared", self._on_unprepared, mixer)
        self._apply(mixer, time.monotonic())

    def _on_unprepared(self, _media: GstRtspServer.RTSPMedia, mixer: Gst.Element) -> None:
        """Forget a compositor whose media was torn down (last client left)."""
        if mixer in self._mixers:
            self._mixers.remove(mixer)

    # -- motion ---------------------------------------------------------------

    def set_motion(self, on: bool) -> float:
        """Switch motion on/off in every live pipeline; return the wall-clock effect time."""
        if on and not self.motion:
            self._motion_since = time.monotonic()
        self.motion = on
        now = time.monotonic()
        for mixer in self._mixers:
            self._apply(mixer, now)
        if on and self._tick_source is None:
            interval = max(1, round(1000 / self.fps))
            self._tick_source = GLib.timeout_add(interval, self._tick)
        elif not on and self._tick_source is not None:
            GLib.source_remove(self._tick_source)
            self._tick_source = None
        return time.time()

    def _x_position(self, now: float) -> int:
        """Triangle-wave x position: sweep left-to-right and back, continuously."""
        span = self.width - self.outer
        phase = ((now - self._motion_since) / SWEEP_SECONDS) % 2.0
        frac = phase if phase <= 1.0 else 2.0 - phase
        return int(frac * span) & ~1

    def _apply(self, mixer: Gst.Element, now: float) -> None:
        """Set visibility and position of the object pads of one compositor."""
        alpha = 1.0 if self.motion else 0.0
        x = self._x_position(now) if self.motion else 0
        offsets = (0, self.border)
        for name, offset in zip(OBJECT_PADS, offsets, strict=True):
            pad = mixer.get_static_pad(name)
            if pad is None:  # pragma: no cover
                continue
            pad.set_property("xpos", x + offset)
            pad.set_property("ypos", self.y + offset)
            pad.set_property("alpha", alpha)

    def _tick(self) -> bool:
        """GLib timeout: advance the object once per frame interval while motion is on."""
        if not self.motion:
            self._tick_source = None
            return SOURCE_REMOVE
        now = time.monotonic()
        for mixer in self._mixers:
            self._apply(mixer, now)
        return SOURCE_CONTINUE


def launch_description(scene: MotionScene, gop: int = 0) -> str:
    """Build the gst-launch description of the media pipeline."""
    w, h, fps = scene.width, scene.height, scene.fps
    raw = f"video/x-raw,format=I420,framerate={fps}/1"
    hidden = "xpos=0 ypos=0 alpha=0"
    return (
        "( "
        f"compositor name=mix background=black "
        f"sink_0::xpos=0 sink_0::ypos=0 sink_0::zorder=0 "
        f"sink_1::zorder=1 sink_1::{hidden.replace(' ', ' sink_1::')} "
        f"sink_2::zorder=2 sink_2::{hidden.replace(' ', ' sink_2::')} "
        f"! {raw},width={w},height={h} "
        "! videoconvert "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop or fps} "
        "bframes=0 pass=quant quantizer=22 threads=1 "
        "! video/x-h264,profile=constrained-baseline,stream-format=byte-stream "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 "
        f"videotestsrc is-live=true pattern=smpte100 ! {raw},width={w},height={h} ! mix.sink_0 "
        f"videotestsrc is-live=true pattern=white "
        f"! {raw},width={scene.outer},height={scene.outer} ! mix.sink_1 "
        f"videotestsrc is-live=true pattern=black "
        f"! {raw},width={scene.inner},height={scene.inner} ! mix.sink_2 "
        ")"
    )


def build_auth(
    factory: GstRtspServer.RTSPMediaFactory, user: str, password: str, method: str
) -> GstRtspServer.RTSPAuth:
    """Create an RTSPAuth that admits only ``user``/``password`` (others get 401)."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
    if method == "digest":
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(permissions)
    return auth


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--path", default="/stream", help="mount path (default /stream)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--gop", type=int, default=0, help="frames between key frames (0: fps)")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--auth", choices=("basic", "digest"), default="basic")
    parser.add_argument(
        "--one-client",
        action="store_true",
        help="serve one client at a time; the slot frees ONE_CLIENT_RELEASE s after it leaves",
    )
    parser.add_argument(
        "--udp-only", action="store_true", help="refuse RTP over TCP (461), like VLC's server"
    )
    args = parser.parse_args(argv)
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password must be given together")
    if not args.path.startswith("/"):
        args.path = "/" + args.path
    if args.width % 2 or args.height % 2:
        parser.error("--width and --height must be even")
    return args


class Server:
    """The RTSP server, its GLib main loop and the stdin command reader."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Build the server; nothing is bound until :meth:`run`."""
        self.args = args
        self.loop = GLib.MainLoop()
        self.scene = MotionScene(args.width, args.height, args.fps)
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(BIND_ADDRESS)
        self.server.set_service(str(args.port))
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_description(self.scene, args.gop))
        factory.set_shared(True)
        if args.udp_only:
            factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP | GstRtsp.RTSPLowerTrans.UDP_MCAST)
        factory.connect("media-configure", self._on_media_configure)
        if args.user is not None:
            self.server.set_auth(build_auth(factory, args.user, args.password, args.auth))
        self.server.get_mount_points().add_factory(args.path, factory)
        if args.one_client:
            self.server.connect("client-connected", self._on_client_connected)
        self._client: GstRtspServer.RTSPClient | None = None
        self._free_at = 0.0
        self._source_id = 0
        self._quitting = False

    def _on_media_configure(
        self, _factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia
    ) -> None:
        self.scene.attach(media)

    def _on_client_connected(
        self, _server: GstRtspServer.RTSPServer, client: GstRtspServer.RTSPClient
    ) -> None:
        """With --one-client: close a second client at once (before any RTSP reply)."""
        if self._client is not None or time.monotonic() < self._free_at:
            log("refusing a second client")
            client.close()
            return
        self._client = client
        client.connect("closed", self._on_client_closed)

    def _on_client_closed(self, client: GstRtspServer.RTSPClient) -> None:
        if client is self._client:
            self._client = None
            self._free_at = time.monotonic() + ONE_CLIENT_RELEASE

    # -- commands -------------------------------------------------------------

    def _read_stdin(self) -> None:
        """Background thread: forward stdin lines to the main loop; EOF means quit."""
        for raw in sys.stdin:
            GLib.idle_add(self._handle_command, raw.strip())
        GLib.idle_add(self._handle_command, "quit")

    def _handle_command(self, command: str) -> bool:
        """Main-loop callback for one control command."""
        words = command.lower().split()
        if words in (["motion", "on"], ["motion", "off"]):
            on = words[1] == "on"
            t = self.scene.set_motion(on)
            emit(f"MOTION {words[1]} {t:.6f}")
        elif words == ["quit"]:
            self.quit()
        elif words:
            log(f"unknown command: {command!r}")
        return SOURCE_REMOVE

    def _on_signal(self) -> bool:
        self.quit()
        return SOURCE_REMOVE

    def quit(self) -> None:
        """Stop the main loop (idempotent)."""
        if not self._quitting:
            self._quitting = True
            self.loop.quit()

    # -- lifecycle ------------------------------------------------------------

    def run(self) -> int:
        """Bind, print READY, serve until told to quit; return the exit status."""
        self._source_id = self.server.attach(None)
        if self._source_id == 0:
            log(f"could not bind {BIND_ADDRESS}:{self.args.port}")
            return 2
        port = self.server.get_bound_port()
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, self._on_signal)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self._on_signal)
        threading.Thread(target=self._read_stdin, name="stdin", daemon=True).start()
        emit(f"READY {port}")
        self.loop.run()
        self._shutdown()
        return 0

    def _shutdown(self) -> None:
        """Stop listening and drop all client connections."""
        GLib.source_remove(self._source_id)

        def remove(*_args: object) -> GstRtspServer.RTSPFilterResult:
            return GstRtspServer.RTSPFilterResult.REMOVE

        self.server.client_filter(remove, None)
        # Let the clients' teardown callbacks run briefly.
        context = GLib.MainContext.default()
        deadline = time.monotonic() + 0.5
        while context.pending() and time.monotonic() < deadline:
            context.iteration(False)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    Gst.init(None)
    return Server(args).run()


if __name__ == "__main__":
    sys.exit(main())
