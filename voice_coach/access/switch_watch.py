"""A switch read on its own thread (this terminal's space/enter, or an input device), so that each press is timed
as it happens while the listener listens to the microphone; the same switch is lent to a session as a Selector."""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
import threading
import time
from typing import TextIO

from voice_coach.access.switch import END_KEY, SELECT_KEYS, KeySwitch
from voice_coach.access.switch_device import EventReader, open_device
from voice_coach.access.switch_press import DOWN, KeyEvent, TerminalKeys
from voice_coach.coach.intents import Heard
from voice_coach.coach.ports import Clock, EndOfInput, Expectation
from voice_coach.errors import CoachError, DeviceError

RETRY_SECONDS = 3.0
"""How often an unplugged switch device is tried again."""


class _Terminal:
    """Space/enter of a terminal in cbreak mode: bytes timed as they come, held keys seen by their auto-repeat."""

    def __init__(self, stream: TextIO) -> None:
        self.keys = KeySwitch(stream).open()
        self.fd = self.keys.fd
        self.times = TerminalKeys()

    def data(self, data: bytes, now: float) -> list[KeyEvent] | None:
        if END_KEY in data:  # ctrl-d (cbreak mode passes it on as a byte)
            return None
        return [e for b in data if b in SELECT_KEYS for e in self.times.byte(now, 0x0A if b == 0x0D else b)]

    def quiet(self, now: float) -> list[KeyEvent]:
        return self.times.quiet(now)

    def next_check(self) -> float | None:
        return self.times.up_at()

    def reopen(self) -> int:
        raise DeviceError("the terminal closed")

    def close(self) -> None:
        self.keys.close()


class _Device:
    """A Linux input device (or a FIFO or file of its records): events timed by their own timestamps."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = open_device(path)
        self.events = EventReader()
        self.goes_away = stat.S_ISCHR(os.fstat(self.fd).st_mode)
        """A device does not end: when it reads as ended it was unplugged (a FIFO or a file just ends)."""

    def data(self, data: bytes, now: float) -> list[KeyEvent] | None:
        return self.events.feed(data)

    def quiet(self, now: float) -> list[KeyEvent]:
        return []

    def next_check(self) -> float | None:
        return None

    def reopen(self) -> int:
        self.close()
        self.fd = open_device(self.path)
        self.events = EventReader()
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class SwitchWatch:
    """Reads a switch on a daemon thread: `take()` hands over its events, `wait()` blocks until one comes;
    `SwitchSelector` lends it to a session."""

    def __init__(self, reader: _Terminal | _Device, name: str) -> None:
        self.reader, self.name = reader, name
        self._events: list[KeyEvent] = []
        self._notices: list[str] = []
        self._changed = threading.Condition()
        self.ended = False
        """The switch input closed (a FIFO's writer went, ctrl-d on the terminal): no more presses."""
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name=f"switch {name}", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, spec: str, stream: TextIO | None = None) -> SwitchWatch:
        """--switch keys (this terminal) or a device path; a switch that cannot be read is one clear error."""
        if spec == "keys":
            stream = stream or sys.stdin
            if not os.isatty(stream.fileno()):
                raise CoachError("--switch keys needs this terminal's keys, and there is no terminal here (a service "
                                 "has none): use --switch /dev/input/by-id/…-event-kbd", code="usage")
            return cls(_Terminal(stream), "keys")
        return cls(_Device(spec), spec)

    # ----- for the listener --------------------------------------------------------------------------------
    def take(self) -> list[KeyEvent]:
        """The events that came since the last take."""
        with self._changed:
            events, self._events = self._events, []
        return events

    def notices(self) -> list[str]:
        """What happened to the switch itself ("lost: why", "back"), since the last call."""
        with self._changed:
            notices, self._notices = self._notices, []
        return notices

    def wait(self, until: float, clock: Clock, *, downs: bool = False) -> bool:
        """Block until an event (a press going down, with `downs`) has come or `until` (clock seconds); whether one
        has. Raises EndOfInput once the switch has closed and nothing is left."""
        scale = getattr(clock, "scale", 1.0)
        with self._changed:
            while True:
                if any(e.value == DOWN for e in self._events) if downs else (self._events or self._notices):
                    return True
                if self.ended:
                    raise EndOfInput("the switch input closed")
                left = (until - clock.now()) / scale
                if left <= 0:
                    return False
                self._changed.wait(left)

    def close(self) -> None:
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass
        self._thread.join(timeout=2.0)
        self.reader.close()
        for fd in (self._stop_r, self._stop_w):
            os.close(fd)

    def take_down(self) -> bool:
        """Drop the events up to and including the first press going down; whether there was one."""
        with self._changed:
            downs = [i for i, e in enumerate(self._events) if e.value == DOWN]
            if downs:
                del self._events[:downs[0] + 1]
            return bool(downs)

    # ----- the reading thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            check = self.reader.next_check()
            timeout = None if check is None else max(0.0, check - time.monotonic())
            try:
                ready = select.select([self.reader.fd, self._stop_r], [], [], timeout)[0]
            except (OSError, ValueError):
                ready = [self.reader.fd]
            if self._stop_r in ready:
                return
            events: list[KeyEvent] | None = []
            if self.reader.fd in ready:
                try:
                    data = os.read(self.reader.fd, 4096)
                    if not data and isinstance(self.reader, _Device) and self.reader.goes_away:
                        raise OSError(errno.ENODEV, "it went away")
                except OSError as exc:
                    if not self._lost(exc):
                        return
                    continue
                events = self.reader.data(data, time.monotonic()) if data else None
            if events is None:
                self._push([], end=True)
                return
            self._push(events + self.reader.quiet(time.monotonic()))

    def _lost(self, exc: OSError) -> bool:
        """A read failed: a terminal that closed ends the switch; a device that went (unplugged) is tried again
        every few seconds. False when the thread should end."""
        if isinstance(self.reader, _Terminal):
            self._push([], end=True)
            return False
        self._push([], notice=f"lost: the switch {self.name} stopped ({exc.strerror or exc})")
        while True:
            if select.select([self._stop_r], [], [], RETRY_SECONDS)[0]:
                return False
            try:
                self.reader.reopen()
            except DeviceError:
                continue
            self._push([], notice="back")
            return True

    def _push(self, events: list[KeyEvent], *, end: bool = False, notice: str | None = None) -> None:
        if not events and not end and notice is None:
            return
        with self._changed:
            self._events.extend(events)
            if notice is not None:
                self._notices.append(notice)
            self.ended = self.ended or end
            self._changed.notify_all()


class SwitchSelector:
    """The listener's switch lent to a session's scanning (the Selector port)."""

    act = "switch"
    long_act = "switch"
    source = "keyboard"

    def __init__(self, watch: SwitchWatch) -> None:
        self.watch = watch

    def reset(self, clock: Clock) -> None:
        """Drop presses made before now (while a question was read)."""
        self.watch.take()

    def settle(self, clock: Clock) -> None:
        """Presses made while an option was read belong to that option: keep them."""

    def wait(self, until: float, clock: Clock, *, long: bool = False) -> str | None:
        """A press going down before `until` picks (any press, also to pause, as with KeySwitch)."""
        if not self.watch.wait(until, clock, downs=True):
            return None
        self.watch.take_down()
        return self.source


class SwitchOnly:
    """The Listener for `listen --input none`: no microphone, the listener waits for the switch alone."""

    def __init__(self, watch: SwitchWatch) -> None:
        self.watch = watch

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        self.watch.wait(clock.now() + 1.0 if until is None else until, clock)
        return None

