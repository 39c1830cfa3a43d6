"""The reply's own stretch of audio when other people talk around it (a caregiver, a television).

An utterance cut from a room where others talk holds their sentences before and after the person's short reply.
Whisper then writes the other people's sentence ("I'm not going to be in the end of the day") and the reply is
lost in it, although the reply is the loudest sound (it is said near the microphone). When the background varies
like talk, only the loudest stretch, with a margin either side, goes to Whisper.

A steady background (a fan, a hiss) is left alone: its level hardly varies, and cutting there took off the soft
ends of words. Quiet rooms are left alone too.

It hears more replies in babble and acts on less talk; what was measured, and what was tried instead, is in
docs/SPEECH.md ("Other voices").

A cough louder than the reply is passed over: the loudest stretch must be voiced (`voiced_frames`); the cut then
holds the reply, and maybe the cough's softer tail (measured on a synthetic cough 10 dB over the reply; no knock
was tried).

Known limit: a television louder than the person is taken as the loudest stretch and the reply is lost to Whisper
(the grammar's streaming "stop" still acts).
"""

from __future__ import annotations

import numpy as np

from voice_coach.speech.signal import LEVEL_FRAME_SAMPLES, frame_levels

BELOW_PEAK_DB = 6.0
"""The loudest stretch: from the first to the last 10 ms frame within 6 dB of the peak (levels smoothed over
SMOOTH_FRAMES; 10 dB kept too much of the talk: 32 of 103 in babble against 36). Growing it over pauses of up to
0.2-0.3 s into sound within 8-10 dB of the peak (to keep a phrase's softer last words) took babble to 28-29 of
103 and speech not meant for the coach to 3-6 of 126: it takes in the talk."""
SMOOTH_FRAMES = 5
MARGIN_SECONDS = 0.15
"""Kept either side of the loudest stretch: a word's soft start and end (0.25 s kept more of the talk: 29)."""
NOISY_WITHIN_DB = 30.0
"""Only when the background (the quietest tenth of the frames) is within 30 dB of the peak."""
TALK_SPREAD_DB = 2.0
"""...and the level away from the stretch varies like talk (standard deviation of its 10 ms levels; a steady hiss
varies under 1 dB, babble 4 to 8)."""
AWAY_SECONDS = 0.5
"""The background is judged on frames at least this far from the loudest stretch: the person's own softer words
next to it (a phrase trailing off, "short ... of breath") vary like talk too, and cut a reply in a steady noise."""
MIN_BACKGROUND_FRAMES = 20
"""Background needed away from the stretch to judge it (200 ms)."""
MIN_VOICED_FRAMES = 2
"""A loudest stretch with fewer voiced frames than this (`voiced_frames`) is a cough, a breath or a knock, not the
reply: it is set aside and the next loudest stretch taken, up to MAX_SET_ASIDE times. Measured on tests/audio
(every command in every condition): a reply's loudest stretch has 4 or more voiced frames, a cough none (a long
breath has 2-3 of 120: kept, and Whisper's doubt rejects it as before)."""
MAX_SET_ASIDE = 2
VOICED_PERIODICITY = 0.6
"""Normalized autocorrelation at the best lag for a pitch of 80-400 Hz, over 40 ms around a 10 ms frame, at which
the frame counts as voiced."""
_LAGS = np.arange(40, 201)
_WINDOW = 640


def reply_under_talk(pcm: bytes) -> bytes:
    """`pcm` (16 kHz mono int16) cut to its loudest stretch when other people's talk surrounds it; otherwise
    `pcm` itself."""
    levels = frame_levels(pcm)
    if len(levels) < SMOOTH_FRAMES + MIN_BACKGROUND_FRAMES:
        return pcm
    power = np.convolve(10.0 ** (levels / 10.0), np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES, mode="same")
    smoothed = 10.0 * np.log10(power + 1e-10)
    if float(smoothed.max()) - float(np.percentile(levels, 10)) > NOISY_WITHIN_DB:
        return pcm
    samples = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float64)
    kept = np.ones(len(levels), dtype=bool)
    for _ in range(MAX_SET_ASIDE + 1):
        loud = np.flatnonzero(kept & (smoothed >= float(smoothed[kept].max()) - BELOW_PEAK_DB))
        if voiced_frames(samples, loud, enough=MIN_VOICED_FRAMES) >= MIN_VOICED_FRAMES:
            break
        for i in loud:  # a cough: set aside, with the frames its smoothing spread over
            kept[max(0, i - SMOOTH_FRAMES):i + SMOOTH_FRAMES + 1] = False
        if not kept.any():
            return pcm
    else:
        return pcm
    first, last = int(loud[0]), int(loud[-1])
    margin, away = int(round(MARGIN_SECONDS * 100)), int(round(AWAY_SECONDS * 100))
    start, end = max(0, first - margin), min(len(levels), last + 1 + margin)
    kept[max(0, first - away):last + 1 + away] = False
    background = levels[kept]
    if background.size < MIN_BACKGROUND_FRAMES or float(np.std(background)) < TALK_SPREAD_DB:
        return pcm
    return pcm[start * LEVEL_FRAME_SAMPLES * 2:end * LEVEL_FRAME_SAMPLES * 2]


def voiced_frames(samples: np.ndarray, frames: np.ndarray, enough: int | None = None) -> int:
    """How many of `frames` (10 ms frame indices into 16 kHz `samples`) are voiced: their 40 ms window repeats
    itself at a pitch period of 80-400 Hz (normalized autocorrelation VOICED_PERIODICITY or more). Counting stops
    at `enough` (a long stretch of music or speech need not be looked at to its end)."""
    count = 0
    for i in frames:
        if enough is not None and count >= enough:
            break
        centre = int(i) * LEVEL_FRAME_SAMPLES + LEVEL_FRAME_SAMPLES // 2
        w = samples[max(0, centre - _WINDOW // 2):centre + _WINDOW // 2]
        if len(w) < _WINDOW:
            continue
        w = w - w.mean()
        spectrum = np.fft.rfft(w, 2 * _WINDOW)
        products = np.fft.irfft(spectrum * np.conj(spectrum))[_LAGS]
        squares = np.concatenate([[0.0], np.cumsum(w * w)])
        head = squares[_WINDOW - _LAGS]  # energy of w[:-lag]
        tail = squares[_WINDOW] - squares[_LAGS]  # energy of w[lag:]
        norm = np.sqrt(head * tail)
        best = float(np.max(np.where(norm > 0, products / np.maximum(norm, 1e-12), 0.0)))
        count += best >= VOICED_PERIODICITY
    return count
