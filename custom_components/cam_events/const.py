"""Constants for Cam Events."""

from __future__ import annotations

from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "cam_events"

PLATFORMS: Final = (Platform.BINARY_SENSOR, Platform.CAMERA, Platform.SENSOR)

CONF_DETECT_URL: Final = "detect_url"

# Options (detection settings).
CONF_MOTION_DETECTION: Final = "motion_detection"
CONF_THRESHOLD: Final = "threshold"
CONF_MIN_AREA: Final = "min_area"
CONF_DETECT_FPS: Final = "detect_fps"
CONF_OFF_DELAY: Final = "off_delay"

DEFAULT_NAME: Final = "Camera"
DEFAULT_MOTION_DETECTION: Final = True
DEFAULT_DETECT_FPS: Final = 0.0  # every decoded frame
DEFAULT_OFF_DELAY: Final = 10.0

# Seconds allowed for opening a stream and for each read while streaming.
STREAM_TIMEOUT: Final = 4.0
