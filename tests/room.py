"""Room audio for the resident listener's tests and scripts/bench_wake.py: espeak-ng speech (real synthetic WAVs)
placed in a stream with silence, noise and other talk; seeded, so the same day is made every time."""

from __future__ import annotations

import subprocess
from functools import cache

import numpy as np

from voice_coach.speech.audio_io import SAMPLE_RATE

PEAK = 0.5 * 32767
"""Speech is peak-normalised to -6 dBFS, as in tests/audio."""
FLOOR_DBFS = -70.0
"""A faint noise floor instead of digital zeros (real microphones never give exact zeros)."""


@cache
def speak(text: str, voice: str = "en-us", wpm: int = 175, effects: tuple[str, ...] = (),
          pitch: int | None = None) -> np.ndarray:
    """espeak-ng → sox (16 kHz mono, then `effects`) → samples, trimmed and peak-normalised."""
    tts = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), *(["-p", str(pitch)] if pitch is not None else []),
                          "--stdout", text], check=True, capture_output=True).stdout
    raw = subprocess.run(["sox", "-R", "-D", "-t", "wav", "-", "-t", "raw", "-e", "signed-integer", "-b", "16",
                          "-c", "1", "-L", "-r", str(SAMPLE_RATE), "-", *effects], input=tts, check=True,
                         capture_output=True).stdout
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    loud = np.nonzero(np.abs(x) > 0.02 * np.abs(x).max())[0]
    x = x[max(0, loud[0] - 320):loud[-1] + 320]
    return x * (PEAK / np.abs(x).max())


class Track:
    """A stream of room audio built in order: `add` speech (or any samples) after a gap, `pcm()` at the end."""

    def __init__(self, seed: int = 0) -> None:
        self.parts: list[np.ndarray] = []
        self.rng = np.random.default_rng(seed)
        self.marks: list[tuple[float, float, str]] = []
        """(start, end seconds, label) of each part added with a label."""

    @property
    def seconds(self) -> float:
        return sum(len(p) for p in self.parts) / SAMPLE_RATE

    def gap(self, seconds: float) -> Track:
        self.parts.append(np.zeros(int(seconds * SAMPLE_RATE)))
        return self

    def add(self, x: np.ndarray, label: str = "", *, after: float = 0.0, gain_db: float = 0.0) -> Track:
        self.gap(after)
        start = self.seconds
        self.parts.append(x * 10 ** (gain_db / 20))
        if label:
            self.marks.append((start, self.seconds, label))
        return self

    def say(self, text: str, voice: str = "en-us", wpm: int = 175, *, after: float = 1.5,
            effects: tuple[str, ...] = (), gain_db: float = 0.0) -> Track:
        return self.add(speak(text, voice, wpm, effects), text, after=after, gain_db=gain_db)

    def pcm(self, floor_dbfs: float = FLOOR_DBFS) -> bytes:
        x = np.concatenate(self.parts) if self.parts else np.zeros(0)
        x = x + self.rng.normal(0.0, 32767 * 10 ** (floor_dbfs / 20), len(x))
        return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
