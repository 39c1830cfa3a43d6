"""SIGTERM and SIGHUP (a shut-down service, a closed terminal) end a session as Ctrl-C does: cleanly, logged."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A signal asked the program to end; raised in the main thread, where Ctrl-C's KeyboardInterrupt is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Ending:
    """What the handlers know: whether a signal has fired, and whether it must wait (a journal write)."""

    fired: int | None = None
    """The signal that has interrupted (a repeat is then ignored: it must not cut the session's end)."""
    pending: int | None = None
    """A signal that came while deferred: raised as the deferred block ends."""
    deferred = 0
    """Depth of `signals_deferred` blocks."""


def _handle(signum: int, frame: FrameType | None) -> None:
    if _Ending.fired is not None:
        return
    if _Ending.deferred:
        _Ending.pending = signum
        return
    _Ending.fired = signum
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, the first Ctrl-C, SIGTERM or SIGHUP raises `Interrupted` (a KeyboardInterrupt), so the
    session loop ends the session with its end entry; a repeat while it ends is ignored. The old handlers come back
    after. Outside the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Ending.fired, _Ending.pending, _Ending.deferred = None, None, 0
    old = {s: signal.signal(s, _handle) for s in ENDING_SIGNALS}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Within the block a signal waits, and interrupts just after it: a journal write and the note that it was
    written are never cut apart. (A Python signal handler runs between any two bytecodes, so this is done in the
    handler, not by masking the signal in the OS: a signal caught just before the block would still act inside.)"""
    _Ending.deferred += 1
    try:
        yield
    finally:
        _Ending.deferred -= 1
    if not _Ending.deferred and _Ending.pending is not None and _Ending.fired is None:
        _Ending.fired, _Ending.pending = _Ending.pending, None
        raise Interrupted(_Ending.fired)
