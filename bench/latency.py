"""Benchmark motion latency end to end: RTSP camera -> binary sensors, e-mail and phone push.

Runs a real Home Assistant in this process (``async_test_home_assistant`` from the test
plugin, outside pytest) with the integration from this checkout: one camera entry on the RTSP
test server (``tests/peers/rtsp.py``: GStreamer, x264 zerolatency, 640x360 at 15 fps by
default; off-delay 1 s, detection on every frame, recording on as by default) with two zones
in its layout, "Path" over the band the server's moving box sweeps (y 0.3..0.7 of the
picture, the whole width) and "Sky" above it (y 0..0.2, which the box never enters), and one
SMTP profile added through the config flow (STARTTLS and AUTH, its connection test included)
on the test SMTP server (``tests/peers/smtp.py``, aiosmtpd on 127.0.0.1). A bus listener
plays the mail automation: on each ``cam_events_event`` of type motion it calls
``cam_events.send_email`` with that event's id.

The phone: Home Assistant's real ``http`` (on 127.0.0.1, a free port), ``notify``,
``mobile_app`` and ``automation``. A phone registers through mobile_app's registration API as
the companion app does (``POST /api/mobile_app/registrations`` with a user's token), its push
URL pointing at a local aiohttp push server on 127.0.0.1 that stamps each request when it
arrives. The project's blueprint ``motion_to_phone.yaml`` is installed under
``config/blueprints/automation/cam_events`` and runs as an automation (``use_blueprint``;
phones = the phone's device id from the device registry, cooldown 0). Each push must carry
the path of its event's own snapshot, and that path, fetched from Home Assistant's HTTP
server with the phone's token, must return the event's stored JPEG.

Each cycle switches the server's moving object on at a random phase of its frame clock,
waits for the binary sensor and the mail, switches it off and waits for the sensor to turn
off (1 s off-delay). Times, all ``time.time()`` on this machine:

* ``t_motion``: when the server applied the change (``RtspServer.set_motion``); the next
  composed frame shows it, at most one frame interval (67 ms) later; the server's encoding,
  packetising and the loopback TCP hop come after it;
* ``t_arrival``: when the worker demuxed the packet of the first frame that shows the object:
  the ``wall`` time the worker itself stamps on every packet it hands to the pre-roll ring,
  found by the frame's timestamp ("that frame's arrival");
* ``t_frame``: when that frame, decoded, reached the detector (``MotionDetector.process_grid``
  saw changed cells; instrumented on the worker thread);
* ``t_worker``: the ``at`` the worker reports with ``on_motion`` (after ``min_frames`` = 2
  moving frames: one more frame interval);
* ``t_sensor``: ``last_changed`` of ``binary_sensor.porch_motion`` turning on;
* ``t_zone``: ``last_changed`` of the zone's ``binary_sensor.porch_path_motion`` turning on
  (the "Sky" zone's sensor must stay off: any turn-on is counted and printed);
* ``t_mail``: the SMTP server has accepted the message (end of DATA);
* ``t_push``: the push server has the mobile_app push request (its handler entered, before
  the body is read).

Prints median, 95th percentile, max and count of each step. Targets (from the issues): p50
under 150 ms from the frame's arrival to the sensor, the zone's sensor the same as the
camera's (issue 15), under 500 ms to the mail, under 300 ms to the phone's push (issue 16);
judged from ``t_arrival``.
The same totals from ``t_motion`` are printed too: they add the test server's own delay
(GStreamer pipeline latency), which no camera integration can remove. Each mail's JPEG is
checked: it must be the event's stored snapshot and must show the moving object (differ from
the still scene's JPEG).

Run: ``.venv/bin/python bench/latency.py [--cycles 20] [--width 640 --height 360]``.
Nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
import io
import json
import logging
from pathlib import Path
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiohttp import ClientSession, web
import av
import common  # noqa: F401 - puts the checkout first on sys.path
from common import install_meter, machine_header, median, percentile, verdict
from homeassistant import loader
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_URL, EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import numpy as np
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    MockUser,
    async_test_home_assistant,
)

from custom_components.cam_events.const import (
    CONF_LAYOUT,
    CONF_OFF_DELAY,
    DOMAIN,
    EVENT_CAM_EVENTS,
)
from tests.peers.rtsp import RtspServer
from tests.peers.smtp import SmtpServer

SENSOR = "binary_sensor.porch_motion"
ZONE_SENSOR = "binary_sensor.porch_path_motion"
STILL_ZONE_SENSOR = "binary_sensor.porch_sky_motion"
CAMERA = "camera.porch"
USER, PASSWORD = "cam", "s3cret-pw"
SENSOR_TARGET = 0.150
MAIL_TARGET = 0.500
PUSH_TARGET = 0.300
CYCLE_TIMEOUT = 10.0
BLUEPRINTS = Path(__file__).resolve().parent.parent / "blueprints" / "automation" / "cam_events"
# The server's box (a quarter of the height) sweeps the whole width in the band y 0.375..0.625.
LAYOUT = [
    {
        "id": "path",
        "name": "Path",
        "kind": "zone",
        "polygon": [[0.0, 0.3], [1.0, 0.3], [1.0, 0.7], [0.0, 0.7]],
    },
    {
        "id": "sky",
        "name": "Sky",
        "kind": "zone",
        "polygon": [[0.0, 0.0], [1.0, 0.0], [1.0, 0.2], [0.0, 0.2]],
    },
]


class TimedList(list[Any]):
    """The SMTP server's message list, stamping each message as it is accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self.arrived = threading.Condition()

    def append(self, item: Any) -> None:
        with self.arrived:
            self.times.append(time.time())
            super().append(item)
            self.arrived.notify_all()


