#!/usr/bin/env python3
"""Memory of the resident listener over hours of room audio: its resident size after each 5-minute segment, apart
from the making of the audio (which runs first, in its own process, and is measured on its own).

    nice -n 10 .venv/bin/python scripts/bench_listen_memory.py make DIR --minutes 120 --seed 51
    nice -n 10 .venv/bin/python scripts/bench_listen_memory.py listen DIR --json docs/X.json [--tracemalloc]
    nice -n 10 .venv/bin/python scripts/bench_listen_memory.py cli DIR --json docs/Y.json

`make` writes the room audio of scripts/bench_wake.py (the same talk, real clips, music and noise, each segment
from its own seed) as DIR/seg_NNN.wav and its own RSS per segment (DIR/make.json). `listen` streams the segments
through the waiting-state pipeline exactly as bench_wake does (the endpointer, the wake grammar, the early
decision, the Whisper check, the second chance), reading one segment at a time, and records after each segment
the current RSS (/proc/self/status VmRSS, not the peak) before and after glibc's malloc_trim (what the
allocator keeps for reuse, apart from what is held), the Python heap traced by tracemalloc (`--tracemalloc`:
slower), the count of objects the garbage collector tracks, the size of every structure that is kept between
utterances, and every false wake with the rule that let it through. `cli` runs the real `voice-coach listen
--input DIR --output text --db DB` (the resident loop, the journal writes of each wake and near miss, the
"Yes?" that follows a wake) in its own process and samples its VmRSS every second from outside, by the segment
it has open. Growth is the least-squares slope of RSS over audio hours, from the second segment on (the first
loads the models and warms the allocator).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_wake  # noqa: E402

from voice_coach.speech.audio_io import read_wav, write_wav  # noqa: E402


def rss_mb(pid: int | str = "self") -> float:
    """The current resident size (VmRSS), in MB; 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def trimmed_rss_mb() -> float:
    """The resident size after glibc hands its free memory back to the system (malloc_trim): what the process
    holds, apart from what the allocator keeps for reuse."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return 0.0
    return rss_mb()


def slope_mb_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares MB per audio hour over (minutes, MB) points, from the second one on."""
    pts = points[1:]
    if len(pts) < 3:
        return None
    x = np.array([p[0] for p in pts]) / 60
    y = np.array([p[1] for p in pts])
    return round(float(np.polyfit(x, y, 1)[0]), 2)


def make(folder: Path, minutes: float, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, float] = {}
    rows = []
    for index, pcm in enumerate(bench_wake.room_segments(minutes, seed, made, bench_wake.real_clips())):
        write_wav(folder / f"seg_{index:03d}.wav", pcm)
        rows.append({"segment": index, "rss_mb": round(rss_mb(), 1)})
        bench_wake.log(f"made segment {index}: RSS {rows[-1]['rss_mb']} MB")
    points = [(bench_wake.SEGMENT_MINUTES * (r["segment"] + 1), r["rss_mb"]) for r in rows]
    (folder / "make.json").write_text(json.dumps({
        "minutes": minutes, "seed": seed, "made_minutes": {k: round(v, 1) for k, v in made.items()},
        "rss_per_segment": rows, "growth_mb_per_hour": slope_mb_per_hour(points)}, indent=2) + "\n")


def segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("seg_*.wav"))


def kept_sizes(detector: Any, listener: Any) -> dict[str, int]:
    """The size of every structure the listener's path keeps between utterances."""
    check = detector.check
    sizes = {"detector_results": len(detector.results), "listener_reports": len(listener.reports),
             "listener_recent": len(listener._recent), "detector_pcm_bytes": len(detector._pcm)}
    if check is not None:
        sizes |= {"check_starts": len(check._starts), "check_forms": len(check._forms)}
    grammar = detector.grammar
    sizes["sphinx_searches"] = len(grammar.main._searches)
    return sizes


