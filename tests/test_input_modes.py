"""Switch, any-sound and scanning modes drive the real coach: every state reached, whole sessions finished, and the
journal the same as a spoken session's. Fakes only: scripted presses, scripted sound through a fake microphone, a
virtual clock (no sleeping), and a simulated person who reacts to what the coach reads."""

from __future__ import annotations

import os
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import MemoryJournal, ScriptedListener
from tests.sessions import OPENINGS, ROUTES_BEFORE_EXERCISE, run_session
from voice_coach.access.input_modes import (
    FRAME_BYTES,
    EitherSelector,
    FallbackListener,
    SorryOnRejection,
    SoundSelector,
    VoiceDetector,
    make_input_listener,
)
from voice_coach.access.profile import Profile
from voice_coach.access.prompts import load_access_prompts
from voice_coach.access.scanning import NEVER_SCANNED, ScanningListener, scan_options
from voice_coach.access.switch import KeySwitch
from voice_coach.access.words import canonical_phrases, intents_by_state
from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.coach.ports import Clock, Expectation
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.coach.settings import CoachSettings
from voice_coach.coach.table import LIVE, State
from voice_coach.errors import CoachError
from voice_coach.session.loop import SessionLoop

AUDIO = Path(__file__).parent / "audio"
CHUNK_SECONDS = 0.03
SHORT, LONG = 0.6, 1.4
"""How long the simulated person's sounds last (a short answer; a long sound to pause)."""


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        return w.readframes(w.getnframes())


def voiced_part(pcm: bytes) -> bytes:
    """The loud middle of a clip (no padding): what a person's sound sounds like to the detector."""
    d = VoiceDetector(use_vad=False)
    frames = [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)]
    return b"".join(f for f in frames if d.level_dbfs(f) > -30)


VOICE = voiced_part(read_pcm(AUDIO / "clean" / "en-us_175" / "short_of_breath.wav"))


# ----- fakes ---------------------------------------------------------------------------------------------------
class TimedSpeaker:
    """Records lines; each takes as long as reading it aloud would (the clock moves), then the person hears it."""

    def __init__(self, clock: VirtualClock, wpm: float = 175) -> None:
        self.clock, self.wpm = clock, wpm
        self.lines: list[str] = []
        self.keys: list[str] = []
        self.hearers: list[Callable[[str, str], None]] = []

    def say(self, text: str, key: str) -> None:
        self.lines.append(text)
        self.keys.append(key)
        self.clock.advance(len(text.split()) * 60 / self.wpm + 0.2)
        for hear in self.hearers:
            hear(text, key)


class FakeSwitch:
    """A switch whose presses are scheduled in clock time."""

    act, long_act, source = "switch", "switch", "keyboard"

    def __init__(self) -> None:
        self.presses: list[float] = []

    def press(self, at: float, _duration: float = 0.0) -> None:
        self.presses = sorted([*self.presses, at])

    def reset(self, clock: Clock) -> None:
        self.presses = [t for t in self.presses if t > clock.now()]

    def settle(self, clock: Clock) -> None:
        pass

    def wait(self, until: float, clock: Clock, *, long: bool = False) -> str | None:
        if self.presses and self.presses[0] <= until:
            clock.sleep_until(self.presses.pop(0))
            return self.source
        clock.sleep_until(until)
        return None


class FakeMic:
    """An AudioSource that behaves like a live microphone on the virtual clock: 30 ms chunks become available
    as time passes (and pile up while nobody reads); scheduled sounds are real speech, the rest silence."""

    sample_rate = 16000

    def __init__(self, clock: VirtualClock, voice: bytes = VOICE) -> None:
        self.clock, self.voice = clock, voice
        self.pos = clock.now()
        self.sounds: list[tuple[float, float]] = []
        self.chunks_read = 0
        self._silence = bytes(FRAME_BYTES)

    def sound(self, at: float, duration: float = SHORT) -> None:
        self.sounds.append((at, at + duration))

    def read(self, timeout_seconds: float) -> bytes | None:
        end = self.pos + CHUNK_SECONDS
        if end > self.clock.now():
            if self.clock.now() + timeout_seconds < end:
                self.clock.advance(timeout_seconds)
                return b""
            self.clock.sleep_until(end)
        chunk = self._chunk(self.pos)
        self.pos = end
        self.chunks_read += 1
        return chunk

    def _chunk(self, t: float) -> bytes:
        for a, b in self.sounds:
            if a <= t < b:
                offset = int((t - a) / CHUNK_SECONDS) * FRAME_BYTES % max(FRAME_BYTES, len(self.voice) - FRAME_BYTES)
                return self.voice[offset:offset + FRAME_BYTES]
        return self._silence

    def close(self) -> None:
        pass


