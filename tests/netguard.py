"""Refuse every network connection in this process: proof, in tests and demos, that the coach is offline."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOG_ENV = "VOICE_COACH_NETGUARD_LOG"
"""When set, every refused attempt is also appended to this file (one line each), so that an attempt that a
library swallows with its own `except OSError` still shows in a test that runs the CLI as a subprocess."""

_LOOKUPS = ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
            "getnameinfo", "create_server")


class NetworkBlocked(OSError):
    """Raised instead of a network socket or a name lookup (an OSError, as a real network failure is)."""


_recorders: list[list[str]] = []
_saved: dict[str, Any] = {}


def _note(what: str) -> NetworkBlocked:
    what = what[:200]
    for seen in _recorders:
        seen.append(what)
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(what + "\n")
    return NetworkBlocked(f"network access refused by tests.netguard: {what}")


def _refusing(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _note(f"socket.{name}{args!r}")
    return refuse


class _LocalOnlySocket(socket.socket):
    """A socket class that only opens AF_UNIX sockets (they cannot leave the machine). It stays a class, so
    that modules imported later (ssl subclasses socket.socket) still import."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.family != socket.AF_UNIX:
            family = self.family
            self.close()
            raise _note(f"socket.socket(family={family!r})")


def block() -> None:
    """From now on, network sockets and name lookups raise NetworkBlocked (idempotent)."""
    if _saved:
        return
    _saved["socket"] = socket.socket
    socket.socket = _LocalOnlySocket  # type: ignore[misc]
    for name in _LOOKUPS:
        if hasattr(socket, name):
            _saved[name] = getattr(socket, name)
            setattr(socket, name, _refusing(name))


def unblock() -> None:
    """Put the real socket functions back."""
    for name, value in _saved.items():
        setattr(socket, name, value)
    _saved.clear()


@contextmanager
def blocked() -> Iterator[list[str]]:
    """No network inside the `with`; yields the list of refused attempts (empty when the code was offline)."""
    already = bool(_saved)
    seen: list[str] = []
    _recorders.append(seen)
    block()
    try:
        yield seen
    finally:
        _recorders.remove(seen)
        if not already:
            unblock()
