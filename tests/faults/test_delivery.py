"""Delivery peers that fail: slow (10 s per reply), cutting the connection mid-transfer,
answering a permanent error, and a host name that does not resolve; for e-mail, FTP and HTTP.

Each test runs the integration with a camera and a real peer (aiosmtpd, pyftpdlib, aiohttp)
behind a real TCP proxy that injects the fault (`tests.peers.proxy`). It checks what the user
sees (the profile's sensors, the event's handler result, the dead letters), that detection is
not held up, and counts deliveries lost (0) and duplicated (0).

Already covered elsewhere, not repeated here: a peer down then back, e-mail end to end
(`tests/test_handlers.py::test_server_down_is_retried_without_duplicates`) and per transport
(`tests/delivery/test_*.py::test_server_down_is_transient*`); a refused login with its dead
letter and Repairs issue (`tests/test_handlers.py::test_wrong_password_dead_letter_and_repair`,
`tests/delivery/test_*::test_wrong_password_is_an_authentication_error`); a silent peer timing
out (`tests/delivery/test_email.py::test_silent_server_times_out_as_transient`, FTP and HTTP
alike); permanent answers mapped per transport (`test_refused_recipients`,
`test_permanent_and_temporary_answers`, `test_status_mapping`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import json
from pathlib import Path
import socket
import time
from typing import Any

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import aiohttp_client
import pytest
import pytest_homeassistant_custom_component.plugins as ha_plugins

import custom_components.cam_events as integration
from custom_components.cam_events.const import EVENT_CAM_EVENTS
from custom_components.cam_events.data import DATA_DOMAIN
from tests.common import (
    CAMERA,
    PEER_PASSWORD,
    PEER_USER,
    add_profile,
    call,
    event_handlers,
    setup_camera,
    state_of,
    trigger,
    wait_for,
)
from tests.peers.ftp import FtpServer
from tests.peers.http_sink import HttpSink
from tests.peers.proxy import FaultyProxy
from tests.peers.rtsp import RtspServer
from tests.peers.smtp import SmtpServer

KINDS = ("smtp", "ftp", "http")
MOTION = "binary_sensor.porch_motion"
UNRESOLVABLE = "cam-events-fault.invalid"
"""RFC 6761: a `.invalid` name never resolves, whatever the resolver."""


@dataclass
class Peer:
    """A real peer behind the fault proxy, and how to count what it got."""

    kind: str
    service: str
    name: str
    """The profile's name (its sensors are sensor.<name>_...)."""
    proxy: FaultyProxy
    form: dict[str, Any]
    delivered: Callable[[], int]
    """Deliveries the peer completed (a message accepted, a file in place, a request read)."""
    attempts: Callable[[], int]
    """Attempts the peer saw (a connection, a STOR, a request)."""
    refuse: Callable[[bool], None]
    """Make the peer answer every delivery with a permanent error, or not."""
    leftovers: Callable[[], list[Path]] = list
    """What a failed attempt left half delivered at the peer (FTP: part files)."""
    cut_marker: bytes | None = None
    """The client's bytes after which a cut falls mid-transfer (FTP: the STOR command)."""
    sink: HttpSink | None = None
    entry: ConfigEntry | None = None

    def sensor(self, hass: HomeAssistant, what: str) -> str | None:
        """The state of one of the profile's health sensors."""
        return state_of(hass, f"sensor.{self.name.lower()}_{what}")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry after 0.3 s (growing to 1 s), at most 3 attempts: the tests need not wait."""
    monkeypatch.setattr(integration, "OUTBOX_BACKOFF_INITIAL", 0.3)
    monkeypatch.setattr(integration, "OUTBOX_BACKOFF_MAX", 1.0)
    monkeypatch.setattr(integration, "OUTBOX_MAX_ATTEMPTS", 3)


@pytest.fixture(params=KINDS)
def peer(request: pytest.FixtureRequest, tmp_path: Path, socket_enabled: None) -> Iterator[Peer]:
    """Each kind's real server, with the fault proxy in front (the HTTP sink starts later,
    on the test's loop)."""
    kind: str = request.param
    stops: list[Callable[[], Any]] = []
    if kind == "smtp":
        smtp = SmtpServer(security="none")
        smtp.start()
        stops.append(smtp.stop)
        proxy = FaultyProxy(smtp.port)
        form = {
            "name": "Mail",
            "host": "127.0.0.1",
            "security": "none",
            "auth": False,
            "sender": "camera@example.com",
            "recipients": "owner@example.com",
            "verify_ssl": False,
        }

        def refuse_mail(on: bool) -> None:
            smtp.refuse_recipients = {"owner@example.com": 550} if on else {}

        made = Peer(
            kind,
            "send_email",
            "Mail",
            proxy,
            form,
            delivered=lambda: len(smtp.messages),
            attempts=lambda: proxy.connections,
            refuse=refuse_mail,
        )
    elif kind == "ftp":
        ftp = FtpServer(tmp_path / "ftp", user=PEER_USER, password=PEER_PASSWORD)
        ftp.start()
        stops.append(ftp.stop)
        proxy = FaultyProxy(ftp.port)
        form = {
            "name": "Archive",
            "host": "127.0.0.1",
            "username": PEER_USER,
            "password": PEER_PASSWORD,
            "base_path": "/",
            "passive": True,
            "ftps": False,
            "verify_ssl": False,
            "pattern": "camera_date_time",
        }

        def refuse_store(on: bool) -> None:
            if on:
                ftp.replies["STOR"] = "553 Could not create file."
            else:
                ftp.replies.pop("STOR", None)

        made = Peer(
            kind,
            "upload_ftp",
            "Archive",
            proxy,
            form,
            delivered=lambda: len(
                [p for p in ftp.root.rglob("*.jpg") if p.is_file() and not p.name.startswith(".")]
            ),
            attempts=lambda: ftp.commands.count("STOR"),
            refuse=refuse_store,
            leftovers=lambda: [p for p in ftp.root.rglob(".*") if p.is_file()],
            cut_marker=b"STOR ",
        )
    else:
        sink = HttpSink()
        proxy = FaultyProxy(0)
        form = {"name": "Hook", "host": "127.0.0.1", "path": "/events", "method": "post"}

        def refuse_request(on: bool) -> None:
            sink.status = 400 if on else 200

        made = Peer(
            kind,
            "push_http",
            "Hook",
            proxy,
            form,
            delivered=lambda: len({_key(r) for r in _event_requests(sink) if r.status == 200}),
            attempts=lambda: len(_event_requests(sink)),
            refuse=refuse_request,
            sink=sink,
        )
    yield made
    proxy.stop()
    for stop in stops:
        stop()


