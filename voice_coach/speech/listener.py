"""Listeners over audio: a stream (microphone or WAV) through endpointing and a recognizer, and WAV replays."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard
from voice_coach.coach.ports import AudioSource, Clock, EndOfInput, Expectation
from voice_coach.errors import AudioError
from voice_coach.speech.audio_io import WavSource, WavStream
from voice_coach.speech.endpointing import FRAME_BYTES, FRAME_SECONDS, Endpointer, EndpointSettings
from voice_coach.speech.recognition import Decoded, Recognizer, clean_phrase
from voice_coach.speech.replay import REPLY_AFTER_SECONDS, ScriptReplay
from voice_coach.speech.signal import BYTES_PER_SECOND, VoiceTest

REPORTS_KEPT = 256
"""How many utterance reports a StreamListener keeps (pass `on_report` to see all of them)."""
READ_SLICE_SECONDS = 0.25
"""Longest wait for the microphone in one read, so that the coach's deadline is checked often."""
STOP_PHRASES = ("stop",)
"""A partial hypothesis equal to one of these does not wait for the user's end silence (see StreamListener)."""
STOP_STABLE_SECONDS = 0.15
"""How long the partial must stay "stop" to count. Measured on tests/audio with pocketsphinx: a spoken "stop"
holds its partial for 0.2-0.36 s; other words flash it for at most 0.09 s ("five")."""
STOP_PAUSE_SECONDS = 0.24
"""After a "stop" partial, this much silence ends the utterance (instead of the end silence, up to 10 s)."""
SPOT_PRE_ROLL_SECONDS = 0.3
"""Audio kept before a spotted word when its utterance starts over (as the endpointer's own pre-roll)."""
RECENT_SECONDS = 3.0
"""Audio kept for starting an utterance over at a spotted word (longer than the spotter's word plus its delay)."""
PREPARE_SECONDS = 0.3
"""After this much silence the recognizer is told the person may have finished (`prepare`), so that slow final
work (the Whisper check) runs while the end silence is still being waited for; at most half the end silence."""
EARLY_PAUSE_SECONDS = 0.18
"""After this much silence a recognizer that can decide early (`decide_early`: the wake detector) is asked whether what
was said so far is already enough (the wake phrase), while the utterance goes on being heard (the request said in
the same breath): the answer tone comes this long plus the check after the end of the wake phrase instead of the
whole end silence (1 to 1.2 s) plus the check."""
SETTLED_PAUSE_SECONDS = 0.36
"""...and again after this much silence, for a likely wake that was not clear at the first pause (a weaker match, as
slowed or accented speech gives): when nothing more was said, it is answered here, where the end of the utterance
would take it on the same audio after the whole end silence (see listen.wake)."""


class Spotter(Protocol):
    """Finds one word in a stream without endpointing (voice_coach.speech.stop_spotter)."""

    def restart(self) -> None: ...

    def feed(self, pcm: bytes) -> float | None:
        """Seconds since the word began, when it has just been found; None otherwise."""
        ...


@dataclass(frozen=True)
class UtteranceReport:
    """One utterance the endpointer cut out, and what became of it (for the CLI, the bench and debugging)."""

    start_seconds: float
    """Where it started in the stream (pre-roll included)."""
    speech_end_seconds: float
    """The end of its last voiced frame: when the person stopped speaking."""
    end_seconds: float
    """Where listening decided it was over (speech end + the end silence, or the cut-off)."""
    reason: str
    """"silence", "max_length", "end_of_input", or "stop" (ended at the first pause after a "stop" partial)."""
    heard: Heard | None
    """What the listener returned (None: rejected or silence)."""
    decoded: Decoded | None
    """The recognizer's details, when it gives them."""
    finalize_seconds: float
    """Wall time the recognizer took to finish the utterance after its last audio."""
    head_start_seconds: float = 0.0
    """Audio time between the recognizer's `prepare` and the end of the utterance: the time a live microphone
    gives the work started at `prepare` before the end silence is over (a replay runs faster than real time)."""
    verify_seconds: float = 0.0
    """Of `finalize_seconds`, the time spent on the recognizer's slow second opinion (the Whisper check)."""
    early_seconds: float | None = None
    """Where in the stream the recognizer decided early, at a short pause (`on_early` was called); None: it did
    not."""
    early_check_seconds: float = 0.0
    """The rest of the delay to `on_early`: the wall time of that decision's check, and of the checks before it
    that were still running when its pause came (a live stream does not wait for them)."""


