#!/usr/bin/env python3
"""The answer tone heard back by the microphone: does the request said after it still come through?

    nice .venv/bin/python scripts/bench_wake_tone.py [--levels-db -18 -6] [--out bench-results/wake_tone.json]

On a live microphone with a loudspeaker and no echo canceller, the tone that answers "okay coach" at the first
pause is recorded into the same utterance as the request that follows ("okay coach, check in"). For each wake trial
of scripts/bench_wake.py (held-out voices, two speeds, quiet) with a request, the stream is run once as it is; when
the wake was answered by the tone, the tone (voice_coach.speech.earcon, resampled to 16 kHz) is mixed into the
stream where it would have played, `--levels-db` below its own level (-12 dBFS), and the stream is run again.
Right request = the wake's text is the phrase said. Needs the Whisper check (VOICE_COACH_WHISPER on).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_wake as bw  # noqa: E402

from voice_coach.speech.audio_io import SAMPLE_RATE, resample  # noqa: E402
from voice_coach.speech.earcon import earcon_clip  # noqa: E402

REQUESTS = [", check in", " check in", " start", " what's today"]


def with_tone(pcm: bytes, at: float, tone: np.ndarray, level_db: float) -> bytes:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64).copy()
    i = int(at * SAMPLE_RATE)
    if i < len(x):
        part = tone[:len(x) - i] * 10 ** (level_db / 20)
        x[i:i + len(part)] += part
    return bw.to_pcm(x)


def first_wake(pcm: bytes, start: float, detector: Any, phrases: tuple[str, ...]) -> dict[str, Any] | None:
    wakes = [w for w in bw.stream(pcm, detector, phrases)["wakes"] if w["at"] >= start]
    return wakes[0] if wakes else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--levels-db", type=float, nargs="+", default=[-18.0, -6.0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "wake_tone.json")
    args = parser.parse_args(argv)
    clip = earcon_clip()
    tone = resample(clip.samples.astype(np.float64), clip.sample_rate, SAMPLE_RATE)
    detector, _, phrases = bw.pipeline()
    if detector.check is None:
        print("bench_wake_tone: the Whisper check is off or not installed; the tone needs it", file=sys.stderr)
        return 2
    rows = []
    for vi, (voice, wpm) in enumerate(bw.HELD_VOICES):
        for speed in (wpm, 120):
            for request in REQUESTS:
                text = bw.WAKE + request
                pcm, start, _ = bw.wake_clip(text, voice, speed, "quiet", 1000 * vi + speed)
                wake = first_wake(pcm, start, detector, phrases)
                if wake is None or wake["early"] is None:
                    continue  # not answered by the tone: nothing to hear back
                at = wake["early"] + wake["early_check"]
                row: dict[str, Any] = {"voice": voice, "wpm": speed, "text": text, "without_tone": wake["text"]}
                for level in args.levels_db:
                    again = first_wake(with_tone(pcm, at, tone, level), start, detector, phrases)
                    row[f"tone_{level:g}dB"] = again["text"] if again else None
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    said_right = {key: sum(r[key] == r["text"].replace(",", "") for r in rows)
                  for key in ["without_tone", *(f"tone_{level:g}dB" for level in args.levels_db)]}
    doc = {"trials_answered_by_tone": len(rows), "right_request": said_right, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"{len(rows)} wakes answered by the tone; right request: " +
          ", ".join(f"{k} {v}" for k, v in said_right.items()) + f"; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
