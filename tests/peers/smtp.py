"""A real SMTP server (aiosmtpd, own thread, 127.0.0.1): plain, STARTTLS or implicit TLS, AUTH.

It keeps what it receives in `messages`. `stop()` then `start()` listens again on the same
port, so a test can make the server refuse connections for a while.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
import logging
import threading
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.peers.tls import server_context

HOSTNAME = "127.0.0.1"

# aiosmtpd logs every connection at INFO, also after a test's log capture has ended.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Received:
    """One accepted message: envelope and content."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        code = self._server.refuse_recipients.get(address)
        if code is not None:
            return f"{code} Recipient refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._server.delay:
            await asyncio.sleep(self._server.delay)  # a slow server: seconds per message
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes):
            raw = envelope.content
        message = BytesParser(policy=default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        with self._server.lock:
            self._server.messages.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), message, raw)
            )
        return "250 OK queued"


class _Controller(Controller):
    """A Controller that learns its port when asked for port 0."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """An SMTP server for tests; a context manager, with sync and async start/stop."""

    def __init__(
        self,
        *,
        security: Literal["none", "starttls", "tls"] = "none",
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.security = security
        self.auth = auth
        self.port = 0
        self.messages: list[Received] = []
        self.refuse_recipients: dict[str, int] = {}
        self.delay = 0.0
        """Seconds the server takes to accept each message (after DATA)."""
        self.logins: list[tuple[str, bool]] = []
        self.lock = threading.Lock()
        self._controller: _Controller | None = None

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        assert self.auth is not None
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        success = (user, password) == self.auth
        with self.lock:
            self.logins.append((user, success))
        # handled=False: let aiosmtpd answer (235, or 535 on a refusal).
        return AuthResult(success=success, handled=False, auth_data=auth_data)

    def start(self) -> None:
        """Listen on 127.0.0.1 (the same port again after a stop)."""
        assert self._controller is None, "already running"
        kwargs: dict[str, Any] = {
            "hostname": HOSTNAME,
            "port": self.port,
            "server_hostname": HOSTNAME,
            "ident": "cam-events test SMTP",
            "ready_timeout": 5.0,
        }
        if self.security == "starttls":
            kwargs |= {"tls_context": server_context(), "require_starttls": True}
        elif self.security == "tls":
            kwargs |= {"ssl_context": server_context()}
        if self.auth is not None:
            kwargs |= {
                "authenticator": self._authenticate,
                "auth_required": True,
                # Implicit TLS is encrypted from the start; plain mode is only for tests.
                "auth_require_tls": self.security == "starttls",
            }
        controller = _Controller(_Handler(self), loop=asyncio.new_event_loop(), **kwargs)
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self.port = controller.port
        self._controller = controller

    def stop(self) -> None:
        """Stop listening, drop every connection and join the server thread."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        """Whether the server accepts connections."""
        return self._controller is not None

    async def async_start(self) -> None:
        """Start without blocking the event loop."""
        await asyncio.to_thread(self.start)

    async def async_stop(self) -> None:
        """Stop without blocking the event loop."""
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> SmtpServer:
        await self.async_start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.async_stop()
