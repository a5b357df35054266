"""FTP delivery against real FTP / explicit FTPS servers: pyftpdlib, and vsftpd as packaged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import dataclasses
import ftplib
from pathlib import Path
import socket
import time
from typing import Any

import pytest

from custom_components.cam_events.delivery import ftp
from custom_components.cam_events.delivery.base import (
    AuthenticationError,
    DeliveryError,
    PermanentDeliveryError,
)
from tests.common import PEER_PASSWORD as PASSWORD, PEER_USER as USER
from tests.peers.ftp import FtpServer
from tests.peers.vsftpd import (
    PASSWORD as VSFTPD_PASSWORD,
    USER as VSFTPD_USER,
    Vsftpd,
)

SNAPSHOT = "porch/20260307/090503_motion.jpg"


def _profile(server: FtpServer, **changes: Any) -> ftp.FtpProfile:
    profile = ftp.FtpProfile(
        host="127.0.0.1",
        port=server.port,
        username=USER,
        password=PASSWORD,
        ftps=server.ftps,
        timeout=5.0,
        verify_tls=False,
    )
    return dataclasses.replace(profile, **changes)


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
@pytest.mark.parametrize("ftps", [False, True], ids=["ftp", "ftps"])
async def test_upload_into_new_and_existing_folders(
    ftp_server: Callable[..., FtpServer], jpeg: bytes, ftps: bool, passive: bool
) -> None:
    server = ftp_server(ftps=ftps)
    profile = _profile(server, passive=passive)

    written = await ftp.upload(
        profile, [(SNAPSHOT, jpeg), ("porch/20260307/090503_motion.json", b'{"a": 1}')]
    )

    assert written == [f"/{SNAPSHOT}", "/porch/20260307/090503_motion.json"]
    assert (server.root / SNAPSHOT).read_bytes() == jpeg
    assert (server.root / "porch/20260307/090503_motion.json").read_bytes() == b'{"a": 1}'

    # Into folders that exist now; one new file, one replaced.
    written = await ftp.upload(
        profile, [("porch/20260307/090510_motion.jpg", jpeg[::-1]), (SNAPSHOT, b"\xff\xd8new")]
    )
    assert written == ["/porch/20260307/090510_motion.jpg", f"/{SNAPSHOT}"]
    assert (server.root / "porch/20260307/090510_motion.jpg").read_bytes() == jpeg[::-1]
    assert (server.root / SNAPSHOT).read_bytes() == b"\xff\xd8new"
    assert _files(server.root) == [
        "porch",
        "porch/20260307",
        "porch/20260307/090503_motion.jpg",
        "porch/20260307/090503_motion.json",
        "porch/20260307/090510_motion.jpg",
    ]  # no temporary file left behind

    # Uploaded under a temporary name, then renamed into place.
    assert server.seen("RNFR")
    assert server.seen("RNTO")
    # The data connections went the way the profile asked.
    assert server.seen("PASV") is passive
    assert server.seen("PORT") is not passive
    assert server.seen("AUTH") is ftps
    assert server.seen("PROT") is ftps


async def test_upload_below_a_base_path(ftp_server: Callable[..., FtpServer], jpeg: bytes) -> None:
    server = ftp_server()
    (server.root / "cams" / "front").mkdir(parents=True)
    profile = _profile(server, base_path="/cams/front/")
    assert await ftp.upload(profile, [(SNAPSHOT, jpeg)]) == [f"/cams/front/{SNAPSHOT}"]
    assert (server.root / "cams/front" / SNAPSHOT).read_bytes() == jpeg
    await ftp.test_connection(profile)


async def test_wrong_password_is_an_authentication_error(
    ftp_server: Callable[..., FtpServer], jpeg: bytes
) -> None:
    server = ftp_server(ftps=True)
    profile = _profile(server, password="not-the-password")
    started = time.monotonic()
    with pytest.raises(AuthenticationError) as caught:
        await ftp.upload(profile, [(SNAPSHOT, jpeg)])
    assert time.monotonic() - started < 2
    assert "530" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
    assert _files(server.root) == []
    with pytest.raises(AuthenticationError):
        await ftp.test_connection(profile)


async def test_server_down_is_transient_and_recovers(
    ftp_server: Callable[..., FtpServer], jpeg: bytes
) -> None:
    server = ftp_server()
    profile = _profile(server)
    server.stop()

    with pytest.raises(DeliveryError) as caught:
        await ftp.upload(profile, [(SNAPSHOT, jpeg)])
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert PASSWORD not in str(caught.value)
    with pytest.raises(DeliveryError) as caught:
        await ftp.test_connection(profile)
    assert not isinstance(caught.value, PermanentDeliveryError)

    server.start()  # the same port again: a retry now succeeds
    assert server.port == profile.port
    assert await ftp.upload(profile, [(SNAPSHOT, jpeg)]) == [f"/{SNAPSHOT}"]
    assert (server.root / SNAPSHOT).read_bytes() == jpeg


async def test_silent_server_times_out_as_transient(socket_enabled: None) -> None:
    """A peer that accepts the connection but never greets: a time-out, worth a retry."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        profile = ftp.FtpProfile(host="127.0.0.1", port=listener.getsockname()[1], timeout=0.5)
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            await ftp.test_connection(profile)
        assert not isinstance(caught.value, PermanentDeliveryError)
        assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../outside.jpg",
        "porch/../../outside.jpg",
        "porch//a.jpg",
        "porch/",
        "porch/./a.jpg",
        "porch\\..\\a.jpg",
        "porch/a.jpg\r\nDELE x",
        "",
    ],
)
async def test_unsafe_paths_are_rejected_before_connecting(
    ftp_server: Callable[..., FtpServer], path: str
) -> None:
    server = ftp_server()
    with pytest.raises(ValueError, match="unsafe_path"):
        await ftp.upload(_profile(server), [("porch/ok.jpg", b"1"), (path, b"2")])
    assert server.commands == []  # not even a connection
    assert _files(server.root) == []


