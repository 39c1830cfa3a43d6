"""The audio signal every speech stage shares: its format, one level meter (dBFS), the voice-activity test, noise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SAMPLE_RATE = 16000
"""Samples per second of every stage's audio: 16 kHz mono signed 16-bit little-endian PCM."""
BYTES_PER_SECOND = SAMPLE_RATE * 2
FULL_SCALE = 32768.0
LEVEL_FRAME_SAMPLES = 160
"""10 ms: the frames pocketsphinx aligns words to, and the unit of `frame_levels`."""
SILENT_DBFS = -100.0
"""The level of digital silence (the meter adds 1e-10 of full-scale power before the logarithm)."""

VoiceTest = Callable[[bytes], bool]
"""Is this 30 ms frame voice? (webrtcvad by default; tests may pass their own rule.)"""


def samples(pcm: bytes) -> np.ndarray:
    """16-bit PCM as float64 samples (an odd last byte is dropped)."""
    return np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float64)


def frame_levels(pcm: bytes, frame_samples: int = LEVEL_FRAME_SAMPLES) -> np.ndarray:
    """dBFS (mean power) of each whole frame of `frame_samples` (10 ms by default) of 16 kHz int16 audio."""
    x = samples(pcm)
    n = len(x) // frame_samples
    power = (x[:n * frame_samples].reshape(n, frame_samples) ** 2).mean(axis=1)
    return np.asarray(10.0 * np.log10(power / FULL_SCALE ** 2 + 1e-10), dtype=np.float64)


def frame_dbfs(frame: bytes) -> float:
    """dBFS of one frame as a whole (`frame_levels` over all of it; SILENT_DBFS when empty)."""
    count = len(frame) // 2
    return float(frame_levels(frame, count)[0]) if count else SILENT_DBFS


def webrtc_voice_test(aggressiveness: int) -> VoiceTest:
    """webrtcvad's decision for one 30 ms 16 kHz frame (ImportError when the speech extra is not installed)."""
    import webrtcvad

    vad = webrtcvad.Vad(int(aggressiveness))
    return lambda frame: bool(vad.is_speech(frame, SAMPLE_RATE))


NOISE_FLATNESS = 0.47
"""Mean spectral flatness of the louder half of an utterance at which it counts as noise, not speech.
Measured: white noise bursts average at least 0.514 even at 0.25 s (500 random bursts; 1 s: 0.540), in
theory exp(-Euler's gamma) = 0.561; speech on tests/audio averages at most 0.39 (at 10 dB of white noise).
The mean is steadier than the median on the few frames of a short burst: with the median and 0.54, 3 % of
0.5 s noise bursts got through and vosk took them as "yes" or "no"."""
FLATNESS_FRAME = 512


def noise_like(pcm: bytes) -> bool:
    """True when the louder half of the audio is as flat in spectrum as white noise (a hiss, a tap, random
    bytes): both engines fit such sound onto fricative-rich words ("faint", "five") with good scores."""
    x = samples(pcm)
    n = len(x) // FLATNESS_FRAME
    if n < 4:
        return False
    frames = x[:n * FLATNESS_FRAME].reshape(n, FLATNESS_FRAME)
    energy = (frames ** 2).mean(axis=1)
    louder = frames[(energy >= np.median(energy)) & (energy > FULL_SCALE ** 2 * 1e-6)]  # above -60 dBFS
    if len(louder) < 4:
        return False
    power = np.abs(np.fft.rfft(louder * np.hanning(FLATNESS_FRAME), axis=1)) ** 2 + 1e-3
    band = power[:, 4:224]  # 125 Hz to 7 kHz
    flatness = np.exp(np.log(band).mean(axis=1)) / band.mean(axis=1)
    return bool(flatness.mean() >= NOISE_FLATNESS)


LOUD_ABOVE_FLOOR_DB = 9.0
LOUD_MIN_DBFS = -60.0
MIN_LOUD_FRAMES = 8
"""Fewer loud frames than this (80 ms) is a click or a tap, not a word (the shortest command has about 25)."""


def loud_frames(levels: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Which of `levels` (dBFS per frame) are loud: LOUD_ABOVE_FLOOR_DB over the quiet frames of `whole` (the
    utterance they belong to), and above LOUD_MIN_DBFS."""
    floor = float(np.percentile(whole, 10)) if whole.size else 0.0
    return np.asarray(levels >= max(LOUD_MIN_DBFS, floor + LOUD_ABOVE_FLOOR_DB))


def holds_a_word(loud: np.ndarray) -> bool:
    """At least MIN_LOUD_FRAMES loud frames: long enough for a word, not a click."""
    return int(loud.sum()) >= MIN_LOUD_FRAMES
