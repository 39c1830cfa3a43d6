"""One switch: the space or enter key, which is what switch interfaces and head or eye trackers send."""

from __future__ import annotations

import atexit
import os
import select
import sys
from typing import Any, TextIO

from voice_coach.coach.ports import Clock, EndOfInput

SELECT_KEYS = frozenset(b" \n\r")
"""Bytes that count as a press; any other key is ignored (a switch box may send others when set up wrong)."""
END_KEY = 4
"""ctrl-d ends the input, as it does for typed answers."""


class KeySwitch:
    """Reads presses from a terminal (in cbreak mode, so a press needs no enter) or any readable stream."""

    act = "switch"
    long_act = "switch"
    source = "keyboard"

    def __init__(self, stream: TextIO | None = None, *, keys: frozenset[int] = SELECT_KEYS) -> None:
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()
        self.keys = keys
        self.presses = 0
        """Presses seen, for tests and logs."""
        self._saved: Any = None

    def open(self) -> KeySwitch:
        """Put a terminal in cbreak mode (keys arrive at once, not echoed); restored by close() or at exit."""
        if os.isatty(self.fd) and self._saved is None:
            import termios
            import tty
            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)
            atexit.register(self.close)
        return self

    def close(self) -> None:
        if self._saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def __enter__(self) -> KeySwitch:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self, clock: Clock) -> None:
        """Drop presses made before now (while the question was read)."""
        while select.select([self.fd], [], [], 0)[0]:
            if not os.read(self.fd, 256):
                return  # end of input: the next wait reports it

    def settle(self, clock: Clock) -> None:
        """Presses made while an option was read belong to that option: keep them."""

    def wait(self, until: float, clock: Clock, *, long: bool = False) -> str | None:
        scale = getattr(clock, "scale", 1.0)
        while True:
            timeout = max(0.0, (until - clock.now()) / scale)
            if not select.select([self.fd], [], [], timeout)[0]:
                return None
            data = os.read(self.fd, 256)
            if not data or END_KEY in data:  # closed, or ctrl-d (cbreak mode passes it on as a byte)
                raise EndOfInput("the switch input closed")
            if any(b in self.keys for b in data):
                self.presses += 1
                return self.source
            if clock.now() >= until:
                return None
