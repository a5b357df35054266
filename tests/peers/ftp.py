"""A real FTP / explicit FTPS server (pyftpdlib, own thread, 127.0.0.1) for tests.

One user with full rights in a home folder (`root`). `stop()` then `start()` listens again on
the same port, so a test can make the server refuse connections for a while.
"""

from __future__ import annotations

import logging
from pathlib import Path
import threading
from typing import Any

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer as _PyFtpServer

from tests.peers.tls import certificate_files

HOST = "127.0.0.1"

# One INFO line per command and connection drowns a failing test's output.
logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
PERMISSIONS = "elradfmwMT"


class FtpServer:
    """An FTP server on 127.0.0.1; `ftps=True` for explicit TLS (AUTH TLS), required."""

    def __init__(
        self,
        root: Path,
        *,
        user: str = "cam",
        password: str = "s3cret",
        ftps: bool = False,
        passive_ports: range | None = None,
    ) -> None:
        self._root = root
        self.user, self.password, self.ftps = user, password, ftps
        self.passive_ports = passive_ports
        self.port = 0
        self.commands: list[str] = []
        self.replies: dict[str, str] = {}
        """Commands answered with this reply instead of being run (e.g. {"STOR": "452 Full"})."""
        self._lock = threading.Lock()
        self._server: _PyFtpServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def root(self) -> Path:
        """The user's home folder (the FTP root "/")."""
        return self._root

    def seen(self, command: str) -> bool:
        """Whether any client sent `command` (e.g. "PORT", "PASV") since the start."""
        with self._lock:
            return command.upper() in self.commands

    def _handler(self) -> type[FTPHandler]:
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self._root), perm=PERMISSIONS)
        server = self

        base: type[FTPHandler] = TLS_FTPHandler if self.ftps else FTPHandler
        attributes: dict[str, Any] = {
            "authorizer": authorizer,
            "masquerade_address": HOST,
            "passive_ports": list(self.passive_ports) if self.passive_ports else None,
            "auth_failed_timeout": 0,
            "timeout": 30,
            "banner": "cam-events test FTP",
        }
        if self.ftps:
            cert, key = certificate_files()
            attributes |= {
                "certfile": str(cert),
                "keyfile": str(key),
                "ssl_context": None,  # built from the files above, per server class
                "tls_control_required": True,
                "tls_data_required": True,
            }

        def pre_process_command(self: FTPHandler, line: str, cmd: str, arg: str) -> None:
            with server._lock:
                server.commands.append(cmd.upper())
                reply = server.replies.get(cmd.upper())
            if reply is not None:
                self.respond(reply)
                return
            base.pre_process_command(self, line, cmd, arg)

        attributes["pre_process_command"] = pre_process_command
        return type("TestFtpHandler", (base,), attributes)

    def _serve(self, server: _PyFtpServer) -> None:
        try:
            while not self._stopping.is_set():
                # One poll at a time (serve_forever would log a start banner on every call).
                server.ioloop.loop(0.05, blocking=False)
        finally:
            server.close_all()

    def start(self) -> None:
        """Listen on 127.0.0.1 (the same port again after a stop)."""
        assert self._thread is None, "already running"
        self._root.mkdir(parents=True, exist_ok=True)
        server = _PyFtpServer((HOST, self.port), self._handler(), ioloop=IOLoop())
        self.port = server.address[1]
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(target=self._serve, args=(server,), name="test-ftp")
        self._thread.start()

    def stop(self) -> None:
        """Drop every connection, stop listening and join the server thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join(10)
            assert not thread.is_alive(), "FTP server thread did not stop"
        self._server = None

    def __enter__(self) -> FtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
