"""File delivery over FTP or explicit FTPS (AUTH TLS, PROT P).

This uses the standard library's `ftplib` in a worker thread (`asyncio.to_thread`) rather
than an asyncio client: ftplib speaks both passive and active (PORT) mode and explicit FTPS
with a protected data channel (`FTP_TLS.prot_p()`), which aioftp does not fully cover, and it
adds no dependency. Each call opens one connection, does its work and closes it. A call that
is cancelled stops waiting at once, while its thread ends by itself within the time-out.

Files go up under a temporary name and are renamed (RNFR/RNTO) when complete, so a half
upload never sits under its final name. The temporary name is fixed per file
(`.<name>.part`), so an attempt that could not clean up is overwritten by the next one; a
failed attempt deletes its part files and the folders it made, on a fresh connection when the
server dropped the first one (vsftpd does after a refused data connection).

Explicit FTPS data connections reuse the control connection's TLS session, as vsftpd
(`require_ssl_reuse=YES`, its default) and ProFTPD's mod_tls require; plain
`ftplib.FTP_TLS` does not, and those servers answer 522 or 425 to every transfer.

Every failure leaves as one of the delivery errors from `base`: a 5xx reply is permanent
(except a 5xx that says the server is busy: too many connections), a 4xx reply, a time-out
or a network error is worth a retry. No message ever carries the password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
import ftplib
import io
import posixpath
import socket
import ssl
from typing import Any

from .base import (
    AuthenticationError,
    Capabilities,
    DeliveryError,
    Host,
    Outgoing,
    PermanentDeliveryError,
    Transport,
    client_tls_context,
    endpoint,
    redact,
    require_text,
)
from .naming import check_pattern_field


@dataclass(frozen=True, slots=True)
class FtpProfile:
    """Where and how to upload."""

    host: str
    port: int = 21
    username: str = "anonymous"
    password: str = ""
    base_path: str = "/"
    passive: bool = True
    ftps: bool = False
    timeout: float = 15.0
    verify_tls: bool = True


def _clean_segments(path: str) -> list[str]:
    """Return the segments of a safe relative POSIX path, or raise ValueError("unsafe_path")."""
    if not path or path.startswith("/") or "\\" in path:
        raise ValueError("unsafe_path")
    segments = path.split("/")
    for segment in segments:
        if segment in ("", ".", "..") or any(not ch.isprintable() for ch in segment):
            raise ValueError("unsafe_path")
    return segments


def _base(path: str) -> str:
    """Return the base folder without a trailing slash ("/" stays "/")."""
    if any(not ch.isprintable() for ch in path):
        raise ValueError("unsafe_path")
    path = path.strip() or "/"
    return path if path == "/" else path.rstrip("/") or "/"


def _redact(text: str, profile: FtpProfile) -> str:
    """Remove the password from `text`, should a server or library ever echo it."""
    return redact(text, profile.password)


def _where(profile: FtpProfile) -> str:
    return f"{'FTPS' if profile.ftps else 'FTP'} server {profile.host}:{profile.port}"


def _reply_code(err: ftplib.Error) -> int:
    """Return the three-digit code at the start of an ftplib error, or 0."""
    text = str(err)
    return int(text[:3]) if text[:3].isdigit() else 0


class ProbeError(DeliveryError):
    """The connection test logged in, but storing a probe file in the base folder failed."""


class PermanentProbeError(ProbeError, PermanentDeliveryError):
    """The probe upload was refused for good (a 5xx answer, a TLS failure)."""


# Words of a 5xx reply that means "busy, try later" (ProFTPD answers 530 to a client over
# MaxClients; others use 550 or 553 for "too many connections").
_BUSY_WORDS = ("too many", "maximum number", "try again later", "try later", "busy")
PROBE_NAME = ".cam_events_probe.part"


def _is_busy(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _BUSY_WORDS)


def _map_error(err: BaseException, profile: FtpProfile) -> DeliveryError:
    """Translate an ftplib, TLS or socket failure into a delivery error."""
    where = _where(profile)
    if isinstance(err, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(
            f"The TLS certificate of {where} could not be verified "
            f"({err.verify_message or err.reason}). Retrying will not help: fix the "
            "certificate, or turn off certificate verification for this profile if you "
            "trust the server."
        )
    if isinstance(err, ssl.SSLError) and not isinstance(
        err, ssl.SSLEOFError | ssl.SSLZeroReturnError
    ):
        return PermanentDeliveryError(
            f"TLS negotiation with {where} failed ({err.reason or err}): check the FTPS "
            "setting and the port."
        )
    if isinstance(err, ftplib.Error):
        code = _reply_code(err)
        text = _redact(f"{where} answered {err}", profile)
        if 500 <= code < 600 and _is_busy(str(err)):
            return DeliveryError(text)  # busy: worth a retry, whatever the code says
        if code == 530:
            return AuthenticationError(
                _redact(f"{where} refused the login of {profile.username!r}: {err}", profile)
            )
        if isinstance(err, ftplib.error_perm) or 500 <= code < 600:
            return PermanentDeliveryError(text)
        return DeliveryError(text)  # 4xx (421 included), or a reply ftplib did not expect
    return DeliveryError(
        _redact(f"{where}: connection failed: {err or type(err).__name__}", profile)
    )


class _SessionReusingFtpTls(ftplib.FTP_TLS):
    """Explicit FTPS whose data connections resume the control connection's TLS session.

    Servers check that a data connection comes from the client that logged in by asking
    for the same TLS session (vsftpd `require_ssl_reuse`, ProFTPD `TLSOptions` without
    `NoSessionReuseRequired`); `ftplib.FTP_TLS` starts a new session for each transfer.
    """

    def ntransfercmd(
        self, cmd: str, rest: int | str | None = None
    ) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:  # type: ignore[attr-defined]
            control = self.sock
            session = control.session if isinstance(control, ssl.SSLSocket) else None
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        return conn, size


@contextlib.contextmanager
def _session(profile: FtpProfile) -> Iterator[ftplib.FTP]:
    """Connect, secure (FTPS), log in and enter the base folder; close however it ends."""
    client: ftplib.FTP
    if profile.ftps:
        client = _SessionReusingFtpTls(
            context=client_tls_context(profile.verify_tls), timeout=profile.timeout
        )
    else:
        client = ftplib.FTP(timeout=profile.timeout)
    try:
        client.connect(profile.host, profile.port, timeout=profile.timeout)
        if isinstance(client, ftplib.FTP_TLS):
            try:
                client.auth()
            except ftplib.error_perm as err:
                raise PermanentDeliveryError(
                    _redact(f"{_where(profile)} does not offer AUTH TLS: {err}", profile)
                ) from err
            client.login(profile.username, profile.password)
            client.prot_p()
        else:
            client.login(profile.username, profile.password)
        client.set_pasv(profile.passive)
        base = _base(profile.base_path)
        try:
            client.cwd(base)
        except ftplib.error_perm as err:
            raise PermanentDeliveryError(
                _redact(f"{_where(profile)} cannot enter the folder {base!r}: {err}", profile)
            ) from err
        yield client
        with contextlib.suppress(ftplib.Error, OSError, EOFError):
            client.quit()
    finally:
        client.close()


@dataclass(slots=True)
class _Leftovers:
    """What an attempt put on the server that a failure must take away again."""

    checked: set[str] = field(default_factory=set)
    """Folders known to exist (made now or before)."""
    made: list[str] = field(default_factory=list)
    """Folders this attempt created, outermost first."""
    parts: list[str] = field(default_factory=list)
    """Part files that may exist (a STOR was started and not renamed or deleted)."""


def _make_folders(client: ftplib.FTP, segments: Sequence[str], left: _Leftovers) -> None:
    """Create each folder level below the base folder, ignoring "already exists" (550)."""
    for depth in range(1, len(segments) + 1):
        folder = "/".join(segments[:depth])
        if folder in left.checked:
            continue
        try:
            client.mkd(folder)
        except ftplib.error_perm:
            pass  # it exists (or cannot be made: the STOR below says why)
        else:
            left.made.append(folder)
        left.checked.add(folder)


def _part_name(relative: str) -> str:
    folder, name = posixpath.split(relative)
    return posixpath.join(folder, f".{name}.part")


def _store(client: ftplib.FTP, relative: str, data: bytes, left: _Leftovers) -> None:
    """Upload under a temporary name in the target folder, then rename into place."""
    temporary = _part_name(relative)
    left.parts.append(temporary)
    client.storbinary(f"STOR {temporary}", io.BytesIO(data))
    try:
        client.rename(temporary, relative)
    except ftplib.error_perm:
        # Some servers will not rename onto an existing file: replace it explicitly.
        with contextlib.suppress(ftplib.error_perm):
            client.delete(relative)
        client.rename(temporary, relative)
    left.parts.remove(temporary)


def _remove(client: ftplib.FTP, left: _Leftovers) -> None:
    """Delete the part files and the (now empty) folders an attempt left; stop at a drop."""
    for temporary in list(left.parts):
        with contextlib.suppress(ftplib.error_perm):
            client.delete(temporary)  # 550: it was never created
        left.parts.remove(temporary)
    for folder in reversed(list(left.made)):
        with contextlib.suppress(ftplib.error_perm):
            client.rmd(folder)  # 550: not empty (an earlier file of the job is in it)
        left.made.remove(folder)


def _clean_up(client: ftplib.FTP, profile: FtpProfile, left: _Leftovers) -> None:
    """After a failure: remove the leftovers on this connection, or on a fresh one."""
    if not left.parts and not left.made:
        return
    with contextlib.suppress(ftplib.Error, OSError, EOFError):
        _remove(client, left)
        return
    # The server dropped the connection (vsftpd does after a refused data connection).
    with (
        contextlib.suppress(ftplib.Error, OSError, EOFError, DeliveryError),
        _session(profile) as fresh,
    ):
        _remove(fresh, left)


def _upload(profile: FtpProfile, files: Sequence[tuple[str, bytes]]) -> list[str]:
    base = _base(profile.base_path)
    written: list[str] = []
    with _session(profile) as client:
        left = _Leftovers()
        try:
            for relative, data in files:
                segments = _clean_segments(relative)
                _make_folders(client, segments[:-1], left)
                _store(client, "/".join(segments), data, left)
                written.append(posixpath.join(base, *segments))
        except BaseException:
            _clean_up(client, profile, left)
            raise
    return written


def _check(profile: FtpProfile) -> None:
    with _session(profile) as client:
        # A login proves little: store (and delete) a small file, so a server that refuses
        # data connections or uploads is found now, not at the first event.
        left = _Leftovers()
        try:
            try:
                left.parts.append(PROBE_NAME)
                client.storbinary(f"STOR {PROBE_NAME}", io.BytesIO(b"cam_events probe\n"))
                client.delete(PROBE_NAME)
                left.parts.remove(PROBE_NAME)
            except BaseException:
                _clean_up(client, profile, left)
                raise
        except (ftplib.Error, OSError, EOFError) as err:
            mapped = _map_error(err, profile)
            kind = PermanentProbeError if isinstance(mapped, PermanentDeliveryError) else ProbeError
            raise kind(str(mapped)) from err


async def _run_in_thread[**P, T](
    profile: FtpProfile, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a blocking ftplib job in a worker thread, translating its failures."""
    try:
        return await asyncio.to_thread(call, *args, **kwargs)
    except DeliveryError:
        raise
    except (ftplib.Error, OSError, EOFError) as err:
        raise _map_error(err, profile) from err