BOOK = load_phrasebook()
NAMES = canonical_phrases(BOOK)
GROUP_OF = {n: g for g, values in {"low": range(0, 4), "middle": range(4, 7), "high": range(7, 11)}.items()
            for n in values}


class Person:
    """Wants to give these answers, in order, and reacts to what is read like a person: a press or a sound
    `reaction` seconds after hearing the option it wants (or the group that holds it)."""

    def __init__(self, plan: list[str], clock: VirtualClock, signal: Callable[[float, float], None],
                 reaction: float = 0.7) -> None:
        self.plan, self.clock, self.signal, self.reaction = list(plan), clock, signal, reaction
        self.pausing = False

    def hear(self, text: str, key: str) -> None:
        if self.pausing:  # a sound made while the coach counted aloud is lost (half duplex): try again
            if key == "paused":
                self.pausing = False
                self.plan.pop(0)
            else:
                self.signal(self.clock.now() + self.reaction, LONG)
            return
        if not self.plan:
            return
        wanted = self.plan[0]
        meaning = BOOK.phrases[wanted]
        intent, value, kind = meaning
        leaf = kind or (f"n{value}" if value is not None else intent.value)
        group = "symptom" if kind else GROUP_OF.get(value) if value is not None else None
        soon = self.clock.now() + self.reaction
        if key == "yes_no_hint":
            assert wanted in ("yes", "no"), f"a yes-or-no question, but the person wants {wanted!r}"
            if wanted == "yes":
                self.signal(soon, SHORT)
            self.plan.pop(0)
        elif key == "counting_hint" and wanted == "pause":
            self.signal(soon, LONG)
            self.pausing = True
        elif key.startswith("scan_option."):
            option = key.split(".", 1)[1]
            if option == leaf:
                self.signal(soon, SHORT)
                self.plan.pop(0)
            elif option == group:
                self.signal(soon, SHORT)


MODES = ("switch", "any-sound", "scanning")
SOURCE = {"switch": "keyboard", "any-sound": "voice", "scanning": "voice"}


class ModeRun:
    def __init__(self, mode: str, program: str | None, plan: list[str], opening: str | None = None,
                 **settings: Any) -> None:
        self.clock = VirtualClock()
        self.speaker = TimedSpeaker(self.clock)
        self.journal = MemoryJournal()
        self.mic = FakeMic(self.clock)
        self.switch = FakeSwitch()
        if mode == "switch":
            selector: Any = self.switch
            self.person = Person(plan, self.clock, self.switch.press)
        elif mode == "any-sound":
            selector = SoundSelector(self.mic)
            self.person = Person(plan, self.clock, self.mic.sound)
        else:  # scanning, by switch or sound: this person makes sounds
            selector = EitherSelector(self.switch, SoundSelector(self.mic))
            self.person = Person(plan, self.clock, self.mic.sound)
        self.speaker.hearers.append(self.person.hear)
        self.listener = ScanningListener(selector, self.speaker, yes_no_by_signal=mode != "scanning")
        settings = {"always_confirm_rating": True, **settings}  # as tests/sessions.run_session's scripted people
        coach = Coach(load_program(program) if program else None, CoachSettings(**settings),
                      OPENINGS[opening]() if opening else None)
        self.loop = SessionLoop(coach, listener=self.listener, speaker=self.speaker, journal=self.journal,
                                clock=self.clock, prompts=load_prompts(), phrasebook=BOOK)
        self.result = self.loop.run()
        self.coach = coach

    def heard(self) -> list[tuple[str, str | None, str]]:
        return [(r["data"]["state"], r["data"]["intent"], r["source"]) for r in self.journal.rows
                if r["kind"] == "heard"]


def entries(journal: MemoryJournal) -> list[tuple[str, dict, str | None, float | None]]:
    """Everything but the time and the source (voice, keyboard) of each entry."""
    return [(r["kind"], r["data"], r["transcript"], r["confidence"]) for r in journal.rows]