class PushServer:
    """A companion app's push server on 127.0.0.1: stamps each push request as it arrives."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.bodies: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _push(self, request: web.Request) -> web.Response:
        arrived = time.time()  # the request's head is in; the body is read after the stamp
        body = await request.json()
        self.times.append(arrived)
        self.bodies.append(body)
        return web.json_response({}, status=201)

    async def async_start(self) -> None:
        app = web.Application()
        app.router.add_post("/push", self._push)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/push"

    async def async_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DetectorProbe:
    """Stands in for the worker's MotionDetector: notes when frames start to differ."""

    def __init__(self, detector: Any) -> None:
        self._detector = detector
        self.frame: Any = None
        self.armed_after = float("inf")
        self.first_changed: float | None = None
        self.frame_time: float | None = None

    def arm(self, after: float) -> None:
        self.armed_after, self.first_changed, self.frame_time = after, None, None

    def process_grid(self, grid: Any, step: int, height: int, width: int) -> Any:
        result = self._detector.process_grid(grid, step, height, width)
        if self.first_changed is None and result.changed_ratio > 0:
            now = time.time()
            if now >= self.armed_after:
                self.first_changed = now
                # The frame being detected (not the worker's latest: it detects frames two at
                # a time): its stream time.
                self.frame_time = self.frame.time if self.frame is not None else None
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._detector, name)


@dataclass
class Cycle:
    motion: float
    arrival: float | None = None
    frame: float | None = None
    worker: float | None = None
    sensor: float | None = None
    zone: float | None = None
    event: float | None = None
    mail: float | None = None
    push: float | None = None
    jpeg_ok: str = "?"
    push_ok: str = "?"


def arrival_of(recorder: Any, frame_time: float | None, since: float) -> float | None:
    """When the packet of the frame at `frame_time` was demuxed (its time in the ring)."""
    if recorder is None or frame_time is None or recorder.ring.template is None:
        return None
    time_base = recorder.ring.template.video_time_base
    for packet in recorder.ring.since(since - 2.0):
        if (
            packet.kind == "video"
            and packet.pts is not None
            and abs(float(packet.pts * time_base) - frame_time) < 1e-4
        ):
            return float(packet.wall)
    return None


def luma_of_jpeg(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data), format="mjpeg") as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="gray").astype(np.int16)


def shows_motion(jpeg: bytes, still: np.ndarray) -> float:
    """Share of pixels that differ by more than 40 levels from the still scene."""
    luma = luma_of_jpeg(jpeg)
    if luma.shape != still.shape:
        return 1.0
    return float(np.count_nonzero(np.abs(luma - still) > 40)) / luma.size


async def add_smtp_profile(hass: HomeAssistant, smtp: SmtpServer) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smtp"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "name": "Mail",
            "host": "127.0.0.1",
            "port": smtp.port,
            "security": "starttls",
            "auth": True,
            "username": USER,
            "password": PASSWORD,
            "sender": "camera@example.com",
            "recipients": "owner@example.com",
            "timeout": 5,
            "verify_ssl": False,
        },
    )
    if result["type"] is not FlowResultType.CREATE_ENTRY:
        raise RuntimeError(f"SMTP profile not created: {result.get('errors')}")
    await hass.async_block_till_done()