async def test_verify_tls_rejects_a_self_signed_certificate(
    ftp_server: Callable[..., FtpServer], jpeg: bytes
) -> None:
    server = ftp_server(ftps=True)
    strict = _profile(server, verify_tls=True)
    with pytest.raises(PermanentDeliveryError) as caught:
        await ftp.upload(strict, [(SNAPSHOT, jpeg)])
    assert not isinstance(caught.value, AuthenticationError)
    assert "certificate" in str(caught.value)
    with pytest.raises(PermanentDeliveryError, match="certificate"):
        await ftp.test_connection(strict)
    assert not server.seen("USER")  # credentials never sent
    assert _files(server.root) == []

    await ftp.test_connection(_profile(server, verify_tls=False))


async def test_plain_client_against_ftps_only_server_is_permanent(
    ftp_server: Callable[..., FtpServer],
) -> None:
    server = ftp_server(ftps=True)
    with pytest.raises(PermanentDeliveryError, match="550") as caught:
        await ftp.test_connection(_profile(server, ftps=False))
    assert not isinstance(caught.value, AuthenticationError)


async def test_ftps_against_plain_server_is_permanent(
    ftp_server: Callable[..., FtpServer],
) -> None:
    server = ftp_server(ftps=False)
    with pytest.raises(PermanentDeliveryError, match="AUTH TLS"):
        await ftp.test_connection(_profile(server, ftps=True))
    assert not server.seen("USER")


async def test_refused_store_is_permanent_and_leaves_nothing(
    ftp_server: Callable[..., FtpServer], jpeg: bytes
) -> None:
    server = ftp_server()
    (server.root / "porch").write_bytes(b"a file where a folder should be")
    with pytest.raises(PermanentDeliveryError) as caught:
        await ftp.upload(_profile(server), [(SNAPSHOT, jpeg)])
    assert "550" in str(caught.value)
    assert _files(server.root) == ["porch"]


async def test_test_connection(ftp_server: Callable[..., FtpServer]) -> None:
    server = ftp_server(ftps=True)
    await ftp.test_connection(_profile(server))
    assert server.seen("AUTH")
    assert server.seen("PASS")
    assert server.seen("CWD")
    assert server.seen("QUIT")
    assert _files(server.root) == []

    with pytest.raises(PermanentDeliveryError, match="cannot enter the folder '/missing'"):
        await ftp.test_connection(_profile(server, base_path="/missing"))


async def test_nothing_to_upload_does_not_connect(ftp_server: Callable[..., FtpServer]) -> None:
    server = ftp_server()
    assert await ftp.upload(_profile(server), []) == []
    assert server.commands == []


# ---- vsftpd as Debian packages it ----------------------------------------------------------


def _vsftpd_profile(server: Vsftpd, **changes: Any) -> ftp.FtpProfile:
    profile = ftp.FtpProfile(
        host="127.0.0.1",
        port=server.port,
        username=VSFTPD_USER,
        password=VSFTPD_PASSWORD,
        base_path="/upload",
        ftps=True,
        timeout=5.0,
        verify_tls=False,
    )
    return dataclasses.replace(profile, **changes)


def _listing(profile: ftp.FtpProfile, folder: str) -> list[str]:
    with ftp._session(profile) as client:  # the transport's own connection, data channel included
        return sorted(client.nlst(folder))


