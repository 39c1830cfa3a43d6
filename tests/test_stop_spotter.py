"""The stop spotter: "stop" said over the coach's own voice cuts the line as the word ends, and the full decode of
the word (cut out where the spotter found it) still decides; a line cut on a false alarm is said again."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import FakeClock
from tests.mixing import to_pcm
from tests.room import speak
from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.coach.ports import Clock, EndOfInput, Expectation
from voice_coach.speech.audio_io import SAMPLE_RATE, PcmSource, read_wav
from voice_coach.speech.barge_in import say_watching
from voice_coach.speech.listener import StreamListener
from voice_coach.speech.recognizers import known_phrases
from voice_coach.speech.sphinx import SphinxRecognizer
from voice_coach.speech.stop_spotter import StopSpotter

AUDIO = Path(__file__).resolve().parent / "audio"
LINE = "How hard was that, from zero, nothing at all, to ten, the hardest you can imagine?"
STOP_AT = 0.8
BOOK = load_phrasebook()
EXPECT = Expectation(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                      "stop"), True, "asking_rating")


@cache
def recognizer() -> SphinxRecognizer:
    return SphinxRecognizer(known_phrases())


def room(voice: str | None, echo_db: float) -> tuple[bytes, float]:
    """The coach's question heard back `echo_db` down, 50 ms late (as through a good echo canceller), with a
    person's "stop" 0.8 s into it (None: nobody speaks); the audio and where the word ends."""
    line = speak(LINE) * 10 ** (echo_db / 20)
    x = np.zeros(int(0.05 * SAMPLE_RATE) + len(line) + 2 * SAMPLE_RATE)
    x[int(0.05 * SAMPLE_RATE):int(0.05 * SAMPLE_RATE) + len(line)] += line
    end = 0.0
    if voice is not None:
        stop = np.frombuffer(read_wav(AUDIO / "clean" / voice / "stop.wav"), dtype="<i2").astype(np.float64)
        at = int(STOP_AT * SAMPLE_RATE)
        x[at:at + len(stop)] += stop
        loud = np.flatnonzero(np.abs(stop) > 0.02 * np.abs(stop).max())
        end = STOP_AT + loud[-1] / SAMPLE_RATE
    x += np.random.default_rng(1).normal(0.0, 10.0, len(x))
    return to_pcm(x), end


def hear(pcm: bytes, *, spotter: bool) -> tuple[list[float], list[tuple[float, str]]]:
    """Stream the room through the microphone's listener, spotter armed as barge-in arms it: when the line was
    cut (audio seconds) and what was heard when."""
    listener = StreamListener(PcmSource(pcm), recognizer(), spotter=StopSpotter() if spotter else None)
    clock = VirtualClock()
    cuts: list[float] = []
    listener.arm_spotter(lambda: cuts.append(clock.now()))
    heard: list[tuple[float, str]] = []
    try:
        while True:
            h = listener.listen(None, clock, EXPECT)
            if h is not None:
                heard.append((clock.now(), h.text))
    except EndOfInput:
        pass
    return cuts, heard


@pytest.mark.parametrize("voice", ["en-us-m3_110", "en-us-f3_175", "en-us_175"])
def test_stop_over_the_coach_voice_cuts_the_line_as_the_word_ends(voice: str) -> None:
    pcm, end = room(voice, -38.0)
    cuts, heard = hear(pcm, spotter=True)
    assert len(cuts) == 1 and end - 0.3 < cuts[0] < end + 0.2, (cuts, end)
    assert [text for _, text in heard] == ["stop"]  # the full decode of the word still decides
    _, alone = hear(pcm, spotter=False)  # without the spotter the line is cut only once the decode is done,
    assert [text for _, text in alone] == ["stop"] and alone[0][0] >= end + 0.2  # after a pause and the decode


def test_the_coach_voice_alone_cuts_nothing() -> None:
    pcm, _ = room(None, -38.0)
    cuts, heard = hear(pcm, spotter=True)
    assert cuts == [] and heard == []


class Line:
    """A speaker whose line plays until it is cut or the test ends it."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.cut = threading.Event()
        self.playing = threading.Event()

    def say(self, text: str, key: str) -> None:
        self.said.append(key)
        self.cut.clear()
        self.playing.set()
        assert self.cut.wait(timeout=10), "the line was never cut"
        self.playing.clear()

    def stop_playback(self) -> None:
        self.cut.set()


class SpottingListener:
    """Stands for the microphone's listener: the spotter fires during each line; the full decode then gives
    `decoded` (None: it was not "stop"). Counts how often queued audio was dropped."""

    def __init__(self, line: Line, decoded: list[str | None]) -> None:
        self.line, self.decoded = line, decoded
        self.drain_on_listen = True
        self.drains = 0
        self.on_spotted: object = None
        self.drain_flags: list[bool] = []
        self.armed: list[bool] = []

    def arm_spotter(self, on_spotted: object) -> bool:
        self.on_spotted = on_spotted
        self.armed.append(on_spotted is not None)
        return True

    def drain(self) -> int:
        self.drains += 1
        return 0

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        self.drain_flags.append(self.drain_on_listen)
        if callable(self.on_spotted) and self.line.playing.wait(timeout=10):
            cut, self.on_spotted = self.on_spotted, None  # one call per arming, as the real listener
            cut()
            text = self.decoded.pop(0)
            return Heard(text, 0.9, "voice") if text else None
        if self.line.playing.is_set() and self.on_spotted is None:
            self.line.stop_playback()  # not spotting: the line plays to its end
        return None


def is_urgent(heard: Heard) -> bool:
    u = BOOK.parse(heard)
    return u is not None and u.intent.value == "stop"


def test_a_spotted_stop_the_decode_confirms_is_returned_and_the_line_said_once() -> None:
    line = Line()
    listener = SpottingListener(line, ["stop"])
    heard = say_watching(line, listener, "How hard was that?", "ask_rating", expect=EXPECT, clock=FakeClock(),
                         is_urgent=is_urgent)
    assert heard is not None and heard.text == "stop" and line.said == ["ask_rating"]
    assert listener.drains == 1 and set(listener.drain_flags) == {False} and listener.drain_on_listen


def test_a_line_cut_on_a_false_alarm_is_said_again_whole_without_the_spotter() -> None:
    line = Line()
    listener = SpottingListener(line, [None])
    heard = say_watching(line, listener, "How hard was that?", "ask_rating", expect=EXPECT, clock=FakeClock(),
                         is_urgent=is_urgent)
    assert heard is None and line.said == ["ask_rating", "ask_rating"] and listener.on_spotted is None
    assert listener.armed == [True, False]  # armed for the first saying only