def stretching_plan(read_back: bool = True) -> list[str]:
    plan = ["two", "no", "next"]
    n = len(load_program("stretching").exercises)
    for i in range(n):
        plan += ["three", *(["yes"] if read_back else [])] + (["next", "next"] if i < n - 1 else [])
    return plan


SESSIONS = {
    "stretching": ("stretching", stretching_plan(), {}),
    "checkin": (None, ["four", "no", "no"], {}),
    "checkin_new_cramps_daily": (None, ["four", "yes", "no", "no"], {"ask_daily": True}),
    "resistance_hard_rating": ("resistance", ["three", "no", "next", "eight", "yes", "yes", "stop"], {}),
}
CERTAIN_PLANS = {"stretching": stretching_plan(read_back=False),
                 "resistance_hard_rating": ["three", "no", "next", "eight", "yes", "stop"]}
"""The plans of a switch user: a rating picked with the switch is certain, so it is not read back."""


# ----- whole sessions ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SESSIONS))
@pytest.mark.parametrize("mode", MODES)
def test_a_whole_session_gives_the_same_journal_as_speech(mode: str, name: str) -> None:
    program, plan, settings = SESSIONS[name]
    if SOURCE[mode] != "voice":  # compared with a spoken session whose ratings were heard for sure
        plan, settings = CERTAIN_PLANS.get(name, plan), {**settings, "always_confirm_rating": False}
    spoken = run_session(program, list(plan), **settings)
    run = ModeRun(mode, program, plan, **settings)
    assert run.result.outcome == spoken.result.outcome
    assert not run.person.plan, "every answer was given"
    assert entries(run.journal) == entries(spoken.journal)
    assert {source for _, _, source in run.heard()} == {SOURCE[mode]}
    kinds = set(run.journal.kinds())
    assert ("rating" in kinds) == (program is not None) and "checkin_answer" in kinds


def test_a_scanned_answer_is_logged_like_a_spoken_one() -> None:
    run = ModeRun("scanning", None, ["four", "no", "no"])
    rows = [r for r in run.journal.rows if r["kind"] == "checkin_answer"]
    assert [(r["data"], r["transcript"], r["confidence"], r["source"]) for r in rows] == [
        ({"question": "fatigue", "value": 4}, "four", 1.0, "voice"),
        ({"question": "new_cramps", "answer": "no"}, "no", 1.0, "voice"),
        ({"question": "new_twitching", "answer": "no"}, "no", 1.0, "voice")]


# ----- every state ---------------------------------------------------------------------------------------------
READY = ["three", "no", "next"]
ROUTES: dict[State, tuple[list[str], dict[str, Any]]] = {
    **ROUTES_BEFORE_EXERCISE,
    State.EXERCISING: (READY, {}),
    State.ASKING_RATING: (READY, {}),
    State.CONFIRMING: ([*READY, "four"], {}),
    State.OFFERING_REST: ([*READY, "eight", "yes"], {}),
    State.RESTING: ([*READY, "four", "yes"], {}),
    State.WAITING_NEXT: ([*READY, "four", "yes"], {}),
    State.PAUSED: ([*READY, "pause"], {}),
}
COUNTING = (State.EXERCISING, State.RESTING)
CERTAIN_ROUTES = {State.OFFERING_REST: [*READY, "eight"], State.RESTING: [*READY, "four"],
                  State.WAITING_NEXT: [*READY, "four"]}
"""With a switch a rating is certain: no read-back to answer on the way (and none to reach, see below)."""


def test_every_live_state_has_a_route() -> None:
    assert set(ROUTES) == set(LIVE)


def _yes_no(state: State) -> bool:
    intents = intents_by_state()[state]
    return Intent.YES in intents and Intent.NO in intents


@pytest.mark.parametrize("state", list(ROUTES), ids=lambda s: s.value)
@pytest.mark.parametrize("mode", MODES)
def test_every_state_is_reached_and_answered(mode: str, state: State) -> None:
    route, settings = ROUTES[state]
    if SOURCE[mode] != "voice":
        if state is State.CONFIRMING:  # a rating picked with the switch is never read back
            run = ModeRun(mode, "resistance", [*route, "pause", "stop"], **settings)
            assert "confirming" not in {s for s, _, _ in run.heard()} and run.result.outcome == "stopped_by_user"
            return
        route = CERTAIN_ROUTES.get(state, route)
    if state in COUNTING:
        last = ["pause", "stop"]  # while the coach counts, the signal pauses; the pause scan offers stop
    elif mode != "scanning" and _yes_no(state):
        # answered by signal or silence; stop is offered by the next scan ("no" after a safety stop rests today)
        last = ["yes" if state is State.RECALLING else "no", "stop"]
    else:
        last = ["stop"]
    run = ModeRun(mode, "resistance", [*route, *last], **settings)
    assert run.result.outcome == "stopped_by_user"
    assert not run.person.plan
    heard = run.heard()
    assert (state.value, Intent(BOOK.phrases[last[0]][0]).value, SOURCE[mode]) in heard
    assert heard[-1][1] == "stop"


