"""Benchmark clip recording: the CPU a clip being written adds, and the pre-roll ring's bytes.

Encodes a 1080p15 H.264 clip (~4 Mbit/s, textured, noisy, objects moving; see
``bench/common.py``) and runs the integration's ``StreamWorker`` on it, paced to real time by
the worker, with detection on every frame. Four streams run at once, so that every comparison
is made at the same moment on this shared machine:

* A: detection alone (no ``ClipRecorder``);
* B: detection + ``ClipRecorder`` (5 s pre-roll, 5 s post-roll). In each "on" window a clip is
  requested and kept open (``request(..., hold=True)``, a new key every 3 s, the previous one
  released, as overlapping motion events do); at the end of the window every key is released
  and the clip ends after its post-roll. In the "off" windows B only fills its ring;
* C: detection + ``ClipRecorder``, ring only (never a clip), for the ring's own cost;
* D: like C with a ring bounded to ``--small-ring`` MB (1), less than the 5 s pre-roll needs,
  to check that the byte bound holds.

Off and on windows alternate (``--rounds`` x ``--seconds``); an on window's clip has ended and
been closed before the next off window starts. CPU is per frame: each worker thread's own CPU
(``time.thread_time_ns``, on that thread) over whole GOPs of the window, and each clip writer
thread's whole CPU (from its start to its end, including the pre-roll burst and the MP4
faststart rewrite at the end) over the video packets it wrote. "Recording on / off" for B is
(worker in on windows + writer) / worker in off windows; "over detection alone" is the same
sum over A's worker in the same on windows. The verdict takes B's on/off change over A's
(a difference in differences: the machine's drift between windows and each thread's own bias
cancel). The ring is sampled every 100 ms.

Target (from the issue): writing a clip adds at most 5 % CPU over detection alone (remuxing,
no decoding), and the ring stays within its byte bound.

Run: ``.venv/bin/python bench/recording.py [--rounds 3] [--seconds 12]``. Nothing is kept.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
from pathlib import Path
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    METER,
    CountingListener,
    busy_fraction,
    cpu_times,
    encode_camera_clip,
    install_meter,
    machine_header,
    median,
    process_cpu,
    verdict,
    window_stats,
)

from custom_components.cam_events.video import clip as clip_module
from custom_components.cam_events.video.clip import ClipInfo
from custom_components.cam_events.video.recorder import ClipRecorder, ClipRequest
from custom_components.cam_events.video.ring import DEFAULT_MAX_BYTES
from custom_components.cam_events.video.source import StreamSource
from custom_components.cam_events.video.stream_worker import StreamWorker, WorkerSettings

FPS = 15
TARGET = 1.05
PREROLL = 5.0
POSTROLL = 5.0
REQUEST_EVERY = 3.0

WRITERS: list[tuple[str, int]] = []  # (clip path, thread CPU ns of its writer thread)


def install_writer_meter() -> None:
    """Time each clip writer thread from start to end, on that thread."""
    run = clip_module.ClipWriter._run

    def timed(self: clip_module.ClipWriter) -> None:
        started = time.thread_time_ns()
        try:
            run(self)
        finally:
            WRITERS.append((str(self.path_final), time.thread_time_ns() - started))

    clip_module.ClipWriter._run = timed  # type: ignore[method-assign]


class RingSampler(threading.Thread):
    """Every 100 ms: each ring's bytes, its span of arrival times and of media time."""

    def __init__(self, recorders: dict[str, ClipRecorder]) -> None:
        super().__init__(name="ring sampler", daemon=True)
        self.recorders = recorders
        self.largest = dict.fromkeys(recorders, 0)
        self.longest = dict.fromkeys(recorders, 0.0)  # arrival (wall) span, s
        self.media = dict.fromkeys(recorders, 0.0)  # media (pts) span when longest, s
        self.gap = dict.fromkeys(recorders, 0.0)  # largest gap between arrivals, s
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            for name, recorder in self.recorders.items():
                ring = recorder.ring
                self.largest[name] = max(self.largest[name], ring.nbytes)
                packets = [p for p in ring.since(0.0) if p.kind == "video"]
                template = ring.template
                if len(packets) < 2 or template is None:
                    continue
                span = packets[-1].wall - packets[0].wall
                gaps = (b.wall - a.wall for a, b in itertools.pairwise(packets))
                self.gap[name] = max(self.gap[name], *gaps)
                if span > self.longest[name]:
                    self.longest[name] = span
                    first, last = packets[0].pts, packets[-1].pts
                    if first is not None and last is not None:
                        self.media[name] = float((last - first) * template.video_time_base)


