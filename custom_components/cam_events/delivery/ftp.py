"""File delivery over FTP or explicit FTPS (AUTH TLS, PROT P).

This uses the standard library's `ftplib` in a worker thread (`asyncio.to_thread`) rather
than an asyncio client: ftplib speaks both passive and active (PORT) mode and explicit FTPS
with a protected data channel (`FTP_TLS.prot_p()`), which aioftp does not fully cover, and it
adds no dependency. Each call opens one connection, does its work and closes it. A call that
is cancelled stops waiting at once, while its thread ends by itself within the time-out.

Files go up under a temporary name and are renamed (RNFR/RNTO) when complete, so a half
upload never sits under its final name. Every failure leaves as one of the delivery errors
from `base`; no message ever carries the password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
import contextlib
from dataclasses import dataclass
import ftplib
import io
import posixpath
import secrets
import ssl

from .base import (
    AuthenticationError,
    DeliveryError,
    PermanentDeliveryError,
    client_tls_context,
    redact,
)


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


@contextlib.contextmanager
def _session(profile: FtpProfile) -> Iterator[ftplib.FTP]:
    """Connect, secure (FTPS), log in and enter the base folder; close however it ends."""
    client: ftplib.FTP
    if profile.ftps:
        client = ftplib.FTP_TLS(
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


def _make_folders(client: ftplib.FTP, segments: Sequence[str], made: set[str]) -> None:
    """Create each folder level below the base folder, ignoring "already exists" (550)."""
    for depth in range(1, len(segments) + 1):
        folder = "/".join(segments[:depth])
        if folder in made:
            continue
        with contextlib.suppress(ftplib.error_perm):
            client.mkd(folder)
        made.add(folder)


def _store(client: ftplib.FTP, relative: str, data: bytes) -> None:
    """Upload under a temporary name in the target folder, then rename into place."""
    folder, name = posixpath.split(relative)
    temporary = posixpath.join(folder, f".{name}.{secrets.token_hex(4)}.part")
    try:
        client.storbinary(f"STOR {temporary}", io.BytesIO(data))
        try:
            client.rename(temporary, relative)
        except ftplib.error_perm:
            # Some servers will not rename onto an existing file: replace it explicitly.
            with contextlib.suppress(ftplib.error_perm):
                client.delete(relative)
            client.rename(temporary, relative)
    except BaseException:
        with contextlib.suppress(ftplib.Error, OSError, EOFError, ValueError):
            client.delete(temporary)
        raise


def _upload(profile: FtpProfile, files: Sequence[tuple[str, bytes]]) -> list[str]:
    base = _base(profile.base_path)
    written: list[str] = []
    with _session(profile) as client:
        made: set[str] = set()
        for relative, data in files:
            segments = _clean_segments(relative)
            _make_folders(client, segments[:-1], made)
            _store(client, "/".join(segments), data)
            written.append(posixpath.join(base, *segments))
    return written


def _check(profile: FtpProfile) -> None:
    with _session(profile):
        pass


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
    """Connect, secure (FTPS), log in, enter the base folder and quit."""
    _base(profile.base_path)
    await _run_in_thread(profile, _check, profile)
