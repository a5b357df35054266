"""Camera entity: stills from the newest decoded frame, live view through HA's stream."""

from __future__ import annotations

from homeassistant.components.camera import Camera, CameraEntityDescription, CameraEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .camera_events import CAMERA_KEY
from .const import CONF_MOTION_DETECTION
from .data import CamEventsConfigEntry
from .entity import CamEventsEntity

PARALLEL_UPDATES = 0

CAMERA = CameraEntityDescription(key=CAMERA_KEY, name=None)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CamEventsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the camera."""
    async_add_entities([CamEventsCamera(entry)])


class CamEventsCamera(CamEventsEntity, Camera):
    """The camera itself; its motion detection switch drives the detector."""

    _attr_brand = "Cam Events"

    def __init__(self, entry: CamEventsConfigEntry) -> None:
        """Set up from the entry."""
        CamEventsEntity.__init__(self, entry, CAMERA)
        Camera.__init__(self)
        self._entry = entry
        if self.runtime.has_live_stream:
            self._attr_supported_features = CameraEntityFeature.STREAM

    async def async_added_to_hass(self) -> None:
        """Follow the motion detection switch (the stream's state is followed by the base)."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_on_options(self._async_write_if_changed))

    def _state_key(self) -> object:
        """Streaming or idle, and whether detection runs (the access token is HA's own)."""
        return (self.available, self.state, self.motion_detection_enabled)

    @property
    def motion_detection_enabled(self) -> bool:
        """Whether the detector runs."""
        return self.runtime.detection_enabled

    @property
    def is_recording(self) -> bool:
        """Cam Events does not record continuously."""
        return False

    @property
    def is_streaming(self) -> bool:
        """Whether frames are arriving."""
        return self.runtime.available

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        """Return the newest decoded frame as JPEG."""
        return await self.runtime.async_snapshot()

    async def stream_source(self) -> str | None:
        """Return the URL HA's stream component opens (with credentials, never shown)."""
        if not self.runtime.has_live_stream:
            return None
        return self.runtime.source.open_url()

    async def async_enable_motion_detection(self) -> None:
        """Switch the detector on (kept in the options)."""
        self._set_detection(True)

    async def async_disable_motion_detection(self) -> None:
        """Switch the detector off (kept in the options); the motion sensor turns off."""
        self._set_detection(False)

    def _set_detection(self, enabled: bool) -> None:
        self.hass.config_entries.async_update_entry(
            self._entry, options={**self._entry.options, CONF_MOTION_DETECTION: enabled}
        )
