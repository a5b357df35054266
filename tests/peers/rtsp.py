"""Pytest helper that runs ``rtsp_server.py`` (a GStreamer RTSP test camera) as a subprocess.

The server needs the *system* Python with python3-gi and GStreamer's rtsp-server, so it is
started as ``/usr/bin/python3 tests/peers/rtsp_server.py ...`` and controlled over its
stdin/stdout line protocol (see that script's docstring).

Example::

    with RtspServer(user="admin", password="secret") as cam:
        url = cam.url_with_credentials("admin", "secret")
        t_on = cam.set_motion(True)   # time.time() when motion started in the stream
        ...
        cam.restart()                 # same port, new process
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import queue
import subprocess
import tempfile
import threading
import time
from types import TracebackType
from typing import IO, Self
from urllib.parse import quote

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
HOST = "127.0.0.1"

START_TIMEOUT = 10.0
STOP_TIMEOUT = 3.0
COMMAND_TIMEOUT = 5.0
BIND_RETRY_INTERVAL = 0.2
#: Exit status of rtsp_server.py when it cannot bind its port.
BIND_FAILED_STATUS = 2

_EOF = None  # sentinel put on the line queue when the server's stdout closes


class RtspServer:
    """A real RTSP server (H.264, shared media) on 127.0.0.1 with switchable motion.

    The scene is static full-height colour bars; with motion on, a black square with a
    white border (a quarter of the frame height) sweeps back and forth across it.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        path: str = "/stream",
        width: int = 640,
        height: int = 360,
        fps: int = 15,
        gop: int = 0,
        user: str | None = None,
        password: str | None = None,
        auth: str = "basic",
        udp_only: bool = False,
        one_client: bool = False,
    ) -> None:
        """Configure the server; nothing runs until :meth:`start`.

        ``port=0`` picks a free port on the first start; it is then kept for restarts.
        ``user``/``password`` enable authentication (``auth`` is ``"basic"`` or ``"digest"``).
        ``udp_only`` refuses RTP over TCP (``461 Unsupported transport``), as VLC's server does.
        ``one_client`` serves one client at a time, like an ESP32-CAM (see ``--one-client``).
        """
        if (user is None) != (password is None):
            raise ValueError("user and password must be given together")
        if auth not in ("basic", "digest"):
            raise ValueError(f"auth must be 'basic' or 'digest', not {auth!r}")
        self._port = port
        self.path = path if path.startswith("/") else "/" + path
        self.width = width
        self.height = height
        self.fps = fps
        self.gop = gop
        self.user = user
        self.password = password
        self.auth = auth
        self.udp_only = udp_only
        self.one_client = one_client
        self.motion = False
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- properties ------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (the real one once started; 0 before the first start if auto)."""
        return self._port

    @property
    def url(self) -> str:
        """``rtsp://127.0.0.1:<port><path>`` without credentials."""
        return f"rtsp://{HOST}:{self._port}{self.path}"

    def url_with_credentials(self, user: str, password: str) -> str:
        """Return the stream URL with (percent-encoded) ``user:password@`` userinfo."""
        userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return f"rtsp://{userinfo}@{HOST}:{self._port}{self.path}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """PID of the server process, if started."""
        return self._proc.pid if self._proc is not None else None

    # -- lifecycle -------------------------------------------------------------

    def _command(self) -> list[str]:
        cmd = [
            SYSTEM_PYTHON,
            str(SERVER_SCRIPT),
            "--port", str(self._port),
            "--path", self.path,
            "--width", str(self.width),
            "--height", str(self.height),
            "--fps", str(self.fps),
            "--gop", str(self.gop),
        ]  # fmt: skip
        if self.user is not None and self.password is not None:
            cmd += ["--user", self.user, "--password", self.password, "--auth", self.auth]
        if self.udp_only:
            cmd.append("--udp-only")
        if self.one_client:
            cmd.append("--one-client")
        return cmd

    @staticmethod
    def _environment() -> dict[str, str]:
        """Return the caller's environment minus what would confuse the system Python."""
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
        }
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self) -> None:
        """Spawn the server and wait (up to 10 s in total) for ``READY``.

        With a fixed port (always the case after the first start), a port that is still
        busy is retried until that deadline, so ``kill()`` + ``start()`` is safe.
        Raises :class:`RuntimeError` carrying the server's stderr if it does not come up.
        """
        if self.running:
            raise RuntimeError("RTSP server already running")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            error, returncode = self._spawn(deadline)
            if error is None:
                self.motion = False
                return
            bind_failed = returncode == BIND_FAILED_STATUS and self._port != 0
            if not bind_failed or time.monotonic() + BIND_RETRY_INTERVAL >= deadline:
                raise RuntimeError(f"RTSP server did not become ready:\n{error}")
            time.sleep(BIND_RETRY_INTERVAL)

    def _spawn(self, deadline: float) -> tuple[str | None, int | None]:
        """Run one server process until ``READY``.

        Returns ``(None, None)`` on success, else ``(stderr, exit status)`` after cleaning up.
        """
        self._cleanup()
        self._lines = queue.Queue()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self._proc = subprocess.Popen(
            self._command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
            env=self._environment(),
        )
        self._reader = threading.Thread(
            target=self._read_stdout,
            args=(self._proc.stdout, self._lines),
            name=f"rtsp-server-reader-{self._proc.pid}",
            daemon=True,
        )
        self._reader.start()
        while True:
            line = self._next_line(deadline)
            if line is None:
                stderr = self._stderr_text()
                returncode = self._proc.poll()
                self.stop()
                return stderr or "(no output)", returncode
            if line.startswith("READY "):
                self._port = int(line.split()[1])
                return None, None

    def stop(self) -> None:
        """Ask the server to quit; kill it after 3 s. Joins the reader thread. Idempotent."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.write("quit\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        """Close pipes, join the reader thread and drop the process handle."""
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        # The process is gone, so its stdout is at EOF and the reader thread ends by itself.
        if self._reader is not None:
            self._reader.join(STOP_TIMEOUT)
            self._reader = None
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._proc = None

    def restart(self) -> None:
        """Stop the server and start a new one on the same port (retrying while it is busy)."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), e.g. to simulate a camera dying mid-stream."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._cleanup()

    # -- motion ----------------------------------------------------------------

    def set_motion(self, on: bool) -> float:
        """Switch the moving object on/off; return ``time.time()`` when it took effect.

        Blocks only until the server acknowledges (normally a few milliseconds).
        """
        word = "on" if on else "off"
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None or proc.stdin is None:
                raise RuntimeError("RTSP server is not running")
            proc.stdin.write(f"motion {word}\n")
            proc.stdin.flush()
            deadline = time.monotonic() + COMMAND_TIMEOUT
            while True:
                line = self._next_line(deadline)
                if line is None:
                    raise RuntimeError(f"RTSP server did not acknowledge 'motion {word}'")
                parts = line.split()
                if len(parts) == 3 and parts[0] == "MOTION" and parts[1] == word:
                    self.motion = on
                    return float(parts[2])

    # -- internals -------------------------------------------------------------

    @staticmethod
    def _read_stdout(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
        """Reader thread: push each stdout line to the queue, then ``None`` at EOF."""
        try:
            if stream is not None:
                for line in stream:
                    lines.put(line.strip())
        except (OSError, ValueError):
            pass
        finally:
            lines.put(_EOF)

    def _next_line(self, deadline: float) -> str | None:
        """Next stdout line, or ``None`` on EOF/timeout."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            line = self._lines.get(timeout=remaining)
        except queue.Empty:
            return None
        if line is _EOF:
            self._lines.put(_EOF)  # keep reporting EOF to later callers
        return line

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(0.5)
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    # -- context manager -------------------------------------------------------

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()
