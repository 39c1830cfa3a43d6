"""Keyboard and terminal adapters: replies typed on stdin, lines printed on stdout."""

from __future__ import annotations

import os
import select
import sys
from typing import TextIO

from voice_coach.coach.intents import Heard
from voice_coach.coach.ports import Clock, EndOfInput, Expectation
from voice_coach.terminal_text import printable


class TextListener:
    """Reads one reply per line from a text stream, waiting no longer than the coach allows."""

    def __init__(self, stream: TextIO | None = None, source: str = "keyboard", prompt: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self.source = source
        self.prompt = prompt
        self._prompted = False
        self._buf = b""

    @classmethod
    def keyboard(cls, source: str = "keyboard") -> TextListener:
        """Replies typed on this terminal (a "you>" prompt only when a person is at it), as `source`."""
        return cls(sys.stdin, source, prompt=sys.stdout if sys.stdin.isatty() else None)

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        if expect.awaiting and self.prompt is not None and not self._prompted:
            self.prompt.write("you> ")
            self.prompt.flush()
            self._prompted = True
        line = self._line_before(until, clock)
        if line is None:
            return None
        self._prompted = False
        text = line.strip()
        return Heard(text, 1.0, self.source) if text else None

    def _line_before(self, until: float | None, clock: Clock) -> str | None:
        """One line, read from the file descriptor with our own buffer (select cannot see Python's)."""
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):  # a StringIO in a test: no waiting possible
            line = self.stream.readline()
            if line == "":
                raise EndOfInput("input closed") from None
            return line
        while b"\n" not in self._buf:
            timeout = None if until is None else max(0.0, (until - clock.now()) / getattr(clock, "scale", 1.0))
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                if self._buf:
                    break
                raise EndOfInput("input closed")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", errors="replace")


class TextSpeaker:
    """Prints each line, prefixed so that a person (or tmux) can tell the coach from the user."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def say(self, text: str, key: str) -> None:
        self.stream.write(f"coach: {printable(text)}\n")  # names come from files: no ESC codes
        self.stream.flush()

    def play_clip(self, clip: object, key: str, text: str) -> None:
        """A sound (the listener's earcon) is shown as its mark."""
        self.say(text, key)


def stdin_is_terminal() -> bool:
    return os.isatty(sys.stdin.fileno()) if hasattr(sys.stdin, "fileno") else False
