"""Event handlers end to end: profiles from the config flow, services, the outbox, real peers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.config_entries import SOURCE_USER, ConfigEntry
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

import custom_components.cam_events as integration
from custom_components.cam_events.const import DOMAIN
from custom_components.cam_events.data import DATA_DOMAIN
from custom_components.cam_events.delivery.outbox import Job, new_job_id
from tests.common import (
    CAMERA,
    PEER_PASSWORD as PASSWORD,
    PEER_USER as USER,
    add_profile,
    call,
    event_handlers,
    form_values,
    smtp_data,
    snapshot_bytes,
    trigger,
    wait_for,
    wait_real,
)
from tests.peers.ftp import FtpServer
from tests.peers.http_sink import HttpSink
from tests.peers.smtp import SmtpServer
from tests.peers.udp import UdpReceiver
from tests.peers.vsftpd import (
    PASSWORD as VSFTPD_PASSWORD,
    USER as VSFTPD_USER,
    Vsftpd,
)


@pytest.fixture(autouse=True)
def quick_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry after 0.2 s instead of 5 s, so fault tests finish quickly."""
    monkeypatch.setattr(integration, "OUTBOX_BACKOFF_INITIAL", 0.2)
    monkeypatch.setattr(integration, "OUTBOX_BACKOFF_MAX", 0.4)
    monkeypatch.setattr(integration, "OUTBOX_MAX_ATTEMPTS", 4)


# ---- e-mail -----------------------------------------------------------------------------


async def test_email_profile_flow_errors(hass: HomeAssistant, smtp: SmtpServer) -> None:
    """A wrong password or a bad address is a form error and saves nothing."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smtp"}
    )
    flow_id = result["flow_id"]
    for data, errors in (
        ({**smtp_data(smtp), "password": "wrong"}, {"base": "invalid_auth"}),
        ({**smtp_data(smtp), "sender": "not an address"}, {"sender": "invalid_address"}),
        ({**smtp_data(smtp), "name": "M"}, {"name": "invalid_name"}),
        ({**smtp_data(smtp), "security": "tls"}, {"base": "refused"}),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, data)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
    assert not hass.config_entries.async_entries(DOMAIN)
    result = await hass.config_entries.flow.async_configure(flow_id, smtp_data(smtp))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Mail"
    await hass.async_block_till_done()


async def test_delivery_sensor_changes_once_the_event_has_its_result(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    """When "last delivery" changes, the event already says how its handler ended.

    The sensor used to change first and the result was written after it, so an automation
    or the card reading the event on that change saw "queued" for a mail already sent.
    """
    await add_profile(hass, "smtp", smtp_data(smtp))
    event = await trigger(hass)
    store = hass.data[DATA_DOMAIN].store
    seen: list[list[str]] = []

    @callback
    def delivered(change: Event[EventStateChangedData]) -> None:
        stored = store.get(event["id"])  # read at the moment of the change, not later
        seen.append([h["status"] for h in stored.handlers] if stored else [])

    unsub = async_track_state_change_event(hass, "sensor.mail_last_delivery", delivered)
    response = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    assert response["status"] == "queued"
    await wait_for(lambda: bool(seen), 10)
    unsub()
    assert seen[0] == ["sent"]


async def test_send_email_with_the_event_frame(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    """The mail carries the event's own frame, a burst, the raw event and a rendered subject."""
    await add_profile(hass, "smtp", smtp_data(smtp))
    event = await trigger(hass)
    response = await call(
        hass,
        "send_email",
        camera=CAMERA,
        profile="Mail",
        burst_count=2,
        burst_interval=0.2,
        raw_data=True,
        subject="{{ camera }} saw {{ event.type }}\r\nBcc: evil@example.com",
    )
    assert response["status"] == "queued"
    assert response["event_id"] == event["id"]
    assert response["files"] == 3

    await wait_for(lambda: len(smtp.messages) == 1, 10)
    message = smtp.messages[0].message
    assert message["Subject"] == "Porch saw manual Bcc: evil@example.com"
    assert message["Bcc"] is None
    assert sorted(smtp.messages[0].rcpt_tos) == ["owner@example.com", "second@example.com"]
    parts = list(message.iter_attachments())
    assert [p.get_content_type() for p in parts] == ["image/jpeg", "image/jpeg", "application/json"]
    assert parts[0].get_content() == await snapshot_bytes(hass, camera, event["id"])
    assert json.loads(parts[2].get_content())["id"] == event["id"]

    await wait_for(lambda: hass.states.get("sensor.mail_last_delivery").state != "unknown", 5)
    assert hass.states.get("sensor.mail_queue_length").state == "0"
    handlers = await event_handlers(hass, event["id"])
    assert [h["status"] for h in handlers] == ["sent"]
    assert handlers[0]["detail"].startswith("250")


