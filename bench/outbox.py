"""Benchmark the outbox: events pushed over HTTP and UDP to local receivers, end to end.

Builds on the integration's own pieces, without Home Assistant: the :class:`Outbox` on a real
SQLite file in a temporary directory (``asyncio.to_thread`` as its ``run_blocking``, as Home
Assistant's executor), HTTP push (POST multipart with a ~27 KB 720p JPEG, one shared keep-alive
``aiohttp.ClientSession``) to an aiohttp server on 127.0.0.1, and UDP push to a socket on
127.0.0.1. Each event goes the way the ``push_http`` / ``push_udp`` services send it: build
the payload (``event_payload``), write the spool file (the JPEG, for HTTP) in a worker thread,
``enqueue``; the profile's worker reads the spool file back in a worker thread and pushes.

Latency is from the service call (just before the payload is built and the spool file
written, then enqueued) to receipt (the receiver's handler has the whole request or the
datagram), both on ``time.perf_counter`` in this process.

Each transport runs twice with ``--events`` events (1 000): paced (one service call every
``--interval`` seconds, 20 ms: a busy camera system; latency is what matters) and burst (all
service calls at once; throughput matters). Target: median under 50 ms in the paced runs,
and in every run nothing lost, nothing duplicated (also checked on the sender's side: every
job marked sent once in SQLite, every spool file deleted).

Run: ``.venv/bin/python bench/outbox.py [--events 1000] [--interval 0.02]``. Nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import json
import logging
import math
import os
from pathlib import Path
import platform
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any

import aiohttp
from aiohttp import web
import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.cam_events.delivery import http_push, udp_push
from custom_components.cam_events.delivery.outbox import (
    Job,
    JobOutcome,
    Outbox,
    OutboxStore,
    new_job_id,
)
from custom_components.cam_events.delivery.payload import event_payload
from custom_components.cam_events.events.model import Event, new_event_id
from custom_components.cam_events.handler_services import spool_files
from custom_components.cam_events.video.jpeg import encode_jpeg
from devtools.clips import background, draw_object

TARGET_MEDIAN_MS = 50.0
RUN_TIMEOUT = 30.0
"""Seconds to wait, after the last service call, for every delivery of a run."""
SETTLE = 0.3
"""Seconds to keep listening after the last delivery, to catch duplicates."""
HTTP = "HTTP"
UDP = "UDP"
PROFILES = {HTTP: "01JBENCHHTTPPROFILE0000000", UDP: "01JBENCHUDPPROFILE00000000"}
HANDLERS = {HTTP: "push_http", UDP: "push_udp"}
CAMERA_ENTRY = "01JBENCHCAMERAENTRY0000000"
CAMERA_ENTITY = "camera.front_door"
CAMERA_NAME = "Front door"


def make_jpeg() -> bytes:
    """Return a 1280x720 snapshot of a synthetic scene, encoded as the integration does."""
    frame = av.VideoFrame.from_ndarray(draw_object(background(1280, 720), 1.0), format="rgb24")
    return encode_jpeg(frame)


def read_files(paths: list[str]) -> list[bytes]:
    """Read a job's files back as ``handlers._read_files`` does (blocking)."""
    return [Path(path).read_bytes() for path in paths]


@dataclass
class Run:
    """One transport, one mode: when each event was called and when it arrived."""

    transport: str
    mode: str
    expected: int
    called: dict[str, float] = field(default_factory=dict)
    received: dict[str, list[float]] = field(default_factory=dict)
    outcomes: dict[JobOutcome, int] = field(default_factory=dict)
    strays: int = 0
    """Receipts of ids this run never called."""
    peers: set[Any] = field(default_factory=set)
    """Client addresses the HTTP receiver saw: one per TCP connection (keep-alive)."""
    corrupt: int = 0
    """Receipts whose image or payload is not what was sent."""
    sent_in_db: int = 0
    leftover_files: int = 0
    wall: float = 0.0
    all_received: asyncio.Event = field(default_factory=asyncio.Event)
    all_outcomes: asyncio.Event = field(default_factory=asyncio.Event)

    def receipt(self, event_id: str, at: float, *, intact: bool = True) -> None:
        if event_id not in self.called:
            self.strays += 1
            return
        if not intact:
            self.corrupt += 1
        self.received.setdefault(event_id, []).append(at)
        if len(self.received) == self.expected:
            self.all_received.set()

    def outcome(self, outcome: JobOutcome) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        finished = self.outcomes.get(JobOutcome.SENT, 0) + self.outcomes.get(JobOutcome.DEAD, 0)
        if finished >= self.expected:
            self.all_outcomes.set()

    @property
    def latencies_ms(self) -> list[float]:
        return sorted((times[0] - self.called[eid]) * 1000 for eid, times in self.received.items())

    @property
    def lost(self) -> int:
        return self.expected - len(self.received)

    @property
    def duplicated(self) -> int:
        return sum(len(times) - 1 for times in self.received.values())

    @property
    def rate(self) -> float:
        """Deliveries per second, from the first service call to the last receipt."""
        if not self.received:
            return 0.0
        span = max(max(t) for t in self.received.values()) - min(self.called.values())
        return len(self.received) / max(span, 1e-9)