@pytest.mark.parametrize("state", [s for s in ROUTES if s not in COUNTING], ids=lambda s: s.value)
def test_a_symptom_is_early_in_every_scan_and_stops_the_session(state: State) -> None:
    route, settings = ROUTES[state]
    run = ModeRun("scanning", "resistance", [*route, "cramp"], **settings)
    assert run.result.outcome == "stopped_for_safety"
    assert [r["data"] for r in run.journal.rows if r["kind"] == "symptom"] == [{"kind": "cramp"}]
    assert run.heard()[-1][:2] == (state.value, "symptom")
    options = [k for k in run.speaker.keys if k.startswith("scan_option.")]
    assert "scan_option.symptom" in options or state is State.ASKING_WHICH_SYMPTOM


# ----- what a scan reads -----------------------------------------------------------------------------------------
SCANS = {  # the question's own answers first, stop last (issue 20: a sound meant for "three" once picked "stop")
    State.ASKING_FEELING: ["low", "middle", "high", "symptom", "pause", "stop"],
    State.ASKING_RATING: ["low", "middle", "high", "symptom", "pause", "stop"],
    State.ASKING_SYMPTOMS: ["yes", "no", "symptom", "pause", "stop"],
    State.ASKING_WHICH_SYMPTOM: ["cramp", "fasciculation", "dizziness", "pain", "extreme_fatigue", "breathless", "no",
                                 "pause", "stop"],
    State.INTRODUCING: ["next", "repeat", "skip", "rest", "symptom", "pause", "stop"],
    State.CONFIRMING: ["yes", "no", "symptom", "pause", "stop"],
    State.OFFERING_REST: ["yes", "no", "rest", "symptom", "pause", "stop"],
    State.WAITING_NEXT: ["next", "repeat", "skip", "rest", "symptom", "pause", "stop"],
    State.PAUSED: ["resume", "symptom", "stop"],
}


@pytest.mark.parametrize("state", list(SCANS), ids=lambda s: s.value)
def test_scan_order_safety_first_then_answers(state: State) -> None:
    intents = set(intents_by_state()[state]) - {Intent.TODAY}
    assert [o.id for o in scan_options(intents, NAMES)] == SCANS[state]


def test_every_scanned_phrase_maps_back_to_its_option() -> None:
    every = {i for i in Intent}
    options = [o for drop in ({Intent.YES, Intent.NEXT}, {Intent.NEXT}, {Intent.NO})
               for o in scan_options(every - drop, NAMES)]
    leaves = [c for o in options for c in (o.children or (o,))]
    # all but number, symptom and the never-scanned; symptom kinds; 0-10
    assert len({o.id for o in leaves}) == len(Intent) - 2 - len(NEVER_SCANNED) + 6 + 11
    words = load_access_prompts()
    for o in leaves:
        assert o.phrase is not None
        u = BOOK.parse(Heard(o.phrase))
        assert u is not None
        assert (u.symptom or (f"n{u.value}" if u.value is not None else u.intent.value)) == o.id
        assert words.option(o.id, "asking_rating", "?") != "?"


@pytest.mark.parametrize("mode", ["switch", "scanning"])
def test_time_to_pick_a_rating_by_scanning(mode: str) -> None:
    """Figures for the docs: 175 words a minute, 2.5 s after each option, a person reacting in 0.7 s; timed from
    the end of "How hard was that?" to the pick (the read-back follows)."""
    times = {}
    for rating in ("zero", "five", "ten"):
        run = ModeRun(mode, "resistance", ["three", "no", "next", rating, "no", "stop"])
        times[rating] = round(dict(run.listener.picks)[rating], 1)
    assert times["zero"] < times["five"] < times["ten"] < 35, times
    print(f"{mode}: seconds to pick a rating: {times}")