async def test_server_down_is_retried_without_duplicates(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    """A mail queued while the server is down arrives once it is back, exactly once."""
    await add_profile(hass, "smtp", smtp_data(smtp))
    await trigger(hass)
    smtp.stop()
    response = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    assert response["status"] == "queued"
    await wait_for(lambda: int(hass.states.get("sensor.mail_consecutive_failures").state) >= 1, 5)
    assert hass.states.get("sensor.mail_queue_length").state == "1"
    assert "127.0.0.1" in hass.states.get("sensor.mail_last_delivery_error").state
    smtp.start()
    await wait_for(lambda: len(smtp.messages) == 1, 10)
    await wait_for(lambda: hass.states.get("sensor.mail_consecutive_failures").state == "0", 5)
    await hass.async_block_till_done()
    assert len(smtp.messages) == 1


async def test_wrong_password_dead_letter_and_repair(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    """A refused login: the job becomes a dead letter, a repair appears, detection runs on."""
    entry = await add_profile(hass, "smtp", smtp_data(smtp))
    await trigger(hass)
    smtp.auth = (USER, "changed-on-server")
    response = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    issue_id = f"profile_auth_{entry.entry_id}"
    registry = ir.async_get(hass)
    await wait_for(lambda: registry.async_get_issue(DOMAIN, issue_id) is not None, 10)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue.translation_key == "profile_auth_failed"
    assert issue.translation_placeholders == {"name": "Mail"}
    # The repair is raised as the job dies; its result reaches the event a moment later.
    for _ in range(100):
        handlers = await event_handlers(hass, response["event_id"])
        if handlers[-1]["status"] != "queued":
            break
        await asyncio.sleep(0.05)
    assert handlers[-1]["status"] == "dead"
    assert hass.states.get("sensor.porch_stream_state").state == "streaming"
    assert camera.runtime_data.stream.worker.running

    smtp.auth = (USER, PASSWORD)
    assert await call(hass, "retry_failed", profile=entry.entry_id) == {"requeued": 1}
    await wait_for(lambda: len(smtp.messages) == 1, 10)
    await wait_for(lambda: registry.async_get_issue(DOMAIN, issue_id) is None, 5)


async def test_queued_jobs_survive_a_restart(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    """Home Assistant stops with a mail queued; the next start delivers it, once."""
    await add_profile(hass, "smtp", smtp_data(smtp))
    event = await trigger(hass)
    smtp.stop()
    response = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    assert response["status"] == "queued"
    await wait_for(lambda: int(hass.states.get("sensor.mail_consecutive_failures").state) >= 1, 5)
    config_dir = hass.config.config_dir
    entries = [
        MockConfigEntry(
            domain=DOMAIN,
            entry_id=e.entry_id,
            title=e.title,
            unique_id=e.unique_id,
            data=dict(e.data),
            options=dict(e.options),
        )
        for e in hass.config_entries.async_entries(DOMAIN)
    ]
    await hass.async_stop(force=True)
    assert not smtp.messages

    smtp.start()
    async with async_test_home_assistant(config_dir=config_dir) as second:
        second.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        second.config.media_dirs = {"local": str(Path(config_dir, "media"))}
        for entry in entries:  # the same camera and profile, as stored before the stop
            entry.add_to_hass(second)
        assert await async_setup_component(second, DOMAIN, {})
        await second.async_block_till_done()
        await wait_for(lambda: len(smtp.messages) == 1, 15)
        assert smtp.messages[0].message["Subject"] == "Porch: manual event"
        page = await second.services.async_call(
            DOMAIN, "list_events", {"camera": CAMERA}, blocking=True, return_response=True
        )
        assert page["objects"][0]["id"] == event["id"]
        await wait_for(lambda: second.states.get("sensor.mail_last_delivery").state != "unknown", 5)
        await second.async_stop(force=True)
    assert len(smtp.messages) == 1


# ---- schedule and pause ---------------------------------------------------------------


async def test_schedule_window_and_pause(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer, freezer: FrozenDateTimeFactory
) -> None:
    """Outside the window a call is skipped; within the pause it is suppressed; both recorded."""
    freezer.move_to("2026-11-30 12:00:00-08:00")  # a Monday noon in the test time zone
    await add_profile(
        hass,
        "smtp",
        smtp_data(smtp),
        options={"days": ["mon"], "windows": "22:00-06:00", "pause": 60},
    )
    event = await trigger(hass)
    response = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    assert response["status"] == "skipped"
    assert response["reason"] == "schedule"

    # Each delivery finishes before the clock jumps (a jump would time out a request in flight).
    freezer.move_to("2026-11-30 23:30:00-08:00")  # Monday night, inside the window
    assert (await call(hass, "send_email", camera=CAMERA, profile="Mail"))["status"] == "queued"
    second = await call(hass, "send_email", camera=CAMERA, profile="Mail")
    assert second["status"] == "suppressed"
    assert second["reason"] == "pause"
    assert 0 < second["retry_in"] <= 60
    await wait_real(hass, lambda: len(smtp.messages) == 1, 10)

    freezer.move_to("2026-12-01 05:59:00-08:00")  # Tuesday early: still Monday's window
    assert (await call(hass, "send_email", camera=CAMERA, profile="Mail"))["status"] == "queued"
    await wait_real(hass, lambda: len(smtp.messages) == 2, 10)
    freezer.move_to("2026-12-01 23:00:00-08:00")  # Tuesday night: Tuesday is not selected
    assert (await call(hass, "send_email", camera=CAMERA, profile="Mail"))["status"] == "skipped"
    await hass.async_block_till_done()
    statuses = [h["status"] for h in await event_handlers(hass, event["id"])]
    assert statuses.count("skipped") == 2
    assert statuses.count("suppressed") == 1


# ---- FTP, HTTP, UDP, local ------------------------------------------------------------


async def test_upload_ftp_to_nested_folders(
    hass: HomeAssistant, camera: Any, tmp_path: Path, socket_enabled: None
) -> None:
    """FTPS upload: dated folders created, the file equals the event's JPEG."""
    server = FtpServer(tmp_path / "ftp", user=USER, password="pw1234", ftps=True)
    server.start()
    try:
        profile = await add_profile(
            hass,
            "ftp",
            {
                "name": "Archive",
                "host": "127.0.0.1",
                "port": server.port,
                "username": USER,
                "password": "pw1234",
                "base_path": "/",
                "passive": True,
                "ftps": True,
                "verify_ssl": False,
                "pattern": "camera_date_time",  # a preset's name, saved as its pattern
                "timeout": 5,
            },
        )
        event = await trigger(hass)
        response = await call(hass, "upload_ftp", camera=CAMERA, profile="Archive", raw_data=True)
        assert response["status"] == "queued"
        await wait_for(lambda: len(list(server.root.rglob("*.json"))) == 1, 10)
        jpegs = list(server.root.rglob("*.jpg"))
        assert len(jpegs) == 1
        assert profile.data["pattern"] == "{camera}/{Y}{m}{d}/{H}{M}{S}_{event}"
        relative = jpegs[0].relative_to(server.root).parts
        assert relative[0] == "Porch"
        assert len(relative[1]) == 8  # YYYYMMDD
        assert relative[2].endswith("_manual.jpg")
        assert jpegs[0].read_bytes() == await snapshot_bytes(hass, camera, event["id"])
    finally:
        server.stop()


async def test_push_http_post_get_and_keepalive(
    hass: HomeAssistant, camera: Any, socket_enabled: None, freezer: FrozenDateTimeFactory
) -> None:
    """POST carries JSON and the JPEG; GET carries query parameters; heartbeats keep time."""
    sink = HttpSink(username="hook", password="hook-pw")
    await sink.start()
    try:
        base = {"host": "127.0.0.1", "port": sink.port, "username": "hook", "password": "hook-pw"}
        await add_profile(
            hass,
            "http",
            {
                "name": "Hook",
                **base,
                "path": "/events",
                "method": "post",
                "keepalive": 30,
                "timeout": 5,
            },
            insecure=True,
        )
        await add_profile(
            hass,
            "http",
            {"name": "Hook GET", **base, "path": "/get", "method": "get", "timeout": 5},
            insecure=True,
        )
        tests_made = len(sink.requests)  # each flow sent one test heartbeat
        assert tests_made == 2
        event = await trigger(hass)
        assert (await call(hass, "push_http", camera=CAMERA, profile="Hook"))["status"] == "queued"
        posted = await sink.wait_for(3)
        assert posted.method == "POST"
        assert posted.path == "/events"
        body = json.loads(posted.part("event").data)
        assert body["event"]["id"] == event["id"]
        assert body["camera"] == {"entity_id": CAMERA, "name": "Porch"}
        assert posted.part("image").data == await snapshot_bytes(hass, camera, event["id"])

        response = await call(hass, "push_http", camera=CAMERA, profile="Hook GET")
        assert response["note"] == "only POST carries the image"
        got = await sink.wait_for(4)
        assert got.method == "GET"
        assert got.query["event_id"] == event["id"]
        assert got.body == b""
        # Let both deliveries finish before the clock jumps (a jump times out a request).
        for sensor in ("sensor.hook_last_delivery", "sensor.hook_get_last_delivery"):
            await wait_real(hass, lambda s=sensor: hass.states.get(s).state != "unknown", 5)

        for count in (5, 6, 7):  # one heartbeat per 30 s of the frozen clock
            freezer.tick(timedelta(seconds=30))
            async_fire_time_changed(hass)
            await sink.wait_for(count)
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert len(sink.requests) == 7  # not before its time
        heartbeats = [r for r in sink.requests[4:] if r.path == "/events"]
        assert len(heartbeats) == 3
        assert all(json.loads(r.part("event").data).get("heartbeat") for r in heartbeats)
    finally:
        await sink.stop()


async def test_profiles_saved_before_lower_case_options_keep_working(
    hass: HomeAssistant, camera: Any, socket_enabled: None
) -> None:
    """An HTTP profile stored with "POST" still posts the image; its form shows the new values."""
    sink = HttpSink()
    await sink.start()
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Old hook",
            unique_id="profile:old hook",
            data={
                "kind": "http",
                "host": "127.0.0.1",
                "port": sink.port,
                "path": "/old",
                "method": "POST",
                "timeout": 5,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        event = await trigger(hass)
        await call(hass, "push_http", camera=CAMERA, profile="Old hook")
        posted = await sink.wait_for(1)
        assert posted.method == "POST"
        assert json.loads(posted.part("event").data)["event"]["id"] == event["id"]
        assert posted.part("image").data == await snapshot_bytes(hass, camera, event["id"])

        result = await entry.start_reconfigure_flow(hass)
        defaults = form_values(result)
        assert defaults["method"] == "post"
    finally:
        await sink.stop()


async def test_stored_preset_pattern_shows_as_its_name(hass: HomeAssistant) -> None:
    """A local profile storing a preset's pattern is offered that preset by name when edited."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Disk",
        unique_id="profile:disk",
        data={
            "kind": "local",
            "folder": "cams",
            "pattern": "{Y}-{m}-{d}/{H}-{M}-{S}_{camera}_{event}",
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    defaults = form_values(result)
    assert defaults["pattern"] == "date_time"


@pytest.mark.parametrize("mode", ["unicast", "multicast", "broadcast"])
async def test_push_udp(hass: HomeAssistant, camera: Any, mode: str) -> None:
    receiver = UdpReceiver(mode)
    await receiver.start()
    try:
        await add_profile(
            hass,
            "udp",
            {
                "name": "Udp",
                "mode": mode,
                "address": receiver.address,
                "port": receiver.port,
                "ttl": 1,
                "interface": "127.0.0.1",
            },
        )
        event = await trigger(hass)
        assert (await call(hass, "push_udp", camera=CAMERA, profile="Udp"))["status"] == "queued"
        data, _ = await receiver.receive(5)
        payload = json.loads(data)
        assert payload["event"]["id"] == event["id"]
        assert payload["event"]["type"] == "manual"
    finally:
        await receiver.close()


async def test_udp_address_must_fit_mode(hass: HomeAssistant, socket_enabled: None) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "udp"}
    )
    for mode, address, error in (
        ("multicast", "192.168.1.20", "not_multicast"),
        ("broadcast", "192.168.1.20", "not_broadcast"),
        ("unicast", "239.1.1.1", "multicast_not_unicast"),
        ("unicast", "not-an-ip", "invalid_address"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {"name": "Udp", "mode": mode, "address": address, "port": 5000, "ttl": 1},
        )
        assert result["errors"] == {"address": error}


async def test_save_snapshot_to_media(hass: HomeAssistant, camera: Any, tmp_path: Path) -> None:
    """Local storage writes under the media folder; a folder outside it is refused."""
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs = {str(media)}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "local"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Disk", "folder": "../outside", "pattern": "{id}"}
    )
    assert result["errors"] == {"folder": "unsafe_folder"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Disk", "folder": "cams", "pattern": "{camera}/../{id}"}
    )
    assert result["errors"] == {"pattern": "unsafe_pattern"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Disk", "folder": "cams", "pattern": "{camera}/{id}"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    event = await trigger(hass)
    response = await call(
        hass, "save_snapshot", camera=CAMERA, profile="Disk", burst_count=3, burst_interval=0.1
    )
    assert response["status"] == "queued"
    folder = media / "cams" / "Porch"
    await wait_for(lambda: len(list(folder.glob("*.jpg"))) == 3, 10)
    names = sorted(p.name for p in folder.glob("*.jpg"))
    assert names == [f"{event['id']}_0{i}.jpg" for i in (1, 2, 3)]
    assert (folder / names[0]).read_bytes() == await snapshot_bytes(hass, camera, event["id"])


# ---- bad input --------------------------------------------------------------------------


async def test_bad_service_input(hass: HomeAssistant, camera: Any, smtp: SmtpServer) -> None:
    await add_profile(hass, "smtp", smtp_data(smtp))
    with pytest.raises(ServiceValidationError, match="has no event yet"):
        await call(hass, "send_email", camera=CAMERA, profile="Mail")
    await trigger(hass)
    for service, data, message in (
        ("send_email", {"profile": "Nobody"}, "No handler profile is called Nobody"),
        ("upload_ftp", {"profile": "Mail"}, "not a ftp profile"),
        ("send_email", {"profile": "Mail", "event_id": "01ABCDEFGHJKMNPQRSTVWXYZ00"}, "no event"),
        ("send_email", {"profile": "Mail", "camera": "camera.nowhere"}, "No Cam Events camera"),
    ):
        with pytest.raises(ServiceValidationError, match=message):
            await call(hass, service, **{"camera": CAMERA, **data})
    with pytest.raises(ServiceValidationError, match="No handler profile"):
        await call(hass, "retry_failed", profile="nope")
    assert not smtp.messages


async def outbox_counts(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, int]:
    return await hass.data[DATA_DOMAIN].outbox.counts(entry.entry_id)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "to",
    [
        ["not an address"],
        "not an address",
        ["owner@example.com\r\nBcc: evil@example.com"],
        "owner@example.com\nBcc: evil@example.com",
        ["Owner <owner@example.com>"],
        ["owner@example.com", "x"],
        ["owner@@example.com"],
        [""],
    ],
)
async def test_send_email_refuses_bad_addresses(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer, to: Any
) -> None:
    """Not an address, or one smuggling a header: refused, translated, nothing queued."""
    entry = await add_profile(hass, "smtp", smtp_data(smtp))
    await trigger(hass)
    with pytest.raises(ServiceValidationError, match="is not an e-mail address") as caught:
        await call(hass, "send_email", camera=CAMERA, profile="Mail", to=to)
    assert caught.value.translation_key == "invalid_recipient"
    assert await outbox_counts(hass, entry) == {"pending": 0, "dead": 0, "sent": 0}
    assert hass.states.get("sensor.mail_queue_length").state == "0"

    # Plain addresses, one per entry or separated by commas, go through.
    response = await call(
        hass, "send_email", camera=CAMERA, profile="Mail", to="a@example.com, b@example.com"
    )
    assert response["status"] == "queued"
    await wait_for(lambda: len(smtp.messages) == 1, 10)
    assert sorted(smtp.messages[0].rcpt_tos) == ["a@example.com", "b@example.com"]


async def test_bad_address_at_delivery_is_a_dead_letter_in_one_line(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A job whose address only shows as bad at delivery: dead at once, one log line."""
    entry = await add_profile(hass, "smtp", smtp_data(smtp))
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="custom_components.cam_events")
    job = Job(
        id=new_job_id(),
        profile=entry.entry_id,
        handler="send_email",
        payload={
            "subject": "s",
            "body": "b",
            "to": ["owner@example.com\r\nBcc: evil@example.com"],
            "names": [],
            "content_types": [],
        },
        files=[],
    )
    await hass.data[DATA_DOMAIN].outbox.enqueue(job)
    await wait_for(lambda: hass.states.get("sensor.mail_consecutive_failures").state == "1", 5)
    await hass.async_block_till_done()
    assert await outbox_counts(hass, entry) == {"pending": 0, "dead": 1, "sent": 0}
    [dead] = await hass.data[DATA_DOMAIN].outbox.dead(entry.entry_id)
    assert dead.attempts == 1
    assert "is not an e-mail address" in (dead.last_error or "")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].levelno == logging.WARNING
    assert records[0].exc_info is None
    assert "\n" not in records[0].getMessage()
    assert "dead letter after 1 attempt" in records[0].getMessage()
    assert not smtp.messages


async def test_queue_length_counts_jobs_behind_a_slow_server(
    hass: HomeAssistant, camera: Any, smtp: SmtpServer
) -> None:
    """Three mails queued behind a server taking 6 s per message: the sensor says 3 at once."""
    await add_profile(hass, "smtp", {**smtp_data(smtp), "timeout": 30})
    await trigger(hass)
    smtp.delay = 6.0
    loop = asyncio.get_running_loop()
    started = loop.time()
    for expected in ("1", "2", "3"):
        response = await call(hass, "send_email", camera=CAMERA, profile="Mail")
        assert response["status"] == "queued"
        assert hass.states.get("sensor.mail_queue_length").state == expected
    assert loop.time() - started < 3  # long before the first message is through
    assert not smtp.messages
    await wait_for(lambda: len(smtp.messages) == 1, 15)
    await wait_for(lambda: hass.states.get("sensor.mail_queue_length").state == "2", 5)
    assert loop.time() - started >= 6
    smtp.delay = 0.0  # the next message still takes 6 s (it is in flight); the last none
    await wait_for(lambda: len(smtp.messages) == 3, 15)
    await wait_for(lambda: hass.states.get("sensor.mail_queue_length").state == "0", 5)


async def test_insecure_logins_are_confirmed(hass: HomeAssistant, socket_enabled: None) -> None:
    """A password that would travel in clear (SMTP "none", HTTP Basic) needs a confirmation."""
    server = SmtpServer(security="none", auth=(USER, PASSWORD))
    await server.async_start()
    try:
        entry = await add_profile(
            hass, "smtp", {**smtp_data(server), "security": "none"}, insecure=True
        )
        assert entry.data["security"] == "none"
        # Without a login nothing is sent in clear: no question.
        plain = SmtpServer(security="none")
        await plain.async_start()
        try:
            await add_profile(
                hass,
                "smtp",
                {**smtp_data(plain), "name": "Plain", "security": "none", "auth": False},
            )
        finally:
            await plain.async_stop()
    finally:
        await server.async_stop()


def vsftpd_data(server: Vsftpd) -> dict[str, Any]:
    return {
        "name": "NAS",
        "host": "127.0.0.1",
        "port": server.port,
        "username": VSFTPD_USER,
        "password": VSFTPD_PASSWORD,  # 30 characters: more than the old limit of 16
        "base_path": "/upload",
        "passive": True,
        "ftps": True,
        "verify_ssl": False,
        "pattern": "{camera}/{Y}{m}{d}/{H}{M}{S}_{event}",
        "timeout": 5,
    }


async def test_ftp_profile_against_vsftpd_as_packaged(
    hass: HomeAssistant, camera: Any, vsftpd: Callable[..., Vsftpd]
) -> None:
    """Debian's vsftpd refuses uploads until write_enable=YES: the form says so; then it works."""
    refusing = vsftpd(write_enable="NO")  # as Debian ships it
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "ftp"}
    )
    flow_id = result["flow_id"]
    for data, errors in (
        ({**vsftpd_data(refusing), "username": "cam\r\nDELE x"}, {"username": "invalid_username"}),
        ({**vsftpd_data(refusing), "password": "pass\r\nword"}, {"password": "invalid_password"}),
        (vsftpd_data(refusing), {"base": "upload_test_failed"}),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, data)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
    assert "550 Permission denied" in result["description_placeholders"]["error"]
    assert VSFTPD_PASSWORD not in result["description_placeholders"]["error"]
    assert not hass.config_entries.async_entries(DOMAIN, include_ignore=False)[1:]
    refusing.stop()

    server = vsftpd()
    result = await hass.config_entries.flow.async_configure(flow_id, vsftpd_data(server))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    event = await trigger(hass)
    response = await call(hass, "upload_ftp", camera=CAMERA, profile="NAS")
    assert response["status"] == "queued"
    await wait_for(lambda: any(p.suffix == ".jpg" for p in server.upload.rglob("*")), 10)
    [jpeg] = [p for p in server.upload.rglob("*") if p.is_file()]
    assert jpeg.read_bytes() == await snapshot_bytes(hass, camera, event["id"])
    assert not [p for p in server.upload.rglob("*") if p.name.endswith(".part")]

    with pytest.raises(ServiceValidationError, match="nothing to send"):
        await call(hass, "upload_ftp", camera=CAMERA, profile="NAS", snapshot=False)
