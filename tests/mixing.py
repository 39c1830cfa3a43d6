"""Noise mixed into test audio the same way in the tests and in scripts/bench_speech.py: white noise or other
voices at a given SNR below the speech (the RMS of samples over 2 % of the clip's peak)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from voice_coach.speech.audio_io import read_wav

AUDIO = Path(__file__).parent / "audio"


def speech_rms(x: np.ndarray) -> float:
    """RMS of the samples over 2 % of the peak: the speech's level, not its silence's."""
    speech = x[np.abs(x) > 0.02 * np.abs(x).max()]
    return float(np.sqrt(np.mean(speech ** 2)))


def to_pcm(x: np.ndarray) -> bytes:
    """Samples rounded and clipped to 16-bit PCM."""
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def placed(seconds: float, clips: list[tuple[bytes, float]]) -> bytes:
    """`seconds` of digital silence with each clip added at its start time (seconds): one stream of replies."""
    track = np.zeros(int(seconds * 16000))
    for pcm, at in clips:
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        start = int(at * 16000)
        track[start:start + len(x)] += x
    return to_pcm(track)


def with_white_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """White Gaussian noise `snr_db` below the speech."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    sigma = speech_rms(x) / 10 ** (snr_db / 20)
    return to_pcm(x + np.random.default_rng(seed).normal(0.0, sigma, len(x)))


@cache
def _babble() -> np.ndarray:
    return np.frombuffer(read_wav(AUDIO / "noise" / "babble.wav"), dtype="<i2").astype(np.float64)


def babble(samples: int, speech_rms: float, snr_db: float, seed: int) -> np.ndarray:
    """`samples` of other people talking (tests/audio/noise/babble.wav, looped from a seeded offset), `snr_db`
    below speech of RMS `speech_rms`."""
    b = _babble()
    start = int(np.random.default_rng(seed).integers(0, max(1, len(b) - samples)))
    b = np.resize(b[start:], samples)
    return np.asarray(b * (speech_rms / 10 ** (snr_db / 20) / max(1e-9, float(np.sqrt(np.mean(b ** 2))))))


def with_babble(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """Other people talking `snr_db` below the speech."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return to_pcm(x + babble(len(x), speech_rms(x), snr_db, seed))


def babble_like(pcm: bytes, seconds: float, snr_db: float, seed: int) -> bytes:
    """`seconds` of other people talking alone, `snr_db` below the speech in `pcm`."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return to_pcm(babble(int(seconds * 16000), speech_rms(x), snr_db, seed))


def with_own_tail(pcm: bytes, seconds: float) -> bytes:
    """The clip followed by `seconds` of its own background (its first 0.3 s, repeated): an utterance as the
    endpointer leaves it, the noise going on after the speech."""
    lead = pcm[:int(0.3 * 32000) & ~1] or bytes(9600)
    need = int(seconds * 32000)
    return pcm + (lead * (need // len(lead) + 1))[:need]