def _event_requests(sink: HttpSink) -> list[Any]:
    """The requests that carried an event (not the connection test's heartbeat)."""
    found = []
    for request in sink.requests:
        part = request.part("event")
        if part is not None and not json.loads(part.data).get("heartbeat"):
            found.append(request)
    return found


def _key(request: Any) -> str:
    """The delivery's idempotency key: the same on every attempt of one job."""
    return str(request.headers["Idempotency-Key"])


async def _connect(hass: HomeAssistant, peer: Peer, timeout: int = 1) -> ConfigEntry:
    """Start the peer (the HTTP sink on this loop) and its proxy; add its profile."""
    if (sink := peer.sink) is not None:
        await sink.start()
        peer.proxy.target = sink.port
    peer.proxy.start()
    entry = await add_profile(
        hass,
        peer.kind,
        {**peer.form, "port": peer.proxy.port, "timeout": timeout},
    )
    peer.entry = entry
    return entry


async def _disconnect(peer: Peer) -> None:
    if peer.sink is not None:
        await peer.sink.stop()


async def _counts(hass: HomeAssistant, peer: Peer) -> dict[str, int]:
    assert peer.entry is not None
    return await hass.data[DATA_DOMAIN].outbox.counts(peer.entry.entry_id)  # type: ignore[no-any-return]


async def _settle(hass: HomeAssistant, seconds: float) -> None:
    """Let real time pass (retries that should not happen would happen now)."""
    await hass.async_add_executor_job(time.sleep, seconds)
    await hass.async_block_till_done()


