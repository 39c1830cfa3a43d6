"""The reply's own stretch of audio when other people talk around it (a caregiver, a television).

An utterance cut from a room where others talk holds their sentences before and after the person's short reply.
Whisper then writes the other people's sentence ("I'm not going to be in the end of the day") and the reply is
lost in it, although the reply is the loudest sound (it is said near the microphone). When the background varies
like talk, only the loudest stretch, with a margin either side, goes to Whisper.

A steady background (a fan, a hiss) is left alone: its level hardly varies, and cutting there took off the soft
ends of words. Quiet rooms are left alone too.

Measured with scripts/bench_speech.py (babble at 10 dB, 103 replies; with whisper_check.CUT_NO_SPEECH):
understood 23 -> 34 % with the Whisper check and 22 -> 44 % with the person's takes, speech not meant for the
coach acted on 2.4 -> 1.6 %; quiet, held-out, slowed and white noise never cut. Cutting every utterance instead
took Whisper's quiet replies 67 -> 54 of 75 and white noise 53 -> 45 of 103.

Known limits: a cough or knock louder than the reply just before it, or a television louder than the person, is
taken as the loudest stretch and the reply is lost to Whisper (the grammar's streaming "stop" still acts).
"""

from __future__ import annotations

import numpy as np

from .recognizers import LEVEL_FRAME_SAMPLES, frame_levels

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


def reply_under_talk(pcm: bytes) -> bytes:
    """`pcm` (16 kHz mono int16) cut to its loudest stretch when other people's talk surrounds it; otherwise
    `pcm` itself."""
    levels = frame_levels(pcm)
    if len(levels) < SMOOTH_FRAMES + MIN_BACKGROUND_FRAMES:
        return pcm
    power = np.convolve(10.0 ** (levels / 10.0), np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES, mode="same")
    smoothed = 10.0 * np.log10(power + 1e-10)
    peak = float(smoothed.max())
    if peak - float(np.percentile(levels, 10)) > NOISY_WITHIN_DB:
        return pcm
    loud = np.flatnonzero(smoothed >= peak - BELOW_PEAK_DB)
    first, last = int(loud[0]), int(loud[-1])
    margin, away = int(round(MARGIN_SECONDS * 100)), int(round(AWAY_SECONDS * 100))
    start, end = max(0, first - margin), min(len(levels), last + 1 + margin)
    background = np.concatenate([levels[:max(0, first - away)], levels[last + 1 + away:]])
    if background.size < MIN_BACKGROUND_FRAMES or float(np.std(background)) < TALK_SPREAD_DB:
        return pcm
    return pcm[start * LEVEL_FRAME_SAMPLES * 2:end * LEVEL_FRAME_SAMPLES * 2]

