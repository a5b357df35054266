"""Constants for Cam Events."""

from __future__ import annotations

from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "cam_events"

PLATFORMS: Final = (Platform.BINARY_SENSOR, Platform.CAMERA, Platform.EVENT, Platform.SENSOR)

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

# Seconds PyAV waits on a silent stream. FFmpeg gives up after about twice this, so a frozen
# camera is noticed within ~5 s and a worker blocked on one still stops within 5 s.
STREAM_TIMEOUT: Final = 2.5
# The config flow's connection test may wait longer for a slow camera's first frame.
PROBE_TIMEOUT: Final = 5.0

# Events.
EVENT_CAM_EVENTS: Final = "cam_events_event"
CONF_RETENTION_DAYS: Final = "retention_days"
DEFAULT_RETENTION_DAYS: Final = 30
STORAGE_DIR: Final = "cam_events"
SNAPSHOT_URL: Final = "/api/cam_events/snapshots/{event_id}.jpg"
