"""Translate a config entry's data and options into the core's settings objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME

from .const import (
    CONF_DECODE_MODE,
    CONF_DETECT_FPS,
    CONF_DETECT_URL,
    CONF_MIN_AREA,
    CONF_MOTION_DETECTION,
    CONF_RTSP_TRANSPORT,
    CONF_THRESHOLD,
    DEFAULT_DECODE_MODE,
    DEFAULT_DETECT_FPS,
    DEFAULT_MOTION_DETECTION,
    DEFAULT_RTSP_TRANSPORT,
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
    )