async def upload(profile: FtpProfile, files: Sequence[tuple[str, bytes]]) -> list[str]:
    """Upload (relative POSIX path, bytes) pairs below the base folder; return the paths.

    Missing folders are created on the way. Raise ValueError("unsafe_path") before connecting
    if any path is absolute, climbs with "..", or has an empty segment.
    """
    for relative, _ in files:
        _clean_segments(relative)
    _base(profile.base_path)
    if not files:
        return []
    return await _run_in_thread(profile, _upload, profile, list(files))


async def test_connection(profile: FtpProfile) -> None:
    """Connect, secure (FTPS), log in, enter the base folder, store and delete a probe file.

    A failure after the login, while storing the probe (a data connection refused, uploads
    not allowed), raises `ProbeError` (`PermanentProbeError`
    for a permanent one).
    """
    _base(profile.base_path)
    await _run_in_thread(profile, _check, profile)


MAX_USERNAME = 255


class FtpTransport(Transport[FtpProfile]):
    """FTP or FTPS: the snapshot, burst, raw event and clip uploaded as files."""

    kind = "ftp"
    service = "upload_ftp"
    capabilities = Capabilities(image=True, files=True, max_burst=10, files_only=True)

    def profile(self, data: Mapping[str, Any]) -> FtpProfile:
        """Build the FTP settings."""
        return FtpProfile(
            **endpoint(data, 15),
            username=data["username"],
            password=data.get("password") or "",
            base_path=data.get("base_path") or "/",
            passive=bool(data.get("passive", True)),
            ftps=bool(data.get("ftps", False)),
        )

    def check(self, host: Host, data: dict[str, Any]) -> dict[str, str]:
        """Require a host; any user name the server takes, never a line break (ends a command)."""
        errors = require_text(data, "host", "invalid_host")
        username = str(data.get("username", ""))
        if not 1 <= len(username) <= MAX_USERNAME or not username.isprintable():
            errors["username"] = "invalid_username"
        if not str(data.get("password", "")).isprintable():
            errors["password"] = "invalid_password"
        return errors | check_pattern_field(data)

    async def test_connection(self, host: Host, profile: FtpProfile) -> None:
        """Log in and store and delete a probe file."""
        await test_connection(profile)

    async def deliver(self, host: Host, profile: FtpProfile, outgoing: Outgoing) -> str:
        """Upload every file below the base folder."""
        written = await upload(profile, [(item.filename, item.data) for item in outgoing.files])
        return f"uploaded {', '.join(written)}"


TRANSPORT = FtpTransport()