async def add_phone(hass: HomeAssistant, push: PushServer, base_url: str) -> tuple[str, str]:
    """Register a phone through mobile_app's API and add the blueprint's automation.

    Returns the phone's access token (as the app holds it) and its device id.
    """
    for component in ("notify", "mobile_app", "automation"):
        if not await async_setup_component(hass, component, {}):
            raise RuntimeError(f"{component} did not set up")
    await hass.async_block_till_done()
    # Its sockets are bound; it serves once the frontend is set up, which this bench leaves
    # out. Every view is registered by now (the router is frozen when it starts).
    await hass.http.start()
    admins = await hass.auth.async_get_group(GROUP_ID_ADMIN)
    user = MockUser(groups=[admins] if admins else []).add_to_hass(hass)
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    token = hass.auth.async_create_access_token(refresh)
    async with ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        response = await session.post(
            f"{base_url}/api/mobile_app/registrations",
            json={
                "app_id": "io.homeassistant.companion.android",
                "app_name": "Home Assistant",
                "app_version": "2026.10",
                "device_name": "Pixel 9",
                "manufacturer": "Google",
                "model": "Pixel 9",
                "os_name": "Android",
                "os_version": "16",
                "supports_encryption": False,
                "device_id": "pixel-9",
                "app_data": {"push_url": push.url, "push_token": "bench-token"},
            },
        )
        if response.status != 201:
            raise RuntimeError(f"mobile_app registration: HTTP {response.status}")
    await hass.async_block_till_done()
    phone = next((d for d in dr.async_get(hass).devices if d.name == "Pixel 9"), None)
    if phone is None:
        raise RuntimeError("the phone's device is not in the device registry")

    target = Path(hass.config.path("blueprints", "automation", "cam_events"))
    await hass.async_add_executor_job(
        lambda: shutil.copytree(BLUEPRINTS, target, dirs_exist_ok=True)
    )
    automation = {
        "use_blueprint": {
            "path": "cam_events/motion_to_phone.yaml",
            "input": {"camera": CAMERA, "phones": [phone.id], "cooldown": 0},
        }
    }
    await hass.async_add_executor_job(
        Path(hass.config.path("configuration.yaml")).write_text,
        json.dumps({"automation": [automation]}),
    )
    await hass.services.async_call("automation", "reload", blocking=True)
    await hass.async_block_till_done()
    if not hass.states.async_entity_ids("automation"):
        raise RuntimeError("the phone automation did not set up")
    return token, phone.id


async def wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def run(args: argparse.Namespace) -> list[Cycle]:
    install_meter()  # a frame's stream time, seen on the worker thread
    with tempfile.TemporaryDirectory(prefix="cam_events_latency_") as folder:
        return await run_in(Path(folder), args)


async def run_in(tmp: Path, args: argparse.Namespace) -> list[Cycle]:
    camera = RtspServer(width=args.width, height=args.height, fps=args.fps)
    smtp = SmtpServer(security="starttls", auth=(USER, PASSWORD))
    mails = TimedList()
    push = PushServer()
    await asyncio.to_thread(camera.start)
    await smtp.async_start()
    await push.async_start()
    smtp.messages = mails
    cycles: list[Cycle] = []
    try:
        async with async_test_home_assistant(config_dir=str(tmp)) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            hass.config.media_dirs = {"local": str(tmp / "media")}
            port = free_port()
            http = {"server_host": ["127.0.0.1"], "server_port": port}
            if not await async_setup_component(hass, "http", {"http": http}):
                raise RuntimeError("http did not set up")
            entry = MockConfigEntry(
                domain=DOMAIN,
                title="Porch",
                unique_id=camera.url,
                data={CONF_URL: camera.url},
                options={CONF_OFF_DELAY: 1, CONF_LAYOUT: LAYOUT},
            )
            entry.add_to_hass(hass)
            started = time.monotonic()
            if not await hass.config_entries.async_setup(entry.entry_id):
                raise RuntimeError("the camera entry did not set up")
            await hass.async_block_till_done()
            await add_smtp_profile(hass, smtp)
            base_url = f"http://127.0.0.1:{port}"
            token, _phone = await add_phone(hass, push, base_url)
            print(
                f"Home Assistant up, camera streaming, SMTP profile, phone and its automation"
                f" added in {time.monotonic() - started:.1f} s",
                flush=True,
            )
            cycles = await measure(hass, entry, camera, mails, push, Phone(base_url, token), args)
            await hass.async_stop(force=True)
    finally:
        await push.async_stop()
        await smtp.async_stop()
        await asyncio.to_thread(camera.stop)
    return cycles


