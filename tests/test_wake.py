"""The wake detector's decision on the Whisper check's verdict (a real grammar decoder, a scripted verdict), and the
request read from the transcript."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from tests.room import Track, speak
from voice_coach.listen.prompts import load_listen_prompts
from voice_coach.listen.resident import wake_grammar
from voice_coach.listen.wake import WakeDetector, with_request
from voice_coach.speech.sphinx import SphinxRecognizer
from voice_coach.speech.voice_templates import Match
from voice_coach.speech.whisper_check import Verdict

PHRASES = wake_grammar("okay coach", load_listen_prompts())


class ScriptedCheck:
    """Stands for WhisperCheck: gives the verdict it was handed (or the next of several, the last one again)."""

    def __init__(self, verdict: Verdict, *more: Verdict) -> None:
        self.verdicts = [verdict, *more]
        self.calls = 0
        self.seconds: list[float] = []
        """How much audio each call judged."""
        self.phrases: list[tuple[str, ...]] = []
        """The phrases each call was asked to score."""
        self.extended: list[str] = []
        """The phrases `extend` scored after a call."""
        self.prompt, self.limits = "off", "the gates of no word list"
        self.prompts: list[str] = []
        """The previous text each call was made with."""
        self.extend_prompts: list[str] = []
        """...and each `extend`."""

    def judge(self, pcm: bytes, phrases: tuple[str, ...], hints: tuple[str, ...] = (), *,
              score_if: Callable[[str], bool] | None = None) -> Verdict:
        self.calls += 1
        self.prompts.append(self.prompt)
        self.seconds.append(len(pcm) / 32000)
        self.phrases.append(tuple(phrases))
        verdict = self.verdicts[min(self.calls, len(self.verdicts)) - 1]
        if verdict.phrase is None and score_if is not None and not score_if(verdict.transcript):
            return Verdict(None, 0.0, "not_for_coach", verdict.transcript, -math.inf, match=verdict.match)
        return verdict  # as the real check: no phrase scored on a transcript `score_if` refuses

    def extend(self, verdict: Verdict, phrase: str) -> Verdict:
        """One more phrase scored on the verdict's audio: the verdict as it was (the script decides)."""
        self.extended.append(phrase)
        self.extend_prompts.append(self.prompt)
        return verdict


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
    ("taken over a long transcript", Verdict("okay coach", 0.9, "ok", "I'm not sure if I'm gonna go to the end of",
                                             2.96, "okay coach"), True, "none"),
    ("no candidate", Verdict(None, 0.0, "no_speech", "", 0.0, None), False, "none"),
    # the anchor rule (wake_anchor.py): a transcript without a word of the wake phrase is not the phrase
    ("garbled, no wake word (the third class)", Verdict(None, 0.0, "not_for_coach", "The... ...phonestanestion.",
                                                        -4.08, "okay coach"), False, "none"),
    ("garbled, no wake word, second chance", Verdict(None, 0.0, "not_for_coach", "For gay gold.", -5.0,
                                                     "okay coach"), True, "wake"),
    ("taken, yet no wake word", Verdict("okay coach", 0.9, "ok", "Go to.", -0.5, "okay coach"), False, "none"),
    ("O.K. is okay", Verdict(None, 0.0, "not_for_coach", "O.K., go.", -3.0, "okay coach"), False, "wake"),
    ("coach alone anchors", Verdict(None, 0.0, "not_for_coach", "Oh, coach.", -3.0, "okay coach"), False, "wake"),
    ("the person's tries decide", Verdict("okay coach", 0.8, "ok", "Go to.", -9.0, "okay coach",
                                          match=Match("okay coach", 0.1, 0.5, 0.5)), False, "wake"),
]


