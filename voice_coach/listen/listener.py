"""The resident listener's state machine: waiting for the wake phrase, asking, confirming, reminding; pure.

It sees only what was heard (already turned into a request or an answer), the facts of the day and seconds; it
never reads a clock, a microphone or the disk. Its actions (`Say`, `LogEntry`, `Run`) go to an outbox that the
resident loop (resident.py) drains. Nothing that starts exercise happens on a guess: a request for exercise is
answered with a question and only "yes" starts it; a reminder's "yes" is such a question too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from voice_coach.coach.messages import LogEntry, Say
from voice_coach.listen.prompts import PROGRAM_REQUESTS

ASK_SECONDS = 8.0
"""How long "Yes?" (or a question) waits for an answer before asking once more; then back to waiting."""
REMINDER_WINDOW_SECONDS = 30.0
"""How long a reminder's yes/no window stays open (then it counts as not answered)."""
SECOND_CHANCE_SECONDS = 8.0
"""After a near miss, how long the wake detector is more lenient (as "Hey Siri" does)."""


class Mode(Enum):
    """Where the listener is."""

    WAITING = "listen_waiting"
    """Only the wake phrase counts."""
    ASKING = "listen_asking"
    """Woken: "Yes?" asked, waiting for what the person wants."""
    CONFIRMING = "listen_confirming"
    """"Start your stretches now?": only yes starts."""
    REMINDING = "listen_reminding"
    """A reminder was said: yes starts, later snoozes."""
    PAUSED = "listen_paused"
    """"Stop listening": only the wake phrase with "start listening" counts."""


@dataclass(frozen=True)
class Run:
    """Run a session (`program` None: today's planned one) or a check-in, then go back to listening."""

    checkin: bool
    program: str | None = None
    reason: str = "asked"
    """asked (after a wake) or reminder."""
    switch: bool = False
    """The switch woke the listener or answered it: the session takes the switch as its input (speech is weak
    today)."""


@dataclass(frozen=True)
class Facts:
    """What the day holds, worked out from the plan and the journal when something is asked."""

    next_program: str | None = None
    """The next planned session's program today (None: nothing left, or a rest day)."""
    next_title: str | None = None
    """Its spoken title."""
    checkin_first: bool = False
    """The last session stopped for safety or a rating/fatigue of 8+ was given, and the person has not said
    they are ready again: exercise is not offered, a check-in is."""
    today: tuple[Say, ...] = ()
    """The lines for "what's today"."""
    week: tuple[Say, ...] = ()
    """The lines for "how did I do this week"."""
    titles: dict[str, str] = field(default_factory=dict)
    """Program name → spoken title, for the programs a person can name."""


@dataclass(frozen=True)
class Reminder:
    """A reminder that is due now (reminders.py decides)."""

    checkin: bool
    """A check-in instead of exercise (after a safety stop or great tiredness)."""
    program: str | None
    title: str | None
    slot: str
    """The reminder time it belongs to ("09:30"), or "snooze"."""


Action = Say | LogEntry | Run


