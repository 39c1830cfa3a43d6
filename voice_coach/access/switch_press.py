"""How long a switch was held: key events (down, up, repeat, with their times) → a short press, a long press or
nothing; and a terminal's bytes turned into such events (its auto-repeat is the only sign of a key held). Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

DOWN, UP, REPEAT = 1, 0, 2
"""The values of a key event, as the Linux input layer writes them (struct input_event.value)."""
LONG_PRESS_SECONDS = 1.0
"""A switch held this long is a long press (it wakes the listener); shorter is a short press (yes), and a brushed
switch is short."""
FIRST_REPEAT_SECONDS = 0.8
"""A terminal repeats a held key after a delay (250 to 660 ms on common systems): no second byte within this
time after the first means the key was let go."""
REPEAT_GAP_SECONDS = 0.25
"""Once repeating (every 25 to 50 ms), no byte within this time means the key was let go."""

Press = Literal["short", "long"]


@dataclass(frozen=True)
class KeyEvent:
    """One switch event: `value` DOWN, UP or REPEAT at `seconds` (the device's own time, or when a byte came)."""

    value: int
    seconds: float


class PressLength:
    """Feed it a switch's events in order; it says "long" once the switch has been held `long_seconds` (seen on a
    repeat, or on letting go) and "short" when it is let go sooner. One press is one answer, never two."""

    def __init__(self, long_seconds: float = LONG_PRESS_SECONDS) -> None:
        self.long_seconds = long_seconds
        self.down_at: float | None = None
        """When the switch went down (None: it is up)."""
        self.told = False
        """This press was already reported as long."""

    def feed(self, event: KeyEvent) -> Press | None:
        if event.value == DOWN:
            if self.down_at is None:  # a second key down while one is held is the same press
                self.down_at, self.told = event.seconds, False
            return None
        if self.down_at is None:
            return None  # held (or let go) since before we listened, or since a session: it counts only once
            # pressed again, so a switch stuck down never wakes the listener twice
        held = event.seconds - self.down_at
        if event.value == REPEAT:
            if held >= self.long_seconds and not self.told:
                self.told = True
                return "long"
            return None
        if event.value != UP:
            return None
        told, self.down_at, self.told = self.told, None, False
        if told:
            return None
        return "long" if held >= self.long_seconds else "short"

    def reset(self) -> None:
        """Forget a press in progress (a session used the switch meanwhile)."""
        self.down_at, self.told = None, False


class TerminalKeys:
    """A terminal sends a byte when a key goes down and, while it is held, repeats it; it never says when the
    key comes up. Bytes' arrival times → DOWN, REPEAT and (after a quiet gap) UP events."""

    def __init__(self, first_repeat_seconds: float = FIRST_REPEAT_SECONDS,
                 repeat_gap_seconds: float = REPEAT_GAP_SECONDS) -> None:
        self.first_repeat_seconds = first_repeat_seconds
        self.repeat_gap_seconds = repeat_gap_seconds
        self.last: float | None = None
        """When the last byte of the key now held came (None: no key held)."""
        self.repeating = False
        self.key: int | None = None
        """The byte of the key now held."""

    def byte(self, seconds: float, key: int = 0x20) -> list[KeyEvent]:
        """A switch byte (`key`: space, enter) came at `seconds`; another key than the one held is a new press."""
        out = self.quiet(seconds if key == self.key else math.inf)
        self.key = key
        if self.last is None:
            out.append(KeyEvent(DOWN, seconds))
        else:
            self.repeating = True
            out.append(KeyEvent(REPEAT, seconds))
        self.last = seconds
        return out

    def quiet(self, seconds: float) -> list[KeyEvent]:
        """Nothing came until `seconds`: the key was let go if the gap is longer than a repeat's."""
        up_at = self.up_at()
        if up_at is None or seconds < up_at:
            return []
        assert self.last is not None
        last, self.last, self.repeating = self.last, None, False
        return [KeyEvent(UP, last)]  # it came up just after its last byte

    def up_at(self) -> float | None:
        """When, without another byte, the key counts as let go (None: no key held)."""
        if self.last is None:
            return None
        return self.last + (self.repeat_gap_seconds if self.repeating else self.first_repeat_seconds)
