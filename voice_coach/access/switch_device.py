"""A switch as a Linux input device (/dev/input/eventN: a USB switch interface, a button box): its `struct
input_event` records read with `struct`, switch keys only, timed by the events' own timestamps."""

from __future__ import annotations

import errno
import os
import stat
import struct

from voice_coach.access.switch_press import DOWN, REPEAT, UP, KeyEvent
from voice_coach.errors import DeviceError

EVENT = struct.Struct("llHHi")
"""struct input_event: struct timeval (seconds, microseconds: C longs), type, code, value; 24 bytes on 64-bit
systems, 16 on 32-bit ones (a 32-bit Raspberry Pi OS), as the kernel writes it."""
EV_KEY = 0x01
KEY_ENTER, KEY_SPACE, KEY_KPENTER = 28, 57, 96
SWITCH_KEYS = frozenset({KEY_ENTER, KEY_SPACE, KEY_KPENTER})
"""What switch interfaces send by default; other keys (a keyboard's letters) are ignored."""
BUTTONS = (range(0x100, 0x160), range(0x220, 0x224), range(0x2C0, 0x2E8))
"""BTN_* codes: BTN_0…, mouse and joystick buttons, BTN_DPAD_*, BTN_TRIGGER_HAPPY*: a button box, an adapted mouse."""


def is_switch(code: int) -> bool:
    return code in SWITCH_KEYS or any(code in r for r in BUTTONS)


class EventReader:
    """Bytes from the device, in whatever pieces a read gives, → the switch's KeyEvents."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[KeyEvent]:
        data, out = self._rest + data, []
        whole = len(data) - len(data) % EVENT.size
        for seconds, micros, kind, code, value in EVENT.iter_unpack(data[:whole]):
            if kind == EV_KEY and is_switch(code) and value in (DOWN, UP, REPEAT):
                out.append(KeyEvent(value, seconds + micros / 1e6))
        self._rest = data[whole:]
        return out


def pack_event(seconds: float, kind: int, code: int, value: int) -> bytes:
    """One record as the kernel writes it (for recordings and tests)."""
    whole = int(seconds)
    return EVENT.pack(whole, round((seconds - whole) * 1e6), kind, code, value)


def open_device(path: str, *, nonblocking: bool = False) -> int:
    """Open the switch device for reading; a device that cannot be read is one DeviceError line saying what to do.
    `nonblocking` for a check only (a FIFO then opens without waiting for its writer)."""
    where = f"--switch {path}"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DeviceError(f"{where}: no such device; the switch's devices are listed by ls -l /dev/input/by-id/ "
                          "(use the one ending in -event-kbd), or use --switch keys for this terminal's keys",
                          code="switch") from None
    except OSError as exc:
        raise DeviceError(f"{where}: {exc.strerror or exc}", code="switch") from None
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISREG(mode)):
        raise DeviceError(f"{where}: not an input device; use /dev/input/eventN or /dev/input/by-id/…-event-kbd",
                          code="switch")
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC | (os.O_NONBLOCK if nonblocking else 0))
    except PermissionError:
        raise DeviceError(f"{where}: permission denied; add yourself to the input group (sudo usermod -aG input "
                          "$USER), then log out and in again", code="switch") from None
    except OSError as exc:
        if exc.errno == errno.ENODEV:
            raise DeviceError(f"{where}: the device is gone (unplugged?); plug the switch in again",
                              code="switch") from None
        raise DeviceError(f"{where}: cannot read it ({exc.strerror or exc})", code="switch") from None