class ResidentListener:
    """The listener's decisions. Feed it `woke`, `heard`, `pressed`, `near_miss`, `remind`, `tick` and `finished`."""

    def __init__(self, wake_phrase: str) -> None:
        self.wake_phrase = wake_phrase
        self.mode = Mode.WAITING
        self.outbox: list[Action] = []
        self.deadline: float | None = None
        """When the open question times out (None: nothing open)."""
        self.asked_again = False
        self.pending: Run | None = None
        """What "yes" starts in CONFIRMING and REMINDING."""
        self.reminder: Reminder | None = None
        self.lenient_until = -1.0
        self.pending_title = ""
        """The title "Start your ... now?" named, for asking again."""
        self.by_switch = False
        """The open question came from a switch wake: its lines say what the switch does, silence says so."""

    # ----- what the loop asks ------------------------------------------------------------------------------
    def wake_at(self) -> float | None:
        return self.deadline

    def lenient(self, now: float) -> bool:
        """A near miss a moment ago: the wake detector takes a weaker match (the second chance)."""
        return now < self.lenient_until

    @property
    def awake(self) -> bool:
        """A question is open: replies need no wake phrase."""
        return self.mode in (Mode.ASKING, Mode.CONFIRMING, Mode.REMINDING)

    # ----- events ------------------------------------------------------------------------------------------
    def woke(self, request: str | None, now: float, facts: Facts, *, how: dict[str, Any] | None = None) -> None:
        """The wake phrase was heard, with `request` in the same breath (None: the wake phrase alone)."""
        self._log("wake", {"request": request, "mode": self.mode.value, **(how or {})})
        if self.mode is Mode.PAUSED:
            if request == "listen":
                self._back_to_waiting()
                self._say("resumed")
            return
        if request is None:
            self._ask(now)
            return
        self._request(request, now, facts)

    def pressed(self, press: str, now: float, facts: Facts, *, how: dict[str, Any] | None = None) -> None:
        """The switch was pressed ("short" or "long"). Waiting (or paused: the room's talk cannot press it), only
        a long press counts: it wakes the listener with "start today's planned session", which is asked first. With
        a question open, a press is yes; after "Yes?" it asks for today's session. A brushed switch (a short
        press while waiting) does nothing."""
        if self.mode in (Mode.WAITING, Mode.PAUSED):
            if press != "long":
                return
            self._log("wake", {"request": "start", "mode": self.mode.value, "how": "switch", **(how or {})})
            self._back_to_waiting()
            self.by_switch = True
            self._offer_exercise("start", now, facts)
            return
        self._log("heard", {"state": self.mode.value, "switch": press}, source="keyboard")
        if self.mode is Mode.ASKING:
            self.by_switch = True
            self._offer_exercise("start", now, facts)
        elif self.pending is not None:
            self._start(switch=True)

    def near_miss(self, now: float, how: dict[str, Any] | None = None) -> None:
        """Something close to the wake phrase that did not pass: logged, and the bar lowered for a moment."""
        self._log("wake_near_miss", dict(how or {}))
        self.lenient_until = now + SECOND_CHANCE_SECONDS

    def heard(self, kind: str | None, key: str | None, now: float, facts: Facts) -> None:
        """A reply while a question is open: ("request", id), ("answer", id), ("stop", None), ("symptom", kind),
        or (None, None) for speech not understood."""
        if not self.awake:
            return
        if kind == "stop":
            self._cancel("stop", now)
            return
        if kind == "symptom":
            self._log("symptom", {"kind": key, "where": "listener"}, source="voice")
            self._say(f"caution_{key}")
            self._cancel("symptom", now, quiet=True)
            return
        if self.mode is Mode.ASKING:
            if kind == "request" and key is not None:
                self._request(key, now, facts)
            elif kind == "answer" and key in ("no", "later"):
                self._cancel("never_mind", now)
            else:
                self._unclear(now)
            return
        yes = (kind == "answer" and key == "yes") or (kind == "request" and key == "start")
        if yes and self.pending is not None:
            self._start(switch=self.by_switch)
            return
        if self.mode is Mode.REMINDING:
            self._reminder_answer(kind, key, now)
            return
        if (kind == "answer" and key in ("no", "later")) or (kind == "request" and key == "cancel"):
            self._cancel("declined", now)
        else:
            self._unclear(now)

    def remind(self, reminder: Reminder, now: float) -> None:
        """A planned session (or a check-in) is due: say so once and open a short yes/no window."""
        if self.mode is not Mode.WAITING:
            return
        self.reminder = reminder
        self.pending = Run(True, None, "reminder") if reminder.checkin else Run(False, reminder.program, "reminder")
        self._log("reminder", {"slot": reminder.slot, "checkin": reminder.checkin, "program": reminder.program})
        if reminder.checkin:
            self._say("reminder_checkin")
        else:
            self._say("reminder_session", title=reminder.title or reminder.program or "", wake=self.wake_phrase)
        self.mode = Mode.REMINDING
        self.deadline = now + REMINDER_WINDOW_SECONDS
        self.asked_again = True  # a reminder is said once: no second asking

    def tick(self, now: float) -> None:
        """Time passed: an open question that had no answer is asked once more, then given up."""
        if self.deadline is None or now < self.deadline:
            return
        if self.mode is Mode.REMINDING:
            self._log("reminder_unanswered", {"slot": self.reminder.slot if self.reminder else None})
            self._back_to_waiting()
            return
        self._unclear(now, silence=True)

    def finished(self, outcome: str) -> None:
        """The session or check-in the listener started has ended: back to waiting."""
        self._log("listen_resumed", {"after": outcome})
        self._back_to_waiting()

    # ----- internals ---------------------------------------------------------------------------------------
    def _start(self, *, switch: bool) -> None:
        """Yes to the open question: run what it offered."""
        assert self.pending is not None
        run = self.pending if not switch else replace(self.pending, switch=True)
        self._back_to_waiting()
        self.outbox.append(run)

    def _request(self, request: str, now: float, facts: Facts) -> None:
        if request == "cancel":
            self._cancel("never_mind", now)
        elif request == "help":
            self._say("help", wake=self.wake_phrase)
            self._open(Mode.ASKING, now)
        elif request == "sleep":
            self._back_to_waiting()
            self.mode = Mode.PAUSED
            self._log("listen_paused", {})
            self._say("paused", wake=self.wake_phrase)
        elif request == "listen":
            self._back_to_waiting()
            self._say("resumed")
        elif request == "today":
            self.outbox.extend(facts.today)
            self._back_to_waiting()
        elif request == "week":
            self.outbox.extend(facts.week)
            self._back_to_waiting()
        elif request == "ready":
            self._log("ready_again", {}, source="voice")
            self._say("ready_noted", wake=self.wake_phrase)
            self._back_to_waiting()
        elif request == "checkin":
            self._back_to_waiting()
            self.outbox.append(Run(True, None, "asked"))
        elif request == "start" or request in PROGRAM_REQUESTS:
            self._offer_exercise(request, now, facts)
        else:
            self._unclear(now)

    def _offer_exercise(self, request: str, now: float, facts: Facts) -> None:
        if facts.checkin_first:
            self.pending = Run(True, None, "checkin_first")
            self._say("checkin_first")
        elif request == "start":
            if facts.next_program is None:
                self._say("nothing_left")
                self._back_to_waiting()
                return
            self.pending = Run(False, None, "asked")
            self.pending_title = facts.next_title or facts.next_program
            self._say("confirm_session", title=self.pending_title)
        else:
            if request not in facts.titles:
                self._say("unknown_program", title=request)
                self._back_to_waiting()
                return
            self.pending = Run(False, request, "asked")
            self.pending_title = facts.titles[request]
            self._say("confirm_session", title=self.pending_title)
        self._open(Mode.CONFIRMING, now)
        if self.by_switch:
            self._say("switch_hint")

    def _reminder_answer(self, kind: str | None, key: str | None, now: float) -> None:
        slot = self.reminder.slot if self.reminder else None
        if kind == "answer" and key == "later":
            self._log("reminder_snoozed", {"slot": slot}, source="voice")
            self._say("snoozed")
            self._back_to_waiting()
        elif (kind == "answer" and key == "no") or (kind == "request" and key == "cancel"):
            self._log("reminder_declined", {"slot": slot}, source="voice")
            self._say("not_today")
            self._back_to_waiting()
        # anything else in the window is ignored: the reminder was said once, the window just runs out

    def _ask(self, now: float) -> None:
        self._say("woken")
        self._open(Mode.ASKING, now)

    def _open(self, mode: Mode, now: float) -> None:
        self.mode = mode
        self.deadline = now + ASK_SECONDS
        self.asked_again = False

    def _unclear(self, now: float, *, silence: bool = False) -> None:
        if not self.asked_again:
            self.asked_again = True
            self.deadline = now + ASK_SECONDS
            if self.mode is Mode.ASKING:
                self._say("ask_again")
            elif self.pending is not None:
                self._say("confirm_checkin" if self.pending.checkin else "confirm_session",
                          **({} if self.pending.checkin else {"title": self.pending_title}))
                if self.by_switch:
                    self._say("switch_hint")
            return
        if silence and self.by_switch:  # a switch wake was meant: say that nothing starts without a yes
            self._log("wake_cancelled", {"reason": "silence", "mode": self.mode.value, "how": "switch"})
            self._say("switch_not_now")
            self._back_to_waiting()
            return
        self._cancel("silence" if silence else "unclear", now, quiet=silence)

    def _cancel(self, reason: str, now: float, *, quiet: bool = False) -> None:
        self._log("wake_cancelled", {"reason": reason, "mode": self.mode.value})
        if not quiet:
            self._say("going_back" if reason != "stop" else "okay", **({"wake": self.wake_phrase}
                                                                      if reason != "stop" else {}))
        self._back_to_waiting()

    def _leave_question(self) -> None:
        self.deadline = None
        self.asked_again = False
        self.reminder = None

    def _back_to_waiting(self) -> None:
        self._leave_question()
        self.pending = None
        self.by_switch = False
        self.mode = Mode.WAITING

    def _say(self, key: str, **slots: Any) -> None:
        self.outbox.append(Say(key, slots))

    def _log(self, kind: str, data: dict[str, Any], *, source: str = "coach") -> None:
        self.outbox.append(LogEntry(kind, data, source=source))
