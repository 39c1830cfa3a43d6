#!/usr/bin/env python3
"""Memory benchmark for long recordings (issue 19, item 6): peak RSS and time of `voice-coach recognize` and of a
session with `--input FILE.wav` on a 10-minute and a 2-hour 48 kHz stereo recording.

    .venv/bin/python scripts/bench_memory.py [--minutes 10 120] [--backend auto] [--json PATH] [--keep DIR]

The recordings are generated (never committed) in a temporary folder, a block at a time: quiet room noise
(about -65 dBFS, different in each channel) with a phrase spoken by espeak-ng every 15-25 s (replies such as
"yes", "five", "next" and talk not meant for the coach such as "put the kettle on"; never "stop" or a symptom,
so that the session keeps listening). Each command runs in its own process, as a person runs it (HOME and
VOICE_COACH_HOME in the temporary folder); its peak RSS is the kernel's (wait4's ru_maxrss). The target: flat
(the 2-hour figure within 10 % of the 10-minute one) and under 400 MB whatever the length. Figures are printed
and written as JSON (bench-results/memory.json by default).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_coach.speech.audio_io import read_wav, resample  # noqa: E402

RATE, CHANNELS = 48000, 2
PHRASES = ("yes", "no", "five", "three", "seven", "next", "repeat", "resume", "put the kettle on",
           "what time is it", "the weather is nice today", "ten")
NOISE_DBFS = -65.0
TARGET_MB = 400.0
FLAT_TOLERANCE = 0.10


def speak(text: str, folder: Path) -> np.ndarray:
    """`text` said by espeak-ng, at 48 kHz (int16-scale floats)."""
    path = folder / (text.replace(" ", "_") + ".wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(path), text], check=True)
    return resample(np.frombuffer(read_wav(path), dtype="<i2").astype(np.float64), 16000, RATE)


def generate(path: Path, seconds: float, clips: list[np.ndarray], seed: int) -> int:
    """Write a `seconds`-long 48 kHz stereo 16-bit WAV a minute at a time; the number of phrases placed."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * RATE)
    data_bytes = frames * CHANNELS * 2
    noise_rms = 32768 * 10 ** (NOISE_DBFS / 20)
    next_at = int(rng.uniform(3, 8) * RATE)
    placed = 0
    with path.open("wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, CHANNELS, RATE, RATE * CHANNELS * 2, CHANNELS * 2, 16))
        f.write(b"data" + struct.pack("<I", data_bytes))
        longest = max(len(c) for c in clips)
        carry = np.zeros(longest)
        for start in range(0, frames, 60 * RATE):
            n = min(60 * RATE, frames - start)
            block = rng.normal(0, noise_rms, (n, CHANNELS))
            voice = np.zeros(n + longest)
            voice[:longest] += carry
            while next_at < start + n:
                clip = clips[rng.integers(len(clips))] * rng.uniform(0.5, 1.0)
                voice[next_at - start:next_at - start + len(clip)] += clip
                placed += 1
                next_at += int(rng.uniform(15, 25) * RATE)
            carry = voice[n:]
            voice = voice[:n]
            block += voice[:, None] * np.array([1.0, 0.8])[None, :]
            f.write(np.clip(np.round(block), -32768, 32767).astype("<i2").tobytes())
    return placed


def run(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One command in its own process: its exit code, wall time, peak RSS and output."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "voice_coach.cli.main", *args], stdout=out, stderr=err,
                                cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    return {"exit_code": proc.returncode, "seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "stdout": stdout, "stderr": stderr}


def bench(minutes: float, backend: str, work: Path, clips: list[np.ndarray]) -> dict[str, Any]:
    wav = work / f"long_{minutes:g}min_48k_stereo.wav"
    placed = generate(wav, minutes * 60, clips, seed=int(minutes))
    env = {**os.environ, "HOME": str(work / "home"), "VOICE_COACH_HOME": str(work / "home" / "vc"),
           "VOICE_COACH_INPUT": "text", "VOICE_COACH_OUTPUT": "text"}
    rec = run(["recognize", "--backend", backend, "--json", str(wav)], env)
    utterances = 0
    if rec["exit_code"] == 0:
        utterances = len(json.loads(rec["stdout"])["files"][0]["utterances"])
    db = work / f"journal_{minutes:g}.sqlite3"
    ses = run(["session", "--program", "resistance", "--input", str(wav), "--backend", backend, "--db", str(db)], env)
    heard = ses["stdout"].count("\ncoach: ")
    row = {"minutes": minutes, "file_mb": round(wav.stat().st_size / 2**20, 1), "phrases_placed": placed,
           "recognize": {k: rec[k] for k in ("exit_code", "seconds", "peak_rss_mb")} | {"utterances": utterances},
           "session": {k: ses[k] for k in ("exit_code", "seconds", "peak_rss_mb")} | {
               "coach_lines": heard, "end": ses["stderr"].strip().splitlines()[-1:] or [""]}}
    for name, res in (("recognize", rec), ("session", ses)):
        if res["exit_code"] != 0:
            row[name]["stderr"] = res["stderr"][-500:]
    wav.unlink()
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[10.0, 120.0], help="recording lengths")
    ap.add_argument("--backend", default="auto", choices=("auto", "pocketsphinx", "vosk"))
    ap.add_argument("--json", type=Path, default=ROOT / "bench-results" / "memory.json")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (the WAVs are deleted after use)")
    args = ap.parse_args()
    if shutil.which("espeak-ng") is None:
        print("bench_memory: espeak-ng is needed to speak the phrases (apt install espeak-ng)", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_memory_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        clips = [speak(p, work) for p in PHRASES]
        rows = []
        for minutes in args.minutes:
            row = bench(minutes, args.backend, work, clips)
            rows.append(row)
            r, s = row["recognize"], row["session"]
            print(f"{minutes:6g} min ({row['file_mb']:7.1f} MB, {row['phrases_placed']} phrases): recognize "
                  f"{r['peak_rss_mb']:6.1f} MB peak, {r['seconds']:6.1f} s, {r['utterances']} utterances, exit "
                  f"{r['exit_code']}; session --input {s['peak_rss_mb']:6.1f} MB peak, {s['seconds']:6.1f} s, exit "
                  f"{s['exit_code']} ({s['end'][0] if s['end'] else ''})", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    peaks = [row[cmd]["peak_rss_mb"] for row in rows for cmd in ("recognize", "session")]
    flat = all(abs(rows[-1][cmd]["peak_rss_mb"] - rows[0][cmd]["peak_rss_mb"])
               <= FLAT_TOLERANCE * rows[0][cmd]["peak_rss_mb"] for cmd in ("recognize", "session"))
    ok = max(peaks) < TARGET_MB and flat
    summary = {"backend": args.backend, "target_mb": TARGET_MB, "max_peak_rss_mb": max(peaks), "flat": flat,
               "passed": ok, "runs": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"max peak RSS {max(peaks):.1f} MB (target < {TARGET_MB:g} MB), flat within {FLAT_TOLERANCE:.0%}: "
          f"{'yes' if flat else 'no'} -> {'PASS' if ok else 'FAIL'}; figures in {args.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