# ----- yes or no by signal ----------------------------------------------------------------------------------------
def test_switch_yes_no_press_is_yes_and_silence_is_no() -> None:
    clock, switch = VirtualClock(), FakeSwitch()
    speaker = TimedSpeaker(clock)
    listener = ScanningListener(switch, speaker, yes_no_by_signal=True, answer_seconds=15)
    expect = Expectation(tuple(BOOK.phrases_for([Intent.YES, Intent.NO, Intent.STOP])), True, "asking_daily")
    switch.press(3.0)
    assert listener.listen(1.0, clock, expect) == Heard("yes", 1.0, "keyboard")
    start = clock.now()
    assert listener.listen(1.0, clock, expect) == Heard("no", 1.0, "keyboard")
    assert clock.now() - start == pytest.approx(15 + speaker_seconds(speaker.lines[-1]))
    assert speaker.lines[-1] == "Press the switch for yes, or wait for no."


def speaker_seconds(line: str) -> float:
    return len(line.split()) * 60 / 175 + 0.2


def test_a_press_made_while_the_question_was_read_does_not_count() -> None:
    clock, switch = VirtualClock(), FakeSwitch()
    switch.press(0.0)
    clock.advance(0.5)
    listener = ScanningListener(switch, TimedSpeaker(clock), yes_no_by_signal=True, answer_seconds=5)
    expect = Expectation(tuple(BOOK.phrases_for([Intent.YES, Intent.NO])), True, "asking_symptoms")
    assert listener.listen(None, clock, expect) == Heard("no", 1.0, "keyboard")


def test_counting_hint_is_said_once_per_exercise_and_a_long_sound_pauses() -> None:
    clock = VirtualClock()
    mic = FakeMic(clock)
    speaker = TimedSpeaker(clock)
    listener = ScanningListener(SoundSelector(mic), speaker, yes_no_by_signal=True)
    expect = Expectation(tuple(BOOK.phrases_for([Intent.PAUSE, Intent.STOP, Intent.NEXT])), False, "exercising")
    mic.sound(3.0, SHORT)  # an effort noise: too short to pause
    assert listener.listen(5.0, clock, expect) is None
    assert listener.listen(10.0, clock, expect) is None
    assert speaker.keys == ["counting_hint"]
    assert speaker.lines == ["Make a long sound at any time to pause."]
    mic.sound(12.0, LONG)
    assert listener.listen(20.0, clock, expect) == Heard("pause", 1.0, "voice")
    assert 12.9 < clock.now() < 13.5


# ----- the sound detector on real recordings ---------------------------------------------------------------------
class WavSource:
    """A WAV file as an AudioSource, then silence, on the virtual clock."""

    sample_rate = 16000

    def __init__(self, clock: VirtualClock, pcm: bytes) -> None:
        self.clock, self.pcm, self.pos = clock, pcm, 0

    def read(self, timeout_seconds: float) -> bytes | None:
        chunk = self.pcm[self.pos:self.pos + FRAME_BYTES] or bytes(FRAME_BYTES)
        self.pos += FRAME_BYTES
        self.clock.advance(CHUNK_SECONDS)
        return chunk

    def close(self) -> None:
        pass


@pytest.mark.parametrize("clip, picked", [
    ("clean/en-us_175/yes.wav", True),
    ("clean/en-us-m3_110/no.wav", True),
    ("noisy10/en-us-m3_110/no.wav", True),
    ("noisy20/en-us_175/stop.wav", True),
    ("silence/silence_3s.wav", False),
])
def test_any_sound_detects_voice_not_silence(clip: str, picked: bool) -> None:
    clock = VirtualClock()
    selector = SoundSelector(WavSource(clock, read_pcm(AUDIO / clip)))
    assert (selector.wait(4.0, clock) is not None) is picked


