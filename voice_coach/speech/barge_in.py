"""Barge-in: while the coach speaks, keep listening for "stop", and cut the line at once when it is heard."""

from __future__ import annotations

import threading
from collections.abc import Callable

from voice_coach.coach.intents import Heard
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
                 is_stop: Callable[[Heard], bool]) -> Heard | None:
    """Say one line while a thread listens. A "stop" cuts the line and is returned; a reply that finished
    after the line ended is returned too (the person started answering while the coach spoke); anything else
    heard during the line is dropped: it may be the coach's own voice. The line is said without listening
    when it contains the word "stop" itself, which the microphone would hear."""
    if "stop" in text.lower():
        speaker.say(text, key)
        return None
    line_done = threading.Event()
    result: list[Heard] = []

    def watch() -> None:
        while True:
            heard = listener.listen(clock.now() + WATCH_STEP_SECONDS, clock, expect)
            if heard is not None and is_stop(heard):
                result.append(heard)
                if not line_done.is_set():
                    speaker.stop_playback()  # type: ignore[attr-defined]
                return
            if heard is not None and line_done.is_set():
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
    return result[0] if result else None