@pytest.mark.enable_socket
async def test_slow_peer_times_out_is_retried_and_delivers_once(
    hass: HomeAssistant, peer: Peer, rtsp_server: RtspServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10 s per reply with a 1 s time-out: each attempt fails as a time-out and is retried;
    motion is detected meanwhile; once the peer is quick again the job goes, once."""
    monkeypatch.setattr(integration, "OUTBOX_MAX_ATTEMPTS", 100)  # outlast the slow phase
    await setup_camera(hass, rtsp_server.url, options={"off_delay": 1})
    await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
    await _connect(hass, peer)
    try:
        event = await trigger(hass)
        peer.proxy.reply_delay = 10.0
        response = await call(hass, peer.service, camera=CAMERA, profile=peer.name)
        assert response["status"] == "queued"
        await wait_for(lambda: int(peer.sensor(hass, "consecutive_failures") or 0) >= 2, 10)
        assert peer.sensor(hass, "queue_length") == "1"  # still queued: not lost
        error = (peer.sensor(hass, "last_delivery_error") or "").lower()
        assert "time" in error, error  # timed out / timeout
        # Mail and FTP wait for the greeting: nothing went. HTTP's request went at once,
        # only its answer is late: the receiver may have it (each attempt has the same key).
        assert peer.delivered() == (peer.attempts() > 0 if peer.kind == "http" else 0)

        # The detector is not held up by a delivery hanging on the peer.
        announced: list[str] = []
        hass.bus.async_listen(EVENT_CAM_EVENTS, lambda e: announced.append(e.data["type"]))
        started = time.monotonic()
        rtsp_server.set_motion(True)
        await wait_for(lambda: state_of(hass, MOTION) == "on", 5)
        assert time.monotonic() - started < 5
        rtsp_server.set_motion(False)
        await wait_for(lambda: state_of(hass, MOTION) == "off", 10)
        assert "motion" in announced

        peer.proxy.reply_delay = 0.0
        await wait_for(lambda: peer.delivered() >= 1, 15)
        await wait_for(lambda: peer.sensor(hass, "queue_length") == "0", 10)
        await _settle(hass, 1.5)
        assert peer.delivered() == 1  # never twice
        if peer.kind == "http":
            assert peer.attempts() >= 2  # the receiver saw retries, all with one key
        assert await _counts(hass, peer) == {"pending": 0, "dead": 0, "sent": 1}
        handlers = await event_handlers(hass, event["id"])
        assert [h["status"] for h in handlers] == ["sent"]
    finally:
        await _disconnect(peer)


@pytest.mark.enable_socket
async def test_connection_cut_mid_transfer_is_retried_and_delivers_once(
    hass: HomeAssistant, peer: Peer, camera: Any
) -> None:
    """The connection reset in the middle of the upload: retried, delivered once, nothing
    half delivered left at the peer."""
    await _connect(hass, peer, timeout=5)
    try:
        event = await trigger(hass)
        if peer.cut_marker is not None:
            peer.proxy.drop_on = peer.cut_marker
        else:
            peer.proxy.drop_after = 1500  # inside the message or the request body
        peer.proxy.drops = 1
        before = peer.attempts()
        response = await call(hass, peer.service, camera=CAMERA, profile=peer.name)
        assert response["status"] == "queued"
        await wait_for(lambda: peer.delivered() == 1, 15)
        await wait_for(lambda: peer.sensor(hass, "queue_length") == "0", 10)
        await _settle(hass, 1.5)
        assert peer.proxy.dropped == 1
        assert peer.delivered() == 1
        # The cut attempt reached the peer (HTTP: its request was never complete, so never
        # read), then the retry.
        assert peer.attempts() - before == (1 if peer.kind == "http" else 2)
        assert int(peer.sensor(hass, "consecutive_failures") or 0) == 0
        assert await _counts(hass, peer) == {"pending": 0, "dead": 0, "sent": 1}
        handlers = await event_handlers(hass, event["id"])
        assert [h["status"] for h in handlers] == ["sent"]
        assert peer.leftovers() == []
    finally:
        await _disconnect(peer)


@pytest.mark.enable_socket
async def test_permanent_error_is_a_dead_letter_at_once_then_retried_by_the_user(
    hass: HomeAssistant, peer: Peer, camera: Any
) -> None:
    """A permanent refusal: one attempt, a dead letter, the failure on the event and the
    sensors; no retry by itself. Fixed and retried (retry_failed): delivered once."""
    await _connect(hass, peer, timeout=5)
    try:
        event = await trigger(hass)
        peer.refuse(True)
        before = peer.attempts()
        await call(hass, peer.service, camera=CAMERA, profile=peer.name)
        await wait_for(lambda: peer.sensor(hass, "consecutive_failures") == "1", 10)
        await _settle(hass, 1.5)  # past every back-off: nothing is retried
        assert peer.attempts() - before == 1
        assert peer.delivered() == 0
        assert await _counts(hass, peer) == {"pending": 0, "dead": 1, "sent": 0}
        handlers = await event_handlers(hass, event["id"])
        assert [h["status"] for h in handlers] == ["dead"]
        assert peer.sensor(hass, "queue_length") == "0"

        peer.refuse(False)
        assert peer.entry is not None
        await hass.services.async_call(
            "cam_events", "retry_failed", {"profile": peer.entry.entry_id}, blocking=True
        )
        await wait_for(lambda: peer.delivered() == 1, 10)
        await _settle(hass, 1.0)
        assert peer.delivered() == 1
        assert await _counts(hass, peer) == {"pending": 0, "dead": 0, "sent": 1}
    finally:
        await _disconnect(peer)


class _SystemResolver(aiohttp.ThreadedResolver):
    """aiohttp's default resolver (the system's getaddrinfo), closable as Home Assistant's."""

    async def real_close(self) -> None:
        await self.close()


