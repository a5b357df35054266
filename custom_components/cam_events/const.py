"""Constants for Cam Events."""

from __future__ import annotations

from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "cam_events"

PLATFORMS: Final = (
    Platform.BINARY_SENSOR,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
)

CONF_DETECT_URL: Final = "detect_url"
CONF_RTSP_TRANSPORT: Final = "rtsp_transport"
DEFAULT_RTSP_TRANSPORT: Final = "auto"

# Options (detection settings).
CONF_MOTION_DETECTION: Final = "motion_detection"
CONF_THRESHOLD: Final = "threshold"
CONF_MIN_AREA: Final = "min_area"
CONF_DETECT_FPS: Final = "detect_fps"
CONF_OFF_DELAY: Final = "off_delay"
CONF_LAYOUT: Final = "layout"  # masks and zones (video.zones.Layout.to_data)

DEFAULT_NAME: Final = "Camera"
DEFAULT_MOTION_DETECTION: Final = True
DEFAULT_DETECT_FPS: Final = 0.0  # every decoded frame
DEFAULT_OFF_DELAY: Final = 10.0

# Seconds PyAV waits on a silent stream. FFmpeg gives up after about twice this, so a frozen
# camera is noticed within ~5 s and a worker blocked on one still stops within 5 s.
STREAM_TIMEOUT: Final = 2.5
# The config flow's connection test may wait longer for a slow camera's first frame.
PROBE_TIMEOUT: Final = 5.0
# Setup waits this long for the first frame, through the worker's own retries: a camera that
# serves one client (ESP32-CAM) is still busy with the config flow's test for a few seconds.
SETUP_TIMEOUT: Final = 8.0

# Events.
EVENT_CAM_EVENTS: Final = "cam_events_event"
CONF_RETENTION_DAYS: Final = "retention_days"
DEFAULT_RETENTION_DAYS: Final = 30
STORAGE_DIR: Final = "cam_events"
SNAPSHOT_URL: Final = "/api/cam_events/snapshots/{event_id}.jpg"
# A requested event may lie at most this far ahead (seconds); later ones are refused.
MAX_FUTURE_SECONDS: Final = 86_400

# Handler profiles: a config entry is a camera or a delivery profile.
CONF_KIND: Final = "kind"
KIND_CAMERA: Final = "camera"
KIND_SMTP: Final = "smtp"
KIND_FTP: Final = "ftp"
KIND_HTTP: Final = "http"
KIND_UDP: Final = "udp"
KIND_LOCAL: Final = "local"
PROFILE_KINDS: Final = (KIND_SMTP, KIND_FTP, KIND_HTTP, KIND_UDP, KIND_LOCAL)
PROFILE_PLATFORMS: Final = (Platform.SENSOR,)

CONF_SECURITY: Final = "security"
CONF_AUTH: Final = "auth"
CONF_SENDER: Final = "sender"
CONF_RECIPIENTS: Final = "recipients"
CONF_TIMEOUT: Final = "timeout"
CONF_BASE_PATH: Final = "base_path"
CONF_PASSIVE: Final = "passive"
CONF_FTPS: Final = "ftps"
CONF_PATTERN: Final = "pattern"
CONF_HTTPS: Final = "https"
CONF_METHOD: Final = "method"
CONF_KEEPALIVE: Final = "keepalive"
CONF_MODE: Final = "mode"
CONF_ADDRESS: Final = "address"
CONF_TTL: Final = "ttl"
CONF_INTERFACE: Final = "interface"
CONF_FOLDER: Final = "folder"
CONF_DAYS: Final = "days"
CONF_WINDOWS: Final = "windows"
CONF_PAUSE: Final = "pause"

# Outbox: retries from 5 s doubling to 10 min, 8 attempts, then a dead letter.
OUTBOX_BACKOFF_INITIAL: Final = 5.0
OUTBOX_BACKOFF_MAX: Final = 600.0
OUTBOX_MAX_ATTEMPTS: Final = 8

# Recording and decoding (options of a camera).
CONF_DECODE_MODE: Final = "decode_mode"
CONF_RECORD: Final = "record"
CONF_PREROLL: Final = "preroll"
CONF_POSTROLL: Final = "postroll"
CONF_MAX_CLIP: Final = "max_clip"
CONF_STORAGE_MB: Final = "storage_mb"
DEFAULT_DECODE_MODE: Final = "full"
DEFAULT_RECORD: Final = True
DEFAULT_PREROLL: Final = 5.0
DEFAULT_POSTROLL: Final = 5.0
DEFAULT_MAX_CLIP: Final = 300.0
DEFAULT_STORAGE_MB: Final = 2000.0
RING_MAX_BYTES: Final = 64 * 1024 * 1024
CLIP_URL: Final = "/api/cam_events/clips/{event_id}.{ext}"
CONF_MAX_ATTACHMENT_MB: Final = "max_attachment_mb"
DEFAULT_MAX_ATTACHMENT_MB: Final = 10.0
