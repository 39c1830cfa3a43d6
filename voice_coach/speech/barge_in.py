"""Barge-in: while the coach speaks, keep listening for "stop" and the symptom words, and cut the line at once when
one is heard."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from voice_coach.coach.intents import Certainty, Heard
from voice_coach.coach.ports import Clock, Expectation, Listener, Speaker
from voice_coach.speech.speech_out import Interruptible

WATCH_STEP_SECONDS = 0.25
"""How often the watcher checks whether the line has ended (when no utterance is in progress)."""


def live_microphone(speaker: Speaker, listener: Listener) -> Listener | None:
    """The listener to watch while the coach speaks: a live microphone (one that drops what it recorded while
    the coach spoke), directly or as the speech side of the scanning fallback while speech is still in use;
    and only when the speaker's line can be cut. A replay, a keyboard or a scan has nothing to interrupt with."""
    if not isinstance(speaker, Interruptible):
        return None
    if getattr(listener, "drain_on_listen", False):
        return listener
    primary = getattr(listener, "primary", None)
    if primary is not None and getattr(listener, "scanner", None) is None and getattr(primary, "drain_on_listen",
                                                                                       False):
        return primary
    return None


def say_watching(speaker: Speaker, listener: Listener, text: str, key: str, *, expect: Expectation, clock: Clock,
                 is_urgent: Callable[[Heard], bool], spot: bool = True) -> Heard | None:
    """Say one line while a thread listens. A "stop" or a symptom (`is_urgent`) cuts the line and is returned,
    even when it began during the line and was decided after it (the person who says "cramp" over the coach is
    not asked to say it again). Begun during the line and not found by the spotter, it is returned unsure (`why`
    "over_the_coach"): the coach's own voice was in its audio (scripts/bench_echo.py heard the coach's lines as
    "stop", "dizzy" or "it hurts" 1-2 times in 20), so the coach asks ("Did you want to stop?", "Did you say
    ...?") rather than ending the session on it. A reply that began after the line ended is returned too; anything
    else heard during the line, or begun during it and finished after it, is dropped: it may be the coach's own
    voice through a loudspeaker (scripts/bench_echo.py: the end of a question taken as a reply 1 time in 3 without
    this rule), so a person who answered before the question ended is asked again. A line that itself says "stop"
    or names a symptom is listened to as any other, but what it names is not urgent then (the caller's
    `is_urgent`, from `PhraseBook.safety_named`): the microphone hears the coach say it; and a line that says
    "stop" is not spotted (`spot` False).

    With a listener that spots "stop" (StreamListener.arm_spotter), the line is cut the moment the word is
    spotted, before the full decode; when that decode then does not hear "stop" the line was cut on a false
    alarm and is said again, whole, without the spotter (a false alarm on the coach's own voice in that line
    would come again: scripts/bench_echo.py saw one line cut twice); the listener's own "stop" still cuts it."""
    heard, spotted = _say_once(speaker, listener, text, key, expect=expect, clock=clock, is_urgent=is_urgent,
                               spot=spot)
    if heard is not None or not spotted:
        return heard
    heard, _ = _say_once(speaker, listener, text, key, expect=expect, clock=clock, is_urgent=is_urgent, spot=False)
    return heard


def _say_once(speaker: Speaker, listener: Listener, text: str, key: str, *, expect: Expectation, clock: Clock,
              is_urgent: Callable[[Heard], bool], spot: bool) -> tuple[Heard | None, bool]:
    """One saying of the line (see say_watching): what was heard, and whether the spotter cut the line."""
    line_done = threading.Event()
    spotted = threading.Event()
    result: list[Heard] = []

    def cut_on_spot() -> None:
        spotted.set()
        if not line_done.is_set():
            speaker.stop_playback()  # type: ignore[attr-defined]

    arm = getattr(listener, "arm_spotter", None) if spot else None
    if arm is not None:
        arm(cut_on_spot)
    # A microphone drops what it queued before each listening turn; the watcher listens in short steps, and
    # dropping the audio between them lost parts of a "stop": drop once, before the line, and none during it.
    drains = getattr(listener, "drain_on_listen", False) and hasattr(listener, "drain")
    if drains:
        listener.drain()  # type: ignore[attr-defined]
        listener.drain_on_listen = False  # type: ignore[attr-defined]

    def watch() -> None:
        while True:
            began_after_line = line_done.is_set()
            heard = listener.listen(clock.now() + WATCH_STEP_SECONDS, clock, expect)
            if heard is not None and is_urgent(heard):
                if not began_after_line and not spotted.is_set():  # the coach's own voice was in its audio
                    heard = replace(heard, certainty=Certainty.UNSURE, why="over_the_coach")
                result.append(heard)
                if not line_done.is_set():
                    speaker.stop_playback()  # type: ignore[attr-defined]
                return
            if heard is not None and line_done.is_set():
                if began_after_line:
                    result.append(heard)
                return
            if line_done.is_set() and heard is None:
                return

    watcher = threading.Thread(target=watch, name="barge-in", daemon=True)
    watcher.start()
    try:
        speaker.say(text, key)
    finally:
        line_done.set()
        watcher.join()
        if arm is not None:
            arm(None)
        if drains:
            listener.drain_on_listen = True  # type: ignore[attr-defined]
    return (result[0] if result else None), spotted.is_set()

