"""The earcon: a short rising two-note tone the listener answers a wake with, made as audio data (no words)."""

from __future__ import annotations

from functools import cache

import numpy as np

from voice_coach.coach.ports import Speaker
from voice_coach.speech.devices import Clip

EARCON_KEY = "earcon"
"""The key the tone is played (and journalled, and written as a WAV) under."""
EARCON_TEXT = "(tone)"
"""What a text speaker shows for it."""
RATE = 22050
"""Hz: the rate espeak-ng's lines are played at, so the output stream need not change rate."""
NOTES_HZ = (660.0, 880.0)
"""A rising fifth: heard as "I'm listening" by anyone who has used a voice assistant."""
NOTE_SECONDS = 0.09
LEVEL_DBFS = -12.0
"""Quieter than speech (-6 dBFS peaks), so that it does not startle; loud enough over a television."""
FADE_SECONDS = 0.01
"""Raised-cosine fades: no click at the start or end of a note."""


@cache
def earcon_clip() -> Clip:
    """The tone's samples (0.18 s, int16 mono)."""
    n = int(NOTE_SECONDS * RATE)
    t = np.arange(n) / RATE
    fade = int(FADE_SECONDS * RATE)
    envelope = np.ones(n)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
    envelope[:fade], envelope[-fade:] = ramp, ramp[::-1]
    peak = 32767 * 10 ** (LEVEL_DBFS / 20)
    notes = [np.sin(2 * np.pi * hz * t) * envelope * peak for hz in NOTES_HZ]
    return Clip(np.concatenate(notes).astype(np.int16), RATE)


def play_earcon(speaker: Speaker) -> None:
    """Play the tone through the speaker's own output (aloud, a WAV in an --output folder, or "(tone)" printed)."""
    from voice_coach.speech.speech_out import play_clip

    play_clip(speaker, earcon_clip(), EARCON_KEY, EARCON_TEXT)
