"""Open a stream, trying the RTSP transports a source allows: shared by the probe and the worker."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import av

from .errors import StreamErrorCode, classify
from .source import RtspTransport, StreamSource

if TYPE_CHECKING:
    from av.container import InputContainer

BUSY_RETRY_DELAY = 0.5
"""How long to wait before asking again a camera that answered 5xx (busy for a moment)."""


def open_source(
    source: StreamSource, worked: RtspTransport | None = None
) -> tuple[InputContainer, RtspTransport | None]:
    """Open `source` (blocking); return the container and the RTSP transport it uses.

    The transports are tried in the order `source.transports(worked)` gives; the next one is
    tried only when the camera refused the previous one (RTSP 461), never after a timeout, a
    refused login or a camera that is down. A camera that answers 5xx is asked once more after
    BUSY_RETRY_DELAY: servers answer 503 while they tear down the session of a client that has
    just left (the flow's probe, the previous connection, a refused transport). Raises what
    PyAV raised for the last one tried.
    """
    order = source.transports(worked)
    for index, transport in enumerate(order):
        try:
            container = _open(source, transport)
        except Exception as err:
            last = index == len(order) - 1
            if last or classify(err).code is not StreamErrorCode.TRANSPORT_REFUSED:
                raise
            continue
        return container, transport
    raise AssertionError("transports() is never empty")  # pragma: no cover


def _open(source: StreamSource, transport: RtspTransport | None) -> InputContainer:
    """Open with one transport; a 5xx answer (a busy server) is asked once more."""

    def attempt() -> InputContainer:
        return av.open(
            source.open_url(),
            mode="r",
            options=source.av_options(transport),
            timeout=(source.open_timeout, source.read_timeout),
        )

    try:
        return attempt()
    except av.error.HTTPServerError:
        time.sleep(BUSY_RETRY_DELAY)
        return attempt()
