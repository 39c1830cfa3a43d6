"""A fallback that cannot trap (issue 20): a miss is never silent, and a sound that began before a choice was read
never picks it."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes import ScriptedListener
from tests.test_input_modes import FakeMic, FakeSwitch, TimedSpeaker
from voice_coach.access.input_modes import REJECTED, FallbackListener, SorryOnRejection, SoundSelector
from voice_coach.access.scanning import ScanningListener
from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.coach.ports import Clock, Expectation

BOOK = load_phrasebook()
EXPECT = Expectation(tuple(BOOK.phrases_for([Intent.NUMBER, Intent.STOP], state="asking_feeling")), True,
                     "asking_feeling")


class RejectingSpeech:
    """A speech listener that hears something each time and rejects it (as the recognizer does for a phrase
    outside the grammar): it calls on_rejected and returns nothing."""

    def __init__(self, on_rejected: Callable[[], None]) -> None:
        self.on_rejected = on_rejected

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        clock.sleep_until(clock.now() + 2.0)
        self.on_rejected()
        return None


def test_a_rejected_reply_reaches_the_coach_as_not_understood() -> None:
    clock = VirtualClock()
    plain = SorryOnRejection(RejectingSpeech)
    assert plain.listen(100.0, clock, EXPECT) == REJECTED
    assert plain.listen(100.0, clock, Expectation(EXPECT.phrases, False, "exercising")) is None  # not asked


def test_each_miss_is_said_and_the_switch_to_scanning_is_announced_once() -> None:
    clock = VirtualClock()
    speaker = TimedSpeaker(clock)
    fallback = FallbackListener(RejectingSpeech, lambda: ScanningListener(FakeSwitch(), speaker), speaker, after=3)
    heard = [fallback.listen(100.0, clock, EXPECT) for _ in range(3)]
    assert heard == [REJECTED] * 3  # each one gets the coach's "sorry" and short question
    assert speaker.keys == ["fallback_to_scanning"]


def test_a_sound_that_began_before_a_choice_was_read_never_picks_it() -> None:
    """"three" said to the question, still going when "low, zero to three" is read: not a pick; a sound made
    after a moment of quiet is."""
    clock = VirtualClock()
    mic = FakeMic(clock)
    selector = SoundSelector(mic)
    mic.sound(0.0, duration=4.0)
    clock.sleep_until(1.0)
    selector.settle(clock)  # the coach has just read a choice
    assert selector.wait(3.9, clock) is None
    mic.sound(5.0)
    assert selector.wait(8.0, clock) == "voice"


def test_a_sound_after_quiet_still_picks_at_once() -> None:
    clock = VirtualClock()
    mic = FakeMic(clock)
    selector = SoundSelector(mic)
    clock.sleep_until(1.0)
    selector.settle(clock)
    mic.sound(1.5)
    assert selector.wait(3.0, clock) == "voice"


def test_scripted_speech_miss_is_counted_like_a_rejection() -> None:
    clock = VirtualClock()
    speech = ScriptedListener(["about a free"], transcript=[])
    fallback = FallbackListener(lambda _: speech, lambda: ScanningListener(FakeSwitch(), TimedSpeaker(clock)),
                                TimedSpeaker(clock), after=3)
    assert fallback.listen(100.0, clock, EXPECT) == Heard("about a free", 1.0, "voice")
    assert fallback.failures == 1
