"""A microphone that vanishes mid-session: the coach pauses, says so, retries, and goes on where it was."""

from __future__ import annotations

import pytest

from tests.fakes import FakeClock, MemoryJournal, RecordingSpeaker, Reply, ScriptedListener
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.coach.ports import Clock, Expectation
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.errors import DeviceError
from voice_coach.session.loop import SessionLoop


class FlakySource:
    """Stands for MicrophoneSource: `reopen` fails while the device is still gone."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.reopened = 0

    def reopen(self) -> None:
        self.reopened += 1
        if self.reopened <= self.failures:
            raise DeviceError("input device 'USB mic' is gone")


class FlakyListener:
    """A scripted listener whose device fails once, in a chosen state, after `after_seconds` there."""

    def __init__(self, replies: list[Reply | str], fail_in: str, source: FlakySource | None) -> None:
        self.inner = ScriptedListener(replies)
        self.fail_in, self.failed = fail_in, False
        if source is not None:
            self.source = source

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        if expect.state == self.fail_in and not self.failed:
            self.failed = True
            raise DeviceError("PortAudio error: device unavailable")
        return self.inner.listen(until, clock, expect)


def run(replies: list[Reply | str], fail_in: str, source: FlakySource | None) -> tuple[SessionLoop, RecordingSpeaker,
                                                                                      MemoryJournal]:
    speaker, journal = RecordingSpeaker(), MemoryJournal()
    loop = SessionLoop(Coach(load_program("resistance")), listener=FlakyListener(replies, fail_in, source),
                       speaker=speaker, journal=journal, clock=FakeClock(), prompts=load_prompts(),
                       phrasebook=load_phrasebook())
    return loop, speaker, journal


def test_microphone_lost_mid_set_pauses_retries_and_resumes_the_same_exercise() -> None:
    source = FlakySource(failures=3)
    loop, speaker, journal = run(["three", "no", "ready", "four", "yes", "stop"], "exercising", source)
    result = loop.run()
    keys = speaker.keys
    lost = keys.index("paused_device")
    assert keys[lost + 1:lost + 4] == ["device_back", "resumed", "resume_exercise"]
    assert source.reopened == 4  # three failed tries, every few seconds, then it worked
    assert not any(k.startswith(("rep_", "set_")) for k in keys[lost:lost + 1])
    kinds = journal.kinds()
    assert kinds.index("device_lost") < kinds.index("device_back") < kinds.index("exercise_done")
    done = [r["data"] for r in journal.rows if r["kind"] == "exercise_done"]
    assert done == [{"name": "Seated shoulder press", "index": 0, "reps_target": 10, "reps_done": 10}]
    assert result.outcome == "stopped_by_user"


def test_a_pause_the_person_asked_for_is_not_ended_by_the_device_coming_back() -> None:
    source = FlakySource(failures=1)
    loop, speaker, journal = run(["three", "pause", "resume", "no", "stop"], "paused", source)
    loop.run()
    keys = speaker.keys
    assert keys.index("paused") < keys.index("device_back") < keys.index("resumed")
    assert "paused_device" not in keys  # it was already paused by the person; it stays their pause


def test_a_device_that_never_returns_ends_the_session_as_abandoned() -> None:
    source = FlakySource(failures=10**6)
    loop, speaker, journal = run(["three"], "asking_symptoms", source)
    assert loop.run().outcome == "abandoned"
    assert "paused_device" in speaker.keys and "device_back" not in speaker.keys


def test_an_input_that_cannot_be_reopened_is_one_clear_error() -> None:
    loop, _, _ = run(["three"], "asking_symptoms", None)
    with pytest.raises(DeviceError, match="device unavailable"):
        loop.run()
