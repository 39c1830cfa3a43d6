"""Clocks: the real one (optionally sped up for demos) and a virtual one for replays and tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Real time; `scale` > 1 runs the session faster (a demo or a tmux test), never the default."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.scale

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, t: float) -> None:
        delay = (t - self.now()) / self.scale
        if delay > 0:
            time.sleep(delay)


class VirtualClock:
    """Time that moves only when told: replays run instantly and tests never sleep."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._t = 0.0

    def now(self) -> float:
        return self._t

    def wall(self) -> datetime:
        return self._start + timedelta(seconds=self._t)

    def advance(self, seconds: float) -> None:
        self._t += max(0.0, seconds)

    def sleep_until(self, t: float) -> None:
        self._t = max(self._t, t)
