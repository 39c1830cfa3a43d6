"""Endpointing: where an utterance starts and ends, from 30 ms frames alone (no clock, no sleeping)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from voice_coach.errors import ConfigError, ModelError
from voice_coach.speech.audio_io import CHUNK_BYTES, CHUNK_SECONDS
from voice_coach.speech.signal import VoiceTest, frame_dbfs, webrtc_voice_test

FRAME_BYTES = CHUNK_BYTES
"""One 30 ms frame of 16 kHz int16 mono: the unit the endpointer counts in."""
FRAME_SECONDS = CHUNK_SECONDS
FLOOR_MIN_DBFS = -75.0
"""The tracked noise floor never goes lower (digital silence would make it take minutes to rise)."""
FLOOR_WINDOW_SECONDS = 6.0
"""The background is also the median frame level of the last 6 s of audio (`FLOOR_PERCENTILE`), counted once the
window is full, so that sound which never pauses (a television, other people talking) is background however much
its level swings. The tracked floor alone falls to the quietest moment between other people's syllables, so every
louder syllable counted as speech, an utterance never ended, and after its 10 s cut no new utterance could start:
the listener went deaf in a room with a television on (the bench's babble looped for 30 s with three commands
10 dB above it: one 10 s cut and nothing else; now one utterance at each command). Speech moves the median only
when it fills half of the window."""
FLOOR_PERCENTILE = 50.0
"""Measured in that room: the 30th percentile let babble syllables start utterances and merge with the commands."""
QUICK_FALL_SECONDS = 0.9
"""When a loud sound stops, this long a run of frames FALL_DB under the median forgets the window (the tracked
floor, which fell at once, rules until the window has filled again): a person who speaks a second after the
television is muted is heard (with the median alone, not for 3 s). Longer than the pauses between the bench's
babble sentences (0.75 s), so other people's talk stays background."""
FALL_DB = 10.0
END_SILENCE_SECONDS = 1.2
"""The one default for the silence that ends an utterance, for the coach's users (Profile) and for every bench and
test that measures what they get: long enough for slow or effortful speech with pauses between words."""
VAD_AGGRESSIVENESS = 2


@dataclass(frozen=True)
class EndpointSettings:
    """How utterances are cut out of the audio; defaults suit slow speech with pauses between words."""

    end_silence_seconds: float = END_SILENCE_SECONDS
    """Silence that ends an utterance (per user, 0.3 to 10 s; long for slow or effortful speech)."""
    vad_aggressiveness: int = VAD_AGGRESSIVENESS
    """webrtcvad strictness, 0 (most sounds count as voice) to 3 (only clear voice)."""
    min_speech_dbfs: float = -55.0
    """The energy gate: a frame quieter than this is never speech, whatever the voice detector says."""
    above_floor_db: float = 6.0
    """A speech frame is also this much louder than the tracked background noise."""
    start_seconds: float = 0.09
    """Voice must last this long (frames in a row) to start an utterance: clicks and taps do not."""
    pre_roll_seconds: float = 0.3
    """Audio kept from before the start, so the recognizer hears the first sound of the word."""
    hangover_seconds: float = 0.3
    """Silence after the last voiced frame still given to the recognizer (the word's tail and release)."""
    max_utterance_seconds: float = 10.0
    """An utterance is cut when its sound (trailing silence not counted) lasts this long: no reply to the coach
    is that long, and loud noise must not keep the listener busy. A cut utterance is never taken as a reply."""

    def __post_init__(self) -> None:
        checks = [
            ("end_silence_seconds", 0.3 <= self.end_silence_seconds <= 10.0, "0.3 to 10 seconds"),
            ("vad_aggressiveness", self.vad_aggressiveness in (0, 1, 2, 3), "0, 1, 2 or 3"),
            ("min_speech_dbfs", -96.0 <= self.min_speech_dbfs <= 0.0, "-96 to 0 dBFS"),
            ("above_floor_db", 0.0 <= self.above_floor_db <= 40.0, "0 to 40 dB"),
            ("start_seconds", FRAME_SECONDS <= self.start_seconds <= 1.0, "0.03 to 1 second"),
            ("pre_roll_seconds", 0.0 <= self.pre_roll_seconds <= 2.0, "0 to 2 seconds"),
            ("hangover_seconds", 0.0 <= self.hangover_seconds <= self.end_silence_seconds,
             "0 seconds to end_silence_seconds"),
            ("max_utterance_seconds", 1.0 <= self.max_utterance_seconds <= 120.0, "1 to 120 seconds"),
        ]
        for name, ok, allowed in checks:
            if not ok:
                raise ConfigError(f"endpointing: {name} = {getattr(self, name)!r} is out of range (use {allowed})")

    def frames(self, seconds: float) -> int:
        """Whole 30 ms frames in `seconds` (at least one)."""
        return max(1, int(round(seconds / FRAME_SECONDS)))


