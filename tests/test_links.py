"""Event media links: the login path, and signed links that work for a bounded time only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event as HassEvent, HomeAssistant
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.cam_events.const import DOMAIN, EVENT_CAM_EVENTS
from custom_components.cam_events.data import DATA_DOMAIN

CAMERA = "camera.porch"


async def _trigger(hass: HomeAssistant) -> dict[str, Any]:
    return await hass.services.async_call(  # type: ignore[no-any-return]
        DOMAIN,
        "trigger_event",
        {"camera": CAMERA, "type": "manual"},
        blocking=True,
        return_response=True,
    )


async def test_signed_snapshot_link_until_expiry(
    hass: HomeAssistant,
    camera: Any,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The bus event and the event entity carry the links; the signed one expires after 24 h."""
    fired: list[HassEvent] = []
    hass.bus.async_listen(EVENT_CAM_EVENTS, fired.append)
    first = await _trigger(hass)
    second = await _trigger(hass)
    await hass.async_block_till_done()
    data = fired[0].data
    assert data["snapshot_path"] == f"/api/cam_events/snapshots/{first['id']}.jpg"
    assert data["clip_url"] is None  # no clip (yet): no link
    signed = data["snapshot_url"]
    assert URL(signed).path == data["snapshot_path"]
    assert "authSig" in URL(signed).query
    attributes = hass.states.get("event.porch_events").attributes  # type: ignore[union-attr]
    assert attributes["snapshot_path"] == f"/api/cam_events/snapshots/{second['id']}.jpg"
    assert URL(attributes["snapshot_url"]).path == attributes["snapshot_path"]

    client = await hass_client_no_auth()
    assert (await client.get(data["snapshot_path"])).status == 401
    response = await client.get(signed)
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert (await response.read())[:2] == b"\xff\xd8"
    # The signature covers its own file only: another event's snapshot stays closed.
    other = URL(signed).with_path(f"/api/cam_events/snapshots/{second['id']}.jpg")
    assert (await client.get(str(other))).status == 401

    freezer.tick(timedelta(hours=23, minutes=59))
    assert (await client.get(signed)).status == 200
    freezer.tick(timedelta(minutes=2))
    assert (await client.get(signed)).status == 401


async def test_link_lifetime_option_and_clip_link(
    hass: HomeAssistant,
    camera: Any,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The history API signs for the camera's lifetime; the clip link comes with the clip."""
    hass.config_entries.async_update_entry(camera, options={**camera.options, "link_hours": 1})
    await hass.async_block_till_done()
    event = await _trigger(hass)
    page = await hass.services.async_call(
        DOMAIN, "list_events", {"camera": CAMERA}, blocking=True, return_response=True
    )
    links = page["objects"][0]["links"]  # type: ignore[index]
    assert links["clip_url"] is None

    domain = hass.data[DATA_DOMAIN]
    stored = await hass.async_add_executor_job(domain.store.get, event["id"])
    relative = f"{camera.entry_id}/{event['id']}.mp4"
    clip = Path(domain.recordings_dir) / relative
    await hass.async_add_executor_job(lambda: clip.parent.mkdir(parents=True, exist_ok=True))
    await hass.async_add_executor_job(clip.write_bytes, b"\x00\x00\x00\x18ftypmp42")
    stored.clip = relative
    await hass.async_add_executor_job(domain.store.update, stored)
    page = await hass.services.async_call(
        DOMAIN, "list_events", {"camera": CAMERA}, blocking=True, return_response=True
    )
    links = page["objects"][0]["links"]  # type: ignore[index]
    client = await hass_client_no_auth()
    assert (await client.get(f"/api/cam_events/clips/{event['id']}.mp4")).status == 401
    response = await client.get(links["clip_url"])
    assert response.status == 200
    assert await response.read() == b"\x00\x00\x00\x18ftypmp42"
    freezer.tick(timedelta(minutes=61))
    assert (await client.get(links["clip_url"])).status == 401
    assert (await client.get(links["snapshot_url"])).status == 401