@pytest.mark.parametrize("verdict, lenient, outcome", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wake_decision(grammar: SphinxRecognizer, verdict: Verdict, lenient: bool, outcome: str) -> None:
    heard, result = run(grammar, verdict, lenient=lenient)
    assert result.outcome == outcome
    assert (heard is not None) == (outcome == "wake")


def test_the_grammar_agrees_on_the_wake_phrase_not_the_request(grammar: SphinxRecognizer) -> None:
    """The grammar accepted "okay coach start", Whisper finds "okay coach" best at -6 (within the agree gap): a wake,
    with Whisper's phrase; the same gap with nothing accepted by the grammar is a near miss."""
    weak = Verdict(None, 0.0, "not_for_coach", "Okay, go.", -6.0, "okay coach")
    heard, result = run(grammar, weak, text="okay coach start")
    assert result.grammar == "okay coach start/ok"
    assert result.outcome == "wake" and heard is not None and heard.text == "okay coach"
    heard, result = run(grammar, weak, text="okay")
    assert not result.grammar.endswith("/ok") and result.outcome == "near_miss" and heard is None


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


TOOK = Verdict("okay coach", 0.9, "ok", "Okay, coach.", 0.0, "okay coach")
REQUEST = Verdict(None, 0.0, "not_for_coach", "Okay, go, check in.", -2.0, "okay coach")
SPREAD = Verdict("okay coach", 0.9, "ok", "Ok, Cole, a coach and aussies.", 1.04, "okay coach")
WEAK = Verdict(None, 0.0, "not_for_coach", "Okay, go.", -3.0, "okay coach")
FAR = Verdict(None, 0.0, "not_for_coach", "Okay, good.", -15.0, "okay coach")
LONG = Verdict(None, 0.0, "not_for_coach", "Okay, go, and then we went to the shops in town.", -2.0, "okay coach")
EARLY = [
    # (case, first verdict (at the pause), at the end, said after the pause, early decided, heard at the end, runs)
    ("nothing follows: no second run", TOOK, TOOK, "", True, "okay coach", 1),
    ("the request in the same breath", TOOK, REQUEST, "check in", True, "okay coach check in", 2),
    ("the rest unclear: the wake stands", TOOK, FAR, "check in", True, "okay coach", 2),
    ("the rest runs on: the wake stands", TOOK, LONG, "check in", True, "okay coach", 2),
    ("not a wake at the pause, nothing more: no second run", FAR, TOOK, "", False, None, 1),
    ("a weak match waits for the end (same verdict)", WEAK, TOOK, "", False, "okay coach", 1),
    ("the phrase's words spread over a longer sentence", SPREAD, SPREAD, "", False, None, 1),
    ("not a wake at the pause, more said: judged again at the end", FAR, TOOK, "check in", False, "okay coach", 2),
    ("not a wake at all", FAR, FAR, "check in", False, None, 2),
]


@pytest.mark.parametrize("first, last, then, early, heard, runs", [c[1:] for c in EARLY], ids=[c[0] for c in EARLY])
def test_early_wake_at_the_first_pause(grammar: SphinxRecognizer, first: Verdict, last: Verdict, then: str,
                                       early: bool, heard: str | None, runs: int) -> None:
    check = ScriptedCheck(first, last)
    detector = WakeDetector(grammar, check)
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak("okay coach", "en-us", 160)).gap(0.2).pcm())
    assert detector.early() is early
    rest = Track(3).gap(0.1)
    if then:
        rest.add(speak(then, "en-us", 160))
    detector.feed(rest.gap(0.3).pcm())
    got = detector.end()
    assert (got.text if got is not None else None) == heard
    assert check.calls == runs


def test_early_is_asked_only_of_short_speech_and_at_most_twice(grammar: SphinxRecognizer) -> None:
    check = ScriptedCheck(FAR)
    detector = WakeDetector(grammar, check)
    detector.begin(PHRASES)
    detector.feed(Track(2).gap(0.3).pcm())  # a click's worth
    assert not detector.early() and check.calls == 0
    detector.feed(Track(2).add(speak("okay", "en-us", 160)).gap(0.2).pcm())
    assert not detector.early() and not detector.early() and not detector.early()
    assert check.calls == 2
    detector.begin(PHRASES)
    talk = speak("and now the news at ten, coming up after the break: the weather", "en-gb", 150)
    assert len(talk) / 16000 > 3.5
    detector.feed(Track(2).add(talk).gap(0.2).pcm())
    assert not detector.early() and check.calls == 2  # longer than a wake phrase: room talk