@pytest.fixture
def real_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let names under .invalid reach the system's real resolver (the test plugin refuses
    every name, and shares one resolver between tests); any other name is still refused.
    Home Assistant's HTTP session resolves through getaddrinfo as the other transports do."""
    monkeypatch.setattr(aiohttp_client, "_async_make_resolver", lambda hass: _SystemResolver())
    refused = socket.getaddrinfo
    real = getattr(ha_plugins, "_real_getaddrinfo", None)
    if real is None:
        pytest.skip("the test plugin's real getaddrinfo is not reachable")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            return real(host, *args, **kwargs)
        return refused(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.enable_socket
async def test_unresolvable_host_is_retried_then_dead_and_never_lost(
    hass: HomeAssistant, peer: Peer, camera: Any, real_resolver: None
) -> None:
    """A host name that stops resolving: each attempt fails on the name, is retried, and
    after the last attempt the job is a dead letter (kept); the name fixed and the job
    retried, it is delivered once."""
    entry = await _connect(hass, peer, timeout=5)
    try:
        await trigger(hass)
        hass.config_entries.async_update_entry(entry, data={**entry.data, "host": UNRESOLVABLE})
        await hass.config_entries.async_reload(entry.entry_id)
        await call(hass, peer.service, camera=CAMERA, profile=peer.name)
        await wait_for(lambda: int(peer.sensor(hass, "consecutive_failures") or 0) == 3, 20)
        await hass.async_block_till_done()
        assert await _counts(hass, peer) == {"pending": 0, "dead": 1, "sent": 0}
        [dead] = await hass.data[DATA_DOMAIN].outbox.dead(entry.entry_id)
        assert dead.attempts == 3
        # The resolver's own words: "Name or service not known" (or, with no DNS server at
        # all, "Temporary failure in name resolution"), naming the host.
        error = dead.last_error or ""
        assert UNRESOLVABLE in error
        assert "not known" in error or "name resolution" in error, error
        assert UNRESOLVABLE in (peer.sensor(hass, "last_delivery_error") or "")
        assert peer.delivered() == 0

        hass.config_entries.async_update_entry(entry, data={**entry.data, "host": "127.0.0.1"})
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.services.async_call(
            "cam_events", "retry_failed", {"profile": entry.entry_id}, blocking=True
        )
        await wait_for(lambda: peer.delivered() == 1, 10)
        await _settle(hass, 1.0)
        assert peer.delivered() == 1
        assert await _counts(hass, peer) == {"pending": 0, "dead": 0, "sent": 1}
    finally:
        await _disconnect(peer)
