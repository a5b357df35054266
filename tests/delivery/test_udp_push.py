"""UDP push to real receivers on the loopback interface: unicast, multicast, broadcast."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from typing import Any

import pytest

from custom_components.cam_events.delivery import udp_push
from custom_components.cam_events.delivery.base import DeliveryError
from custom_components.cam_events.delivery.payload import datagram, event_payload
from custom_components.cam_events.delivery.udp_push import Mode, UdpProfile, validate
from tests.peers.udp import UdpReceiver

pytestmark = pytest.mark.enable_socket


def make_payload(**metadata: Any) -> dict[str, Any]:
    event = {
        "id": "01JDQ3Z5N8M6V2W4X7Y9A0B1C2",
        "camera": "camera.front_door",
        "type": "motion",
        "start": "2026-11-28T21:35:56.123Z",
        "end": None,
        "duration": None,
        "metadata": metadata or {"score": 0.42, "label": "chat noir ☾"},
    }
    return event_payload(event, camera_name="Entrée")


@pytest.fixture
async def receiver(
    request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncIterator[UdpReceiver]:
    peer = UdpReceiver(request.param)
    await peer.start()
    yield peer
    await peer.close()


@pytest.mark.parametrize(
    ("receiver", "mode", "interface"),
    [
        ("unicast", Mode.UNICAST, None),
        ("multicast", Mode.MULTICAST, "127.0.0.1"),
        ("broadcast", Mode.BROADCAST, None),
    ],
    indirect=["receiver"],
)
async def test_push_received_exactly(
    receiver: UdpReceiver, mode: Mode, interface: str | None
) -> None:
    payload = make_payload()
    profile = UdpProfile(mode, receiver.address, receiver.port, interface=interface)
    validate(profile)
    result = await udp_push.push(profile, payload)
    data, sender = await receiver.receive(timeout=5)
    assert data == datagram(payload)
    assert json.loads(data) == payload
    assert result == f"sent {len(data)} bytes"
    assert sender[0] == "127.0.0.1"
    assert receiver.pending() == 0  # exactly one datagram


@pytest.mark.parametrize("receiver", ["multicast"], indirect=True)
async def test_multicast_ttl_applied(receiver: UdpReceiver) -> None:
    for ttl in (5, 1):
        profile = UdpProfile(
            Mode.MULTICAST, receiver.address, receiver.port, ttl=ttl, interface="127.0.0.1"
        )
        payload = make_payload()
        await udp_push.push(profile, payload)
        datagram_ = await receiver.receive_datagram()
        assert json.loads(datagram_.data) == payload
        assert datagram_.ttl == ttl


@pytest.mark.parametrize("receiver", ["unicast"], indirect=True)
async def test_ttl_leaves_unicast_alone(receiver: UdpReceiver) -> None:
    """The multicast hop limit must not cut unicast short (TTL 1 would stop at the router)."""
    await udp_push.push(UdpProfile(Mode.UNICAST, "127.0.0.1", receiver.port, ttl=1), {})
    datagram_ = await receiver.receive_datagram()
    assert datagram_.data == b"{}"
    assert datagram_.ttl is not None
    assert datagram_.ttl > 1


@pytest.mark.parametrize("receiver", ["unicast"], indirect=True)
async def test_payload_over_limit_trimmed(receiver: UdpReceiver) -> None:
    payload = make_payload(blob="é" * 5000)
    profile = UdpProfile(Mode.UNICAST, "127.0.0.1", receiver.port, max_bytes=600)
    result = await udp_push.push(profile, payload)
    data, _ = await receiver.receive()
    assert len(data) <= 600
    assert result == f"sent {len(data)} bytes"
    decoded = json.loads(data)
    assert decoded["event"]["metadata"]["trimmed"] is True
    assert decoded["event"]["metadata"]["size"] > 10_000
    assert decoded["event"]["id"] == payload["event"]["id"]


@pytest.mark.parametrize("receiver", ["unicast"], indirect=True)
async def test_large_datagram_up_to_limit(receiver: UdpReceiver) -> None:
    payload = make_payload(blob="x" * 20_000)
    profile = UdpProfile(Mode.UNICAST, "127.0.0.1", receiver.port, max_bytes=65507)
    await udp_push.push(profile, payload)
    data, _ = await receiver.receive()
    assert json.loads(data) == payload  # fits whole: nothing trimmed
    assert len(data) > 20_000


async def test_send_error_is_delivery_error(socket_enabled: None) -> None:
    """The kernel refuses a subnet broadcast sent without SO_BROADCAST (unicast mode)."""
    profile = UdpProfile(Mode.UNICAST, "127.255.255.255", 9)
    validate(profile)  # x.x.x.255 may be a host in a wider network: allowed for unicast
    with pytest.raises(DeliveryError, match=r"unicast 127\.255\.255\.255:9") as caught:
        await udp_push.push(profile, make_payload())
    assert type(caught.value) is DeliveryError


async def test_foreign_interface_is_delivery_error(socket_enabled: None) -> None:
    """Multicast through an address this host does not have: the kernel refuses it."""
    profile = UdpProfile(Mode.MULTICAST, "239.255.42.42", 9, interface="203.0.113.7")
    validate(profile)
    with pytest.raises(DeliveryError, match=r"multicast 239\.255\.42\.42:9"):
        await udp_push.push(profile, make_payload())


def test_validate_accepts() -> None:
    for profile in [
        UdpProfile(Mode.UNICAST, "192.168.1.20", 5000),
        UdpProfile(Mode.UNICAST, "127.0.0.1", 1),
        UdpProfile(Mode.MULTICAST, "239.255.42.42", 65535, ttl=255, interface="192.168.1.2"),
        UdpProfile(Mode.MULTICAST, "224.0.0.251", 5353),
        UdpProfile(Mode.BROADCAST, "255.255.255.255", 5000),
        UdpProfile(Mode.BROADCAST, "192.168.1.255", 5000),
        UdpProfile(Mode.BROADCAST, "127.255.255.255", 5000),
        UdpProfile(Mode.BROADCAST, "10.0.255.255", 5000, max_bytes=65507),
    ]:
        validate(profile)


@pytest.mark.parametrize(
    ("profile", "key"),
    [
        (UdpProfile("anycast", "127.0.0.1", 5000), "invalid_mode"),  # type: ignore[arg-type]
        (UdpProfile(Mode.UNICAST, "127.0.0.1", 0), "invalid_port"),
        (UdpProfile(Mode.UNICAST, "127.0.0.1", 65536), "invalid_port"),
        (UdpProfile(Mode.UNICAST, "example.com", 5000), "invalid_address"),
        (UdpProfile(Mode.UNICAST, "::1", 5000), "invalid_address"),
        (UdpProfile(Mode.UNICAST, "192.168.1", 5000), "invalid_address"),
        (UdpProfile(Mode.UNICAST, "0.0.0.0", 5000), "invalid_address"),
        (UdpProfile(Mode.UNICAST, "", 5000), "invalid_address"),
        (UdpProfile(Mode.MULTICAST, "192.168.1.20", 5000), "not_multicast"),
        (UdpProfile(Mode.MULTICAST, "255.255.255.255", 5000), "not_multicast"),
        (UdpProfile(Mode.BROADCAST, "192.168.1.20", 5000), "not_broadcast"),
        (UdpProfile(Mode.BROADCAST, "239.255.255.255", 5000), "not_broadcast"),
        (UdpProfile(Mode.UNICAST, "239.255.42.42", 5000), "multicast_not_unicast"),
        (UdpProfile(Mode.UNICAST, "255.255.255.255", 5000), "multicast_not_unicast"),
        (UdpProfile(Mode.MULTICAST, "239.1.1.1", 5000, ttl=0), "invalid_ttl"),
        (UdpProfile(Mode.MULTICAST, "239.1.1.1", 5000, ttl=256), "invalid_ttl"),
        (UdpProfile(Mode.MULTICAST, "239.1.1.1", 5000, interface="eth0"), "invalid_interface"),
        (UdpProfile(Mode.UNICAST, "127.0.0.1", 5000, max_bytes=100), "invalid_max_bytes"),
        (UdpProfile(Mode.UNICAST, "127.0.0.1", 5000, max_bytes=65508), "invalid_max_bytes"),
    ],
)
def test_validate_errors(profile: UdpProfile, key: str) -> None:
    with pytest.raises(ValueError, match=f"^{key}$"):
        validate(profile)