def test_sound_threshold_is_adjustable() -> None:
    quiet = read_pcm(AUDIO / "clean" / "en-us_175" / "yes.wav")
    import numpy as np
    faint = (np.frombuffer(quiet, "<i2") // 10).astype("<i2").tobytes()  # 20 dB down: a weak voice, -37 dBFS peaks
    clock = VirtualClock()
    assert SoundSelector(WavSource(clock, faint), threshold_dbfs=-40).wait(3.0, clock) is None
    clock = VirtualClock()
    assert SoundSelector(WavSource(clock, faint), threshold_dbfs=-60).wait(3.0, clock) == "voice"


def test_steady_loud_noise_is_background_not_an_answer() -> None:
    """webrtcvad alone takes loud white noise for speech; the background estimate rules it out."""
    clock = VirtualClock()
    noise = read_pcm(AUDIO / "noise" / "white_noise_2s.wav")
    assert SoundSelector(WavSource(clock, noise)).wait(2.0, clock) is None


# ----- the real switch adapter --------------------------------------------------------------------------------------
def test_key_switch_reads_space_or_enter_and_ignores_other_keys() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r") as stream:
        switch = KeySwitch(stream)
        clock = VirtualClock()
        os.write(write_end, b"x")
        switch.reset(clock)
        assert switch.wait(clock.now(), clock) is None  # "x" was dropped; nothing else is waiting
        os.write(write_end, b"ab ")
        assert switch.wait(clock.now() + 60, clock) == "keyboard"
        os.write(write_end, b"\n")
        assert switch.wait(clock.now() + 60, clock) == "keyboard"
        os.close(write_end)
        from voice_coach.coach.ports import EndOfInput
        with pytest.raises(EndOfInput):
            switch.wait(clock.now() + 60, clock)


# ----- falling back from speech to scanning ----------------------------------------------------------------------
def test_speech_falls_back_to_scanning_after_n_answers_not_understood() -> None:
    clock = VirtualClock()
    speaker = TimedSpeaker(clock)
    switch = FakeSwitch()
    scanner = ScanningListener(switch, speaker)
    speech = ScriptedListener(["mumble", "grr"], transcript=[])
    fallback = FallbackListener(lambda _: speech, lambda: scanner, speaker, after=2)
    person = Person(["two"], clock, switch.press)
    speaker.hearers.append(person.hear)
    expect = Expectation(tuple(BOOK.phrases_for([Intent.NUMBER, Intent.STOP, Intent.PAUSE])), True, "asking_feeling")
    assert fallback.listen(100.0, clock, expect) == Heard("mumble", 1.0, "voice")
    assert fallback.scanner is None
    assert fallback.listen(100.0, clock, expect) == Heard("grr", 1.0, "voice")
    assert fallback.scanner is scanner and speaker.keys == ["fallback_to_scanning"]
    assert fallback.listen(100.0, clock, expect) == Heard("two", 1.0, "keyboard")


def test_rejections_reported_by_the_speech_listener_count() -> None:
    clock = VirtualClock()
    callbacks = []

    def speech(on_rejected: Callable[[], None]) -> ScriptedListener:
        callbacks.append(on_rejected)
        return ScriptedListener([], transcript=[])

    fallback = FallbackListener(speech, lambda: ScanningListener(FakeSwitch(), TimedSpeaker(clock)),
                                TimedSpeaker(clock), after=2)
    callbacks[0]()
    callbacks[0]()
    assert fallback.failures == 2


def test_an_understood_answer_resets_the_count() -> None:
    clock = VirtualClock()
    speech = ScriptedListener(["mumble", "five", "grr"], transcript=[])
    fallback = FallbackListener(lambda _: speech, lambda: pytest.fail("no fallback"), TimedSpeaker(clock), after=2)
    expect = Expectation(tuple(BOOK.phrases_for([Intent.NUMBER, Intent.STOP])), True, "asking_feeling")
    for _ in range(3):
        fallback.listen(100.0, clock, expect)
    assert fallback.failures == 1 and fallback.scanner is None


def test_a_whole_session_after_speech_fails() -> None:
    """Speech that is never understood: after three tries the coach scans, and the session still completes."""
    clock = VirtualClock()
    speaker, journal, mic = TimedSpeaker(clock), MemoryJournal(), FakeMic(clock)
    speech = ScriptedListener(["mumble"] * 3, transcript=[])
    listener = FallbackListener(lambda _: speech, lambda: ScanningListener(SoundSelector(mic), speaker), speaker,
                                after=3)
    person = Person(["four", "no", "no"], clock, mic.sound)
    speaker.hearers.append(person.hear)
    loop = SessionLoop(Coach(None, CoachSettings()), listener=listener, speaker=speaker, journal=journal, clock=clock,
                       prompts=load_prompts(), phrasebook=BOOK)
    assert loop.run().outcome == "completed"
    assert journal.kinds().count("unrecognised") == 3 and "fallback_to_scanning" in speaker.keys
    assert [r["data"].get("answer", r["data"].get("value")) for r in journal.rows if r["kind"] == "checkin_answer"] \
        == [4, "no", "no"]


# ----- the factory the CLI uses ----------------------------------------------------------------------------------
def test_the_fallback_listens_for_sounds_on_the_speech_microphone() -> None:
    clock = VirtualClock()
    speaker = TimedSpeaker(clock)
    mic = FakeMic(clock)

    class MicSpeech:
        source = mic

        def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
            return Heard("mumble", 0.4, "voice")

    listener = make_input_listener("speech", Profile(scan_fallback_after=1), speaker=speaker,
                                   speech=lambda on_rejected: MicSpeech())
    assert isinstance(listener, FallbackListener)
    expect = Expectation(tuple(BOOK.phrases_for([Intent.NUMBER, Intent.STOP])), True, "asking_feeling")
    listener.listen(100.0, clock, expect)
    assert listener.scanner is not None
    sound = listener.scanner.selector
    assert isinstance(sound, SoundSelector) and sound.audio is mic


def test_make_input_listener_builds_each_mode() -> None:
    clock = VirtualClock()
    speaker = TimedSpeaker(clock)
    kw: dict[str, Any] = {"speaker": speaker, "audio": lambda: FakeMic(clock), "switch": FakeSwitch,
                          "speech": lambda on_rejected: ScriptedListener([])}
    p = Profile()
    switch = make_input_listener("switch", p, **kw)
    assert isinstance(switch, ScanningListener) and switch.yes_no_by_signal and switch.selector.act == "switch"
    sound = make_input_listener("any-sound", p, **kw)
    assert isinstance(sound, ScanningListener) and isinstance(sound.selector, SoundSelector)
    scanning = make_input_listener("scanning", p, **kw)
    assert isinstance(scanning, ScanningListener) and not scanning.yes_no_by_signal
    assert isinstance(scanning.selector, EitherSelector)
    assert isinstance(make_input_listener("speech", p, **kw), FallbackListener)
    replay = make_input_listener("speech", p, speaker=speaker, speech=kw["speech"])
    assert isinstance(replay, ScriptedListener), "nothing to scan with: no fallback"
    plain = make_input_listener("speech", Profile(scan_fallback_after=0), **kw)
    assert isinstance(plain, SorryOnRejection) and isinstance(plain.primary, ScriptedListener)
    assert make_input_listener("caregiver", p, **kw).source == "caregiver"  # type: ignore[attr-defined]
    with pytest.raises(CoachError, match="unknown input mode 'telepathy'"):
        make_input_listener("telepathy", p, **kw)
    with pytest.raises(CoachError, match="needs a microphone"):
        make_input_listener("any-sound", p, speaker=speaker)


# ----- the lines of prompts/access_en.yaml -----------------------------------------------------------------------
def test_every_line_the_modes_speak_is_in_the_contract_and_renders() -> None:
    import ast
    import re

    from voice_coach.access.prompts import ACCESS_SLOTS

    used = set()
    for module in ("scanning", "input_modes", "voice_check"):
        tree = ast.parse((Path(__file__).parent.parent / "voice_coach" / "access" / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("_speak", "line"):
                used |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                         and re.fullmatch(r"[a-z_]+", a.value)}
    assert len(used) >= 10 and used <= set(ACCESS_SLOTS), sorted(used - set(ACCESS_SLOTS))
    lines = load_access_prompts()
    for key, slots in ACCESS_SLOTS.items():
        text = lines.line(key, **{s: "X" for s in slots})
        assert text and "{" not in text


def test_a_bad_access_prompt_file_fails_at_load(tmp_path: Path) -> None:
    from voice_coach.errors import PromptError

    source = (Path(__file__).parent.parent / "voice_coach" / "data" / "prompts" / "access_en.yaml").read_text()
    for bad, message in [(source.replace("scan_again:", "scan_agin:"), "lines.scan_agin: unknown key"),
                         (source.replace("{option}.", "{opton}."), r"unknown placeholder \{opton\}"),
                         (source.replace('  stop: "stop"\n', '  halt: "stop"\n', 1), "scan_words.halt: unknown")]:
        (tmp_path / "access_xx.yaml").write_text(bad)
        load_access_prompts.cache_clear()
        with pytest.raises(PromptError, match=message):
            load_access_prompts("xx", tmp_path)
    load_access_prompts.cache_clear()
