"""Cameras as they are sold: RTSP over UDP only, lossy UDP, one client at a time, and down."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_URL, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cam_events.const import CONF_OFF_DELAY, CONF_RTSP_TRANSPORT, DOMAIN
from custom_components.cam_events.events.catalog import MANUAL
from custom_components.cam_events.video.probe import probe
from custom_components.cam_events.video.source import RtspTransport, StreamSource
from tests.common import setup_camera, state_of, wait_for
from tests.peers.rtsp import RtspServer
from tests.peers.rtsp_lossy import LossyRtspProxy

MOTION = "binary_sensor.porch_motion"
CAMERA = "camera.porch"
STREAM_STATE = "sensor.porch_stream_state"


async def _add_through_flow(hass: HomeAssistant, url: str, **fields: Any) -> dict[str, Any]:
    """Add a camera the way a user does: menu, camera form, the flow's own stream test."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "camera"}
    )
    return dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_NAME: "Porch", CONF_URL: url, **fields}
        )
    )


def _entry(hass: HomeAssistant) -> MockConfigEntry:
    entries = hass.config_entries.async_entries(DOMAIN)
    assert len(entries) == 1
    return entries[0]  # type: ignore[return-value]


@pytest.fixture
def udp_camera(socket_enabled: None) -> Any:
    """An RTSP server that answers a TCP SETUP with 461 Unsupported transport."""
    server = RtspServer(udp_only=True)
    server.start()
    yield server
    server.stop()


@pytest.mark.enable_socket
async def test_udp_only_camera_probed_back_to_back(udp_camera: RtspServer) -> None:
    """Each test of the form works, however soon after the previous client left.

    GStreamer's server (like many cameras) answers 503 while it tears down the session of a
    client that has just gone; the opener asks once more instead of saying cannot_connect.
    """
    for _ in range(6):
        result = await asyncio.to_thread(probe, StreamSource(udp_camera.url))
        assert result.transport is RtspTransport.UDP


@pytest.mark.enable_socket
async def test_udp_only_camera_with_automatic_transport(
    hass: HomeAssistant, udp_camera: RtspServer, hass_client: ClientSessionGenerator
) -> None:
    """Added with the default (automatic) transport; motion; kill and restart; diagnostics: udp."""
    result = await _add_through_flow(hass, udp_camera.url)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_RTSP_TRANSPORT] == "auto"
    await hass.async_block_till_done()
    entry = _entry(hass)
    assert entry.state is ConfigEntryState.LOADED
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_OFF_DELAY: 1})
    await hass.async_block_till_done()
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)

    started = udp_camera.set_motion(True)
    seen = await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    assert seen - started < 1.5
    udp_camera.set_motion(False)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 6)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["stream"]["transport"] == "udp"
    assert diagnostics["entry"]["data"][CONF_RTSP_TRANSPORT] == "auto"

    udp_camera.kill()
    await wait_for(lambda: state_of(hass, MOTION) == STATE_UNAVAILABLE, 10)
    udp_camera.start()
    await wait_for(lambda: state_of(hass, STREAM_STATE) == "streaming", 15)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 5)
    assert entry.runtime_data.stream.worker.transport is not None
    assert entry.runtime_data.stream.worker.transport.value == "udp"  # kept for the reconnect
    udp_camera.set_motion(True)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_tcp_forced_on_a_udp_only_camera_says_why(
    hass: HomeAssistant, udp_camera: RtspServer
) -> None:
    """TCP chosen for a camera that refuses it: a form error naming the transport; UDP works."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    fields = {CONF_NAME: "Porch", CONF_URL: udp_camera.url}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**fields, CONF_RTSP_TRANSPORT: "tcp"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "transport_refused"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**fields, CONF_RTSP_TRANSPORT: "udp"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_RTSP_TRANSPORT] == "udp"
    await hass.async_block_till_done()
    entry = _entry(hass)
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_packet_loss_on_udp_is_not_motion(
    hass: HomeAssistant, udp_camera: RtspServer
) -> None:
    """5 % of the RTP packets lost for 60 s of a still scene: never motion; real motion is seen."""
    with LossyRtspProxy(udp_camera.port, loss=0.05) as network:
        entry = await setup_camera(hass, network.url(udp_camera.path))
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data.stream.worker.transport.value == "udp"
        changes: list[str] = []
        rates: list[float] = []

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            if (new := event.data["new_state"]) is not None:
                changes.append(new.state)

        remove = async_track_state_change_event(hass, MOTION, changed)
        await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
        still_from = time.monotonic()
        while time.monotonic() - still_from < 60:
            await asyncio.sleep(1)
            if (stats := entry.runtime_data.stream.stats) is not None:
                rates.append(stats.decode_fps)
        assert STATE_ON not in changes, f"motion on a still scene: {changes}"
        assert state_of(hass, STREAM_STATE) == "streaming"
        # The loss was real: packets were dropped, and frames with them (15 fps sent).
        sent = network.dropped + network.forwarded
        assert sent > 1500  # about 34 RTP packets a second of this scene
        assert network.dropped / sent > 0.03, (network.dropped, network.forwarded)
        assert rates
        assert min(rates) <= 14.5  # whole frames went missing with their packets (15 fps sent)
        # Real motion still comes through the same lossy link.
        udp_camera.set_motion(True)
        await wait_for(lambda: state_of(hass, MOTION) == STATE_ON, 5)
        remove()
        await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_one_client_camera_loads_on_the_first_try(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """The flow's test takes the camera's only connection; the entry still loads at once."""
    with RtspServer(one_client=True) as camera:
        result = await _add_through_flow(hass, camera.url)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        entry = _entry(hass)
        assert entry.state is ConfigEntryState.LOADED
        assert state_of(hass, STREAM_STATE) == "streaming"
        await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
        await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.enable_socket
async def test_record_while_the_camera_is_down_is_refused(
    hass: HomeAssistant, rtsp_server: RtspServer
) -> None:
    """cam_events.record with the camera's server killed: a translated error, no event; back: ok."""
    entry = await setup_camera(hass, rtsp_server.url)
    await wait_for(lambda: state_of(hass, MOTION) == STATE_OFF, 10)
    rtsp_server.kill()
    await wait_for(lambda: state_of(hass, STREAM_STATE) == "reconnecting", 10)
    assert entry.runtime_data.stream.recorder is not None
    # The lost stream's codec parameters are gone.
    assert not entry.runtime_data.stream.recorder.ready
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN, "record", {"camera": CAMERA, "duration": 5}, blocking=True, return_response=True
        )
    assert caught.value.translation_key == "not_streaming"
    # Home Assistant drops the message's final full stop.
    assert str(caught.value) == (
        "Porch is not streaming, so no clip can be recorded now. Try again when the camera is back"
    )
    listed = await hass.services.async_call(
        DOMAIN, "list_events", {"camera": CAMERA, "type": MANUAL}, blocking=True,
        return_response=True,
    )  # fmt: skip
    assert listed["meta"]["total_count"] == 0

    rtsp_server.start()
    await wait_for(lambda: state_of(hass, STREAM_STATE) == "streaming", 15)
    await wait_for(lambda: entry.runtime_data.stream.recorder.ready, 5)
    answer = await hass.services.async_call(
        DOMAIN, "record", {"camera": CAMERA, "duration": 1}, blocking=True, return_response=True
    )
    assert answer["type"] == MANUAL
    await hass.config_entries.async_unload(entry.entry_id)
