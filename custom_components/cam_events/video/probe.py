"""Open a stream and decode one frame: the connection test of the config flow."""

from __future__ import annotations

from dataclasses import dataclass
import time

from .connect import open_source
from .errors import StreamError, StreamErrorCode, check_frame_size, classify
from .source import InvalidSourceError, RtspTransport, StreamSource


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What the first decoded frame told us."""

    width: int
    height: int
    codec: str
    transport: RtspTransport | None = None
    """The RTSP transport that worked (None for a source that is not RTSP)."""


def probe(source: StreamSource) -> ProbeResult:
    """Decode one frame within the source's timeouts or raise StreamError (blocking).

    The connection is closed before this returns, whatever happens: a camera that serves one
    client at a time is free again for the worker that setup starts next.
    """
    try:
        _ = source.kind
    except InvalidSourceError as err:
        raise StreamError(StreamErrorCode.INVALID_URL, str(err)) from err
    started = time.monotonic()
    try:
        container, transport = open_source(source)
        with container:
            if not container.streams.video:
                raise StreamError(StreamErrorCode.NO_VIDEO, "the source has no video")
            stream = container.streams.video[0]
            check_frame_size(stream.codec_context.width, stream.codec_context.height)
            for frame in container.decode(stream):
                check_frame_size(frame.width, frame.height)
                return ProbeResult(frame.width, frame.height, stream.codec_context.name, transport)
    except StreamError:
        raise
    except Exception as err:
        if time.monotonic() - started >= source.open_timeout * 0.9:
            raise StreamError(StreamErrorCode.TIMEOUT, "no frame within the timeout") from err
        raise classify(err) from err
    raise StreamError(StreamErrorCode.NO_VIDEO, "the stream ended before a frame was decoded")
