"""FTP delivery against a real FTP / explicit FTPS server (pyftpdlib on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import dataclasses
from pathlib import Path
import socket
import time
from typing import Any

import av
import pytest

from custom_components.cam_events.delivery import ftp
from custom_components.cam_events.delivery.base import (
    AuthenticationError,
    DeliveryError,
    PermanentDeliveryError,
)
from custom_components.cam_events.video.jpeg import encode_jpeg
from devtools.clips import background
from tests.peers.ftp import FtpServer

USER, PASSWORD = "cam", "pa55-Word!"
SNAPSHOT = "porch/20260307/090503_motion.jpg"


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    """A real, small JPEG snapshot."""
    frame = av.VideoFrame.from_ndarray(background(64, 48), format="rgb24")
    data = encode_jpeg(frame)
    assert data[:2] == b"\xff\xd8"
    return data


@pytest.fixture
def ftp_server(socket_enabled: None, tmp_path: Path) -> Iterator[Callable[..., FtpServer]]:
    """Start FTP servers on demand; stop every one (and join its thread) afterwards."""
    servers: list[FtpServer] = []

    def start(**options: Any) -> FtpServer:
        server = FtpServer(
            tmp_path / f"home{len(servers)}", user=USER, password=PASSWORD, **options
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


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