class Sink:
    """Routes what the receivers get to the current run."""

    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        self.run: Run | None = None
        self.unexpected = 0
        """Receipts while no run was listening."""

    def receipt(self, event_id: str, at: float, *, intact: bool = True) -> None:
        if self.run is None:
            self.unexpected += 1
        else:
            self.run.receipt(event_id, at, intact=intact)


class UdpReceiver(asyncio.DatagramProtocol):
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        at = time.perf_counter()
        message = json.loads(data)
        self.sink.receipt(message["event"]["id"], at, intact=message["version"] == 1)


def http_handler(sink: Sink) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        message: dict[str, Any] | None = None
        image: bytes | None = None
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader):
                continue
            if part.name == "event":
                message = json.loads(await part.text())
            elif part.name == "image":
                image = bytes(await part.read())
        at = time.perf_counter()
        if message is None:
            return web.Response(status=400, text="no event part")
        if sink.run is not None and request.transport is not None:
            sink.run.peers.add(request.transport.get_extra_info("peername"))
        sink.receipt(message["event"]["id"], at, intact=image == sink.jpeg)
        return web.Response(text="ok")

    return handle


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(values)))
    return values[rank - 1]


class Bench:
    def __init__(self, base: Path, jpeg: bytes) -> None:
        self.base = base
        self.jpeg = jpeg
        self.sink = Sink(jpeg)
        self.spool_dir = base / "spool"
        self.store = OutboxStore(base / "outbox.db")
        self.outbox = Outbox(self.store, asyncio.to_thread, spool_dir=self.spool_dir)
        self.http_profile: http_push.HttpProfile | None = None
        self.udp_profile: udp_push.UdpProfile | None = None
        self.session: aiohttp.ClientSession | None = None
        self.run: Run | None = None

    async def deliver_http(self, job: Job) -> str:
        """As ``ProfileRuntime._send`` for an HTTP profile."""
        assert self.session is not None
        assert self.http_profile is not None
        contents = await asyncio.to_thread(read_files, job.files)
        image = contents[0] if contents else None
        return await http_push.push(self.session, self.http_profile, job.payload["event"], image)

    async def deliver_udp(self, job: Job) -> str:
        """As ``ProfileRuntime._send`` for a UDP profile (which reads its, empty, file list)."""
        assert self.udp_profile is not None
        await asyncio.to_thread(read_files, job.files)
        return await udp_push.push(self.udp_profile, job.payload["event"])

    def listener(self, job: Job, outcome: JobOutcome) -> None:
        if self.run is not None:
            self.run.outcome(outcome)

    async def service_call(self, run: Run, transport: str, index: int) -> None:
        """What the ``push_http`` / ``push_udp`` service does once it has the event's frame."""
        begin = time.perf_counter()
        now = time.time()
        event = Event(
            id=new_event_id(),
            camera=CAMERA_ENTRY,
            type="motion",
            start=now - 4.2,
            end=now,
            metadata={"score": round(0.3 + (index % 50) / 100, 2), "zone": "drive", "n": index},
            snapshot=None,
        )
        run.called[event.id] = begin
        items = [(".jpg", self.jpeg)] if transport == HTTP else []
        payload: dict[str, Any] = {
            "names": ["snapshot.jpg"] if items else [],
            "content_types": ["image/jpeg"] if items else [],
            "event": event_payload(event.as_dict(CAMERA_ENTITY), camera_name=CAMERA_NAME),
        }
        job_id = new_job_id()
        files = await asyncio.to_thread(spool_files, self.spool_dir, job_id, items)
        job = Job(
            id=job_id,
            profile=PROFILES[transport],
            handler=HANDLERS[transport],
            payload=payload,
            files=files,
            event_id=event.id,
            camera=CAMERA_ENTRY,
            created=time.time(),
        )
        await self.outbox.enqueue(job)

    async def execute(self, transport: str, mode: str, count: int, interval: float) -> Run:
        run = Run(transport, mode, count)
        self.run = run
        self.sink.run = run
        sent_before = (await self.outbox.counts(PROFILES[transport]))["sent"]
        begin = time.perf_counter()
        if mode == "burst":
            await asyncio.gather(*(self.service_call(run, transport, i) for i in range(count)))
        else:
            tasks = []
            for i in range(count):
                delay = begin + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self.service_call(run, transport, i)))
            await asyncio.gather(*tasks)
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                await run.all_received.wait()
                await run.all_outcomes.wait()
        except TimeoutError:
            pass
        await asyncio.sleep(SETTLE)
        run.wall = time.perf_counter() - begin
        self.run = None
        self.sink.run = None
        run.sent_in_db = (await self.outbox.counts(PROFILES[transport]))["sent"] - sent_before
        run.leftover_files = sum(1 for p in self.spool_dir.rglob("*") if p.is_file())
        return run

    async def main(self, count: int, interval: float) -> list[Run]:
        loop = asyncio.get_running_loop()
        app = web.Application()
        app.router.add_post("/events", http_handler(self.sink))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        http_port = runner.addresses[0][1]
        udp_transport, _ = await loop.create_datagram_endpoint(
            lambda: UdpReceiver(self.sink), local_addr=("127.0.0.1", 0), family=socket.AF_INET
        )
        udp_port = udp_transport.get_extra_info("sockname")[1]
        self.http_profile = http_push.HttpProfile(host="127.0.0.1", port=http_port, path="/events")
        self.udp_profile = udp_push.UdpProfile(udp_push.Mode.UNICAST, "127.0.0.1", udp_port)
        http_push.validate(self.http_profile)
        udp_push.validate(self.udp_profile)

        await asyncio.to_thread(self.store.open)
        self.session = aiohttp.ClientSession()
        runs: list[Run] = []
        try:
            await self.outbox.start()
            self.outbox.register(PROFILES[HTTP], self.deliver_http, self.listener)
            self.outbox.register(PROFILES[UDP], self.deliver_udp, self.listener)
            for mode in ("paced", "burst"):
                for transport in (HTTP, UDP):
                    run = await self.execute(transport, mode, count, interval)
                    runs.append(run)
                    print(f"  {transport} {mode}: done in {run.wall:.1f} s", flush=True)
        finally:
            await self.outbox.stop(grace=5.0)
            await self.session.close()
            await asyncio.to_thread(self.store.close)
            udp_transport.close()
            await runner.cleanup()
        return runs