@dataclass
class Phone:
    """Home Assistant's HTTP server as the phone reaches it, with the phone's token."""

    base_url: str
    token: str

    async def fetch(self, path: str) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with (
            ClientSession(headers=headers) as session,
            session.get(f"{self.base_url}{path}") as response,
        ):
            return response.status, await response.read()


async def measure(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    camera: RtspServer,
    mails: TimedList,
    push: PushServer,
    phone: Phone,
    args: argparse.Namespace,
) -> list[Cycle]:
    runtime = entry.runtime_data.stream
    worker = runtime.worker
    probe = DetectorProbe(worker._detector)
    worker._detector = probe
    detect = worker._detect

    def traced_detect(frame: Any, now: float, wall: float) -> None:
        probe.frame = frame  # the frame being detected (the worker may hold one back)
        detect(frame, now, wall)

    worker._detect = traced_detect  # type: ignore[method-assign]
    current: list[Cycle] = []
    service_calls: list[asyncio.Task[Any]] = []
    event_ids: dict[str, Cycle] = {}

    original_on_motion = runtime.on_motion

    def on_motion(active: bool, result: Any, at: float) -> None:
        if active and current and current[-1].worker is None:
            current[-1].worker = at
        original_on_motion(active, result, at)

    runtime.on_motion = on_motion  # the worker calls its listener's attribute

    still_zone_on: list[float] = []

    @callback
    def state_changed(event: Event[Any]) -> None:
        entity_id = event.data.get("entity_id")
        new = event.data.get("new_state")
        if new is None or new.state != "on" or not current:
            return
        if entity_id == SENSOR and current[-1].sensor is None:
            current[-1].sensor = new.last_changed.timestamp()
        elif entity_id == ZONE_SENSOR and current[-1].zone is None:
            current[-1].zone = new.last_changed.timestamp()
        elif entity_id == STILL_ZONE_SENSOR:
            still_zone_on.append(new.last_changed.timestamp())

    @callback
    def cam_event(event: Event[Any]) -> None:
        if event.data.get("type") != "motion" or not current:
            return
        cycle = current[-1]
        cycle.event = time.time()
        event_ids[event.data["id"]] = cycle
        service_calls.append(
            hass.async_create_task(
                hass.services.async_call(
                    DOMAIN,
                    "send_email",
                    {"camera": CAMERA, "profile": "Mail", "event_id": event.data["id"]},
                    blocking=True,
                    return_response=True,
                )
            )
        )

    hass.bus.async_listen(EVENT_STATE_CHANGED, state_changed)
    hass.bus.async_listen(EVENT_CAM_EVENTS, cam_event)

    for sensor in (SENSOR, ZONE_SENSOR, STILL_ZONE_SENSOR):
        if not await wait_until(lambda s=sensor: hass.states.get(s).state == "off", 10):
            raise RuntimeError(f"{sensor} is {hass.states.get(sensor).state}, not off")
    await asyncio.sleep(1.0)
    still_jpeg = await runtime.async_snapshot()
    if still_jpeg is None:
        raise RuntimeError("no snapshot of the still scene")
    still = luma_of_jpeg(still_jpeg)

    rng = random.Random(1)
    for index in range(args.cycles):
        # A random phase against the server's frame clock.
        await asyncio.sleep(rng.uniform(0.0, 1.0 / args.fps))
        before, pushed = len(mails), len(push.times)
        probe.arm(time.time())
        cycle = Cycle(motion=0.0)
        current.append(cycle)
        cycle.motion = await hass.async_add_executor_job(camera.set_motion, True)
        got = await wait_until(
            lambda c=cycle, b=before, p=pushed: (
                c.sensor is not None
                and c.zone is not None
                and len(mails) > b
                and len(push.times) > p
            ),
            CYCLE_TIMEOUT,
        )
        cycle.frame = probe.first_changed
        cycle.arrival = arrival_of(runtime.recorder, probe.frame_time, cycle.motion)
        event_id = next((k for k, v in event_ids.items() if v is cycle), None)
        if len(push.times) > pushed:
            cycle.push = push.times[pushed]
            cycle.push_ok = await check_push(
                hass, entry, phone, push.bodies[pushed], event_id, still
            )
        if got:
            cycle.mail = mails.times[before]
            message = mails[before].message
            jpegs = [
                p.get_content()
                for p in message.iter_attachments()
                if p.get_content_type() == "image/jpeg"
            ]
            stored = None
            if event_id is not None:
                path = Path(
                    hass.config.path("cam_events", "snapshots", entry.entry_id, f"{event_id}.jpg")
                )
                stored = await hass.async_add_executor_job(path.read_bytes)
            if not jpegs:
                cycle.jpeg_ok = "no JPEG"
            else:
                changed = await hass.async_add_executor_job(shows_motion, jpegs[0], still)
                same = "the event's frame" if jpegs[0] == stored else "NOT the event's snapshot"
                moving = "moving object" if changed > 0.005 else "STILL SCENE"
                cycle.jpeg_ok = f"{same}, {moving} ({changed:.1%} px changed)"
        await hass.async_add_executor_job(camera.set_motion, False)
        for sensor in (SENSOR, ZONE_SENSOR):
            if not await wait_until(
                lambda s=sensor: hass.states.get(s).state == "off", CYCLE_TIMEOUT
            ):
                print(f"  {sensor} did not turn off", flush=True)
        await asyncio.sleep(0.3)
        print(
            f"  cycle {index + 1:>2}: "
            + ", ".join(
                f"{name} {(value - cycle.motion) * 1000:6.0f} ms"
                for name, value in (
                    ("arrival", cycle.arrival),
                    ("decoded", cycle.frame),
                    ("worker", cycle.worker),
                    ("sensor", cycle.sensor),
                    ("zone", cycle.zone),
                    ("mail", cycle.mail),
                    ("push", cycle.push),
                )
                if value is not None
            )
            + f"; mail JPEG: {cycle.jpeg_ok}; push: {cycle.push_ok}",
            flush=True,
        )
    for task in service_calls:
        try:
            await task
        except Exception as err:
            print(f"  a send_email call failed: {err}")
    print(
        f"  the off-path zone's sensor ({STILL_ZONE_SENSOR}) turned on {len(still_zone_on)} times",
        flush=True,
    )
    return cycles_done(current)


