"""Turn what PyAV raises into the few reasons a user can act on."""

from __future__ import annotations

from enum import StrEnum
import errno

import av


class StreamErrorCode(StrEnum):
    """Why a stream could not be opened or read."""

    CANNOT_CONNECT = "cannot_connect"
    INVALID_AUTH = "invalid_auth"
    TIMEOUT = "timeout"
    INVALID_URL = "invalid_url"
    NO_VIDEO = "no_video"
    FRAME_TOO_LARGE = "frame_too_large"
    ENDED = "ended"
    TRANSPORT_REFUSED = "transport_refused"


class StreamError(Exception):
    """A stream failure with a code and a short description free of credentials."""

    def __init__(self, code: StreamErrorCode, detail: str = "") -> None:
        """Keep the code and detail."""
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail


MAX_FRAME_PIXELS = 7680 * 4320
"""8K UHD: a larger frame (12000x12000 took 2.6 GB and 7.5 s a snapshot) is refused."""


def check_frame_size(width: int, height: int) -> None:
    """Raise StreamError(FRAME_TOO_LARGE) for frames over :data:`MAX_FRAME_PIXELS`."""
    if width * height > MAX_FRAME_PIXELS:
        raise StreamError(
            StreamErrorCode.FRAME_TOO_LARGE,
            f"frames of {width}x{height} are larger than 8K (7680x4320 pixels)",
        )


def classify(err: BaseException) -> StreamError:
    """Map an exception from PyAV (or the socket layer) to a StreamError."""
    if isinstance(err, StreamError):
        return err
    if isinstance(err, (av.error.HTTPUnauthorizedError, av.error.HTTPForbiddenError)):
        return StreamError(StreamErrorCode.INVALID_AUTH, "the camera refused the credentials")
    text = str(getattr(err, "strerror", "") or err)
    if "401" in text or "Unauthorized" in text or "403" in text:
        return StreamError(StreamErrorCode.INVALID_AUTH, "the camera refused the credentials")
    err_no = getattr(err, "errno", None)
    if err_no == errno.EPROTONOSUPPORT:
        # RTSP "461 Unsupported transport": FFmpeg reports it as EPROTONOSUPPORT.
        return StreamError(
            StreamErrorCode.TRANSPORT_REFUSED, "the camera refused this RTSP transport"
        )
    if isinstance(err, (TimeoutError, av.error.ExitError)) or err_no in (
        errno.ETIMEDOUT,
        errno.EAGAIN,
    ):
        return StreamError(StreamErrorCode.TIMEOUT, "no answer within the timeout")
    if (
        isinstance(
            err, (av.error.ProtocolNotFoundError, av.error.DemuxerNotFoundError, FileNotFoundError)
        )
        or err_no == errno.ENOENT
    ):
        return StreamError(StreamErrorCode.INVALID_URL, _short(text))
    if isinstance(err, (av.error.InvalidDataError, av.error.HTTPNotFoundError)):
        return StreamError(StreamErrorCode.CANNOT_CONNECT, _short(text))
    return StreamError(StreamErrorCode.CANNOT_CONNECT, _short(text))


def _short(text: str) -> str:
    """Keep the reason, drop any path or URL FFmpeg appended (it may carry credentials)."""
    reason = text.split(": '", 1)[0].split(': "', 1)[0]
    return reason[:200]
