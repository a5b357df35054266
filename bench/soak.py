"""Soak: real-time streams and a steady flood of events in one Home Assistant, for an hour.

Runs a real Home Assistant in this process (``async_test_home_assistant`` from the test
plugin, outside pytest) with the integration from this checkout and ``--streams`` cameras
(8): one on the RTSP test server (``tests/peers/rtsp.py``, GStreamer, 640x360 at 15 fps),
restarted every ``--reconnect`` seconds (180) so its camera goes through a lost stream and a
reconnect, and the others on H.264 files made at run time (``bench/common.py``: 1280x720 at
15 fps, an object moving through part of each loop; a file loops, which the worker takes as a
reconnect). Every camera detects on every frame and records clips, as by default.

Two handler profiles are added through the config flow: HTTP push to a local aiohttp server
(``tests/peers/http_sink.py``) and UDP push to a local UDP receiver (``tests/peers/udp.py``),
both on 127.0.0.1. A bus listener plays the automation: for every ``cam_events_event`` (a
created, triggered or motion event) it calls ``cam_events.push_http`` and
``cam_events.push_udp`` with that event's id. Beside the motion events, ``--rate`` (1000)
events a minute are created and triggered through the services (half each), spread over the
cameras.

Every minute it prints: resident memory, open file descriptors, threads, event-loop lag
(p50 / max of a 50 ms sleeper's overshoot), the outbox depth (pending jobs) and what was
created, stored, queued and received so far. At the end, after the load stops and the outbox
drains: events stored against events created (every accepted call and every motion event
seen on the bus), deliveries received against deliveries queued, each counted by event id
(exactly once: none missing, none twice), stuck sensors (a motion sensor on for longer than
the longest motion in its clip plus its off-delay and 10 s, or a motion event still open that
long), the memory slope after the warm-up (MB/min, least squares) and the loop lag's max.

Targets (from the issue): 0 lost, 0 duplicated, 0 stuck, memory flat after warm-up (within
noise), loop lag max under 100 ms.

Run: ``.venv/bin/python bench/soak.py [--minutes 60] [--streams 8] [--rate 1000]``
(``--minutes 5`` for a quick run). Nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass, field
import json
import logging
import math
import os
from pathlib import Path
import sys
import tempfile
import threading
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: F401 - puts the checkout first on sys.path
from common import (
    encode_camera_clip,
    machine_header,
    median,
    rss_mb,
    slope_per_minute,
    verdict,
)
from homeassistant import loader
from homeassistant.const import CONF_URL, EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
import probatio as vol
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.cam_events.const import CONF_OFF_DELAY, DOMAIN
from custom_components.cam_events.data import DATA_DOMAIN
from tests.common import add_profile
from tests.peers.http_sink import HttpSink
from tests.peers.rtsp import RtspServer
from tests.peers.udp import UdpReceiver

FPS = 15
OFF_DELAY = 2.0
CLIP_SECONDS = 40.0
# An object moves through these parts of each file's loop (seconds); the longest is 6 s.
MOTION = ((5.0, 11.0), (20.0, 24.0), (31.0, 34.0))
LONGEST_MOTION = max(end - start for start, end in MOTION)
RTSP_MOTION_ON, RTSP_MOTION_PERIOD = 4.0, 15.0
LAG_TICK = 0.05
EVENT_TYPE = "manual"


@dataclass
class Tally:
    """What the run did and saw."""

    created: set[str] = field(default_factory=set)  # event ids answered by the services
    motion: set[str] = field(default_factory=set)  # motion event ids seen on the bus
    refused: Counter[str] = field(default_factory=Counter)  # service errors by kind
    queued: Counter[tuple[str, str]] = field(default_factory=Counter)  # (handler, event id)
    not_queued: Counter[str] = field(default_factory=Counter)  # handler answers other than queued
    lags: list[float] = field(default_factory=list)  # loop lag samples of this minute (s)
    lag_max: float = 0.0  # this minute's
    run_lag_max: float = 0.0
    calls: set[asyncio.Task[None]] = field(default_factory=set)


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return threading.active_count()


def _http_event_id(request: Any) -> str | None:
    part = request.part("event")
    if part is None:
        return None
    body = json.loads(part.data)
    event = body.get("event")
    return None if event is None else str(event["id"])


def _udp_event_id(datagram: Any) -> str | None:
    body = json.loads(datagram.data)
    event = body.get("event")
    return None if event is None else str(event["id"])


def received(sink: HttpSink, udp: UdpReceiver) -> Counter[tuple[str, str]]:
    """Deliveries received, by (handler, event id); heartbeats and connection tests left out."""
    counts: Counter[tuple[str, str]] = Counter()
    for request in list(sink.requests):
        if (event_id := _http_event_id(request)) is not None:
            counts["push_http", event_id] += 1
    for datagram in list(udp.received):
        if (event_id := _udp_event_id(datagram)) is not None:
            counts["push_udp", event_id] += 1
    return counts


async def _deliver(hass: HomeAssistant, tally: Tally, camera: str, event_id: str) -> None:
    """Call both push services for one event, as an automation would."""
    for service, profile in (("push_http", "Hook"), ("push_udp", "Udp")):
        try:
            answer = await hass.services.async_call(
                DOMAIN,
                service,
                {"camera": camera, "profile": profile, "event_id": event_id, "snapshot": False},
                blocking=True,
                return_response=True,
            )
        except (HomeAssistantError, vol.Invalid) as err:
            tally.not_queued[f"{service}: {type(err).__name__}"] += 1
            continue
        status = (answer or {}).get("status")
        if status == "queued":
            tally.queued[service, event_id] += 1
        else:
            tally.not_queued[f"{service}: {status}"] += 1


async def _load(hass: HomeAssistant, tally: Tally, cameras: list[str], rate: float) -> None:
    """Create and trigger events at `rate` a minute, round-robin over the cameras."""
    interval = 60.0 / rate
    due = time.monotonic()
    index = 0
    while True:
        due += interval
        camera = cameras[index % len(cameras)]
        service = "create_event" if index % 2 == 0 else "trigger_event"
        index += 1
        try:
            answer = await hass.services.async_call(
                DOMAIN,
                service,
                {"camera": camera, "type": EVENT_TYPE, "metadata": {"n": index}},
                blocking=True,
                return_response=True,
            )
        except (HomeAssistantError, vol.Invalid) as err:
            tally.refused[f"{service}: {type(err).__name__}: {err}"[:120]] += 1
        else:
            if answer and "id" in answer:
                tally.created.add(str(answer["id"]))
        await asyncio.sleep(max(0.0, due - time.monotonic()))


async def _lag(tally: Tally) -> None:
    while True:
        started = time.monotonic()
        await asyncio.sleep(LAG_TICK)
        lag = time.monotonic() - started - LAG_TICK
        tally.lags.append(lag)
        tally.lag_max = max(tally.lag_max, lag)


async def _rtsp_motion(server: RtspServer) -> None:
    while True:
        await asyncio.to_thread(server.set_motion, True)
        await asyncio.sleep(RTSP_MOTION_ON)
        await asyncio.to_thread(server.set_motion, False)
        await asyncio.sleep(RTSP_MOTION_PERIOD - RTSP_MOTION_ON)


async def _rtsp_reconnects(server: RtspServer, every: float, count: list[int]) -> None:
    while True:
        await asyncio.sleep(every)
        await asyncio.to_thread(server.restart)
        count[0] += 1


def _stuck(hass: HomeAssistant, motion_sensors: list[str], open_events: int) -> list[str]:
    """Motion sensors on for longer than any motion in their stream allows."""
    limit = max(LONGEST_MOTION, RTSP_MOTION_ON) + OFF_DELAY + 10.0
    now = time.time()
    stuck = []
    for entity_id in motion_sensors:
        state = hass.states.get(entity_id)
        if state is not None and state.state == "on":
            held = now - state.last_changed.timestamp()
            if held > limit:
                stuck.append(f"{entity_id} on for {held:.0f} s")
    if open_events:
        stuck.append(f"{open_events} motion events open for more than {limit:.0f} s")
    return stuck


def _stored(store: Any, camera: str, type_name: str | None = None) -> list[Any]:
    """Every stored event of a camera (of a type), page by page (blocking)."""
    events: list[Any] = []
    while True:
        page = store.query(camera=camera, type=type_name, limit=1000, offset=len(events))
        events += page.events
        if not page.events or len(events) >= page.total:
            return events


def _open_motion_events(store: Any, cameras: list[str], older_than: float) -> int:
    """Motion events still open that began more than `older_than` seconds ago (blocking)."""
    cutoff = time.time() - older_than
    return sum(
        1
        for camera in cameras
        for event in _stored(store, camera, "motion")
        if event.end is None and event.start < cutoff
    )


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="cam_events_soak_") as folder:
        return await run_in(Path(folder), args)


async def run_in(tmp: Path, args: argparse.Namespace) -> int:
    clips = []
    files = max(0, args.streams - 1)
    for index in range(files):
        path = tmp / f"camera{index}.mp4"
        await asyncio.to_thread(
            encode_camera_clip,
            path,
            width=args.width,
            height=args.height,
            seconds=CLIP_SECONDS,
            bitrate=2_000_000,
            motion=MOTION,
            seed=index + 1,
        )
        clips.append(path)
    print(f"{files} clips of {CLIP_SECONDS:.0f} s at {args.width}x{args.height} made", flush=True)

    server = RtspServer(fps=FPS)
    sink = HttpSink()
    udp = UdpReceiver()
    await asyncio.to_thread(server.start)
    await sink.start()
    await udp.start()
    tally = Tally()
    samples: list[tuple[float, float]] = []  # (minutes, RSS MB)
    reconnects = [0]
    tasks: list[asyncio.Task[None]] = []
    failed = 0
    try:
        async with async_test_home_assistant(config_dir=str(tmp)) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            hass.config.media_dirs = {"local": str(tmp / "media")}
            hass.config.allowlist_external_dirs = {str(tmp)}
            urls = [server.url, *(str(path) for path in clips)]
            entries = []
            for index, url in enumerate(urls):
                entry = MockConfigEntry(
                    domain=DOMAIN,
                    title=f"Cam {index}",
                    unique_id=url,
                    data={CONF_URL: url},
                    options={CONF_OFF_DELAY: OFF_DELAY},
                )
                entry.add_to_hass(hass)
                if not await hass.config_entries.async_setup(entry.entry_id):
                    raise RuntimeError(f"camera {url} did not set up")
                entries.append(entry)
            await hass.async_block_till_done()
            await add_profile(
                hass, "http", {"name": "Hook", "host": "127.0.0.1", "port": sink.port}
            )
            await add_profile(
                hass,
                "udp",
                {"name": "Udp", "mode": "unicast", "address": "127.0.0.1", "port": udp.port},
            )
            cameras = [entry.entry_id for entry in entries]
            camera_entities = [str(entry.runtime_data.events.camera_entity) for entry in entries]
            motion_sensors = [f"binary_sensor.cam_{index}_motion" for index in range(len(entries))]

            @callback
            def on_event(event: Event) -> None:
                data = event.data
                event_id, camera = data.get("id"), data.get("camera_id") or data.get("camera")
                if event_id is None:
                    return
                if data.get("type") == "motion":
                    if event_id in tally.motion:
                        return  # the same motion event again (its end)
                    tally.motion.add(event_id)
                entity_id = next(
                    (
                        camera_entities[index]
                        for index, e in enumerate(entries)
                        if camera in (e.entry_id, e.title)
                    ),
                    None,
                )
                if entity_id is None:
                    return
                task = hass.async_create_background_task(
                    _deliver(hass, tally, entity_id, str(event_id)), "soak deliver"
                )
                tally.calls.add(task)
                task.add_done_callback(tally.calls.discard)

            unsubscribe = hass.bus.async_listen(f"{DOMAIN}_event", on_event)
            sensor_changes = [0]

            @callback
            def on_state(event: Event) -> None:
                if str(event.data.get("entity_id", "")).startswith("binary_sensor."):
                    sensor_changes[0] += 1

            hass.bus.async_listen(EVENT_STATE_CHANGED, on_state)

            started = time.monotonic()
            tasks = [
                asyncio.create_task(_lag(tally)),
                asyncio.create_task(_rtsp_motion(server)),
                asyncio.create_task(_rtsp_reconnects(server, args.reconnect, reconnects)),
                asyncio.create_task(_load(hass, tally, camera_entities, args.rate)),
            ]
            outbox = hass.data[DATA_DOMAIN].outbox
            print(
                " min |   RSS MB |  fds | threads | lag p50 ms | lag max ms | outbox | created"
                " | motion |  stored | queued | received | reconnects",
                flush=True,
            )
            for minute in range(1, int(args.minutes) + 1):
                await asyncio.sleep(max(0.0, started + 60.0 * minute - time.monotonic()))
                lags, tally.lags = tally.lags, []
                lag_max, tally.lag_max = tally.lag_max, 0.0
                stored = await hass.async_add_executor_job(hass.data[DATA_DOMAIN].store.count)
                depth = outbox.queue_length("Hook") + outbox.queue_length("Udp")
                rss = rss_mb()
                samples.append((float(minute), rss))
                print(
                    f"{minute:4d} | {rss:8.1f} | {_fds():4d} | {_threads():7d} |"
                    f" {median(lags) * 1e3:10.1f} | {lag_max * 1e3:10.1f} | {depth:6d} |"
                    f" {len(tally.created):7d} | {len(tally.motion):6d} | {stored:7d} |"
                    f" {sum(tally.queued.values()):6d} | {sum(received(sink, udp).values()):8d}"
                    f" | {reconnects[0]:10d}",
                    flush=True,
                )
                tally.run_lag_max = max(tally.run_lag_max, lag_max)

            # Stop the load; let the handler calls finish and the outbox drain.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(server.set_motion, False)
            if tally.calls:
                await asyncio.wait(list(tally.calls), timeout=60)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and (  # noqa: ASYNC110 - no drained event
                outbox.queue_length("Hook") or outbox.queue_length("Udp")
            ):
                await asyncio.sleep(0.5)
            await asyncio.sleep(2.0)  # the last UDP datagrams, the last HTTP requests
            limit = max(LONGEST_MOTION, RTSP_MOTION_ON) + OFF_DELAY + 10.0
            store = hass.data[DATA_DOMAIN].store
            open_events = await hass.async_add_executor_job(
                _open_motion_events, store, cameras, limit
            )
            stuck = _stuck(hass, motion_sensors, open_events)
            unsubscribe()

            stored_ids: set[str] = set()
            for camera in cameras:
                events = await hass.async_add_executor_job(_stored, store, camera)
                stored_ids |= {event.id for event in events}
            created = tally.created | tally.motion
            lost_events = created - stored_ids
            got = received(sink, udp)
            queued = set(tally.queued)
            missing = [key for key in queued if got[key] == 0]
            twice = [key for key, n in got.items() if n > 1]
            unasked = [key for key in got if key not in queued]
            doubly_queued = [key for key, n in tally.queued.items() if n > 1]
            depth = outbox.queue_length("Hook") + outbox.queue_length("Udp")
            counts = {p: await outbox.counts(p) for p in ("Hook", "Udp")}
            await hass.async_stop(force=True)
    finally:
        for task in tasks:
            task.cancel()
        await udp.close()
        await sink.stop()
        await asyncio.to_thread(server.stop)

    minutes = args.minutes
    warm = [s for s in samples if s[0] > args.warmup]
    slope = slope_per_minute(warm) if len(warm) >= 2 else float("nan")
    run_lag_max = tally.run_lag_max
    print()
    print(f"after {minutes:g} min, load stopped and outbox drained (depth left {depth}):")
    print(
        f"  events: {len(created)} created ({len(tally.created)} by the services,"
        f" {len(tally.motion)} motion), {len(created & stored_ids)} of them stored,"
        f" {len(lost_events)} lost"
    )
    if tally.refused:
        print(f"  refused calls (answered, not lost): {dict(tally.refused.most_common(5))}")
    print(
        f"  deliveries: {sum(tally.queued.values())} queued, {sum(got.values())} received;"
        f" {len(missing)} missing, {len(twice)} received twice, {len(unasked)} never queued,"
        f" {len(doubly_queued)} queued twice; outbox counts {counts}"
    )
    if tally.not_queued:
        print(f"  handler answers other than queued: {dict(tally.not_queued.most_common(5))}")
    print(f"  stuck sensors: {len(stuck)} {stuck if stuck else ''}")
    print(f"  RTSP reconnects: {reconnects[0]}; binary sensor changes: {sensor_changes[0]}")
    print(
        f"  memory: {samples[0][1] if samples else float('nan'):.1f} MB after minute 1,"
        f" {samples[-1][1] if samples else float('nan'):.1f} MB at the end;"
        f" slope after {args.warmup:g} min warm-up {slope:+.2f} MB/min"
    )
    checks = [
        (not lost_events, f"events lost: {len(lost_events)} (target 0)"),
        (not missing and not twice, f"deliveries missing {len(missing)}, twice {len(twice)}"),
        (not stuck, f"stuck sensors: {len(stuck)} (target 0)"),
        (run_lag_max < 0.1, f"loop lag max {run_lag_max * 1e3:.0f} ms (target < 100 ms)"),
        (
            math.isfinite(slope) and abs(slope) < args.slope_limit,
            f"memory slope {slope:+.2f} MB/min (target within +-{args.slope_limit:g})",
        ),
    ]
    for ok, text in checks:
        print(f"  {verdict(ok)}  {text}")
        failed += not ok
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="run length (60)")
    parser.add_argument("--streams", type=int, default=8, help="cameras, one on RTSP (8)")
    parser.add_argument("--rate", type=float, default=1000.0, help="events a minute (1000)")
    parser.add_argument("--reconnect", type=float, default=180.0, help="RTSP restart, s (180)")
    parser.add_argument("--width", type=int, default=1280, help="file cameras' width (1280)")
    parser.add_argument("--height", type=int, default=720, help="file cameras' height (720)")
    parser.add_argument("--warmup", type=float, default=None, help="minutes (a fifth, >= 1)")
    parser.add_argument("--slope-limit", type=float, default=1.0, help="memory slope, MB/min (1.0)")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = max(1.0, args.minutes / 5)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(machine_header("bench/soak.py: streams and events for a long run in one Home Assistant"))
    print(
        f"{args.streams} cameras (1 RTSP, restarted every {args.reconnect:g} s), {args.rate:g}"
        f" events a minute plus motion, HTTP and UDP push for every event, {args.minutes:g} min",
        flush=True,
    )
    failed = asyncio.run(run(args))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
