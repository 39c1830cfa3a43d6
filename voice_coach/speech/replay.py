"""Replayed input: a script of replies, given one per question, on a virtual clock."""

from __future__ import annotations

from pathlib import Path

from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard
from voice_coach.coach.ports import Clock, EndOfInput, Expectation
from voice_coach.datafile import LimitError, read_text
from voice_coach.errors import CoachError

REPLY_AFTER_SECONDS = 2.0
"""How long a replayed person takes to answer."""


class ScriptReplay:
    """Hands out replies in order when the coach asks; silence while it counts; EndOfInput at the end."""

    def __init__(self, replies: list[Heard], *, after_seconds: float = REPLY_AFTER_SECONDS) -> None:
        self.replies = list(replies)
        self.after_seconds = after_seconds

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        if not isinstance(clock, VirtualClock):
            raise CoachError("a replayed input runs on a virtual clock", code="usage")
        if expect.awaiting:
            if not self.replies:
                raise EndOfInput("replay finished")
            due = clock.now() + self.after_seconds
            if until is None or due <= until:
                clock.sleep_until(due)
                return self.next_reply(expect, clock)
        if until is None:
            raise EndOfInput("replay finished")
        clock.sleep_until(until)
        return None

    def next_reply(self, expect: Expectation, clock: Clock) -> Heard | None:
        """The next reply; None when it turned out to say nothing usable (a recording that was rejected)."""
        return self.replies.pop(0)


class TextReplayListener(ScriptReplay):
    """Replies from a text file, one per line ('#' starts a comment)."""

    def __init__(self, path: Path) -> None:
        try:
            lines = read_text(path).splitlines()
        except LimitError as exc:
            raise CoachError(f"{path}: reply script not read: {exc}", code="usage") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CoachError(f"{path}: cannot read the reply script ({exc.__class__.__name__})", code="usage") from None
        replies = [h for line in lines if (h := Heard(line.split("#")[0].strip(), 1.0, "keyboard")).text]
        if not replies:  # nothing would be answered: start no session rather than record an empty one
            raise CoachError(f"{path}: the reply script holds no replies (one per line); write the replies, or "
                             "use --input text to answer from the keyboard", code="usage")
        super().__init__(replies)