def test_the_check_at_a_pause_scores_the_bare_phrase_and_the_end_the_request(grammar: SphinxRecognizer) -> None:
    """The check at a pause scores the bare wake phrase (and the grammar's partial); when it was not a clear wake
    and nothing more was said, the end scores the request Whisper wrote on the same audio (no second run); a
    transcript without a wake word is scored for nothing."""
    said = Verdict(None, 0.0, "not_for_coach", "Okay, go, check in.", -5.0, "okay coach")
    check = ScriptedCheck(said)
    detector = WakeDetector(grammar, check)
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak("okay coach check in", "en-us", 160)).gap(0.2).pcm())
    assert not detector.early()
    detector.feed(Track(3).gap(0.3).pcm())
    detector.end()
    assert check.calls == 1 and check.phrases[0][0] == "okay coach" and len(check.phrases[0]) <= 2
    assert "okay coach check in" in check.extended
    garbled = ScriptedCheck(Verdict(None, 0.0, "not_for_coach", "The pond is open.", -5.0, "okay coach"))
    detector = WakeDetector(grammar, garbled)
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak("the pond is open", "en-us", 160)).gap(0.2).pcm())
    assert not detector.early()
    detector.feed(Track(3).gap(0.3).pcm())
    assert detector.end() is None and garbled.calls == 1 and garbled.extended == []


def test_what_the_detector_keeps_is_bounded_over_many_utterances(grammar: SphinxRecognizer) -> None:
    """A resident listener runs for days: the results the loop has not taken stay bounded, and each utterance's
    audio and verdict are dropped at the next one."""
    detector = WakeDetector(grammar, ScriptedCheck(FAR))
    quiet = Track(5).gap(0.3).pcm()
    for _ in range(100):
        detector.begin(PHRASES)
        detector.feed(quiet)
        detector.end()
    assert len(detector.results) == 64
    detector.begin(PHRASES)
    assert len(detector._pcm) == 0 and detector._checked is None


NEAR = Verdict(None, 0.0, "not_for_coach", "Okay, go.", -6.0, "okay coach")
WEAK_REQUEST = Verdict(None, 0.0, "not_for_coach", "Okay, go, check in.", -3.5, "okay coach")
SETTLED = [
    # (case, verdict at the first pause, at the end, said after it, second chance, answered at the longer pause,
    #  heard at the end, Whisper runs)
    ("a likely wake, nothing more: answered at the longer pause", WEAK, FAR, "", False, True, "okay coach", 1),
    ("a likely wake with its request", WEAK_REQUEST, FAR, "", False, True, "okay coach check in", 1),
    ("a likely wake, then more speech: the end decides", WEAK, FAR, "check in", False, False, None, 2),
    ("a near miss waits for the end (where the grammar's agreement takes it)", NEAR, FAR, "", False, False,
     "okay coach", 1),
    ("a near miss on a second chance is", NEAR, FAR, "", True, True, "okay coach", 1),
    ("not a wake", FAR, TOOK, "", False, False, None, 1),
]


@pytest.mark.parametrize("first, last, then, lenient, answered, heard, runs", [c[1:] for c in SETTLED],
                         ids=[c[0] for c in SETTLED])
