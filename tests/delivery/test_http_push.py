"""HTTP push to a real aiohttp server on 127.0.0.1: POST multipart, GET query, auth, TLS."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.cam_events.delivery import http_push
from custom_components.cam_events.delivery.base import (
    AuthenticationError,
    DeliveryError,
    PermanentDeliveryError,
)
from custom_components.cam_events.delivery.http_push import HttpProfile, Method, validate
from custom_components.cam_events.delivery.payload import event_payload, heartbeat_payload
from tests.peers.http_sink import HttpSink

pytestmark = pytest.mark.enable_socket

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\r\n--not-a-boundary\r\n\xff\xd9"
PASSWORD = "s3cr\u00e9t-pa55"


def make_payload() -> dict[str, Any]:
    event = {
        "id": "01JDQ3Z5N8M6V2W4X7Y9A0B1C2",
        "camera": "camera.front_door",
        "type": "motion",
        "start": "2026-11-28T21:35:56.123Z",
        "end": "2026-11-28T21:36:04.500Z",
        "duration": 8.377,
        "metadata": {"score": 0.42, "label": "chat noir ☾"},
    }
    return event_payload(event, camera_name="Entrée")


def profile_for(sink: HttpSink, **options: Any) -> HttpProfile:
    return HttpProfile(host="127.0.0.1", port=sink.port, **({"path": "/hook"} | options))


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def sink(socket_enabled: None) -> AsyncIterator[HttpSink]:
    server = HttpSink()
    await server.start()
    yield server
    await server.stop()


async def test_post_multipart_json_and_jpeg(session: aiohttp.ClientSession, sink: HttpSink) -> None:
    payload = make_payload()
    result = await http_push.push(
        session, profile_for(sink), payload, JPEG, filename="front_2026.jpg"
    )
    assert result == "HTTP 200 OK"
    request = await sink.wait_for(1)
    assert request.method == "POST"
    assert request.path == "/hook"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert [part.name for part in request.parts] == ["event", "image"]
    event = request.part("event")
    image = request.part("image")
    assert event is not None
    assert image is not None
    assert event.content_type is not None
    assert event.content_type.startswith("application/json")
    assert event.filename is None
    assert json.loads(event.data) == payload
    assert image.content_type == "image/jpeg"
    assert image.filename == "front_2026.jpg"
    assert image.data == JPEG
    assert "Authorization" not in request.headers


async def test_post_without_image_has_no_image_part(
    session: aiohttp.ClientSession, sink: HttpSink
) -> None:
    payload = make_payload()
    await http_push.push(session, profile_for(sink), payload)
    request = await sink.wait_for(1)
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert [part.name for part in request.parts] == ["event"]
    assert request.part("image") is None
    event = request.part("event")
    assert event is not None
    assert json.loads(event.data) == payload


async def test_delivery_key_is_sent_as_idempotency_key(
    session: aiohttp.ClientSession, sink: HttpSink
) -> None:
    """Each attempt of one delivery carries its key; a heartbeat or a keyless push none."""
    await http_push.push(session, profile_for(sink), make_payload(), key="01JKEY")
    await http_push.push(session, profile_for(sink), make_payload())
    keyed, keyless = await sink.wait_for(1), await sink.wait_for(2)
    assert keyed.headers["Idempotency-Key"] == "01JKEY"
    assert "Idempotency-Key" not in keyless.headers


async def test_get_query_and_no_body(session: aiohttp.ClientSession, sink: HttpSink) -> None:
    payload = make_payload()
    profile = profile_for(sink, method="GET", path="/hook?token=abc")  # a stored string works
    result = await http_push.push(session, profile, payload, JPEG)  # GET never sends it
    assert result.startswith("HTTP 200")
    request = await sink.wait_for(1)
    assert request.method == "GET"
    assert request.path == "/hook"
    assert request.body == b""
    assert request.parts == []
    assert request.query["token"] == "abc"  # the configured query survives
    assert request.query["event_id"] == "01JDQ3Z5N8M6V2W4X7Y9A0B1C2"
    assert request.query["event_type"] == "motion"
    assert request.query["camera"] == "camera.front_door"
    assert request.query["camera_name"] == "Entrée"
    assert request.query["start"] == "2026-11-28T21:35:56.123Z"
    assert request.query["duration"] == "8.377"
    assert json.loads(request.query["metadata"]) == {"score": 0.42, "label": "chat noir ☾"}
    assert "image" not in request.query


async def test_basic_auth_accepted(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    sink = HttpSink(username="admin", password=PASSWORD)
    await sink.start()
    try:
        profile = profile_for(sink, username="admin", password=PASSWORD)
        assert await http_push.push(session, profile, make_payload(), JPEG) == "HTTP 200 OK"
        request = await sink.wait_for(1)
        assert request.status == 200
        assert request.headers["Authorization"].startswith("Basic ")

        wrong = profile_for(sink, username="admin", password="wrong-password")
        with pytest.raises(AuthenticationError) as caught:
            await http_push.push(session, wrong, make_payload())
        assert "401" in str(caught.value)
        assert "wrong-password" not in str(caught.value)
        assert (await sink.wait_for(2)).status == 401

        with pytest.raises(AuthenticationError):  # no credentials at all
            await http_push.push(session, profile_for(sink), make_payload())
        # The password never shows in the URL or the profile's repr.
        assert PASSWORD not in profile.url
        assert PASSWORD not in repr(profile)
    finally:
        await sink.stop()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, DeliveryError),
        (503, DeliveryError),
        (408, DeliveryError),
        (429, DeliveryError),
        (404, PermanentDeliveryError),
        (400, PermanentDeliveryError),
        (302, PermanentDeliveryError),
        (403, AuthenticationError),
    ],
)
async def test_status_mapping(
    session: aiohttp.ClientSession, sink: HttpSink, status: int, error: type[Exception]
) -> None:
    sink.status = status
    with pytest.raises(DeliveryError) as caught:
        await http_push.push(session, profile_for(sink), make_payload())
    assert type(caught.value) is error
    assert f"HTTP {status}" in str(caught.value)
    assert (await sink.wait_for(1)).status == status
    sink.status = 200  # the same profile works again once the server recovers
    assert (await http_push.push(session, profile_for(sink), make_payload())).startswith("HTTP 200")


async def test_server_down_is_transient(session: aiohttp.ClientSession, sink: HttpSink) -> None:
    await sink.stop()
    with pytest.raises(DeliveryError) as caught:
        await http_push.push(session, profile_for(sink), make_payload())
    assert type(caught.value) is DeliveryError
    await sink.start()  # same port again
    assert (await http_push.push(session, profile_for(sink), make_payload())).startswith("HTTP 200")
    assert len(sink.requests) == 1


async def test_timeout_is_transient(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    """A server that accepts the connection but never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        port = listener.getsockname()[1]
        profile = HttpProfile("127.0.0.1", port, timeout=0.3)
        with pytest.raises(DeliveryError, match="timed out") as caught:
            await http_push.push(session, profile, make_payload())
        assert type(caught.value) is DeliveryError
    finally:
        listener.close()