async def test_vsftpd_packaged_defaults_upload_and_list(
    vsftpd: Callable[..., Vsftpd], jpeg: bytes
) -> None:
    """vsftpd requires TLS session reuse on data connections: uploads and listings get it."""
    server = vsftpd()
    assert "require_ssl_reuse" not in (server.folder / "vsftpd.conf").read_text()  # default YES
    profile = _vsftpd_profile(server)

    await ftp.test_connection(profile)  # the probe file went up (and was deleted)
    assert server.files() == []
    written = await ftp.upload(
        profile, [(SNAPSHOT, jpeg), ("porch/20260307/090503_motion.json", b'{"a": 1}')]
    )
    assert written == [f"/upload/{SNAPSHOT}", "/upload/porch/20260307/090503_motion.json"]
    assert (server.upload / SNAPSHOT).read_bytes() == jpeg
    assert server.files() == [
        "porch",
        "porch/20260307",
        "porch/20260307/090503_motion.jpg",
        "porch/20260307/090503_motion.json",
    ]
    listing = await asyncio.to_thread(_listing, profile, "porch/20260307")
    assert [name.rsplit("/", 1)[-1] for name in listing] == [
        "090503_motion.jpg",
        "090503_motion.json",
    ]
    log = server.log.read_text()
    assert "No SSL session reuse" not in log
    assert log.count("OK UPLOAD") == 3  # the probe and two files


async def test_vsftpd_plain_ftp_tls_gets_522_and_leaves_nothing(
    vsftpd: Callable[..., Vsftpd], jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the transport did before: a new TLS session per transfer. vsftpd refuses it (522)
    and drops the control connection; the part file and the folders go on a fresh connection.
    """
    server = vsftpd()
    profile = _vsftpd_profile(server)
    monkeypatch.setattr(ftp, "_SessionReusingFtpTls", ftplib.FTP_TLS)

    with pytest.raises(PermanentDeliveryError, match="522 SSL connection failed"):
        await ftp.upload(profile, [(SNAPSHOT, jpeg)])
    assert server.files() == []  # no folders, no zero-byte part file
    with pytest.raises(ftp.PermanentProbeError, match="522"):
        await ftp.test_connection(profile)
    assert server.files() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"write_enable": "NO"}, "550 Permission denied"),  # as Debian ships it
        ({"pasv_enable": "NO"}, "550 Permission denied"),  # no passive data connections
    ],
    ids=["uploads-off", "passive-off"],
)
async def test_vsftpd_refusing_data_is_found_by_the_connection_test(
    vsftpd: Callable[..., Vsftpd], overrides: dict[str, str], expected: str
) -> None:
    server = vsftpd(**overrides)
    with pytest.raises(ftp.PermanentProbeError, match=expected) as caught:
        await ftp.test_connection(_vsftpd_profile(server))
    assert VSFTPD_PASSWORD not in str(caught.value)
    assert server.files() == []


async def test_failed_upload_leaves_no_part_file_and_the_next_one_lands(
    ftp_server: Callable[..., FtpServer], jpeg: bytes
) -> None:
    """The file went up but could not be renamed (a 4xx): its part file and new folders go."""
    server = ftp_server()
    server.replies["RNFR"] = "450 Rename refused for now."
    profile = _profile(server)
    with pytest.raises(DeliveryError, match="450") as caught:
        await ftp.upload(profile, [(SNAPSHOT, jpeg)])
    assert not isinstance(caught.value, PermanentDeliveryError)  # 4xx: retried
    assert server.seen("STOR")
    assert _files(server.root) == []
    del server.replies["RNFR"]
    assert await ftp.upload(profile, [(SNAPSHOT, jpeg)]) == [f"/{SNAPSHOT}"]
    assert (server.root / SNAPSHOT).read_bytes() == jpeg


@pytest.mark.parametrize(
    ("command", "reply", "permanent"),
    [
        ("STOR", "553 Could not create file.", True),
        ("STOR", "552 Exceeded storage allocation.", True),
        ("STOR", "452 Insufficient storage space.", False),
        ("STOR", "421 Service not available, closing control connection.", False),
        ("STOR", "425 Unable to build data connection: session reuse required.", False),
        ("PASS", "530 Sorry, the maximum number of clients (3) for this user are connected", False),
        ("PASS", "550 Too many connections from your address, try again later.", False),
    ],
)
async def test_permanent_and_temporary_answers(
    ftp_server: Callable[..., FtpServer], jpeg: bytes, command: str, reply: str, permanent: bool
) -> None:
    """5xx: a dead letter at once, with the server's words; 4xx and a busy 5xx: retried."""
    server = ftp_server()
    server.replies[command] = reply
    with pytest.raises(DeliveryError) as caught:
        await ftp.upload(_profile(server), [(SNAPSHOT, jpeg)])
    assert isinstance(caught.value, PermanentDeliveryError) is permanent
    assert not isinstance(caught.value, AuthenticationError)
    assert reply in str(caught.value)
    assert _files(server.root) == []