class StreamListener:
    """The Listener port over an AudioSource: endpointing, then the recognizer with the grammar of the state.

    With a VirtualClock the clock advances by the audio consumed (a WAV replays instantly and exactly); with
    the system clock time passes as the microphone delivers. Listening returns at the coach's deadline unless
    an utterance is in progress (it is finished first; `max_utterance_seconds` bounds that). A rejected
    utterance returns None at once and calls `on_rejected` (an input-mode fallback can count it).

    "stop" does not wait for the end silence: once the partial result has been "stop" for 0.15 s, the first
    0.24 s pause ends the utterance and the full decode (with its rejection checks) decides. Acting on the
    partial alone was measured to stop sessions on other speech ("turn the lights off" holds a "stop" partial
    for 0.2 s); waiting for the pause costs about a quarter of a second.

    `drain_on_listen` (for a microphone) drops the audio queued before each call when no utterance is in
    progress: while the session loop was speaking, the microphone recorded the coach's own voice, which must
    not be decoded as the person's answer ("... zero to ten?" heard as "ten").

    While barge-in has armed it (`arm_spotter`, while the coach speaks) every frame also goes to the `spotter`:
    when it finds "stop", `on_spotted` is called at once (it cuts the coach's line) and the utterance in
    progress, which may be the coach's own voice running into the person's "stop", starts over where the word
    began; the full decode of that utterance decides, as for any "stop".
    """

    def __init__(self, source: AudioSource, recognizer: Recognizer, settings: EndpointSettings | None = None, *,
                 voice_test: VoiceTest | None = None, on_rejected: Callable[[], None] | None = None,
                 stop_phrases: tuple[str, ...] = STOP_PHRASES, stop_stable_seconds: float = STOP_STABLE_SECONDS,
                 stop_pause_seconds: float = STOP_PAUSE_SECONDS, drain_on_listen: bool = False,
                 on_report: Callable[[UtteranceReport], None] | None = None,
                 spotter: Spotter | None = None) -> None:
        self.source, self.recognizer = source, recognizer
        self.spotter = spotter
        self.on_spotted: Callable[[], None] | None = None
        """Set while the coach speaks (barge-in): called when the spotter finds its word; one call, then unset."""
        self.on_early: Callable[[], None] | None = None
        """Set by the resident listener: called when the recognizer decides early, at a short pause, that the
        utterance in progress is enough (a wake: the answer tone), which goes on being heard to its end."""
        self.decide_early: Callable[[float], bool] | None = None
        """Set with `on_early`: asks the recognizer (the wake detector) whether the utterance so far is enough,
        given the seconds of the pause (EARLY_PAUSE_SECONDS, then SETTLED_PAUSE_SECONDS)."""
        self.early_frames = max(1, int(round(EARLY_PAUSE_SECONDS / FRAME_SECONDS)))
        self.settled_frames = max(self.early_frames + 1, int(round(SETTLED_PAUSE_SECONDS / FRAME_SECONDS)))
        self._early: tuple[float, float] | None = None
        self._busy_until = 0.0
        self._recent: deque[bytes] = deque(maxlen=int(RECENT_SECONDS / FRAME_SECONDS))
        self._replaying = 0
        self.on_report = on_report
        self.endpointer = Endpointer(settings, voice_test=voice_test)
        self.on_rejected = on_rejected
        self.drain_on_listen = drain_on_listen
        self.stop_phrases = frozenset(clean_phrase(p) for p in stop_phrases)
        self.stop_stable_bytes = int(stop_stable_seconds * BYTES_PER_SECOND)
        self.stop_pause_frames = max(1, int(round(stop_pause_seconds / FRAME_SECONDS)))
        self._stop_bytes = 0
        self._stop_seen = False
        self.prepare_frames = max(1, int(round(min(PREPARE_SECONDS, self.endpointer.settings.end_silence_seconds / 2)
                                               / FRAME_SECONDS)))
        self._prepared_at: int | None = None
        self.reports: deque[UtteranceReport] = deque(maxlen=REPORTS_KEPT)
        """The latest utterances, oldest first (bounded: a listener may run all day); `on_report` sees every
        one as it is cut."""
        self._frames: deque[bytes] = deque()
        self._buffer = bytearray()
        self._source_done = False
        self._open = False
        self._start_frame = 0

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        if self.drain_on_listen and not self.busy:
            self.drain()
        while True:
            if not self._frames and not self._source_done:
                if not self.busy and until is not None and clock.now() >= until:
                    return None
                self._read(until, clock)
                continue
            if not self._frames:
                step = self.endpointer.finish()
                if step.ended and self._open:
                    return self._finish(step.ended)
                raise EndOfInput("audio finished")
            if not self.busy and until is not None and clock.now() >= until:
                return None
            frame = self._frames.popleft()
            if self._replaying:  # audio given again after a spotted word: already counted and spotted
                self._replaying -= 1
            else:
                if isinstance(clock, VirtualClock):
                    clock.advance(FRAME_SECONDS)
                self._recent.append(frame)
                if self._spotted(frame):
                    continue
            done, heard = self._frame(frame, expect)
            if done:
                return heard

    @property
    def busy(self) -> bool:
        """An utterance is in progress, or audio is queued to be heard again as one: listening finishes it."""
        return self.endpointer.in_utterance or self._replaying > 0

    def arm_spotter(self, on_spotted: Callable[[], None] | None) -> bool:
        """Barge-in: from now on call `on_spotted` when the spotter finds its word (None: stop spotting). False
        when this listener has no spotter."""
        if self.spotter is None:
            return False
        if on_spotted is not None:
            self.spotter.restart()
        self.on_spotted = on_spotted
        return True

    def drain(self) -> int:
        """Drop the audio already queued (without waiting) and any frames not yet used; the bytes dropped."""
        dropped = len(self._buffer) + FRAME_BYTES * (len(self._frames) - self._replaying)
        self._buffer.clear()
        self._frames.clear()
        self._recent.clear()
        self._replaying = 0
        for _ in range(100_000):  # a bound: a source that never runs dry must not hang the coach
            chunk = self.source.read(0.0)
            if not chunk:
                self._source_done = self._source_done or chunk is None
                break
            dropped += len(chunk)
        self.endpointer.reset()
        return dropped

    def close(self) -> None:
        self.source.close()

    # ----- internals ----------------------------------------------------------------------------------------
    def _read(self, until: float | None, clock: Clock) -> None:
        wait = READ_SLICE_SECONDS if until is None else min(READ_SLICE_SECONDS, max(0.0, until - clock.now()))
        chunk = self.source.read(wait)
        if chunk is None:
            self._source_done = True
            if self._buffer:  # the last partial frame, padded with silence by the endpointer
                self._frames.append(bytes(self._buffer))
                self._buffer.clear()
            return
        if not chunk:
            if isinstance(clock, VirtualClock):  # nothing came: let virtual time pass as real time would
                clock.advance(wait or FRAME_SECONDS)
            return
        self._buffer += chunk
        while len(self._buffer) >= FRAME_BYTES:
            self._frames.append(bytes(self._buffer[:FRAME_BYTES]))
            del self._buffer[:FRAME_BYTES]

    def _spotted(self, frame: bytes) -> bool:
        """Give the frame to the spotter while barge-in asks for it; on its word, call `on_spotted` and queue the
        audio from just before the word again as a new utterance (True: the frame is in that audio)."""
        if self.on_spotted is None or self.spotter is None:
            return False
        back = self.spotter.feed(frame)
        if back is None:
            return False
        cut, self.on_spotted = self.on_spotted, None
        cut()
        count = min(len(self._recent), int(round((back + SPOT_PRE_ROLL_SECONDS) / FRAME_SECONDS)) + 1)
        again = list(self._recent)[-count:]
        self._open, self._stop_bytes, self._stop_seen, self._prepared_at = False, 0, False, None
        self.endpointer.reset(skip_rest=False)
        self._frames.extendleft(reversed(again))
        self._replaying = len(again)
        return True

    def _frame(self, frame: bytes, expect: Expectation) -> tuple[bool, Heard | None]:
        step = self.endpointer.push(frame)
        if step.started:
            self.recognizer.begin(expect.phrases)
            self._open = True
            self._early, self._busy_until = None, 0.0
            self._start_frame = self.endpointer.frames_seen - len(step.feed)
        if self._open and step.feed:
            audio = b"".join(step.feed)
            partial = self.recognizer.feed(audio)
            stop = partial is not None and clean_phrase(partial) in self.stop_phrases
            self._stop_bytes = self._stop_bytes + len(audio) if stop else 0
            self._stop_seen = self._stop_seen or self._stop_bytes >= self.stop_stable_bytes
        if step.ended and self._open:
            return True, self._finish(step.ended)
        # the Whisper check starts at the pause; after a "stop" partial at once, since the stop's pause is short
        pause = self.endpointer.silence_frames
        if self._open and (pause == self.prepare_frames or (self._stop_seen and pause == 1)):
            if self.recognizer.prepare():
                self._prepared_at = self.endpointer.frames_seen
        if self._open and self._early is None and pause in (self.early_frames, self.settled_frames):
            self._decide_early(EARLY_PAUSE_SECONDS if pause == self.early_frames else SETTLED_PAUSE_SECONDS)
        if self._open and self._stop_seen and self.endpointer.silence_frames >= self.stop_pause_frames:
            heard = self._finish("stop")
            self.endpointer.reset()  # whatever follows this pause belongs to the utterance acted on
            return True, heard
        return False, None

    def _decide_early(self, pause_seconds: float) -> None:
        """At a short pause: ask a recognizer that can decide early (the wake detector) whether the utterance so
        far is enough; if so, `on_early` now (the utterance goes on). The moment of the answer, for the report, is
        where the stream is or where the checks before finished, whichever is later, plus this check's time."""
        early = self.decide_early
        if self.on_early is None or early is None:
            return
        now = self.endpointer.frames_seen * FRAME_SECONDS
        started = time.perf_counter()
        decided = early(pause_seconds)
        self._busy_until = max(now, self._busy_until) + time.perf_counter() - started
        if decided:
            self._early = (now, self._busy_until - now)
            self.on_early()

    def _finish(self, reason: str) -> Heard | None:
        self._open, self._stop_bytes, self._stop_seen = False, 0, False
        started = time.perf_counter()
        heard = self.recognizer.end()
        finalize = time.perf_counter() - started
        head_start = 0.0
        if self._prepared_at is not None:
            head_start = (self.endpointer.frames_seen - self._prepared_at) * FRAME_SECONDS
            self._prepared_at = None
        if reason == "max_length":
            heard = None  # sound that long is no reply (white noise fits "faint" well for seconds on end)
        decoded = self.recognizer.last
        ep = self.endpointer
        report = UtteranceReport(
            start_seconds=round(self._start_frame * FRAME_SECONDS, 3),
            speech_end_seconds=round((ep.last_voiced_frame + 1) * FRAME_SECONDS, 3),
            end_seconds=round(ep.frames_seen * FRAME_SECONDS, 3), reason=reason, heard=heard,
            decoded=decoded, finalize_seconds=finalize, head_start_seconds=round(head_start, 3),
            verify_seconds=self.recognizer.verify_seconds,
            early_seconds=None if self._early is None else round(self._early[0], 3),
            early_check_seconds=0.0 if self._early is None else self._early[1])
        self._early = None
        self.reports.append(report)
        if self.on_report is not None:
            self.on_report(report)
        if heard is None and self.on_rejected is not None:
            self.on_rejected()
        return heard


