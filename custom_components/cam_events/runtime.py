"""The event-loop side of one camera: stream state, motion state, typed signals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
import logging
from pathlib import Path
import time
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .const import (
    RING_MAX_BYTES,
)
from .data import DATA_DOMAIN
from .layout import layout_of
from .settings import (
    RecordingSettings,
    detect_source,
    main_source,
    off_delay,
    recording_settings,
    worker_settings,
)
from .signal import Signal
from .storage_health import StorageArea, is_disk_error
from .video.clip import ClipInfo
from .video.detector import MotionResult, ZoneResult
from .video.errors import StreamError, StreamErrorCode
from .video.jpeg import SnapshotCache
from .video.recorder import ClipRecorder, ClipRequest
from .video.source import SourceKind, StreamSource
from .video.stream_worker import StreamState, StreamWorker, WorkerStats
from .video.tamper import TamperResult
from .video.zones import Layout

if TYPE_CHECKING:
    from .data import CamEventsConfigEntry

_LOGGER = logging.getLogger(__name__)


type MotionListener = Callable[[bool, MotionResult | None], None]
type StreamListener = Callable[[bool, StreamErrorCode | None], None]
type TamperListener = Callable[[TamperResult], None]
type ClipListener = Callable[[ClipRequest, ClipInfo], None]
type StatsListener = Callable[[WorkerStats], None]


class CameraRuntime:
    """Owns a camera's stream worker and turns its reports into state and typed signals.

    Nothing here knows who listens: the camera's events and its entities connect to the
    signals they need (`async_on_motion`, `async_on_stream`, ...), and data flows one way.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CamEventsConfigEntry,
        recordings_dir: Path | None = None,
    ) -> None:
        """Build the worker (and the recorder); start() runs them."""
        self.hass = hass
        self.entry = entry
        self.source: StreamSource = main_source(entry.data)
        self.settings = worker_settings(entry.options)
        self.off_delay = off_delay(entry.options)
        self.recordings_dir = recordings_dir
        self.recorder: ClipRecorder | None = None
        recording = recording_settings(entry.options)
        if recordings_dir is not None and recording.enabled:
            self.recorder = ClipRecorder(
                recordings_dir,
                preroll=recording.preroll,
                postroll=recording.postroll,
                max_length=recording.max_length,
                max_ring_bytes=RING_MAX_BYTES,
                clock=_wall_clock,
                on_clip=self._on_clip,
            )
        detect = detect_source(entry.data)
        separate = detect.url != self.source.url
        self.worker = StreamWorker(
            entry.title,
            detect,
            self,
            self.settings,
            recorder=None if separate else self.recorder,
        )
        self.layout: Layout = layout_of(entry.options)
        self.worker.set_layout(self.layout)
        # With a detection substream, the main stream is only demuxed, for the clips.
        self.record_worker: StreamWorker | None = None
        if separate and self.recorder is not None:
            self.record_worker = StreamWorker(
                f"{entry.title} (recording)",
                self.source,
                _QuietListener(),
                replace(self.settings, decode=False, detect=False),
                recorder=self.recorder,
            )
        self.state = StreamState.STOPPED
        self.last_error: StreamError | None = None
        self.motion = False
        self.last_motion: MotionResult | None = None
        self.last_motion_at: float | None = None
        self.stats: WorkerStats | None = None
        self.tamper: TamperResult | None = None
        self.snapshots = SnapshotCache()
        self._off_timer: CALLBACK_TYPE | None = None
        self._reauth_started = False
        self._first_report: asyncio.Future[StreamState] = hass.loop.create_future()
        self._motion: Signal[[bool, MotionResult | None]] = Signal()
        self._motion_result: Signal[[MotionResult]] = Signal()
        self._stream: Signal[[bool, StreamErrorCode | None]] = Signal()
        self._state: Signal[[]] = Signal()
        self._tamper: Signal[[TamperResult]] = Signal()
        self._clip: Signal[[ClipRequest, ClipInfo]] = Signal()
        self._stats: Signal[[WorkerStats]] = Signal()
        self._options: Signal[[]] = Signal()
        # Zones: on from a zone's first moving frame until the off-delay passes without motion.
        self.zone_motion: dict[str, bool] = {}
        self.zone_last: dict[str, ZoneResult] = {}
        self._zone_timers: dict[str, CALLBACK_TYPE] = {}
        self._zones: Signal[[]] = Signal()
        self._layout: Signal[[Layout]] = Signal()

    # ---- lifecycle -------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Start decoding (and demuxing the main stream for clips)."""
        self.worker.start()
        if self.record_worker is not None:
            self.record_worker.start()

    async def async_first_state(self, timeout: float) -> StreamState:
        """Wait until the worker streams, or fails in a way its retries cannot mend.

        A refused or lost connection is retried by the worker on its own (a camera that serves
        one client may still be busy with the config flow's test): setup waits for those
        retries, up to `timeout`, and then returns the state it has.
        """
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(self._first_report)
        except TimeoutError:
            return self.state

    async def async_stop(self) -> None:
        """Stop the worker thread and wait for it, off the event loop."""
        self._cancel_off_timer()
        self._set_zones_off()
        await self.hass.async_add_executor_job(self._stop_threads)

    def _stop_threads(self) -> None:
        self.worker.stop()
        if self.record_worker is not None:
            self.record_worker.stop()
        if self.recorder is not None:
            self.recorder.close()

    def _on_clip(
        self, request: ClipRequest, info: ClipInfo | None, error: BaseException | None
    ) -> None:
        """Writer thread: a clip is complete (or failed); hand it to the loop."""
        self.hass.loop.call_soon_threadsafe(self._async_clip_done, request, info, error)

    @callback
    def _async_clip_done(
        self, request: ClipRequest, info: ClipInfo | None, error: BaseException | None
    ) -> None:
        storage = self.hass.data[DATA_DOMAIN].storage
        if error is not None or info is None:
            _LOGGER.warning("Clip %s of %s failed: %s", request.path, self.entry.title, error)
            if error is not None and is_disk_error(error):
                storage.async_report(StorageArea.CLIPS, error)
            return
        storage.async_report(StorageArea.CLIPS, None)
        self._clip.fire(request, info)

    @callback
    def async_apply_options(self) -> None:
        """Apply changed detection options without restarting the stream."""
        if self._needs_restart():
            self.hass.config_entries.async_schedule_reload(self.entry.entry_id)
            return
        self.settings = worker_settings(self.entry.options)
        self.off_delay = off_delay(self.entry.options)
        self.worker.update_settings(self.settings)
        if not self.settings.detect:
            self._set_motion(False)
            self._set_zones_off()
        self.async_set_layout(layout_of(self.entry.options))
        self._options.fire()

    @callback
    def async_set_layout(self, layout: Layout) -> None:
        """Use these masks and zones from the next frame on (the stream keeps running)."""
        if layout == self.layout:
            return
        self.layout = layout
        self.worker.set_layout(layout)
        enabled = {a.id for a in layout.zones if a.enabled}
        for zone_id in list(self.zone_motion):
            if zone_id not in enabled:
                self._set_zone(zone_id, False)
        self._layout.fire(layout)

    def _needs_restart(self) -> bool:
        """Return whether changed options need a new connection (decoding, recording)."""
        new = worker_settings(self.entry.options)
        recording = recording_settings(self.entry.options)
        if (recorder := self.recorder) is None:
            recording_changed = recording.enabled
        else:
            current = RecordingSettings(
                True, recorder.preroll, recorder.postroll, recorder.max_length
            )
            recording_changed = recording != current
        return new.decode_mode != self.settings.decode_mode or recording_changed

    # ---- what entities read ------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the stream is delivering frames."""
        return self.state is StreamState.STREAMING

    @property
    def detection_enabled(self) -> bool:
        """Whether the motion detector runs."""
        return self.settings.detect

    @property
    def has_live_stream(self) -> bool:
        """Whether Home Assistant's stream component can play the main stream."""
        return self.source.kind is SourceKind.RTSP

    async def async_snapshot(self) -> bytes | None:
        """JPEG of the newest decoded frame, encoded once per frame in an executor."""
        latest = self.worker.latest_frame()
        if latest is None:
            return None
        seq, frame = latest
        return await self.hass.async_add_executor_job(self.snapshots.get, seq, frame)

    # ---- signals (each returns the function that disconnects the listener) ------------

    @callback
    def async_on_motion(self, listener: MotionListener) -> CALLBACK_TYPE:
        """Call `listener(on, result)` when motion starts or ends (result: what started it)."""
        return self._motion.connect(listener)

    @callback
    def async_on_motion_result(self, listener: Callable[[MotionResult], None]) -> CALLBACK_TYPE:
        """Call `listener(result)` at every accepted motion start, also while still on."""
        return self._motion_result.connect(listener)

    @callback
    def async_on_stream(self, listener: StreamListener) -> CALLBACK_TYPE:
        """Call `listener(available, error)` when the stream comes up or is lost."""
        return self._stream.connect(listener)

    @callback
    def async_on_state(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener()` whenever the worker reports a stream state (or an error)."""
        return self._state.connect(listener)

    @callback
    def async_on_tamper(self, listener: TamperListener) -> CALLBACK_TYPE:
        """Call `listener(result)` when the lens is covered or blinded, or the view is back."""
        return self._tamper.connect(listener)

    @callback
    def async_on_clip(self, listener: ClipListener) -> CALLBACK_TYPE:
        """Call `listener(request, info)` when a clip is written."""
        return self._clip.connect(listener)

    @callback
    def async_on_stats(self, listener: StatsListener) -> CALLBACK_TYPE:
        """Call `listener(stats)` with the worker's counters (frame rates), every few seconds."""
        return self._stats.connect(listener)

    @callback
    def async_on_options(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener()` when detection options are applied without a restart."""
        return self._options.connect(listener)

    @callback
    def async_on_zones(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener()` when a zone's motion starts or ends."""
        return self._zones.connect(listener)

    @callback
    def async_on_layout(self, listener: Callable[[Layout], None]) -> CALLBACK_TYPE:
        """Call `listener(layout)` when the masks and zones change (added, removed, switched)."""
        return self._layout.connect(listener)

    # ---- worker reports (worker thread) -> event loop ------------------------------------

    def on_state(self, state: StreamState, error: StreamError | None) -> None:
        """Worker thread: hand a state change to the loop."""
        self.hass.loop.call_soon_threadsafe(self._async_on_state, state, error)

    def on_motion(self, active: bool, result: MotionResult, at: float) -> None:
        """Worker thread: hand a motion change to the loop."""
        self.hass.loop.call_soon_threadsafe(self._async_on_motion, active, result, at)

    def on_zones(self, result: MotionResult, at: float) -> None:
        """Worker thread: hand a zone's motion change to the loop."""
        self.hass.loop.call_soon_threadsafe(self._async_on_zones, result)

    @callback
    def _async_on_zones(self, result: MotionResult) -> None:
        moving = {zone.id: zone for zone in result.zones if zone.motion}
        for zone in moving.values():
            if not self.settings.detect or not self.available:
                break
            self._cancel_zone_timer(zone.id)
            if not self.zone_motion.get(zone.id):
                self.zone_last[zone.id] = zone
            self._set_zone(zone.id, True)
        for zone_id, on in list(self.zone_motion.items()):
            if on and zone_id not in moving and zone_id not in self._zone_timers:
                self._zone_timers[zone_id] = async_call_later(
                    self.hass, self.off_delay, self._zone_off_later(zone_id)
                )

    def _zone_off_later(self, zone_id: str) -> Callable[[object], None]:
        @callback
        def off(_now: object) -> None:
            self._zone_timers.pop(zone_id, None)
            self._set_zone(zone_id, False)

        return off

    @callback
    def _set_zone(self, zone_id: str, on: bool) -> None:
        if not on:
            self._cancel_zone_timer(zone_id)
        if self.zone_motion.get(zone_id, False) != on:
            self.zone_motion[zone_id] = on
            self._zones.fire()

    @callback
    def _cancel_zone_timer(self, zone_id: str) -> None:
        if (cancel := self._zone_timers.pop(zone_id, None)) is not None:
            cancel()

    @callback
    def _set_zones_off(self) -> None:
        for zone_id in list(self.zone_motion):
            self._set_zone(zone_id, False)

    def on_stats(self, stats: WorkerStats) -> None:
        """Worker thread: hand counters to the loop."""
        self.hass.loop.call_soon_threadsafe(self._async_on_stats, stats)

    def on_tamper(self, result: TamperResult) -> None:
        """Worker thread: hand a tamper change to the loop."""
        self.hass.loop.call_soon_threadsafe(self._async_on_tamper, result)

    @callback
    def _async_on_tamper(self, result: TamperResult) -> None:
        self.tamper = result
        self._tamper.fire(result)

    @property
    def tampered(self) -> bool:
        """Whether the lens is covered, blacked out or blinded now."""
        return self.tamper is not None and self.tamper.active

    @callback
    def _async_on_state(self, state: StreamState, error: StreamError | None) -> None:
        was_available = self.available
        self.state = state
        if error is not None:
            self.last_error = error
        if not self._first_report.done() and (
            state in (StreamState.STREAMING, StreamState.AUTH_FAILED, StreamState.STOPPED)
            or (error is not None and error.code in _FINAL_AT_SETUP)
        ):
            self._first_report.set_result(state)
        if state is StreamState.STREAMING:
            self._reauth_started = False
        else:
            self._set_motion(False)
            self._set_zones_off()
        if was_available and not self.available and state is not StreamState.STOPPED:
            _LOGGER.info(
                "Camera %s stream lost (%s); reconnecting",
                self.entry.title,
                error.detail if error else state.value,
            )
        elif not was_available and self.available and self.last_error is not None:
            _LOGGER.info("Camera %s stream is back", self.entry.title)
        if was_available != self.available:
            self._stream.fire(self.available, error.code if error else None)
        if state is StreamState.AUTH_FAILED and not self._reauth_started:
            self._reauth_started = True
            _LOGGER.warning("Camera %s refused the credentials; starting reauth", self.entry.title)
            self.entry.async_start_reauth(self.hass)
        self._state.fire()

    @callback
    def _async_on_motion(self, active: bool, result: MotionResult, at: float) -> None:
        if self.motion and self.last_motion is not None and result.touched:
            # One event spans the off-delay: it lists every zone touched while it lasts.
            touched = self.last_motion.touched
            merged = (*touched, *(z for z in result.touched if z not in touched))
            if active:
                result = replace(result, touched=merged)
            else:
                self.last_motion = replace(self.last_motion, touched=merged)
        if active:
            if not self.settings.detect or not self.available:
                return
            self.last_motion = result
            self.last_motion_at = at
            self._set_motion(True)
            self._motion_result.fire(result)
        elif self.motion:
            self._cancel_off_timer()
            self._off_timer = async_call_later(self.hass, self.off_delay, self._async_off_delay)

    @callback
    def _async_off_delay(self, _now: object) -> None:
        self._off_timer = None
        self._set_motion(False)

    @callback
    def _async_on_stats(self, stats: WorkerStats) -> None:
        self.stats = stats
        self._stats.fire(stats)

    @callback
    def _set_motion(self, on: bool) -> None:
        self._cancel_off_timer()
        if on != self.motion:
            self.motion = on
            self._motion.fire(on, self.last_motion)

    @callback
    def _cancel_off_timer(self) -> None:
        if self._off_timer is not None:
            self._off_timer()
            self._off_timer = None


_FINAL_AT_SETUP = frozenset(
    {StreamErrorCode.INVALID_URL, StreamErrorCode.NO_VIDEO, StreamErrorCode.TRANSPORT_REFUSED}
)
"""Errors a retry within seconds does not mend: setup gives up on the first one."""


class _QuietListener:
    """The recording-only worker's reports: logged, never shown as the camera's state."""

    def on_state(self, state: StreamState, error: StreamError | None) -> None:
        """Log the main stream's state."""
        _LOGGER.debug("Recording stream: %s %s", state, error or "")

    def on_motion(self, active: bool, result: MotionResult, at: float) -> None:
        """Ignore: this worker does not detect."""

    def on_stats(self, stats: WorkerStats) -> None:
        """Ignore: the detection stream's counters are the ones shown."""

    def on_tamper(self, result: TamperResult) -> None:
        """Ignore: this worker does not detect."""


def _wall_clock() -> float:
    """Return the wall clock, looked up at each call (the packets carry the same clock)."""
    return time.time()