def test_a_likely_wake_is_answered_at_the_longer_pause(grammar: SphinxRecognizer, first: Verdict, last: Verdict,
                                                      then: str, lenient: bool, answered: bool, heard: str | None,
                                                      runs: int) -> None:
    check = ScriptedCheck(first, last)
    detector = WakeDetector(grammar, check)
    detector.lenient = lenient
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak("okay coach", "en-us", 140)).gap(0.18).pcm())
    assert not detector.early(0.18)
    more = Track(3)
    if then:
        more.gap(0.05).add(speak(then, "en-us", 160))
    detector.feed(more.gap(0.12).pcm())  # the endpointer gives 0.3 s of a pause (its hangover), no more
    assert detector.early(0.36) is answered
    assert not detector.early(0.36)  # asked once per pause
    got = detector.end()
    assert (got.text if got is not None else None) == heard
    assert check.calls == runs


@pytest.mark.parametrize("verdict, asked, answered", [(TOOK, [0.18], True), (WEAK, [0.18, 0.36], True),
                                                      (FAR, [0.18, 0.36], False)], ids=["clear", "likely", "far"])
def test_the_stream_listener_asks_at_both_pauses(grammar: SphinxRecognizer, verdict: Verdict, asked: list[float],
                                                answered: bool) -> None:
    """Through the real endpointer: the detector is asked at the first pause and, unless it answered there, at the
    longer one; the report says where the answer came (after the end of speech by about that pause)."""
    from voice_coach.coach.clocks import VirtualClock
    from voice_coach.coach.ports import EndOfInput, Expectation
    from voice_coach.speech.audio_io import BlockSource
    from voice_coach.speech.listener import StreamListener

    detector = WakeDetector(grammar, ScriptedCheck(verdict))
    pauses: list[float] = []
    answers: list[bool] = []

    def decide(pause: float) -> bool:
        pauses.append(round(pause, 2))
        return detector.early(pause)

    pcm = Track(5).gap(0.5).add(speak("okay coach", "en-us", 140)).gap(2.0).pcm()
    listener = StreamListener(BlockSource([pcm]), detector)
    listener.on_early, listener.decide_early = (lambda: answers.append(True)), decide
    with pytest.raises(EndOfInput):
        while True:
            listener.listen(None, VirtualClock(), Expectation(PHRASES, True, "listen_waiting"))
    report = listener.reports[0]
    assert pauses == asked and answers == ([True] if answered else [])
    if answered:
        assert report.early_seconds is not None
        after = report.early_seconds - report.speech_end_seconds
        assert asked[-1] - 0.1 <= after <= asked[-1] + 0.1
    else:
        assert report.early_seconds is None


CHECK_IT = "Okay, go, check it!"
REQUEST_AFTER = [
    # (case, the whole utterance's verdict after a clear wake at the pause, heard)
    ("Whisper found the request", REQUEST, "okay coach check in"),
    ("the grammar's request, Whisper not far from it", Verdict(None, 0.0, "not_for_coach", CHECK_IT, -2.9, "okay coach",
                                                               (("okay coach", -2.9), ("okay coach check in", -4.0))),
     "okay coach check in"),
    ("the grammar's request, Whisper far from it", Verdict(None, 0.0, "not_for_coach", CHECK_IT, -2.9, "okay coach",
                                                           (("okay coach", -2.9), ("okay coach check in", -9.0))),
     "okay coach"),
    ("the grammar's request, far below the bare phrase", Verdict(
        None, 0.0, "not_for_coach", "Okay, coped, tired", 1.94, "okay coach",
        (("okay coach", 1.94), ("okay coach check in", -5.42))), "okay coach"),
    ("no wake word in the transcript: the request is still scored", Verdict(
        None, 0.0, "not_for_coach", "Or K- Court, checkin'", -5.0, "okay coach check in",
        (("okay coach check in", -5.0),)), "okay coach check in"),
]