def per_frame(name: str, windows: list[tuple[float, float]], gop_seconds: float) -> float:
    """CPU per frame of a worker thread over several windows (their CPU over their frames)."""
    track = METER.tracks[f"cam_events_{name}"]
    cpu = frames = 0.0
    for start, end in windows:
        stats = window_stats(track, start, end, 1.0, gop_seconds)
        if stats.cpu_per_frame is not None:
            cpu += stats.cpu_per_frame * stats.frames
            frames += stats.frames
    return cpu / frames if frames else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="off/on window pairs (3)")
    parser.add_argument("--seconds", type=float, default=12.0, help="per window (12)")
    parser.add_argument("--bitrate", type=float, default=4.0, help="Mbit/s (4)")
    parser.add_argument("--small-ring", type=float, default=1.0, help="D's ring bound, MB (1)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(machine_header("bench/recording.py: a clip being written vs detection alone"))
    install_meter()
    install_writer_meter()
    started = time.monotonic()
    clips: list[tuple[ClipRequest, ClipInfo | None, BaseException | None]] = []

    def on_clip(request: ClipRequest, info: ClipInfo | None, error: BaseException | None) -> None:
        clips.append((request, info, error))

    with tempfile.TemporaryDirectory(prefix="cam_events_recording_") as tmp:
        folder = Path(tmp)
        # Long enough not to loop (a loop is a reconnect, which ends the clip being written).
        length = PREROLL + 2.0 + args.rounds * (2 * args.seconds + POSTROLL + 3.0) + 8.0
        clip = encode_camera_clip(
            folder / "camera.mp4", seconds=length, bitrate=int(args.bitrate * 1e6)
        )
        gop_seconds = clip.gop / clip.fps
        print(f"clip: {clip.describe()}")
        small = int(args.small_ring * 1e6)
        recorders = {
            "B": ClipRecorder(folder / "B", preroll=PREROLL, postroll=POSTROLL, on_clip=on_clip),
            "C": ClipRecorder(folder / "C", preroll=PREROLL, postroll=POSTROLL),
            "D": ClipRecorder(folder / "D", preroll=PREROLL, max_ring_bytes=small),
        }
        bounds = {"B": DEFAULT_MAX_BYTES, "C": DEFAULT_MAX_BYTES, "D": small}
        listeners = {name: CountingListener() for name in "ABCD"}
        workers = {
            name: StreamWorker(
                name,
                StreamSource(str(clip.path)),
                listeners[name],
                WorkerSettings(detect=True),
                recorder=recorders.get(name),
            )
            for name in "ABCD"
        }
        for worker in workers.values():
            worker.start()
            time.sleep(0.1)
        sampler = RingSampler(recorders)
        sampler.start()
        time.sleep(PREROLL + 2.0)  # rings full
        recorder = recorders["B"]
        off: list[tuple[float, float]] = []
        on: list[tuple[float, float]] = []
        process = {"off": [0.0, 0.0], "on": [0.0, 0.0]}  # CPU s, wall s
        other: dict[str, list[float]] = {"off": [], "on": []}
        cpus = os.cpu_count() or 1
        for round_index in range(args.rounds):
            for phase in ("off", "on"):
                t0, cpu0, stat0 = time.monotonic(), process_cpu(), cpu_times()
                keys: list[str] = []
                if phase == "on":
                    key_time = t0
                    while time.monotonic() < t0 + args.seconds:
                        if time.monotonic() >= key_time:
                            key = f"r{round_index}e{len(keys)}"
                            recorder.request(key, f"round{round_index}", hold=True)
                            if keys:
                                recorder.release(keys[-1])
                            keys.append(key)
                            key_time += REQUEST_EVERY
                        time.sleep(0.05)
                else:
                    time.sleep(args.seconds)
                t1, cpu1, stat1 = time.monotonic(), process_cpu(), cpu_times()
                (on if phase == "on" else off).append((t0, t1))
                process[phase][0] += cpu1 - cpu0
                process[phase][1] += t1 - t0
                other[phase].append(busy_fraction(stat0, stat1) * cpus - (cpu1 - cpu0) / (t1 - t0))
                if phase == "on":
                    for key in keys:
                        recorder.release(key)
                    # The clip ends at its post-roll; let the writer close it before "off".
                    deadline = time.monotonic() + POSTROLL + 15.0
                    while recorder.active is not None and time.monotonic() < deadline:
                        time.sleep(0.1)
                    while len(WRITERS) < round_index + 1 and time.monotonic() < deadline:
                        time.sleep(0.1)
                print(
                    f"  round {round_index + 1} {phase:>3}: {t1 - t0:.1f} s, process"
                    f" {(cpu1 - cpu0) / (t1 - t0):.3f} cores",
                    flush=True,
                )
        sampler.stop.set()
        for worker in workers.values():
            worker.stop()
        for rec in recorders.values():
            rec.close()
        errors = {name: len(listener.errors) for name, listener in listeners.items()}

    a_off = per_frame("A", off, gop_seconds)
    a_on = per_frame("A", on, gop_seconds)
    b_off = per_frame("B", off, gop_seconds)
    b_on = per_frame("B", on, gop_seconds)
    c_off = per_frame("C", off, gop_seconds)
    c_on = per_frame("C", on, gop_seconds)
    d_all = per_frame("D", off + on, gop_seconds)
    done = [(req, info) for req, info, err in clips if info is not None]
    failed = [err for _, info, err in clips if info is None]
    writer_ns = sum(ns for _, ns in WRITERS)
    writer_frames = sum(info.frames for _, info in done)
    writer_pf = writer_ns / 1e9 / writer_frames if writer_frames else float("nan")
    on_total = b_on + writer_pf

    print("\n  CPU per frame (ms)        off windows   on windows")
    print(f"    A detection alone        {a_off * 1e3:9.3f}   {a_on * 1e3:10.3f}")
    print(f"    B + recorder (worker)    {b_off * 1e3:9.3f}   {b_on * 1e3:10.3f}")
    print(f"    B clip writer thread     {'':>9}   {writer_pf * 1e3:10.3f}")
    print(f"    B total                  {b_off * 1e3:9.3f}   {on_total * 1e3:10.3f}")
    print(f"    C ring only              {c_off * 1e3:9.3f}   {c_on * 1e3:10.3f}")
    print(f"    D small ring (all)       {d_all * 1e3:9.3f}")
    for phase in ("off", "on"):
        cpu, wall = process[phase]
        print(
            f"  process, {phase:>3} windows: {cpu / wall:.3f} cores (other processes"
            f" {median(other[phase]):.2f} cores)"
        )
    for req, info in done:
        print(
            f"  clip {info.path.name}: {info.duration:.1f} s, {info.frames} frames,"
            f" {info.size / 1e6:.1f} MB, {len(req.keys)} requests, dropped {info.dropped}"
        )
    for err in failed:
        print(f"  clip FAILED: {err}")
    print(f"  writer threads: {len(WRITERS)}, {writer_ns / 1e9:.3f} s CPU in all")
    print(f"  stream errors: {errors}")
    print(
        "\n  ring (sampled every 100 ms)  largest MB  bound MB | longest span s: arrival"
        " (media)  largest gap between arrivals s"
    )
    for name in ("B", "C", "D"):
        print(
            f"    {name}                        {sampler.largest[name] / 1e6:10.2f}"
            f"  {bounds[name] / 1e6:8.1f} | {sampler.longest[name]:21.1f}"
            f" ({sampler.media[name]:.1f})  {sampler.gap[name]:14.2f}"
        )
    expected = clip.mbps / 8 * (PREROLL + gop_seconds)
    print(
        f"    a 5 s pre-roll from a key frame at {clip.mbps:.2f} Mbit/s holds about"
        f" {expected:.2f} MB (pre-roll + one GOP)"
    )

    ratio_b = on_total / b_off  # the same thread, on windows against off windows
    ratio_a = on_total / a_on  # against detection alone in the same windows
    # Difference in differences: B's on/off change over A's (the machine's drift between
    # windows, and B's and A's own per-thread bias, both cancel).
    effect = ratio_b / (a_on / a_off)
    ring_ok = all(sampler.largest[name] <= bounds[name] for name in ("B", "C", "D"))
    media_limit = PREROLL + gop_seconds + 1.5 / clip.fps
    preroll_ok = all(sampler.media[name] <= media_limit for name in ("B", "C"))
    print("\n-- verdicts (from this run) --")
    print(
        f"  {verdict(effect <= TARGET)}  a clip being written: {effect:.4f}x detection alone"
        f" (B on/off over A on/off; target <= {TARGET})"
    )
    print(
        f"  info  B recording on / off {ratio_b:.4f}x, A in the same windows {a_on / a_off:.4f}x;"
        f" B on / A on {ratio_a:.4f}x; the ring alone (C / A, off windows) {c_off / a_off:.4f}x;"
        f" the writer thread {writer_pf / a_on:.2%} of a frame's CPU"
    )
    print(
        f"  {verdict(ring_ok)}  ring within its byte bound: B {sampler.largest['B'] / 1e6:.2f} MB,"
        f" C {sampler.largest['C'] / 1e6:.2f} MB (bound {DEFAULT_MAX_BYTES / 1e6:.0f} MB), D"
        f" {sampler.largest['D'] / 1e6:.2f} MB (bound {small / 1e6:.1f} MB)"
    )
    print(
        f"  {'info' if preroll_ok else 'NOTE'}  pre-roll span: B and C held at most"
        f" {max(sampler.media['B'], sampler.media['C']):.1f} s of media"
        f" ({max(sampler.largest['B'], sampler.largest['C']) / 1e6:.2f} MB) against"
        f" {PREROLL:.0f} s + one GOP = {PREROLL + gop_seconds:.0f} s"
        + (
            ""
            if preroll_ok
            else "; the ring trims by arrival time, so a stall of the stream thread (see the"
            " largest gap) makes it hold more media than the pre-roll needs"
        )
    )
    print(f"  total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