async def check_push(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    phone: Phone,
    body: dict[str, Any],
    event_id: str | None,
    still: np.ndarray,
) -> str:
    """Say whether a push carries its event's own snapshot path, and fetch it as the phone."""
    image = (body.get("data") or {}).get("image")
    if event_id is None:
        return f"no motion event for the push (image {image})"
    if image != f"/api/cam_events/snapshots/{event_id}.jpg":
        return f"NOT the event's snapshot path ({image})"
    path = Path(hass.config.path("cam_events", "snapshots", entry.entry_id, f"{event_id}.jpg"))
    stored = await hass.async_add_executor_job(path.read_bytes)
    status, jpeg = await phone.fetch(image)
    if status != 200:
        return f"the event's path, HTTP {status} fetching it"
    if jpeg != stored:
        return "the event's path, but it returned another JPEG"
    changed = await hass.async_add_executor_job(shows_motion, jpeg, still)
    moving = "moving object" if changed > 0.005 else "STILL SCENE"
    return f"the event's snapshot path, its JPEG fetched with the phone's token: {moving}"


def cycles_done(cycles: list[Cycle]) -> list[Cycle]:
    return [c for c in cycles if c.sensor is not None]


def summary(cycles: list[Cycle], total: int, fps: int) -> None:
    def diffs(a: str, b: str) -> list[float]:
        out = []
        for c in cycles:
            x, y = getattr(c, a), getattr(c, b)
            if x is not None and y is not None:
                out.append(y - x)
        return out

    def row(label: str, values: list[float]) -> None:
        if not values:
            print(f"  {label:<54} (no data)")
            return
        p50, p95 = median(values) * 1000, percentile(values, 95) * 1000
        print(
            f"  {label:<54} p50 {p50:5.0f} ms  p95 {p95:5.0f} ms"
            f"  max {max(values) * 1000:5.0f}  n {len(values)}"
        )

    def judge(label: str, values: list[float], target: float) -> None:
        if not values:
            print(f"  FAIL  {label}: no data")
            return
        p50, p95 = median(values), percentile(values, 95)
        print(
            f"  {verdict(p50 < target)}  {label}: p50 {p50 * 1000:.0f} ms, p95"
            f" {p95 * 1000:.0f} ms, n {len(values)} (target p50 < {target * 1000:.0f} ms)"
        )

    print(f"\n-- {len(cycles)} of {total} cycles complete; each step, then the totals --")
    row("  server's change -> first moving frame demuxed", diffs("motion", "arrival"))
    row("  its arrival (demux) -> decoded, at the detector", diffs("arrival", "frame"))
    row("  first moving frame -> worker on_motion (2nd frame)", diffs("frame", "worker"))
    row("  worker on_motion -> binary sensor on (event loop)", diffs("worker", "sensor"))
    row("  binary sensor on -> cam_events_event fired", diffs("sensor", "event"))
    row("  cam_events_event -> mail accepted by SMTP server", diffs("event", "mail"))
    row("  cam_events_event -> mobile_app push received", diffs("event", "push"))
    row("  camera's sensor on -> zone's sensor on", diffs("sensor", "zone"))
    row("  frame's arrival -> binary sensor on", diffs("arrival", "sensor"))
    row("  frame's arrival -> zone's motion sensor on", diffs("arrival", "zone"))
    row("  frame's arrival -> mail received", diffs("arrival", "mail"))
    row("  frame's arrival -> mobile_app push received", diffs("arrival", "push"))
    row("  server's change -> binary sensor on", diffs("motion", "sensor"))
    row("  server's change -> zone's motion sensor on", diffs("motion", "zone"))
    row("  server's change -> mail received", diffs("motion", "mail"))
    row("  server's change -> mobile_app push received", diffs("motion", "push"))
    row("  detector side: server's change -> worker `at`", diffs("motion", "worker"))

    print("\n-- verdicts (from this run) --")
    judge("frame's arrival -> binary sensor on", diffs("arrival", "sensor"), SENSOR_TARGET)
    judge("frame's arrival -> zone's motion sensor on", diffs("arrival", "zone"), SENSOR_TARGET)
    lag = diffs("sensor", "zone")
    # "The same as the camera's sensor": the zone's sensor turns on from the same frame, so
    # never a frame interval (1 / fps) after the camera's.
    interval = 1 / fps
    worst = max(lag, default=float("nan"))
    print(
        f"  {verdict(bool(lag) and max(lag) < interval)}  zone's sensor vs the camera's, same"
        f" cycles: p50 {median(lag) * 1000:+.1f} ms, max {worst * 1000:+.1f}"
        f" ms, n {len(lag)} (target: less than a frame interval, {interval * 1000:.0f} ms)"
    )
    judge("frame's arrival -> mail received", diffs("arrival", "mail"), MAIL_TARGET)
    judge("frame's arrival -> mobile_app push received", diffs("arrival", "push"), PUSH_TARGET)
    server = diffs("motion", "arrival")
    print(
        f"  info  from the server's change instead (adds the test server's own"
        f" {median(server) * 1000:.0f} ms, p50, from set_motion to the packet reaching the"
        f" worker): sensor p50 {median(diffs('motion', 'sensor')) * 1000:.0f} ms, zone"
        f" {median(diffs('motion', 'zone')) * 1000:.0f} ms, mail"
        f" {median(diffs('motion', 'mail')) * 1000:.0f} ms, push"
        f" {median(diffs('motion', 'push')) * 1000:.0f} ms"
    )
    good = sum(1 for c in cycles if c.jpeg_ok.startswith("the event's frame, moving"))
    mails = sum(1 for c in cycles if c.mail is not None)
    print(
        f"  {verdict(good == len(cycles) == total)}  mails with the event's own frame showing the"
        f" moving object: {good} of {total} cycles ({mails} mails received)"
    )
    own = sum(1 for c in cycles if c.push_ok.endswith("phone's token: moving object"))
    pushes = sum(1 for c in cycles if c.push is not None)
    print(
        f"  {verdict(own == len(cycles) == total)}  pushes with the event's own snapshot path"
        f" (fetched back: the event's JPEG, showing the moving object): {own} of {total} cycles"
        f" ({pushes} pushes received)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=20, help="motion on/off cycles (20)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("mail.log", "homeassistant.loader", "aiohttp_fast_zlib"):
        logging.getLogger(noisy).setLevel(logging.ERROR)  # deprecations, "custom integration"
    print(machine_header("bench/latency.py: motion -> binary sensors, e-mail and phone push"))
    print(
        f"camera: RTSP test server {args.width}x{args.height} at {args.fps} fps (GStreamer x264"
        f" zerolatency, one process on this machine); SMTP: aiosmtpd, STARTTLS + AUTH;"
        f" phone: mobile_app with an aiohttp push server, the motion_to_phone blueprint;"
        f" {args.cycles} cycles, off-delay 1 s"
    )
    started = time.monotonic()
    cycles = asyncio.run(run(args))
    summary(cycles, args.cycles, args.fps)
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
