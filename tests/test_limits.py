"""Limits a caller meets: event rate (429), future times, the type cap, periods, page size."""

from __future__ import annotations

import asyncio
from pathlib import Path
import time
from typing import Any

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.cam_events.const import CONF_OFF_DELAY, DOMAIN, EVENT_CAM_EVENTS
from custom_components.cam_events.events.rate import TokenBucket

CAMERA = "camera.porch"
TYPES = f"/api/cam_events/cameras/{CAMERA}/event_processing/events/"
EVENTS = f"/api/cam_events/cameras/{CAMERA}/events/"


async def _total(hass: HomeAssistant) -> int:
    page = await hass.services.async_call(
        DOMAIN, "list_events", {"camera": CAMERA}, blocking=True, return_response=True
    )
    return int(page["meta"]["total_count"])


async def test_a_burst_of_twenty_is_accepted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    """The default limit lets a burst of 20 created or triggered events through at once."""
    client = await hass_client()
    statuses = [
        (await client.post(EVENTS + ("trigger/" if i % 2 else ""), json={"type": "manual"})).status
        for i in range(20)
    ]
    assert statuses == [201] * 20
    assert await _total(hass) == 20


async def test_over_the_rate_answers_429_and_stores_only_what_was_accepted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    # A bucket that refills once a minute, so the test does not race the refill.
    camera.runtime_data.events.rate = TokenBucket(burst=3, rate=1 / 60)
    fired: list[Any] = []
    hass.bus.async_listen(EVENT_CAM_EVENTS, fired.append)
    client = await hass_client()
    answers = []
    for url in (EVENTS, EVENTS + "trigger/", EVENTS, EVENTS, EVENTS + "trigger/"):
        response = await client.post(url, json={"type": "manual"})
        answers.append((response.status, await response.json(), response.headers))
    assert [status for status, _, _ in answers] == [201, 201, 201, 429, 429]
    for _, body, headers in answers[3:]:
        assert body["code"] == "rate_limited"
        assert body["message"].startswith("Too many events for Porch: at most 3 at once")
        assert 50 <= int(headers["Retry-After"]) <= 60
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "create_event", {"camera": CAMERA, "type": "manual"}, blocking=True
        )
    assert err.value.translation_key == "rate_limited"
    assert "Try again in" in str(err.value)
    await hass.async_block_till_done()
    accepted = [body["id"] for status, body, _ in answers if status == 201]
    assert [event.data["id"] for event in fired] == accepted
    page = await (await client.get(EVENTS)).json()
    assert sorted(e["id"] for e in page["objects"]) == sorted(accepted)


async def test_motion_is_not_rate_limited(hass: HomeAssistant, camera: Any) -> None:
    """The camera's own events (motion, stream loss) never wait for the request bucket."""
    events = camera.runtime_data.events
    events.rate = TokenBucket(burst=1, rate=1 / 60)
    events.rate.take(time.monotonic())
    await events.async_create("motion")
    assert await _total(hass) == 1


async def test_events_more_than_a_day_ahead_are_refused(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    client = await hass_client()
    soon = time.time() + 3600
    assert (await client.post(EVENTS, json={"type": "manual", "time": soon})).status == 201
    response = await client.post(EVENTS, json={"type": "manual", "time": time.time() + 2 * 86400})
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "time_out_of_range"
    assert body["message"].startswith("time must lie between 2000-01-01 and one day from now")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "create_event",
            {"camera": CAMERA, "type": "manual", "time": "3000-01-01T00:00:00Z"},
            blocking=True,
        )
    assert err.value.translation_key == "time_out_of_range"
    assert await _total(hass) == 1


async def test_custom_type_cap_over_http(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    client = await hass_client()
    for index in range(64):
        assert (await client.post(TYPES, json={"name": f"type{index}"})).status == 201
    response = await client.post(TYPES, json={"name": "onemore"})
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "too_many_types"
    assert body["message"].startswith("A camera has at most 64 custom event types")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "add_event_type", {"camera": CAMERA, "name": "onemore"}, blocking=True
        )
    assert err.value.translation_key == "too_many_types"
    assert (await client.delete(TYPES + "type0/")).status == 204
    assert (await client.post(TYPES, json={"name": "onemore"})).status == 201
    assert (await (await client.get(TYPES)).json())["meta"]["total_count"] == 5 + 64


async def test_minimum_period(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, camera: Any
) -> None:
    client = await hass_client()
    response = await client.put(TYPES + "snapshot/", json={"period": 1})
    assert response.status == 400
    assert (await response.json())["code"] == "invalid_period"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "update_event_type",
            {"camera": CAMERA, "name": "snapshot", "period": 9},
            blocking=True,
        )
    assert err.value.translation_key == "invalid_period"
    assert "from 10 to 86400" in str(err.value)
    response = await client.put(TYPES + "snapshot/", json={"period": 10})
    assert (await response.json())["period"] == 10


async def test_stored_short_periods_load_raised_to_the_minimum(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
    still_clip_path: Path,
    socket_enabled: None,
) -> None:
    """A catalogue saved with 1 s periods still loads, at 10 s: no event a second."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Porch",
        unique_id=str(still_clip_path),
        data={CONF_URL: str(still_clip_path)},
        options={CONF_OFF_DELAY: 1},
    )
    hass_storage[f"{DOMAIN}.{entry.entry_id}.catalog"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.catalog",
        "data": {
            "types": [
                {"name": "snapshot", "builtin": True, "settings": {"period": 1}},
                {"name": "tick", "caps": {"is_periodic": True}, "settings": {"period": 2}},
            ]
        },
    }
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client()
    types = {t["name"]: t for t in (await (await client.get(TYPES)).json())["objects"]}
    assert types["snapshot"]["period"] == 10
    assert types["tick"]["period"] == 10
    await asyncio.sleep(2.5)  # a 1 s or 2 s period would have fired by now
    assert await _total(hass) == 0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_limit_is_capped_with_the_cap_in_meta(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, camera: Any
) -> None:
    await hass.services.async_call(
        DOMAIN, "trigger_event", {"camera": CAMERA, "type": "manual"}, blocking=True
    )
    page = await hass.services.async_call(
        DOMAIN, "list_events", {"limit": 5000}, blocking=True, return_response=True
    )
    assert page["meta"]["limit"] == page["meta"]["max_limit"] == 1000
    assert page["meta"]["total_count"] == 1
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "cam_events/events", "limit": 5000})
    meta = (await ws.receive_json())["result"]["meta"]
    assert meta["limit"] == meta["max_limit"] == 1000
    await ws.send_json({"id": 2, "type": "cam_events/events", "limit": 20})
    meta = (await ws.receive_json())["result"]["meta"]
    assert (meta["limit"], meta["max_limit"]) == (20, 1000)
