"""Translate a config entry's data and options into the core's settings objects.

The one place a camera's options are read (with their defaults): the runtime and the
retention ask here instead of reading ``entry.options`` themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME

from .const import (
    CONF_DECODE_MODE,
    CONF_DETECT_FPS,
    CONF_DETECT_URL,
    CONF_MAX_CLIP,
    CONF_MIN_AREA,
    CONF_MOTION_DETECTION,
    CONF_OFF_DELAY,
    CONF_POSTROLL,
    CONF_PREROLL,
    CONF_RECORD,
    CONF_RETENTION_DAYS,
    CONF_RTSP_TRANSPORT,
    CONF_STORAGE_MB,
    CONF_THRESHOLD,
    DEFAULT_DECODE_MODE,
    DEFAULT_DETECT_FPS,
    DEFAULT_MAX_CLIP,
    DEFAULT_MOTION_DETECTION,
    DEFAULT_OFF_DELAY,
    DEFAULT_POSTROLL,
    DEFAULT_PREROLL,
    DEFAULT_RECORD,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_RTSP_TRANSPORT,
    DEFAULT_STORAGE_MB,
    STREAM_TIMEOUT,
)
from .video.detector import DetectorSettings
from .video.source import RtspTransport, StreamSource
from .video.stream_worker import DecodeMode, WorkerSettings

DEFAULT_DETECTOR = DetectorSettings()


def main_source(data: Mapping[str, Any]) -> StreamSource:
    """Return the camera's main stream."""
    return StreamSource(
        url=data[CONF_URL],
        username=data.get(CONF_USERNAME) or None,
        password=data.get(CONF_PASSWORD) or None,
        open_timeout=STREAM_TIMEOUT,
        read_timeout=STREAM_TIMEOUT,
        transport=RtspTransport(data.get(CONF_RTSP_TRANSPORT, DEFAULT_RTSP_TRANSPORT)),
    )


def detect_source(data: Mapping[str, Any]) -> StreamSource:
    """Return the stream the detector decodes: the substream if any, else the main one."""
    source = main_source(data)
    if detect_url := data.get(CONF_DETECT_URL):
        return replace(source, url=detect_url)
    return source


def worker_settings(options: Mapping[str, Any]) -> WorkerSettings:
    """Return detection settings from the entry's options, defaults where unset."""
    detector = DetectorSettings(
        threshold=int(options.get(CONF_THRESHOLD, DEFAULT_DETECTOR.threshold)),
        min_area=float(options.get(CONF_MIN_AREA, DEFAULT_DETECTOR.min_area)),
        grid_height=DEFAULT_DETECTOR.grid_height,
        alpha=DEFAULT_DETECTOR.alpha,
        lighting_ratio=DEFAULT_DETECTOR.lighting_ratio,
        min_frames=DEFAULT_DETECTOR.min_frames,
    )
    return WorkerSettings(
        detect=bool(options.get(CONF_MOTION_DETECTION, DEFAULT_MOTION_DETECTION)),
        detector=detector,
        detect_fps=float(options.get(CONF_DETECT_FPS, DEFAULT_DETECT_FPS)),
        decode_mode=DecodeMode(options.get(CONF_DECODE_MODE, DEFAULT_DECODE_MODE)),
        hold=off_delay(options),
    )


def off_delay(options: Mapping[str, Any]) -> float:
    """Return the seconds motion stays on after the last moving frame."""
    return float(options.get(CONF_OFF_DELAY, DEFAULT_OFF_DELAY))


@dataclass(frozen=True, slots=True)
class RecordingSettings:
    """Whether the camera records clips of its events, and their pre-roll, post-roll, cap."""

    enabled: bool
    preroll: float
    postroll: float
    max_length: float


def recording_settings(options: Mapping[str, Any]) -> RecordingSettings:
    """Return the recording options, defaults where unset."""
    return RecordingSettings(
        enabled=bool(options.get(CONF_RECORD, DEFAULT_RECORD)),
        preroll=float(options.get(CONF_PREROLL, DEFAULT_PREROLL)),
        postroll=float(options.get(CONF_POSTROLL, DEFAULT_POSTROLL)),
        max_length=float(options.get(CONF_MAX_CLIP, DEFAULT_MAX_CLIP)),
    )


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """How long events are kept, and how many bytes of clips at most."""

    days: float
    storage_bytes: int


def retention_settings(options: Mapping[str, Any]) -> RetentionSettings:
    """Return the retention options, defaults where unset."""
    return RetentionSettings(
        days=float(options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)),
        storage_bytes=int(float(options.get(CONF_STORAGE_MB, DEFAULT_STORAGE_MB)) * 1_000_000),
    )
