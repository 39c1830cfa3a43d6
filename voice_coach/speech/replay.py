"""Replayed input: a script of replies, given one per question, on a virtual clock."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TextIO

from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard
from voice_coach.coach.ports import Clock, EndOfInput, Expectation
from voice_coach.datafile import LimitError, read_text
from voice_coach.errors import CoachError

REPLY_AFTER_SECONDS = 2.0
"""How long a replayed person takes to answer."""


class ScriptReplay:
    """Hands out replies in order when the coach asks; silence while it counts; EndOfInput at the end. A reply
    with its own delay (`timed`) comes in that many seconds after the previous one, whatever the coach is doing
    (a "pause" in the middle of a hold)."""

    def __init__(self, replies: list[Heard], *, after_seconds: float = REPLY_AFTER_SECONDS,
                 timed: dict[int, float] | None = None, echo: TextIO | None = None) -> None:
        self.replies = list(replies)
        self.after_seconds = after_seconds
        self.timed = dict(timed or {})
        """Position in `replies` → seconds after the previous reply (or the start) it is said."""
        self.echo = echo
        """Where each reply is shown as it is given ("  you> pause"), so a replayed session reads as one."""
        self._given = 0
        self._waited = 0.0

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        if not isinstance(clock, VirtualClock):
            raise CoachError("a replayed input runs on a virtual clock", code="usage")
        delay = self.timed.get(self._given)
        if self.replies and (expect.awaiting or delay is not None):
            due = clock.now() + (self.after_seconds if delay is None else max(0.0, delay - self._waited))
            if until is None or due <= until:
                clock.sleep_until(due)
                self._given, self._waited = self._given + 1, 0.0
                heard = self.next_reply(expect, clock)
                if self.echo is not None and heard is not None:
                    self.echo.write(f"  you> {heard.text}\n")
                return heard
            if delay is not None:
                self._waited += until - clock.now()
        elif expect.awaiting:
            raise EndOfInput("replay finished")
        if until is None:
            raise EndOfInput("replay finished")
        clock.sleep_until(until)
        return None

    def next_reply(self, expect: Expectation, clock: Clock) -> Heard | None:
        """The next reply; None when it turned out to say nothing usable (a recording that was rejected)."""
        return self.replies.pop(0)


class TextReplayListener(ScriptReplay):
    """Replies from a text file, one per line ('#' starts a comment); "+8 pause" is said 8 seconds after the
    previous reply, even while the coach counts."""

    def __init__(self, path: Path, echo: TextIO | None = None) -> None:
        try:
            lines = read_text(path).splitlines()
        except LimitError as exc:
            raise CoachError(f"{path}: reply script not read: {exc}", code="usage") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CoachError(f"{path}: cannot read the reply script ({exc.__class__.__name__})", code="usage") from None
        texts = [t for t in (line.split("#")[0].strip() for line in lines) if t]
        if not texts:  # nothing would be answered: start no session rather than record an empty one
            raise CoachError(f"{path}: the reply script holds no replies (one per line); write the replies, or "
                             "use --input text to answer from the keyboard", code="usage")
        timed: dict[int, float] = {}
        for i, text in enumerate(texts):
            if match := re.fullmatch(r"\+(\d+(?:\.\d+)?)\s+(.+)", text):
                timed[i], texts[i] = float(match[1]), match[2]
        super().__init__([Heard(t, 1.0, "keyboard") for t in texts], timed=timed, echo=echo)
