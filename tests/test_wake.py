"""The wake detector's decision on the Whisper check's verdict (a real grammar decoder, a scripted verdict), and the
request read from the transcript."""

from __future__ import annotations

import pytest

from tests.room import Track, speak
from voice_coach.listen.prompts import load_listen_prompts
from voice_coach.listen.resident import wake_grammar
from voice_coach.listen.wake import WakeDetector, with_request
from voice_coach.speech.sphinx import SphinxRecognizer
from voice_coach.speech.whisper_check import Verdict

PHRASES = wake_grammar("okay coach", load_listen_prompts())


class ScriptedCheck:
    """Stands for WhisperCheck: gives the verdict it was handed."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.calls = 0

    def judge(self, pcm: bytes, phrases: tuple[str, ...], hints: tuple[str, ...] = ()) -> Verdict:
        self.calls += 1
        return self.verdict


@pytest.fixture(scope="module")
def grammar() -> SphinxRecognizer:
    return SphinxRecognizer(None)


def run(grammar: SphinxRecognizer, verdict: Verdict, *, lenient: bool = False, text: str = "okay coach") -> tuple:
    detector = WakeDetector(grammar, ScriptedCheck(verdict))
    detector.lenient = lenient
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak(text, "en-us", 160)).gap(0.3).pcm())
    heard = detector.end()
    (result,) = detector.take_results()
    return heard, result


CASES = [
    ("Whisper took it", Verdict("okay coach", 0.9, "ok", "Okay, coach.", 0.0, "okay coach"), False, "wake"),
    ("close to its transcript", Verdict(None, 0.0, "not_for_coach", "Okay, go.", -3.0, "okay coach"), False, "wake"),
    ("the grammar agrees", Verdict(None, 0.0, "not_for_coach", "Okay, go.", -6.0, "okay coach"), False, "wake"),
    ("a near miss", Verdict(None, 0.0, "not_for_coach", "Okay, go.", -7.5, "okay coach"), False, "near_miss"),
    ("the second chance", Verdict(None, 0.0, "not_for_coach", "Okay, go.", -7.5, "okay coach"), True, "wake"),
    ("far", Verdict(None, 0.0, "not_for_coach", "Okay, good.", -15.0, "okay coach"), True, "none"),
    ("a long transcript", Verdict(None, 0.0, "not_for_coach", "She's a new poth of all, and it's a", -2.5,
                                  "okay coach"), True, "none"),
    ("no candidate", Verdict(None, 0.0, "no_speech", "", 0.0, None), False, "none"),
]


@pytest.mark.parametrize("verdict, lenient, outcome", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wake_decision(grammar: SphinxRecognizer, verdict: Verdict, lenient: bool, outcome: str) -> None:
    heard, result = run(grammar, verdict, lenient=lenient)
    assert result.outcome == outcome
    assert (heard is not None) == (outcome == "wake")


def test_the_request_is_read_from_the_transcript() -> None:
    assert with_request("okay coach", "Okay, go, check in.", PHRASES, "okay coach") == "okay coach check in"
    assert with_request("okay coach", "Okay, go start.", PHRASES, "okay coach") == "okay coach start"
    assert with_request("okay coach", "Okay, go.", PHRASES, "okay coach") == "okay coach"
    assert with_request("okay coach start", "Okay, go, check in.", PHRASES, "okay coach") == "okay coach start"


def test_long_room_talk_is_never_judged(grammar: SphinxRecognizer) -> None:
    check = ScriptedCheck(Verdict("okay coach", 0.9, "ok", "Okay, coach.", 0.0, "okay coach"))
    detector = WakeDetector(grammar, check)
    detector.begin(PHRASES)
    talk = Track(4)
    for _ in range(3):
        talk.say("and now the news at ten, coming up after the break", "en-gb", 170, after=0.1)
    detector.feed(talk.pcm())
    assert detector.end() is None and check.calls == 0
