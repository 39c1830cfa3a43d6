"""The coach's tunable numbers, frozen; the profile (accessibility issue) fills them per user."""

from __future__ import annotations

from dataclasses import dataclass

from voice_coach.errors import ConfigError

CR10_TOP = 10
"""The top of the Borg CR10 scale: a stop threshold above it could never be reached, which would turn it off."""


@dataclass(frozen=True)
class CoachSettings:
    """Timing and safety thresholds the coach uses."""

    response_timeout_seconds: float = 20.0
    """Silence after a question before the coach asks again (long: speech may be slow)."""
    reprompts: int = 2
    """How many times a question is asked again before the coach pauses."""
    give_up_seconds: float = 1800.0
    """How long a pause may last before the session is closed as abandoned."""
    confirm_below: float = 0.6
    """Replies that matter (a fatigue number, a symptom) heard below this confidence are read back."""
    always_confirm_rating: bool = False
    """Read back every spoken effort rating ("I heard six. Is that right?"), not only unsure ones; typed ratings
    (keyboard, caregiver, switch) are never read back."""
    effort_stop_threshold: int = 7
    """A CR10 rating at or above this ends the exercise and offers rest or stop."""
    fatigue_stop_threshold: int = 8
    """A pre-session fatigue at or above this is extreme fatigue: no exercise today."""
    first_run: bool = False
    """Read the full disclaimer (first session ever)."""
    ask_daily: bool = False
    """Ask whether yesterday's exercise kept the person from daily activities (sessions and check-ins).
    The CLI sets it from the journal: the first session or check-in of a day after an exercise day."""

    def __post_init__(self) -> None:
        """No value, wherever it came from, may turn a safety rule off: the stop thresholds must be reachable
        on the zero-to-ten scale, and the coach must ask and wait for a finite, positive time."""
        for name in ("effort_stop_threshold", "fatigue_stop_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= CR10_TOP:
                raise ConfigError(f"{name} = {value}: use 1 to {CR10_TOP}; a higher one would never stop "
                                  "the exercise")
        if not 0.0 <= self.confirm_below <= 1.0:
            raise ConfigError(f"confirm_below = {self.confirm_below}: use 0 to 1")
        for name in ("response_timeout_seconds", "give_up_seconds"):
            if not 0 < getattr(self, name) < float("inf"):
                raise ConfigError(f"{name} = {getattr(self, name)}: use a positive number of seconds")
        if not 0 <= self.reprompts <= 10:
            raise ConfigError(f"reprompts = {self.reprompts}: use 0 to 10")
