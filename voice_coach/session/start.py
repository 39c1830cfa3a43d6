"""Before a session or check-in: which program (today's plan), the next-day question, a lighter program to offer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from voice_coach.coach.core import Offer, Opening
from voice_coach.coach.messages import Say
from voice_coach.coach.programs import Program, load_program
from voice_coach.coach.settings import CoachSettings
from voice_coach.errors import ProgramError
from voice_coach.journal.journal import Entry
from voice_coach.plan.override import apply_accepted
from voice_coach.plan.plan import WEEKDAYS, load_plan
from voice_coach.plan.progression import offer_for, propose
from voice_coach.plan.recall import recall
from voice_coach.plan.rules import load_rules
from voice_coach.plan.today import asks_daily, today_lines, today_status
from voice_coach.terminal_text import warn_on_stderr


@dataclass(frozen=True)
class Start:
    """Everything the coach is built with."""

    program: Program | None
    """The program to run (None: a check-in, or nothing left to do today)."""
    settings: CoachSettings
    """first_run and ask_daily worked out from the journal."""
    opening: Opening
    """Today's plan, and a lighter program to offer."""
    nothing_left: tuple[Say, ...] = ()
    """No --program and today's plan is done (or a rest day): say these, run no session."""


def by_name(arg: str) -> bool:
    """A program given by name (looked up, and so can be made lighter), not by path."""
    return not (Path(arg).suffix in (".yaml", ".yml") or "/" in arg)


def prepare_start(program_arg: str | None, entries: list[Entry], *, checkin: bool = False,
                  today: date | None = None) -> Start:
    """What to run: `program_arg`, or a check-in, or (neither) the next session of today's plan.

    The plan must load when it chooses the session; otherwise a broken plan only costs "what's today?".
    """
    today = today or date.today()
    apply_accepted(entries)  # an acceptance whose program file was not written (the app was killed)
    settings = CoachSettings(first_run=not any(e.kind == "session_started" for e in entries),
                             ask_daily=asks_daily(entries, today))
    notes: dict[str, object] = {"daily_question_due": True} if settings.ask_daily else {}
    from_plan = program_arg is None and not checkin
    try:
        status = today_status(load_plan(), entries, today)
        lines = tuple(today_lines(status))
    except ProgramError as exc:
        if from_plan:
            raise
        warn_on_stderr(f"{exc.message} (this session goes on without today's plan)")
        status, lines = None, (Say("plan_unavailable"),)
    announce: tuple[Say, ...] = ()
    name = program_arg
    if from_plan:
        assert status is not None
        if status.next is None:
            return Start(None, settings, Opening(today=lines), nothing_left=lines)
        name = status.next.program
        announce = tuple(s for s in lines if s.key != "plan_next")
        notes["planned"] = WEEKDAYS[today.weekday()]
    program = load_program(name) if name and not checkin else None
    offer: Offer | None = None
    if program is not None and name is not None and by_name(name):
        found = propose(program, entries, load_rules(), today)
        offer = offer_for(program, *found) if found else None
    remembered, ask_checked = recall(entries)
    return Start(program, settings, Opening(today=lines, announce=announce, offer=offer, notes=notes,
                                            recall=remembered, ask_checked=ask_checked))


def finish(entries: list[Entry]) -> list[tuple[str, Path]]:
    """After a session: write the program a "yes" made lighter."""
    return apply_accepted(entries)
