"""Input modes as listeners: any sound, switch, scanning, caregiver, and speech that falls back to scanning."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from voice_coach.access.profile import INPUT_MODES, Profile, sound_options
from voice_coach.access.prompts import AccessPrompts, load_access_prompts
from voice_coach.access.scanning import ScanningListener, Selector
from voice_coach.coach.intents import Heard, PhraseBook, load_phrasebook
from voice_coach.coach.ports import AudioSource, Clock, EndOfInput, Expectation, Listener, Speaker
from voice_coach.errors import CoachError
from voice_coach.speech.signal import SAMPLE_RATE, VoiceTest, frame_dbfs, webrtc_voice_test

FRAME_SECONDS = 0.03
FRAME_BYTES = int(SAMPLE_RATE * FRAME_SECONDS) * 2
HANGOVER_FRAMES = 5
"""Unvoiced frames (150 ms) tolerated inside one sound: a weak voice breaks up."""
BACKGROUND_FRAMES = 100
"""Three seconds of levels make the background estimate."""
MIN_BACKGROUND_FRAMES = 10
CATCH_UP_CHUNKS = 20
"""At a deadline, up to this much audio already recorded (0.6 s) is still looked at: a microphone lags a little."""
MAX_DRAIN_CHUNKS = 2000
"""At most about a minute of stale microphone audio is dropped at once."""
EXTRA_MODES = ("caregiver",)
"""Modes of --input besides the profile's: a caregiver types the answers (source caregiver)."""