@dataclass(frozen=True)
class Step:
    """What one frame did."""

    feed: tuple[bytes, ...] = ()
    """Audio to give the recognizer now, in order (pre-roll at the start; held-back pauses when speech resumes)."""
    started: bool = False
    """An utterance began with this frame (call the recognizer's `begin` before feeding)."""
    ended: str | None = None
    """Why the utterance ended with this frame: "silence", "max_length" or "end_of_input"; None while it goes on."""
    voiced: bool = False
    """This frame counted as speech."""


class Endpointer:
    """Turns a stream of 30 ms frames into utterances: a pure state machine counting frames.

    A frame is speech when it passes the energy gate (above `min_speech_dbfs` and `above_floor_db` over the
    tracked noise floor) and the voice detector agrees. `start_seconds` of speech in a row starts an utterance
    (with `pre_roll_seconds` of audio before it); `end_silence_seconds` without speech ends it. Silence inside
    the utterance is given to the recognizer only up to `hangover_seconds`; the rest is held back and given only
    if speech resumes, so a long final silence never reaches the recognizer. After a `max_utterance_seconds`
    cut, a new utterance needs silence first (a running fan or tap is not decoded over and over).
    """

    def __init__(self, settings: EndpointSettings | None = None, *, voice_test: VoiceTest | None = None) -> None:
        self.settings = s = settings or EndpointSettings()
        if voice_test is None:
            try:
                voice_test = webrtc_voice_test(s.vad_aggressiveness)
            except ImportError:
                raise ModelError("the voice detector (webrtcvad) is not installed: install the speech extra, "
                                 "`pip install 'voice-coach[speech]'`, or run scripts/setup") from None
        self.voice_test = voice_test
        self._start_frames = s.frames(s.start_seconds)
        self._end_frames = s.frames(s.end_silence_seconds)
        self._hangover_frames = int(round(s.hangover_seconds / FRAME_SECONDS))
        self._max_frames = s.frames(s.max_utterance_seconds)
        self._ring: deque[bytes] = deque(maxlen=int(round(s.pre_roll_seconds / FRAME_SECONDS)) + self._start_frames)
        self.floor_dbfs: float | None = None
        """The tracked background level: falls at once to a quieter frame, rises slowly (at most 1.7 dB/s)."""
        self._recent: deque[float] = deque(maxlen=s.frames(FLOOR_WINDOW_SECONDS))
        self._fall_frames = s.frames(QUICK_FALL_SECONDS)
        self._quiet_run = 0
        self.in_utterance = False
        self.frames_seen = 0
        """Frames pushed since this endpointer was made (a clock for statistics)."""
        self.utterance_frames = 0
        """Frames in the current (or last) utterance, pre-roll included."""
        self.last_voiced_frame = -1
        """frames_seen index of the last voiced frame (end of speech, for latency figures)."""
        self._voiced_run = 0
        self._silence_run = 0
        self._held: list[bytes] = []
        self._need_quiet = False

    def push(self, frame: bytes) -> Step:
        """One 30 ms frame (exactly FRAME_BYTES; a short last frame is padded with silence)."""
        if len(frame) < FRAME_BYTES:
            frame = bytes(frame) + bytes(FRAME_BYTES - len(frame))
        elif len(frame) > FRAME_BYTES:
            raise ValueError(f"frames are {FRAME_BYTES} bytes (30 ms), got {len(frame)}")
        self.frames_seen += 1
        voiced = self._voiced(frame)
        if voiced:
            self.last_voiced_frame = self.frames_seen - 1
        if not self.in_utterance:
            return self._idle(frame, voiced)
        return self._speaking(frame, voiced)

    @property
    def silence_frames(self) -> int:
        """Unvoiced frames in a row at the end of the utterance in progress (0 outside one)."""
        return self._silence_run if self.in_utterance else 0

    def finish(self) -> Step:
        """The audio ended: close an utterance in progress."""
        if not self.in_utterance:
            return Step()
        self._close()
        return Step(ended="end_of_input")

    def reset(self, *, skip_rest: bool = True) -> None:
        """Forget the current utterance (the listener acted on it early, e.g. on "stop"); keep the noise floor.
        The rest of that utterance is skipped (a new one needs silence first) unless `skip_rest` is False (the
        listener gives part of it again as a new utterance)."""
        was_speaking = self.in_utterance
        self._close()
        self._need_quiet = was_speaking and skip_rest

    # ----- internals ----------------------------------------------------------------------------------------
    def _voiced(self, frame: bytes) -> bool:
        level = frame_dbfs(frame)
        if self.floor_dbfs is None:  # a stream may start with speech: assume a quiet room until shown otherwise
            self.floor_dbfs = max(FLOOR_MIN_DBFS, min(level, self.settings.min_speech_dbfs))
        elif level < self.floor_dbfs:
            self.floor_dbfs = max(FLOOR_MIN_DBFS, level)
        else:  # slow rise: a steady noise becomes background in tens of seconds, speech barely moves it
            self.floor_dbfs += min(0.05, 0.01 * (level - self.floor_dbfs))
        self._recent.append(level)
        background = self.floor_dbfs
        if len(self._recent) == self._recent.maxlen:
            median = float(np.percentile(self._recent, FLOOR_PERCENTILE))
            self._quiet_run = self._quiet_run + 1 if level < median - FALL_DB else 0
            if self._quiet_run >= self._fall_frames:  # the loud sound has stopped
                self._recent.clear()
                self._quiet_run = 0
            else:
                background = max(background, median)
        gate = max(self.settings.min_speech_dbfs, background + self.settings.above_floor_db)
        return level >= gate and self.voice_test(frame)

    def _idle(self, frame: bytes, voiced: bool) -> Step:
        self._ring.append(frame)
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        if self._need_quiet:
            self._silence_run = 0 if voiced else self._silence_run + 1
            if self._silence_run < self._end_frames:
                return Step(voiced=voiced)
            self._need_quiet = False
        if self._voiced_run < self._start_frames:
            return Step(voiced=voiced)
        feed = tuple(self._ring)
        self._ring.clear()
        self.in_utterance, self.utterance_frames, self._silence_run, self._held = True, len(feed), 0, []
        return Step(feed=feed, started=True, voiced=True)

    def _speaking(self, frame: bytes, voiced: bool) -> Step:
        self.utterance_frames += 1
        if voiced:
            feed = (*self._held, frame)
            self._held, self._silence_run = [], 0
        else:
            self._silence_run += 1
            if self._silence_run <= self._hangover_frames:
                feed = (frame,)
            else:
                self._held.append(frame)
                feed = ()
        if not voiced and self._silence_run >= self._end_frames:
            pre_roll = self._held[-self._ring.maxlen:] if self._ring.maxlen else []
            self._close()
            self._ring.extend(pre_roll)
            return Step(feed=feed, ended="silence")
        if self.utterance_frames - self._silence_run >= self._max_frames:  # trailing silence is end_silence's
            self._close()
            self._need_quiet = True
            return Step(feed=feed, ended="max_length", voiced=voiced)
        return Step(feed=feed, voiced=voiced)

    def _close(self) -> None:
        self.in_utterance = False
        self._voiced_run = self._silence_run = 0
        self._held = []
        self._ring.clear()
