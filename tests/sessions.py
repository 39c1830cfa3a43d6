"""Run whole sessions on fakes: the helper the golden, safety and property tests share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tests.fakes import FakeClock, MemoryJournal, RecordingSpeaker, Reply, ScriptedListener
from voice_coach.coach.coach import Coach
from voice_coach.coach.core import Opening
from voice_coach.coach.intents import load_phrasebook
from voice_coach.coach.messages import Say
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.coach.settings import CoachSettings
from voice_coach.coach.table import State
from voice_coach.plan.plan import load_plan
from voice_coach.plan.progression import Proposal, lighten, offer_for
from voice_coach.plan.rules import load_rules
from voice_coach.plan.today import today_lines, today_status
from voice_coach.session.loop import SessionLoop, SessionResult


@dataclass
class Run:
    """Everything a scripted session produced."""

    result: SessionResult
    coach: Coach
    speaker: RecordingSpeaker
    listener: ScriptedListener
    journal: MemoryJournal
    clock: FakeClock
    transcript: list[str] = field(default_factory=list)

    def golden(self) -> str:
        lines = list(self.transcript)
        lines.append("--- journal")
        for r in self.journal.rows:
            said = f" <{r['source']}: {r['transcript']!r} @{r['confidence']}>" if r["transcript"] is not None else ""
            lines.append(f"{r['at'].strftime('%H:%M:%S')} {r['kind']} {r['data']}{said}")
        lines.append(f"--- outcome {self.result.outcome} after {self.clock.now():g} s")
        return "\n".join(lines) + "\n"


def hard_week_offer(first_time: bool = True) -> Opening:
    """The bundled resistance program proposed one step lighter after hard efforts (entries 11-19)."""
    program, rules = load_program("resistance"), load_rules()
    rule = rules.rules[0]
    changes = lighten(program, rules.changes, rule.lower)
    proposal = Proposal("p-hard-week", program.name, rule.id, rule.when, rule.reason, tuple(range(11, 20)), changes)
    offer = offer_for(program, proposal, first_time)
    assert offer is not None
    return Opening(offer=offer)


def plan_day(day: date = date(2026, 3, 3), announce: bool = False) -> Opening:
    """The bundled weekly plan on a day with nothing done yet (2026-03-03 is a Tuesday)."""
    lines = tuple(today_lines(today_status(load_plan(), [], day)))
    return Opening(today=lines, announce=tuple(s for s in lines if s.key != "plan_next") if announce else ())


OPENINGS: dict[str, Callable[[], Opening]] = {
    "after_a_cramp": lambda: Opening(recall=(Say("recall_symptom", {"symptom": "cramp"}),), ask_checked=True),
    "hard_week_offer": hard_week_offer,
    "tuesday_plan": plan_day,
    "tuesday_from_plan": lambda: plan_day(announce=True),
}
"""Openings a golden scenario names with `opening:`."""

ROUTES_BEFORE_EXERCISE: dict[State, tuple[list[str], dict[str, Any]]] = {
    State.RECALLING: ([], {"opening": "after_a_cramp"}),
    State.PROPOSING: ([], {"opening": "hard_week_offer"}),
    State.ASKING_FEELING: ([], {}),
    State.ASKING_SYMPTOMS: (["three"], {}),
    State.ASKING_WHICH_SYMPTOM: (["three", "yes"], {}),
    State.ASKING_DAILY: (["three", "no"], {"ask_daily": True}),
    State.INTRODUCING: (["three", "no"], {}),
}
"""Replies (and run_session settings) that bring a resistance session to each state before the first exercise;
the safety and input-mode tests add the states after it."""


def run_session(program: str | None, replies: list[Reply | str], opening: Opening | str | None = None,
                aliases: dict[str, str] | None = None, **settings: object) -> Run:
    transcript: list[str] = []
    speaker = RecordingSpeaker(transcript)
    listener = ScriptedListener(replies, transcript=transcript)
    journal, clock = MemoryJournal(), FakeClock()
    if isinstance(opening, str):
        opening = OPENINGS[opening]()
    settings = {"always_confirm_rating": True, **settings}  # scripted people chose confirm: always (their
    # scripts answer every read-back); tests/test_golden_cli.py runs the default through the CLI
    coach = Coach(load_program(program) if program else None, CoachSettings(**settings),  # type: ignore[arg-type]
                  opening)
    loop = SessionLoop(coach, listener=listener, speaker=speaker, journal=journal, clock=clock,
                       prompts=load_prompts(), phrasebook=load_phrasebook(), aliases=aliases)
    result = loop.run()
    return Run(result, coach, speaker, listener, journal, clock, transcript)
