"""Barge-in: "stop" or a symptom said while the coach speaks cuts the line at once; a stop ends the session, a
symptom stops it for safety and reads its caution. What the coach's own line says is not taken as the person's."""

from __future__ import annotations

import threading

from tests.fakes import FakeClock, MemoryJournal
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.coach.ports import Clock, Expectation
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.session.loop import SessionLoop


class CuttableSpeaker:
    """Each line 'plays' until cut, or until the test lets it finish; records what was said and cut."""

    def __init__(self, long_line: str = "intro_resistance") -> None:
        self.long_line = long_line
        self.said: list[str] = []
        self.cut: list[str] = []
        self._cut = threading.Event()
        self.playing = threading.Event()

    def say(self, text: str, key: str) -> None:
        self.said.append(key)
        self._cut.clear()
        self.playing.set()
        if key == self.long_line and not self._cut.wait(timeout=10):  # a long line, cut by "stop"
            raise AssertionError("the line was never cut")
        self.playing.clear()
        if self._cut.is_set():
            self.cut.append(key)

    def stop_playback(self) -> None:
        self._cut.set()


class LiveListener:
    """Stands for the microphone listener: replies while the coach waits; `word` ("stop") during one chosen line."""

    drain_on_listen = True

    def __init__(self, speaker: CuttableSpeaker, replies: list[str], stop_during: str, word: str = "stop") -> None:
        self.speaker, self.replies, self.stop_during, self.word = speaker, replies, stop_during, word

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        assert isinstance(clock, FakeClock)
        if threading.current_thread().name == "barge-in":  # listening while the coach speaks
            if self.speaker.playing.is_set() and self.speaker.said[-1] == self.stop_during:
                return Heard(self.word, 0.9, "voice")
            return None
        if expect.awaiting and self.replies:
            return Heard(self.replies.pop(0), 0.9, "voice")
        clock.sleep_until(until if until is not None else clock.now() + 1)
        return None


def test_stop_during_a_line_cuts_it_pauses_and_asks_and_a_second_stop_ends_the_session() -> None:
    """A "stop" the listener heard in the same audio as the coach's own voice may be that voice: the line is cut
    at once, the coach pauses and asks ("Did you want to stop?"), and "stop" then ends the session."""
    speaker, journal = CuttableSpeaker(), MemoryJournal()
    listener = LiveListener(speaker, ["three", "no", "stop"], stop_during="intro_resistance")
    loop = SessionLoop(Coach(load_program("resistance")), listener=listener, speaker=speaker, journal=journal,
                       clock=FakeClock(), prompts=load_prompts(), phrasebook=load_phrasebook())
    result = loop.run()
    assert speaker.cut == ["intro_resistance"]
    assert "ask_ready" not in speaker.said  # the rest of that turn's lines are not said after a stop
    assert "paused_unsure_stop" in speaker.said and result.outcome == "stopped_by_user"
    heard = [r for r in journal.rows if r["kind"] == "heard"]
    assert heard[-2]["transcript"] == "stop" and heard[-2]["data"]["state"] == "introducing"
    assert heard[-1]["transcript"] == "stop" and heard[-1]["data"]["state"] == "paused"


def test_a_line_that_says_stop_is_not_cut_by_its_own_stop() -> None:
    """The coach's own "say stop to end" is heard by the microphone: in that line a "stop" is not the person's."""
    speaker, journal = CuttableSpeaker(), MemoryJournal()
    listener = LiveListener(speaker, ["three", "stop"], stop_during="caution_general")
    loop = SessionLoop(Coach(load_program("resistance")), listener=listener, speaker=speaker, journal=journal,
                       clock=FakeClock(), prompts=load_prompts(), phrasebook=load_phrasebook())
    loop.run()
    assert speaker.cut == [] and "caution_general" in speaker.said and "ask_feeling" in speaker.said


def test_a_stop_during_a_turn_never_drops_its_cautions() -> None:
    """A cramp ends the session; "stop" said over the summary must not silence the practitioner line after it."""
    speaker, journal = CuttableSpeaker(long_line="summary"), MemoryJournal()
    listener = LiveListener(speaker, ["three", "no", "cramp"], stop_during="summary")
    loop = SessionLoop(Coach(load_program("resistance")), listener=listener, speaker=speaker, journal=journal,
                       clock=FakeClock(), prompts=load_prompts(), phrasebook=load_phrasebook())
    assert loop.run().outcome == "stopped_for_safety"
    said = speaker.said
    assert speaker.cut == ["summary"]
    assert said[said.index("safety_stop"):] == ["safety_stop", "caution_cramp", "summary", "check_in_practitioner"]


def run_with(word: str, during: str, replies: list[str], long_line: str = "intro_resistance"
             ) -> tuple[CuttableSpeaker, MemoryJournal, str]:
    speaker, journal = CuttableSpeaker(long_line=long_line), MemoryJournal()
    listener = LiveListener(speaker, replies, stop_during=during, word=word)
    loop = SessionLoop(Coach(load_program("resistance")), listener=listener, speaker=speaker, journal=journal,
                       clock=FakeClock(), prompts=load_prompts(), phrasebook=load_phrasebook())
    return speaker, journal, loop.run().outcome


def test_a_symptom_during_a_line_cuts_it_is_read_back_and_yes_stops_the_session_for_safety() -> None:
    """"I've got a cramp" over the coach's voice is acted on, not dropped to be said again; heard in the same audio
    as the coach's own voice it is read back first ("Did you say cramp?")."""
    speaker, journal, outcome = run_with("i've got a cramp", "intro_resistance", ["three", "no", "yes"])
    assert speaker.cut == ["intro_resistance"] and outcome == "stopped_for_safety"
    said = speaker.said
    assert said[said.index("confirm_symptom"):said.index("confirm_symptom") + 3] == [
        "confirm_symptom", "safety_stop", "caution_cramp"]
    symptom = [r for r in journal.rows if r["kind"] == "symptom"]
    assert symptom and symptom[0]["data"]["kind"] == "cramp", journal.rows


def test_a_symptom_the_line_itself_names_is_not_taken_over_it_but_stop_still_is() -> None:
    """"How tired do you feel ... to ten, exhausted?": the microphone hears the coach say "exhausted"."""
    speaker, _, outcome = run_with("exhausted", "ask_feeling", ["three", "stop"], long_line="none")
    assert speaker.cut == [] and outcome == "stopped_by_user"  # the session went on to the person's own stop
    speaker, _, outcome = run_with("stop", "ask_feeling", ["stop"], long_line="ask_feeling")
    assert speaker.cut == ["ask_feeling"] and outcome == "stopped_by_user"
