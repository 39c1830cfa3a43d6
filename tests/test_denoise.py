"""The noise front end (voice_coach/denoise.py): transparent at unit gain, turns a steady hiss down, keeps a tone."""

from __future__ import annotations

import numpy as np

from voice_coach.speech.denoise import denoise


def pcm(x: np.ndarray) -> bytes:
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def samples(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<i2").astype(np.float64)


def test_unit_gain_gives_the_audio_back() -> None:
    x = pcm(np.random.default_rng(1).normal(0.0, 2000.0, 16000 + 77))
    assert denoise(x, floor=1.0) == x


def test_short_or_odd_audio_is_passed_through() -> None:
    assert denoise(b"") == b""
    assert denoise(bytes(101)) == bytes(100)


def test_hiss_is_turned_down_and_a_tone_over_it_kept() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(48000) / 16000.0
    hiss = rng.normal(0.0, 1000.0, len(t))
    tone = np.where((t > 1.0) & (t < 2.0), 6000.0 * np.sin(2 * np.pi * 440.0 * t), 0.0)
    out = samples(denoise(pcm(hiss + tone)))
    quiet, loud = (t < 0.8), (t > 1.2) & (t < 1.8)
    assert np.std(out[quiet]) < 0.35 * np.std(hiss[quiet])  # the background alone: down by about 10 dB or more
    kept = np.dot(out[loud], tone[loud]) / np.dot(tone[loud], tone[loud])
    assert 0.85 < kept < 1.1  # the tone comes through at its level


def test_noise_reference_is_used_when_given() -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 1500.0, 16000)
    x = pcm(rng.normal(0.0, 1500.0, 16000))
    assert np.std(samples(denoise(x, pcm(noise)))) < 0.35 * 1500.0


def test_sphinx_with_the_front_end_still_understands_the_held_out_voice() -> None:
    """The switch (off by default): in a quiet room the front end leaves the audio as it is (the background is
    under its residual level), so the held-out voice is understood as well as without it (22 of 28 either way)."""
    from tests.test_recognition_quality import understood
    from voice_coach.speech.recognizers import known_phrases
    from voice_coach.speech.sphinx import SphinxRecognizer

    right, total, misses = understood(SphinxRecognizer(known_phrases(), denoise=True), "heldout")
    assert total == 28 and right >= 22, misses