async def test_https_verification(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    sink = HttpSink(https=True)
    await sink.start()
    try:
        insecure = profile_for(sink, https=True, verify_tls=False)
        assert insecure.url.startswith("https://127.0.0.1:")
        assert await http_push.push(session, insecure, make_payload(), JPEG) == "HTTP 200 OK"
        request = await sink.wait_for(1)
        image = request.part("image")
        assert image is not None
        assert image.data == JPEG

        verified = profile_for(sink, https=True)  # self-signed: not trusted
        with pytest.raises(PermanentDeliveryError, match="TLS") as caught:
            await http_push.push(session, verified, make_payload())
        assert type(caught.value) is PermanentDeliveryError
        assert len(sink.requests) == 1  # never reached the handler
        await sink.wait_for_handshake_failures(1)  # the client aborted the handshake
    finally:
        await sink.stop()


@pytest.mark.parametrize("method", [Method.POST, Method.GET])
async def test_heartbeat_recognisable(
    session: aiohttp.ClientSession, sink: HttpSink, method: Method
) -> None:
    profile = profile_for(sink, method=method)
    result = await http_push.heartbeat(session, profile, {"camera": {"entity_id": "camera.x"}})
    assert result.startswith("HTTP 200")
    await http_push.test_connection(session, profile)
    first, second = await sink.wait_for(1), await sink.wait_for(2)
    for request in (first, second):
        assert request.method == method.value
        assert request.path == "/hook"
    if method is Method.POST:
        event = first.part("event")
        assert event is not None
        body = json.loads(event.data)
        assert body["heartbeat"] is True
        assert body["camera"] == {"entity_id": "camera.x"}
        assert "event" not in body
        assert first.part("image") is None
        tested = second.part("event")
        assert tested is not None
        assert json.loads(tested.data)["heartbeat"] is True
    else:
        assert first.query["heartbeat"] == "true"
        assert first.query["camera"] == "camera.x"
        assert "event_id" not in first.query
        assert "sent_at" in first.query
        assert second.query["heartbeat"] == "true"


async def test_test_connection_reports_errors(
    session: aiohttp.ClientSession, sink: HttpSink
) -> None:
    sink.status = 404
    with pytest.raises(PermanentDeliveryError):
        await http_push.test_connection(session, profile_for(sink))
    request = await sink.wait_for(1)
    event = request.part("event")
    assert event is not None
    assert json.loads(event.data)["heartbeat"] is True


async def test_keepalive_reuses_connection(session: aiohttp.ClientSession, sink: HttpSink) -> None:
    profile = profile_for(sink)
    for _ in range(3):
        await http_push.push(session, profile, make_payload(), JPEG)
    requests = [await sink.wait_for(count) for count in (1, 2, 3)]
    assert len({request.peer for request in requests}) == 1
    assert len(sink.connections) == 1
    # A fresh session is a new connection: the check above can tell them apart.
    async with aiohttp.ClientSession() as other:
        await http_push.push(other, profile, make_payload())
    assert len(sink.connections) == 2


def test_url_and_validate() -> None:
    profile = HttpProfile("example.com", 8443, "/in?x=1", https=True, username="u", password="p")
    assert profile.url == "https://example.com:8443/in?x=1"
    assert HttpProfile("::1", 8080).url == "http://[::1]:8080/"
    assert HttpProfile("example.com", 80).url == "http://example.com/"
    validate(profile)
    validate(HttpProfile("::1", 1))
    validate(HttpProfile("192.168.1.5", 65535, "/a/b"))


@pytest.mark.parametrize(
    ("profile", "key"),
    [
        (HttpProfile("", 80), "invalid_host"),
        (HttpProfile("my host", 80), "invalid_host"),
        (HttpProfile("http://example.com", 80), "invalid_host"),
        (HttpProfile("example.com/path", 80), "invalid_host"),
        (HttpProfile("user@example.com", 80), "invalid_host"),
        (HttpProfile("example.com:80", 80), "invalid_host"),
        (HttpProfile("example.com", 0), "invalid_port"),
        (HttpProfile("example.com", 65536), "invalid_port"),
        (HttpProfile("example.com", 80, "hook"), "invalid_path"),
        (HttpProfile("example.com", 80, ""), "invalid_path"),
        (HttpProfile("example.com", 80, username="a:b"), "invalid_username"),
        (HttpProfile("example.com", 80, timeout=0), "invalid_timeout"),
        (HttpProfile("example.com", 80, method="PUT"), "invalid_method"),  # type: ignore[arg-type]
    ],
)
def test_validate_errors(profile: HttpProfile, key: str) -> None:
    with pytest.raises(ValueError, match=f"^{key}$"):
        validate(profile)


async def test_colon_in_user_name_refused_before_sending(
    session: aiohttp.ClientSession, sink: HttpSink
) -> None:
    profile = profile_for(sink, username="a:b", password=PASSWORD)
    with pytest.raises(PermanentDeliveryError, match="colon") as caught:
        await http_push.push(session, profile, make_payload())
    assert PASSWORD not in str(caught.value)
    assert sink.requests == []


def test_heartbeat_payload_shape() -> None:
    beat = heartbeat_payload(source="house")
    assert beat["heartbeat"] is True
    assert beat["source"] == "house"
    assert beat["version"] == 1