class VoiceDetector:
    """Is a 30 ms frame a voiced sound? Louder than `threshold_dbfs`, `margin_db` above the background (so a fan
    or steady noise never counts), and webrtcvad agrees (when installed)."""

    def __init__(self, threshold_dbfs: float = -45.0, aggressiveness: int = 2, *, margin_db: float = 6.0,
                 use_vad: bool = True) -> None:
        self.threshold_dbfs = threshold_dbfs
        self.margin_db = margin_db
        self.levels: deque[float] = deque(maxlen=BACKGROUND_FRAMES)
        """Recent frame levels: their 10th percentile is the background."""
        self._background: float | None = None
        self._since = 0
        self.vad: VoiceTest | None = None
        if use_vad:
            try:
                self.vad = webrtc_voice_test(aggressiveness)
            except ImportError:  # the speech extra is not installed: loudness alone decides
                pass

    @staticmethod
    def level_dbfs(frame: bytes) -> float:
        return frame_dbfs(frame)

    def background_dbfs(self) -> float | None:
        """The background level, once a third of a second has been heard (updated every few frames: cheap)."""
        if len(self.levels) < MIN_BACKGROUND_FRAMES:
            return None
        if self._background is None or self._since >= 8:
            ordered = sorted(self.levels)
            self._background, self._since = ordered[len(ordered) // 10], 0
        return self._background

    def listen_to(self, frame: bytes) -> float:
        """Learn the background from a frame (also from audio dropped while the coach spoke); its level."""
        level = self.level_dbfs(frame)
        self.levels.append(level)
        self._since += 1
        return level

    def voiced(self, frame: bytes) -> bool:
        level = self.listen_to(frame)
        background = self.background_dbfs()
        if background is None or level < max(self.threshold_dbfs, background + self.margin_db):
            return False
        return self.vad(frame) if self.vad is not None else True


class SoundSelector:
    """Any voiced sound picks: a hum, a grunt, a word. Reads an AudioSource (a microphone, or a fake in tests)."""

    act = "sound"
    long_act = "long_sound"
    source = "voice"

    def __init__(self, audio: AudioSource, *, threshold_dbfs: float = -45.0, aggressiveness: int = 2,
                 min_seconds: float = 0.25, long_seconds: float = 1.0, detector: VoiceDetector | None = None) -> None:
        self.audio = audio
        self.detector = detector or VoiceDetector(threshold_dbfs, aggressiveness)
        self.min_frames = max(1, round(min_seconds / FRAME_SECONDS))
        self.long_frames = max(self.min_frames, round(long_seconds / FRAME_SECONDS))
        self._buf = b""
        self._run = 0
        self._gap = 0
        self._quiet = 0
        self._armed = True
        """False after the coach spoke until a quiet frame is heard: a sound that began before a choice was read
        (the tail of a word meant for the last one, or of "three" said to the question) never picks it."""

    def reset(self, clock: Clock) -> None:
        self.settle(clock)

    def settle(self, clock: Clock) -> None:
        """Drop the audio already recorded (the coach's own voice, while it spoke) and start afresh."""
        for _ in range(MAX_DRAIN_CHUNKS):
            chunk = self.audio.read(0.0)
            if not chunk:  # b"": caught up; None: the end, which the next wait reports
                break
            for i in range(0, len(chunk) - FRAME_BYTES + 1, FRAME_BYTES * 4):  # a sample of it is enough
                self.detector.listen_to(chunk[i:i + FRAME_BYTES])
        self._buf, self._run, self._gap, self._armed, self._quiet = b"", 0, 0, False, 0

    def wait(self, until: float, clock: Clock, *, long: bool = False) -> str | None:
        need = self.long_frames if long else self.min_frames
        while clock.now() < until:
            if self._take(self.audio.read(max(0.0, min(until - clock.now(), 0.1))), need):
                return self.source
        for _ in range(CATCH_UP_CHUNKS):  # audio recorded before the deadline that we have not read yet
            chunk = self.audio.read(0.0)
            if not chunk and chunk is not None:
                return None
            if self._take(chunk, need):
                return self.source
        return None

    def _take(self, chunk: bytes | None, need: int) -> bool:
        if chunk is None:
            raise EndOfInput("the microphone closed")
        if chunk and self._feed(chunk, need):
            self._buf, self._run, self._gap = b"", 0, 0
            return True
        return False

    def _feed(self, chunk: bytes, need: int) -> bool:
        self._buf += chunk
        while len(self._buf) >= FRAME_BYTES:
            frame, self._buf = self._buf[:FRAME_BYTES], self._buf[FRAME_BYTES:]
            voiced = self.detector.voiced(frame)
            if not self._armed:  # the sound in progress must end first (a gap longer than a word's breaks)
                self._quiet = 0 if voiced else self._quiet + 1
                self._armed = self._quiet > HANGOVER_FRAMES
                continue
            if voiced:
                self._run, self._gap = self._run + 1, 0
                if self._run >= need:
                    return True
            else:
                self._gap += 1
                if self._gap > HANGOVER_FRAMES:
                    self._run = 0
        return False


class EitherSelector:
    """A switch or a sound, whichever comes first (polled in short slices, so both clocks work)."""

    act = "both"
    long_act = "both_long"

    def __init__(self, *selectors: Selector, slice_seconds: float = 0.05) -> None:
        self.selectors = selectors
        self.slice_seconds = slice_seconds
        self.source = selectors[0].source

    def reset(self, clock: Clock) -> None:
        for s in self.selectors:
            s.reset(clock)

    def settle(self, clock: Clock) -> None:
        for s in self.selectors:
            s.settle(clock)

    def wait(self, until: float, clock: Clock, *, long: bool = False) -> str | None:
        while True:
            step = min(until, clock.now() + self.slice_seconds)
            for s in self.selectors:
                source = s.wait(step, clock, long=long)
                if source is not None:
                    return source
            if clock.now() >= until:
                return None


REJECTED = Heard("", 0.0, "voice")
"""What a speech listener's rejected utterance becomes: a reply the coach did not understand."""


class SorryOnRejection:
    """A speech listener whose rejected utterances reach the coach as not understood (without a fallback)."""

    def __init__(self, make_primary: SpeechFactory) -> None:
        self.rejections = 0
        self.primary = make_primary(self.note_rejected)
        self.source = getattr(self.primary, "source", None)

    def note_rejected(self) -> None:
        self.rejections += 1

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        before = self.rejections
        heard = self.primary.listen(until, clock, expect)
        return REJECTED if heard is None and expect.awaiting and self.rejections > before else heard

    def __getattr__(self, name: str) -> object:
        return getattr(self.primary, name)


SpeechFactory = Callable[[Callable[[], None]], Listener]
"""Builds the speech listener, given the callback it calls for each utterance it rejects (`on_rejected`)."""


class FallbackListener:
    """Speech first; after `after` answers in a row that were not understood (rejected by the recognizer, an
    unknown phrase, one not valid now, or silence until the coach's deadline), says so once and scans for the
    rest of the session."""

    def __init__(self, make_primary: SpeechFactory, make_scanner: Callable[[], ScanningListener], speaker: Speaker,
                 *, after: int, phrasebook: PhraseBook | None = None, aliases: dict[str, str] | None = None,
                 prompts: AccessPrompts | None = None) -> None:
        self.primary = make_primary(self.note_failure)
        self.make_scanner, self.speaker = make_scanner, speaker
        self.after = after
        self.book = phrasebook or load_phrasebook()
        self.aliases = aliases or {}
        self.prompts = prompts or load_access_prompts()
        self.failures = 0
        self.scanner: ScanningListener | None = None
        """Set once scanning has taken over."""

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        if self.scanner is not None:
            return self.scanner.listen(until, clock, expect)
        failures = self.failures
        heard = self.primary.listen(until, clock, expect)
        rejected = self.failures > failures  # the recognizer refused what it heard (counted by note_failure)
        if expect.awaiting:
            if heard is not None and self.understood(heard, expect):
                self.failures = 0
            elif heard is not None or (until is not None and clock.now() >= until):
                self.note_failure()
            if heard is None and rejected:
                heard = REJECTED  # the coach says sorry for it: a miss is never silent
        if self.after and self.failures >= self.after and self.scanner is None:
            self.scanner = self.make_scanner()
            act = self.prompts.acts[self.scanner.selector.act]
            self.speaker.say(self.prompts.line("fallback_to_scanning", act=act), "fallback_to_scanning")
        return heard

    def understood(self, heard: Heard, expect: Expectation) -> bool:
        u = self.book.parse(heard, self.aliases, expect.state)
        return u is not None and any((v := self.book.parse(Heard(p), self.aliases, expect.state)) is not None
                                     and v.intent is u.intent for p in expect.phrases)

    def note_failure(self) -> None:
        """Count one utterance not understood (the speech listener calls it for each one it rejects)."""
        self.failures += 1


def make_input_listener(mode: str, profile: Profile, *, speaker: Speaker, phrasebook: PhraseBook | None = None,
                        aliases: dict[str, str] | None = None, speech: SpeechFactory | None = None,
                        audio: Callable[[], AudioSource] | None = None,
                        switch: Callable[[], Selector] | None = None) -> Listener:
    """The listener for an input mode (the profile's input_mode, or --input). `speech`, `audio` and `switch`
    build the real adapters only when the mode needs them: the speech listener (given an on_rejected callback),
    the microphone as an AudioSource for sounds, and the switch (`switch.KeySwitch(sys.stdin).open()`).

    In speech mode the fallback scan picks by `profile.scan_with` among what is there: without `audio` it
    listens for sounds on the speech listener's own source (its `source` attribute), without `switch` it
    uses sounds only; with neither (a replay of WAV files) there is no fallback. What it needs is checked now,
    never in the middle of a session."""
    book = phrasebook or load_phrasebook()
    aliases = aliases or {}

    def need(factory: Callable[[], object] | None, what: str) -> object:
        if factory is None:
            raise CoachError(f"input mode {mode} needs {what}, which is not available here", code="usage")
        return factory()

    def sound(source: Callable[[], AudioSource] | None = None) -> Selector:
        return SoundSelector(need(source or audio, "a microphone"), **sound_options(profile))  # type: ignore[arg-type]

    def key() -> Selector:
        return need(switch, "a switch (the space or enter key)")  # type: ignore[return-value]

    def scan_selector() -> Selector:
        if profile.scan_with == "switch":
            return key()
        if profile.scan_with == "sound":
            return sound()
        return EitherSelector(key(), sound())

    def scanner(selector: Selector, yes_no_by_signal: bool) -> ScanningListener:
        return ScanningListener(selector, speaker, phrasebook=book, aliases=aliases,
                                pause_seconds=profile.scan_pause_seconds, cycles=profile.scan_cycles,
                                yes_no_by_signal=yes_no_by_signal, answer_seconds=profile.response_timeout_seconds)

    if mode == "caregiver":
        from voice_coach.speech.text_io import TextListener
        return TextListener.keyboard("caregiver")
    if mode == "switch":
        return scanner(key(), True)
    if mode == "any-sound":
        return scanner(sound(), True)
    if mode == "scanning":
        return scanner(scan_selector(), False)
    if mode == "speech":
        if speech is None:
            need(None, "speech input")
        assert speech is not None
        if profile.scan_fallback_after <= 0:
            return SorryOnRejection(speech)
        fallback: list[FallbackListener] = []

        def speech_audio() -> AudioSource:
            source = _audio_of(fallback[0].primary)
            if source is None:
                raise CoachError("the scanning fallback needs a microphone or a switch", code="usage")
            return source

        def fallback_selector() -> Selector:
            mic = audio or speech_audio
            if profile.scan_with == "switch" and switch is not None:
                return key()
            if profile.scan_with == "sound" or switch is None:
                return sound(mic)
            return EitherSelector(key(), sound(mic))

        listener = FallbackListener(speech, lambda: scanner(fallback_selector(), False), speaker,
                                    after=profile.scan_fallback_after, phrasebook=book, aliases=aliases)
        fallback.append(listener)
        if audio is None and switch is None and _audio_of(listener.primary) is None:
            return listener.primary  # a replay of WAV files: nothing to scan with, so no fallback
        return listener
    raise CoachError(f"unknown input mode '{mode}': use {', '.join((*INPUT_MODES, *EXTRA_MODES))}", code="usage")


def _audio_of(listener: Listener) -> AudioSource | None:
    """The AudioSource a speech listener reads (StreamListener.source), if it has one."""
    source = getattr(listener, "source", None)
    return source if callable(getattr(source, "read", None)) else None