def report(runs: list[Run], unexpected: int) -> bool:
    print(
        f"\n{'transport':9} {'mode':6} {'events':>6} {'deliv/s':>8} {'median':>7} {'p95':>7}"
        f" {'p99':>7} {'max':>7} {'lost':>5} {'dup':>4}   latency in ms"
    )
    for run in runs:
        lat = run.latencies_ms
        median = statistics.median(lat) if lat else math.nan
        print(
            f"{run.transport:9} {run.mode:6} {run.expected:>6} {run.rate:>8.1f} {median:>7.2f}"
            f" {percentile(lat, 95):>7.2f} {percentile(lat, 99):>7.2f}"
            f" {(lat[-1] if lat else math.nan):>7.2f} {run.lost:>5} {run.duplicated:>4}"
        )
    print("\nsender side (SQLite, spool) and receiver checks:")
    for run in runs:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(run.outcomes.items())) or "none"
        print(
            f"  {run.transport:4} {run.mode:5}: jobs marked sent {run.sent_in_db}/{run.expected},"
            f" outcomes: {outcomes}; spool files left {run.leftover_files};"
            f" corrupt {run.corrupt}; strays {run.strays}"
            + (f"; TCP connections {len(run.peers)}" if run.transport == HTTP else "")
        )
    if unexpected:
        print(f"  receipts outside any run: {unexpected}")

    print(
        f"\nverdict (target: median < {TARGET_MEDIAN_MS:.0f} ms paced, 0 lost, 0 duplicated,"
        " in every run):"
    )
    all_ok = unexpected == 0
    for transport in (HTTP, UDP):
        mine = [run for run in runs if run.transport == transport]
        paced = [run for run in mine if run.mode == "paced"]
        medians = [statistics.median(run.latencies_ms) for run in paced if run.latencies_ms]
        median = max(medians) if medians else math.inf
        lost = sum(run.lost for run in mine)
        dup = sum(run.duplicated for run in mine)
        sender_ok = all(
            run.sent_in_db == run.expected
            and run.outcomes.get(JobOutcome.SENT, 0) == run.expected
            and run.leftover_files == 0
            and run.corrupt == 0
            and run.strays == 0
            for run in mine
        )
        ok = median < TARGET_MEDIAN_MS and lost == 0 and dup == 0 and sender_ok
        all_ok = all_ok and ok
        checks = "ok" if sender_ok else "FAILED"
        print(
            f"  {transport:4}: {'PASS' if ok else 'FAIL'}  paced median {median:.2f} ms,"
            f" lost {lost}, duplicated {dup}, sender/receiver checks {checks}"
        )
    print(f"  overall: {'PASS' if all_ok else 'FAIL'}")
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per run (1000)")
    parser.add_argument(
        "--interval", type=float, default=0.02, help="seconds between paced service calls (0.02)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    jpeg = make_jpeg()
    print(
        f"machine: {os.cpu_count()} CPU(s) {platform.machine()}, {platform.system()}"
        f" {platform.release()}; Python {platform.python_version()}; aiohttp {aiohttp.__version__};"
        f" SQLite {sqlite3.sqlite_version}; PyAV {av.__version__}"
    )
    print(
        f"{args.events} events per run; paced: one service call every {args.interval * 1000:.0f}"
        f" ms; burst: all at once; HTTP POST multipart with a {len(jpeg) / 1000:.1f} KB JPEG;"
        " UDP one datagram; receivers on 127.0.0.1 in this process"
    )
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), jpeg)
        start = time.perf_counter()
        runs = asyncio.run(bench.main(args.events, args.interval))
        total = time.perf_counter() - start
    ok = report(runs, bench.sink.unexpected)
    print(f"total run time {total:.1f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
