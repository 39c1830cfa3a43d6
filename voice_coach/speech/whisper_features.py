"""Whisper's input: the 80-band log-mel spectrogram of 16 kHz audio, in numpy (the same numbers as openai-whisper's
`log_mel_spectrogram`: 25 ms Hann frames every 10 ms, Slaney mel filters, log10 clipped 8 below the peak)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from voice_coach.speech.signal import SAMPLE_RATE

N_FFT = 400
HOP = 160
N_MELS = 80


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(80, 201) Slaney-style mel filterbank (librosa.filters.mel with htk=False, norm="slaney")."""
    fft_freqs = np.fft.rfftfreq(n=N_FFT, d=1.0 / SAMPLE_RATE)
    mels = np.linspace(0.0, 45.245640471924965, N_MELS + 2)  # 0 Hz .. 8 kHz on the Slaney mel scale
    linear_step = 200.0 / 3
    freqs = linear_step * mels
    log_from = 1000.0 / linear_step
    log_step = np.log(6.4) / 27.0
    above = mels >= log_from
    freqs[above] = 1000.0 * np.exp(log_step * (mels[above] - log_from))
    widths = np.diff(freqs)
    ramps = np.subtract.outer(freqs, fft_freqs)
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (freqs[2:N_MELS + 2] - freqs[:N_MELS]))[:, None]
    return weights


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    return np.hanning(N_FFT + 1)[:-1]  # periodic Hann, as torch.hann_window


def log_mel(pcm: bytes, frames: int) -> np.ndarray:
    """(80, frames) float32 features of 16-bit mono PCM, cut or padded with silence to `frames` (10 ms each).
    Frames past the audio are all-zero signal, so only the frames that overlap the audio are transformed."""
    x = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float32) / 32768.0
    x = x[:frames * HOP]
    used = min(frames, len(x) // HOP + 3)
    head = x[:N_FFT // 2 + 1][::-1][:-1] if len(x) > N_FFT // 2 else np.zeros(N_FFT // 2, dtype=np.float32)
    if len(head) < N_FFT // 2:
        head = np.pad(head, (N_FFT // 2 - len(head), 0))
    signal = np.concatenate([head, x, np.zeros(used * HOP + N_FFT, dtype=np.float32)])
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(used)[:, None]
    power = np.abs(np.fft.rfft(signal[index] * _window(), axis=1)) ** 2
    mel = np.zeros((N_MELS, frames), dtype=np.float64)
    mel[:, :used] = mel_filters() @ power.T
    log = np.log10(np.maximum(mel, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    return ((log + 4.0) / 4.0).astype(np.float32)