@pytest.mark.parametrize("whole, heard", [c[1:] for c in REQUEST_AFTER], ids=[c[0] for c in REQUEST_AFTER])
def test_the_request_after_a_wake_at_the_pause(grammar: SphinxRecognizer, whole: Verdict, heard: str) -> None:
    """The wake stands once answered; the request said after it is read by the whole utterance's judgement, or
    taken from the grammar when Whisper does not find it far less likely than what it wrote."""
    check = ScriptedCheck(TOOK, whole)
    detector = WakeDetector(grammar, check)
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak("okay coach", "en-us", 160)).gap(0.2).pcm())
    assert detector.early()
    detector.feed(Track(3).gap(0.1).add(speak("check in", "en-us", 160)).gap(0.3).pcm())
    got = detector.end()
    assert detector.grammar.last is not None and detector.grammar.last.text == "okay coach check in"
    assert got is not None and got.text == heard and check.calls == 2


FAR = Verdict(None, 0.0, "not_for_coach", "Okay, good.", -15.0, "okay coach")
SENSITIVITY_CASES = [
    # (case, sensitivity, what Whisper says without then with the wake words listed, woken at the pause, prompts)
    ("high: a near miss is judged again with the wake words listed", "high", (NEAR, TOOK), True, ["off", "words"]),
    ("normal: a near miss stays one", "normal", (NEAR, TOOK), False, ["off"]),
    ("high: a clear wake needs no second run", "high", (TOOK,), True, ["off"]),
    ("high: talk far from the phrase costs no second run", "high", (FAR, TOOK), False, ["off"]),
    ("high: the listed run not a wake either", "high", (NEAR, NEAR), False, ["off", "words"]),
    ("highest: every utterance with the wake words listed", "highest", (TOOK,), True, ["words"]),
    ("highest: no second run on a near miss", "highest", (NEAR, TOOK), False, ["words"]),
]


@pytest.mark.parametrize("sensitivity, said, woken, prompts", [c[1:] for c in SENSITIVITY_CASES],
                         ids=[c[0] for c in SENSITIVITY_CASES])
def test_high_sensitivity_lists_the_wake_words_only_for_a_near_miss(grammar: SphinxRecognizer, sensitivity: str,
                                                                     said: tuple[Verdict, ...], woken: bool,
                                                                     prompts: list[str]) -> None:
    """With `wake-sensitivity high` a near miss of Whisper's plain judgement is judged again with the wake words as
    its previous text, and a wake there is a wake (a slow "okay coach" written "Okay, go." becomes the phrase);
    everything else is judged as with `normal`. The shared check is left as it was."""
    check = ScriptedCheck(*said)
    detector = WakeDetector(grammar, check, sensitivity=sensitivity)
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak("okay coach", "en-us", 160)).gap(0.2).pcm())
    assert detector.early() is woken
    assert check.prompts == prompts
    assert (check.prompt, check.limits) == ("off", "the gates of no word list")


@pytest.mark.parametrize("sensitivity, said, prompts", [("high", (NEAR, TOOK, REQUEST), ["off", "words", "off"]),
                                                      ("highest", (TOOK, REQUEST), ["words", "off"])])
def test_the_request_after_a_high_sensitivity_wake_is_read_without_the_wake_words(
        grammar: SphinxRecognizer, sensitivity: str, said: tuple[Verdict, ...], prompts: list[str]) -> None:
    """The wake at the pause came from a run with the wake words listed; the whole utterance, read for the
    request, is judged without them (given them, Whisper wrote a slow "okay coach, start" as "okay")."""
    check = ScriptedCheck(*said)
    detector = WakeDetector(grammar, check, sensitivity=sensitivity)
    detector.begin(PHRASES)
    detector.feed(Track(2).add(speak("okay coach", "en-us", 160)).gap(0.2).pcm())
    assert detector.early()
    detector.feed(Track(3).gap(0.1).add(speak("check in", "en-us", 160)).gap(0.3).pcm())
    got = detector.end()
    assert got is not None and got.text == "okay coach check in"
    assert check.prompts == prompts and set(check.extend_prompts) <= {"off"}
    assert (check.prompt, check.limits) == ("off", "the gates of no word list")