def listen(folder: Path, out_path: Path, trace: bool) -> None:
    from voice_coach.access.profile import Profile, endpoint_options
    from voice_coach.coach.clocks import VirtualClock
    from voice_coach.coach.ports import EndOfInput, Expectation
    from voice_coach.listen.listener import SECOND_CHANCE_SECONDS
    from voice_coach.speech.audio_io import BlockSource
    from voice_coach.speech.listener import StreamListener
    from voice_coach.speech.wiring import endpoint_settings

    if trace:
        tracemalloc.start(12)
    detector, _, phrases = bench_wake.pipeline()
    rows: list[dict[str, Any]] = []
    snapshots: list[Any] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    state: dict[str, Any] = {}

    def blocks() -> Iterator[bytes]:
        for index, path in enumerate(segments(folder)):
            if index:
                note(index)
            yield read_wav(path)

    def note(done: int) -> None:
        gc.collect()
        row = {"segment": done - 1, "minutes": done * bench_wake.SEGMENT_MINUTES, "rss_mb": round(rss_mb(), 1),
               "rss_after_malloc_trim_mb": round(trimmed_rss_mb(), 1),
               "gc_objects": len(gc.get_objects()), "whisper_runs": detector.whisper_runs,
               "early_runs": detector.early_runs, "utterances": state.get("utterances", 0),
               "cpu_seconds": round(time.process_time() - cpu0, 1),
               "wall_seconds": round(time.perf_counter() - wall0, 1), **kept_sizes(detector, listener)}
        if trace:
            row["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 2)
            if done in (2, len(segments(folder))):
                snapshots.append(tracemalloc.take_snapshot())
        rows.append(row)
        bench_wake.log(f"after segment {done - 1}: {row}")

    source = BlockSource(blocks(), name="room")
    listener = StreamListener(source, detector, endpoint_settings(**endpoint_options(Profile())))
    listener.on_early, listener.decide_early = (lambda: None), detector.early
    clock, expect = VirtualClock(), Expectation(phrases, True, "listen_waiting")
    wakes: list[dict[str, Any]] = []
    near = 0
    lenient_until = -1.0
    last: Any = None
    refused: list[tuple[Any, ...]] = []
    try:
        while True:
            detector.lenient = clock.now() < lenient_until
            heard = listener.listen(None, clock, expect)
            for result in detector.take_results():
                state["utterances"] = state.get("utterances", 0) + 1
                if result.outcome == "near_miss":
                    near += 1
                    lenient_until = clock.now() + SECOND_CHANCE_SECONDS
                elif result.outcome == "wake":
                    last = result
                if result.grammar.endswith("/unanchored"):
                    refused.append((round(clock.now() / 60, 2), result.transcript,
                                    None if result.gap is None else round(result.gap, 2)))
            if heard is not None:
                report = listener.reports[-1]
                wakes.append({"at_minutes": round(clock.now() / 60, 2), "text": heard.text,
                              "early": report.early_seconds is not None,
                              "transcript": last.transcript if last else None,
                              "gap": None if last is None or last.gap is None else round(last.gap, 2)})
                bench_wake.log(f"false wake: {wakes[-1]}")
    except EndOfInput:
        pass
    note(len(segments(folder)))
    top: list[str] = []
    if trace and len(snapshots) == 2:
        top = [str(s) for s in snapshots[1].compare_to(snapshots[0], "traceback")[:8]]
    points = [(r["minutes"], r["rss_mb"]) for r in rows]
    hours = source.position / 32000 / 3600
    cpu = time.process_time() - cpu0
    doc = {"folder": str(folder), "hours": round(hours, 3), "tracemalloc": trace,
           "rss_first_mb": rows[0]["rss_mb"], "rss_last_mb": rows[-1]["rss_mb"],
           "rss_growth_mb_per_hour": slope_mb_per_hour(points),
           "rss_after_malloc_trim_growth_mb_per_hour": slope_mb_per_hour(
               [(r["minutes"], r["rss_after_malloc_trim_mb"]) for r in rows]),
           "traced_growth_mb_per_hour": slope_mb_per_hour([(r["minutes"], r["traced_mb"]) for r in rows])
           if trace else None,
           "false_wakes": len(wakes), "near_misses": near, "wakes": wakes,
           "refused_by_the_anchor_rule": refused,
           "whisper_runs": detector.whisper_runs, "early_runs": detector.early_runs,
           "cpu_percent_of_a_core": round(100 * cpu / (hours * 3600), 2),
           "cpu_seconds_per_hour_of_audio": round(cpu / hours, 1),
           "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
           "rows": rows, "tracemalloc_top_growth": top}
    out_path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"{hours:.2f} h: RSS {doc['rss_first_mb']} -> {doc['rss_last_mb']} MB "
          f"({doc['rss_growth_mb_per_hour']} MB/h after the first segment); {len(wakes)} false wakes; CPU "
          f"{doc['cpu_percent_of_a_core']} % of a core; {out_path}")


def cli(folder: Path, out_path: Path) -> None:
    """The real `voice-coach listen` over the segments, its RSS sampled from outside by the segment it reads."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp, "VOICE_COACH_HOME": str(Path(tmp) / "vc")}
        log = Path(tmp) / "out.txt"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "voice_coach.cli.main", "listen", "--input", str(folder),
                                     "--output", "text", "--db", str(Path(tmp) / "j.db"), "--start-at", "23:00"],
                                    stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
            by_segment: dict[str, float] = {}
            while proc.poll() is None:
                now = rss_mb(proc.pid)
                try:
                    open_files = [os.readlink(f"/proc/{proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{proc.pid}/fd")]
                except OSError:
                    open_files = []
                for name in open_files:
                    if name.startswith(str(folder)) and name.endswith(".wav"):
                        seg = Path(name).stem
                        by_segment[seg] = max(by_segment.get(seg, 0.0), now)
                time.sleep(1.0)
        text = log.read_text(errors="replace")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    seconds = sum(len(read_wav(p)) for p in segments(folder)) / 32000
    rows = [{"segment": s, "rss_mb": round(v, 1)} for s, v in sorted(by_segment.items())]
    points = [(bench_wake.SEGMENT_MINUTES * (i + 1), r["rss_mb"]) for i, r in enumerate(rows)]
    doc = {"folder": str(folder), "exit_code": proc.returncode, "hours": round(seconds / 3600, 3),
           "cpu_percent_of_a_core": round(100 * cpu / seconds, 2), "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
           "load_average_at_end": [round(x, 2) for x in os.getloadavg()], "rss_per_segment": rows,
           "rss_growth_mb_per_hour": slope_mb_per_hour(points),
           "wakes": [line for line in text.splitlines() if "] wake: " in line],
           "near_misses": sum("] near miss: " in line for line in text.splitlines()),
           "tail": text.splitlines()[-5:]}
    out_path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"cli: RSS per segment {[r['rss_mb'] for r in rows]} ({doc['rss_growth_mb_per_hour']} MB/h); "
          f"{len(doc['wakes'])} wakes; exit {proc.returncode}; {out_path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("make", "listen", "cli"))
    ap.add_argument("folder", type=Path)
    ap.add_argument("--minutes", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=51)
    ap.add_argument("--json", type=Path, default=ROOT / "bench-results" / "listen_memory.json")
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    if args.what == "make":
        make(args.folder, args.minutes, args.seed)
    elif args.what == "listen":
        listen(args.folder.resolve(), args.json, args.tracemalloc)
    else:
        cli(args.folder.resolve(), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
