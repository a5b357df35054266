"""Stream URLs: kinds, credentials kept apart, redaction, error classification."""

from __future__ import annotations

import errno

import av
import pytest

from custom_components.cam_events.video.errors import StreamErrorCode, classify
from custom_components.cam_events.video.source import (
    InvalidSourceError,
    RtspTransport,
    SourceKind,
    StreamSource,
    redact_url,
    source_kind,
    split_credentials,
)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("rtsp://cam.local:554/live", SourceKind.RTSP),
        ("rtsps://10.0.0.2/live", SourceKind.RTSP),
        ("http://10.0.0.2/video.mjpg", SourceKind.HTTP),
        ("https://[fe80::1]:8443/mjpeg", SourceKind.HTTP),
        ("/media/clips/porch.mp4", SourceKind.FILE),
        ("file:///media/clips/porch.mp4", SourceKind.FILE),
    ],
)
def test_source_kinds(url: str, kind: SourceKind) -> None:
    assert source_kind(url) is kind


@pytest.mark.parametrize(
    "url",
    ["", "ftp://x/y", "rtsp:///path", "rtsp://host:99999/x", "clips/porch.mp4", "file://x"],
)
def test_invalid_sources(url: str) -> None:
    with pytest.raises(InvalidSourceError):
        source_kind(url)


def test_credentials_are_split_out_and_put_back() -> None:
    url, user, password = split_credentials(" rtsp://ad%40min:p%3Ass@[fe80::1]:554/live?ch=1 ")
    assert (url, user, password) == ("rtsp://[fe80::1]:554/live?ch=1", "ad@min", "p:ss")
    source = StreamSource(url, user, password)
    assert source.open_url() == "rtsp://ad%40min:p%3Ass@[fe80::1]:554/live?ch=1"
    assert StreamSource(url).open_url() == url
    assert StreamSource(url, "only-user").open_url() == "rtsp://only-user@[fe80::1]:554/live?ch=1"
    assert split_credentials("/a/file.mp4") == ("/a/file.mp4", None, None)


def test_redact_url_hides_credentials() -> None:
    assert redact_url("rtsp://admin:secret@cam/live") == "rtsp://***:***@cam/live"
    assert redact_url("rtsp://cam/live") == "rtsp://cam/live"
    assert redact_url("/a/file.mp4") == "/a/file.mp4"


def test_av_options_per_kind() -> None:
    options = StreamSource("rtsp://cam/live").av_options()
    assert options["rtsp_transport"] == "tcp"
    assert "rtsp_flags" not in options  # prefer_tcp would let FFmpeg choose on its own
    assert "rtsp_transport" not in StreamSource("http://cam/v.mjpg").av_options()
    assert StreamSource("file:///x%20y.mp4").path == "/x y.mp4"
    assert StreamSource("file:///x%20y.mp4").open_url() == "/x y.mp4"


TCP, UDP, AUTO = RtspTransport.TCP, RtspTransport.UDP, RtspTransport.AUTO


@pytest.mark.parametrize(
    ("url", "setting", "worked", "order"),
    [
        ("rtsp://cam/live", AUTO, None, (TCP, UDP)),  # TCP first, UDP when it is refused
        ("rtsp://cam/live", AUTO, TCP, (TCP, UDP)),
        ("rtsps://cam/live", AUTO, UDP, (UDP, TCP)),  # what worked is tried first on reconnect
        ("rtsp://cam/live", TCP, None, (TCP,)),  # a fixed choice is the only one
        ("rtsp://cam/live", TCP, UDP, (TCP,)),
        ("rtsp://cam/live", UDP, None, (UDP,)),
        ("http://cam/v.mjpg", UDP, None, (None,)),  # not RTSP: one attempt, no transport
        ("/media/porch.mp4", AUTO, None, (None,)),
    ],
)
def test_transports_to_try(
    url: str,
    setting: RtspTransport,
    worked: RtspTransport | None,
    order: tuple[RtspTransport | None, ...],
) -> None:
    source = StreamSource(url, transport=setting)
    assert source.transports(worked) == order
    for transport in order:
        options = source.av_options(transport)
        if transport is None:
            assert "rtsp_transport" not in options
        else:
            assert options["rtsp_transport"] == transport.value
    assert StreamSource("rtsp://cam/live", transport=UDP).av_options()["rtsp_transport"] == "udp"
    assert StreamSource("rtsp://cam/live", transport=AUTO).av_options(AUTO)["rtsp_transport"] == (
        "tcp"
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (av.error.HTTPUnauthorizedError(errno.EPERM, "401 Unauthorized"), "invalid_auth"),
        (
            OSError(errno.EIO, "Server returned 401 Unauthorized (authorization failed)"),
            "invalid_auth",
        ),
        (TimeoutError(), "timeout"),
        (OSError(errno.ETIMEDOUT, "Connection timed out"), "timeout"),
        (FileNotFoundError(errno.ENOENT, "No such file"), "invalid_url"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "cannot_connect"),
        (
            av.error.InvalidDataError(
                errno.EINVAL, "Invalid data found when processing input", "rtsp://u:p@h/x"
            ),
            "cannot_connect",
        ),
        # FFmpeg's answer to RTSP "461 Unsupported transport" (VLC's server, some cameras).
        (
            av.error.OSError(errno.EPROTONOSUPPORT, "Protocol not supported", "rtsp://u:p@h/x"),
            "transport_refused",
        ),
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "refused: 'rtsp://h:4610/x'"),
            "cannot_connect",
        ),
    ],
)
def test_classify(error: Exception, code: str) -> None:
    result = classify(error)
    assert result.code == StreamErrorCode(code)
    assert "u:p@" not in result.detail
    assert classify(result) is result


def test_redact_url_hides_credentials_in_the_query() -> None:
    """Cheap cameras take `?user=…&pwd=…`; those values never reach a log or diagnostics."""
    assert (
        redact_url("http://cam/videostream.cgi?user=admin&pwd=s3cret&resolution=32")
        == "http://cam/videostream.cgi?user=***&pwd=***&resolution=32"
    )
    assert (
        redact_url("rtsp://a:b@cam:554/live?token=abc&Password=x&loginuse=u&channel=1")
        == "rtsp://***:***@cam:554/live?token=***&Password=***&loginuse=***&channel=1"
    )
    assert redact_url("http://cam/?api_key=1&secret=2&auth=3") == (
        "http://cam/?api_key=***&secret=***&auth=***"
    )


def test_urls_python_cannot_parse_are_invalid_not_a_crash() -> None:
    for url in (
        "rtsp://admin:pa[ss@cam/live",
        "rtsp://admin:pw@cam:99999/live",
        "rtsp://cam:port/live",
        "/tmp/a\x00b.mp4",
    ):
        with pytest.raises(InvalidSourceError):
            split_credentials(url)
        with pytest.raises(InvalidSourceError):
            source_kind(url)
        assert "pa[ss" not in redact_url(url)
        assert "pw" not in redact_url(url)
