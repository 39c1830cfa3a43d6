"""The noise front end (noise_front_end.py) on real audio: espeak-ng speech under sox noise through the real
DeepFilterNet runtime, measured, and the setting."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from voice_coach.speech.audio_io import read_wav
from voice_coach.speech.noise_front_end import DeepFilter, downsample, front_end_setting, load_front_end, upsample
from voice_coach.speech.whisper_check import WhisperCheck

from .phrasing import phrases
from .room import speak

AUDIO = Path(__file__).parent / "audio"
RATE = 16000


def sox_noise(kind: str, seconds: float, volume: float = 0.5) -> np.ndarray:
    """`seconds` of sox's `kind` noise ("whitenoise", "pinknoise") as 16 kHz samples."""
    raw = subprocess.run(["sox", "-R", "-n", "-r", str(RATE), "-b", "16", "-c", "1", "-e", "signed-integer",
                          "-t", "raw", "-", "synth", str(seconds), kind, "vol", str(volume)], check=True,
                         capture_output=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x ** 2) + 1e-9))


@pytest.fixture(scope="module")
def front_end() -> DeepFilter:
    return DeepFilter()


@pytest.mark.parametrize("kind", ["whitenoise", "pinknoise"])
def test_speech_is_kept_and_noise_turned_down(front_end: DeepFilter, kind: str) -> None:
    words = speak("I have a cramp in my leg")
    lead = RATE  # a second of noise alone before the words, and half a second after
    clean = np.concatenate([np.zeros(lead), words, np.zeros(RATE // 2)])
    noise = sox_noise(kind, len(clean) / RATE + 0.1)[:len(clean)]
    noise *= np.sqrt(np.mean(words ** 2)) / np.sqrt(np.mean(noise ** 2)) / 10 ** (5 / 20)  # 5 dB SNR
    noisy = np.clip(np.round(clean + noise), -32768, 32767).astype("<i2").tobytes()

    out_pcm = front_end(noisy)
    assert isinstance(out_pcm, bytes) and len(out_pcm) == len(noisy)
    out = np.frombuffer(out_pcm, dtype="<i2").astype(np.float64)
    speech = slice(lead, lead + len(words))
    # aligned with the input (the runtime's delay taken off)
    lags = np.correlate(out[speech], clean[speech][200:-200], "valid")
    assert abs(int(np.argmax(lags)) - 200) <= 2
    # the speech is kept: most of its energy is there, in phase with the clean words
    gain = float(np.dot(out[speech], clean[speech]) / np.dot(clean[speech], clean[speech]))
    assert gain > 0.6
    # the noise alone is turned down by more than 15 dB, and the words stand out from what is left by more
    assert db(out[RATE // 4:lead - RATE // 10]) < db(noise[RATE // 4:lead - RATE // 10]) - 15
    snr_in = db(clean[speech]) - db(noise[speech])
    snr_out = db(gain * clean[speech]) - db(out[speech] - gain * clean[speech])
    assert snr_out > snr_in + 3, (snr_in, snr_out)


def test_odd_and_empty_input(front_end: DeepFilter) -> None:
    assert front_end(b"") == b""
    odd = np.zeros(1601, dtype="<i2").tobytes() + b"\x01"
    assert len(front_end(odd)) == len(odd)
    assert len(front_end(bytes(2))) == 2


def test_resampling_is_band_limited_and_undone() -> None:
    t = np.arange(1600) / RATE
    x = np.sin(2 * np.pi * 440 * t)
    up = upsample(x)
    assert len(up) == 3 * len(x)
    assert np.allclose(up[::3], x, atol=1e-9)
    assert np.allclose(downsample(up), x, atol=1e-9)


@pytest.mark.parametrize(("value", "name"), [(None, "off"), ("", "off"), ("DeepFilter", "deepfilter"),
                                             ("rnnoise", "off"), ("off", "off"),
                                             ("deepfilter-12DB", "deepfilter-12db")])
def test_setting(value: str | None, name: str) -> None:
    assert front_end_setting(value) == name
    assert (load_front_end(name) is None) == (name == "off")


def test_whisper_hears_what_the_front_end_gives_it(check: WhisperCheck, front_end: DeepFilter) -> None:
    """The check's encoder input goes through its front end: a front end that gives back silence leaves no speech;
    DeepFilterNet leaves a clear "stop" a "stop" (the setting's default, None, is the audio as it is)."""
    word = read_wav(AUDIO / "clean/en-us_175/stop.wav") + bytes(16000)
    seen: list[int] = []

    def silent(pcm: bytes) -> bytes:
        seen.append(len(pcm))
        return bytes(len(pcm))

    assert check.front_end is None
    try:
        check.front_end = silent
        verdict = check.judge(word, phrases("waiting_next"))
        assert verdict.phrase is None and verdict.reason == "no_speech" and seen == [len(word)]
        check.front_end = front_end
        assert check.judge(word, phrases("waiting_next")).phrase == "stop"
    finally:
        check.front_end = None