class AudioReplayListener(ScriptReplay):
    """A folder of WAVs, one file per reply: each file is given when the coach is waiting for an answer (after
    `after_seconds`, like a text replay) and streamed through the same endpointing and recognizer as the
    microphone, on the virtual clock. A file whose speech is rejected is used up and heard as nothing (the
    coach asks again). EndOfInput when the files run out."""

    def __init__(self, folder: Path, recognizer: Recognizer, settings: EndpointSettings | None = None, *,
                 after_seconds: float = REPLY_AFTER_SECONDS, voice_test: VoiceTest | None = None,
                 on_rejected: Callable[[], None] | None = None) -> None:
        files = wav_files(folder)
        super().__init__([Heard(str(f), 1.0, "voice") for f in files], after_seconds=after_seconds)
        self.recognizer, self.settings, self.voice_test = recognizer, settings, voice_test
        self.on_rejected = on_rejected
        self.reports: list[UtteranceReport] = []
        """Every utterance of every file so far."""

    def next_reply(self, expect: Expectation, clock: Clock) -> Heard | None:
        """Stream the next file until something is understood (the rest of the file is dropped); None when
        nothing in it was."""
        path = Path(self.replies.pop(0).text)
        before = len(self.reports)
        stream = StreamListener(WavSource(path), self.recognizer, self.settings, voice_test=self.voice_test,
                                on_report=self.reports.append)
        try:
            while True:
                heard = stream.listen(None, clock, expect)
                if heard is not None:
                    return heard
        except EndOfInput:
            if self.on_rejected is not None and len(self.reports) > before:
                self.on_rejected()
            return None
        finally:
            stream.close()


def wav_files(folder: Path) -> list[Path]:
    """The .wav files of a folder, in name order, each one's header checked (a damaged file is an AudioError now,
    not in the middle of a session); a folder without any is an AudioError."""
    try:
        files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() == ".wav" and p.is_file())
    except OSError as exc:
        raise AudioError(f"{folder}: cannot list the folder ({exc.strerror}); check the path") from None
    if not files:
        raise AudioError(f"{folder}: no .wav files in this folder; put one reply per WAV file (01.wav, 02.wav, ...)")
    for path in files:
        WavStream(path).close()
    return files
