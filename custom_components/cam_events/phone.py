"""Phone notifications through Home Assistant's companion apps, recorded with their event.

`cam_events.notify_phones` (camera, devices, optional event, title, message, data, zones)
sends a notification to each companion-app device through Home Assistant's own `mobile_app`
notify service, with the path of the event's own snapshot as its image unless `data` names
one. The zones filter and the camera's notification pause hold it back as they hold back
every handler, and each phone's outcome (sent, failed, skipped, suppressed) is stored in the
event's handler results under the phone's name, where the card and the history API show it.

The push goes out from the call itself, not through the outbox: `mobile_app` has its own
push channel (the app's push server or its local websocket) and keeps nothing to retry.
"""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util, slugify
import probatio as vol

from .const import DOMAIN
from .data import DATA_DOMAIN
from .errors import raise_translated_error, validation_error
from .handler_services import call_event, held_back
from .lookups import camera_events, check_metadata

HANDLER = "notify_phones"
MOBILE_APP = "mobile_app"
MAX_PHONES = 20

SCHEMA_NOTIFY_PHONES = vol.Schema(
    {
        vol.Required("camera"): cv.entity_id,
        vol.Required("devices"): vol.All(
            cv.ensure_list, [cv.string], vol.Length(min=1, max=MAX_PHONES)
        ),
        vol.Optional("event_id"): cv.string,
        vol.Optional("title"): vol.All(cv.string, vol.Length(max=250)),
        vol.Required("message"): vol.All(cv.string, vol.Length(max=4096)),
        vol.Optional("data"): dict,
        vol.Optional("zones"): vol.All(
            cv.ensure_list, [vol.All(cv.string, vol.Length(max=64))], vol.Length(max=32)
        ),
    }
)


def _phones(hass: HomeAssistant, device_ids: list[str]) -> list[tuple[str, str]]:
    """Return (name, notify service) of each companion-app device; refuse any other device.

    `mobile_app` gives each device that can receive a push its own service,
    `notify.mobile_app_<device name>`, which reaches that device alone.
    """
    registry = dr.async_get(hass)
    phones = []
    for device_id in dict.fromkeys(device_ids):
        device = registry.async_get(device_id)
        entry = (
            hass.config_entries.async_get_entry(device.config_entry_id)
            if device is not None and device.config_entry_id
            else None
        )
        if device is None or entry is None or entry.domain != MOBILE_APP:
            raise validation_error("unknown_phone", device=device_id[:64])
        name = device.name_by_user or device.name or entry.title
        service = slugify(f"{MOBILE_APP}_{entry.data.get('device_name', entry.title)}")
        if not hass.services.has_service("notify", service):
            raise validation_error("phone_cannot_push", phone=name[:64])
        phones.append((name, service))
    return phones


async def _notify_phones(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    camera = camera_events(hass, call.data["camera"])
    phones = _phones(hass, call.data["devices"])
    data = check_metadata(call.data.get("data"))
    event = await call_event(camera, call.data.get("event_id"))
    domain = hass.data[DATA_DOMAIN]
    base: dict[str, Any] = {"event_id": event.id, "handler": HANDLER}
    held = held_back(hass, None, camera, event, base, call.data.get("zones"))
    if held is not None:
        result, detail = held
        for name, _service in phones:
            await domain.results.async_gated(event.id, {**result, "profile": name}, detail)
        return {**result, "phones": [name for name, _service in phones]}

    if event.snapshot and "image" not in data:
        data["image"] = event.snapshot
    message: dict[str, Any] = {"message": call.data["message"], "data": data}
    if "title" in call.data:
        message["title"] = call.data["title"]

    outcomes = await asyncio.gather(
        *(
            hass.services.async_call(
                "notify", service, message, blocking=True, context=call.context
            )
            for _name, service in phones
        ),
        return_exceptions=True,
    )
    answers = []
    for (name, _service), outcome in zip(phones, outcomes, strict=True):
        if isinstance(outcome, HomeAssistantError):
            status, detail = "dead", str(outcome)[:200]
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            status, detail = "sent", "handed to mobile_app"
        answers.append({"phone": name, "status": status})
        await domain.results.async_add(
            event.id,
            {
                **base,
                "profile": name,
                "status": status,
                "detail": detail,
                "at": dt_util.utcnow().isoformat(timespec="milliseconds"),
            },
        )
    status = "sent" if all(a["status"] == "sent" for a in answers) else "dead"
    return {**base, "status": status, "phones": answers}


def async_setup_phone_service(hass: HomeAssistant) -> None:
    """Register `cam_events.notify_phones` (it sends data out of the house: admin)."""
    async_register_admin_service(
        hass,
        DOMAIN,
        HANDLER,
        raise_translated_error(_notify_phones),
        schema=SCHEMA_NOTIFY_PHONES,
        supports_response=SupportsResponse.OPTIONAL,
    )
