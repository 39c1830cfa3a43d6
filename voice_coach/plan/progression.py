"""Gentle progression: from the journal and the rules, propose a lighter program; never a heavier one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from voice_coach.coach.core import Offer
from voice_coach.coach.messages import Say
from voice_coach.coach.programs import Exercise, Program
from voice_coach.journal.journal import Entry
from voice_coach.plan.rules import Changes, Rule, Rules
from voice_coach.plan.today import day_of

PROGRAM_MIN_REPS = 8
"""programs.py accepts 8 to 12 repetitions, so a lighter program never goes below 8 even if min_reps does."""
DECISIONS = ("proposal_accepted", "proposal_declined")


@dataclass(frozen=True)
class Change:
    """One value of one exercise, lowered."""

    index: int
    """Position of the exercise in the program."""
    exercise: str
    """Its name."""
    field: str
    """reps, weight or minutes."""
    was: Any
    """The value the proposal was made from."""
    to: Any
    """The lighter value."""


@dataclass(frozen=True)
class Proposal:
    """A lighter program proposed for one program, with the rule and the entries that led to it."""

    id: str
    """Stable id (from program, rule and triggers), named by accept/decline entries."""
    program: str
    """Program name."""
    rule: str
    """The rule's id."""
    when: str
    """The rule's kind: effort_trend, symptoms or daily_activities."""
    reason: str
    """The rule's reason."""
    triggers: tuple[int, ...]
    """Journal entry ids that fired the rule."""
    changes: tuple[Change, ...]
    """What gets lighter."""
    symptom: str | None = None
    """symptoms: the latest symptom reported."""

    def data(self) -> dict[str, Any]:
        """The journal data of a proposal_made entry."""
        return {"proposal": self.id, "program": self.program, "rule": self.rule, "when": self.when,
                "reason": self.reason, "triggers": list(self.triggers), "symptom": self.symptom,
                "changes": [{"index": c.index, "exercise": c.exercise, "field": c.field, "was": c.was, "to": c.to}
                            for c in self.changes]}

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Proposal:
        return cls(d["proposal"], d["program"], d["rule"], d.get("when", ""), d.get("reason", ""),
                   tuple(d.get("triggers", [])), tuple(Change(**c) for c in d.get("changes", [])), d.get("symptom"))


# ----- lighter programs -----------------------------------------------------------------------------------
def lighten(program: Program, changes: Changes, lower: Iterable[str]) -> tuple[Change, ...]:
    """One step lighter: per exercise, the first of `lower` that can still go down, lowered once."""
    order = tuple(lower)
    out = []
    for i, ex in enumerate(program.exercises):
        for what in order:
            change = _lower_one(i, ex, what, changes)
            if change is not None:
                out.append(change)
                break
    return tuple(out)


def _lower_one(i: int, ex: Exercise, what: str, c: Changes) -> Change | None:
    if what == "reps" and ex.tempo is not None:
        reps = max(ex.min_reps, PROGRAM_MIN_REPS, ex.reps - c.reps_step)
        return Change(i, ex.name, "reps", ex.reps, reps) if reps < ex.reps else None
    if what == "weight" and ex.tempo is not None:
        w = ex.weight.lower()
        if w == c.lighter_weight.lower() or any(u in w for u in c.unweighted):
            return None
        return Change(i, ex.name, "weight", ex.weight, c.lighter_weight)
    if what == "minutes" and ex.tempo is None and not ex.hold_seconds:
        to = max(float(c.min_bout_minutes), ex.minutes - c.bout_step_minutes)
        return Change(i, ex.name, "minutes", ex.minutes, to) if to < ex.minutes else None
    return None


def apply(program: Program, changes: Iterable[Change]) -> tuple[Program, tuple[Change, ...]]:
    """The program with each change made where it still applies (same value as proposed from, and lower).

    A change whose exercise was edited since is left out: applying it could raise what a caregiver lowered.
    """
    exercises = list(program.exercises)
    applied = []
    for c in changes:
        if not 0 <= c.index < len(exercises) or exercises[c.index].name != c.exercise:
            continue
        ex = exercises[c.index]
        now = getattr(ex, c.field, None)
        if now != c.was:
            continue
        if c.field == "reps" and isinstance(c.to, int) and c.to < now:
            exercises[c.index] = replace(ex, reps=c.to)
        elif c.field == "minutes" and isinstance(c.to, (int, float)) and c.to < now:
            exercises[c.index] = replace(ex, minutes=float(c.to))
        elif c.field == "weight" and isinstance(c.to, str) and c.to.strip() and c.to != now:
            exercises[c.index] = replace(ex, weight=c.to)
        else:
            continue
        applied.append(c)
    return replace(program, exercises=tuple(exercises)), tuple(applied)


# ----- from the journal -----------------------------------------------------------------------------------
def _history(program: str, entries: list[Entry]) -> tuple[int, Proposal | None]:
    """The id of the last accept/decline for this program (0: none), and a proposal made since, if any."""
    cutoff, pending = 0, None
    for e in entries:
        if e.data.get("program") != program:
            continue
        if e.kind in DECISIONS:
            cutoff, pending = e.id, None
        elif e.kind == "proposal_made":
            pending = Proposal.from_data(e.data)
    return cutoff, pending


def _declined_for(rule: Rule, entries: list[Entry]) -> int:
    """The id of the last decline of a proposal made by `rule` for any program (0: none). A symptom or a "yes" to
    the next-day question is about the person, not one program: once a lighter program was declined for it, no
    program is proposed lighter for it again; a new report (after the decline) counts."""
    if rule.when == "effort_trend":  # hard ratings are each program's own
        return 0
    return max((e.id for e in entries if e.kind == "proposal_declined" and e.data.get("rule") == rule.id), default=0)


def _fires(rule: Rule, program: Program, entries: list[Entry], cutoff: int, today: date,
           programs_of: dict[str, str]) -> tuple[tuple[int, ...], str | None]:
    """The entry ids that make `rule` fire for `program` (empty: it does not), and the latest symptom."""
    recent = [e for e in entries if e.id > cutoff and 0 <= (today - day_of(e.at)).days < rule.within_days]
    if rule.when == "effort_trend":
        by_session: dict[str, list[Entry]] = {}
        for e in recent:
            if e.kind == "rating" and programs_of.get(e.session_id) == program.name:
                by_session.setdefault(e.session_id, []).append(e)
        last = list(by_session.values())[-rule.sessions:]
        hard = len(last) == rule.sessions and all(
            sum(r.data["value"] for r in s) / len(s) >= rule.threshold for s in last)
        return (tuple(r.id for s in last for r in s) if hard else ()), None
    if rule.when == "symptoms":
        hits = [e for e in recent if e.kind == "symptom" and e.data.get("kind") in rule.symptoms]
        return tuple(e.id for e in hits), (hits[-1].data["kind"] if hits else None)
    hits = [e for e in recent if e.kind == "checkin_answer" and e.data.get("question") == "daily_activities"
            and e.data.get("answer") == "yes"]
    return tuple(e.id for e in hits), None


def propose(program: Program, entries: Iterable[Entry], rules: Rules, today: date) -> tuple[Proposal, bool] | None:
    """The proposal to offer for `program` today, and whether it is new (False: made before, undecided).

    Only entries after the last decision for the program count, so a declined proposal is not made again
    from the same reports, and an accepted one is not followed at once by another; and a symptom or a next-day
    "yes" that a lighter program of any program was declined for counts no more (`_declined_for`).
    """
    if program.kind == "stretching":
        return None
    entries = list(entries)
    cutoff, pending = _history(program.name, entries)
    if pending is not None and apply(program, pending.changes)[1]:
        return pending, False
    programs_of = {e.session_id: str(e.data.get("program")) for e in entries if e.kind == "session_started"}
    for rule in rules.rules:
        triggers, symptom = _fires(rule, program, entries, max(cutoff, _declined_for(rule, entries)), today,
                                   programs_of)
        if not triggers:
            continue
        changes = lighten(program, rules.changes, rule.lower)
        if changes:
            key = f"{program.name}|{rule.id}|{','.join(map(str, triggers))}"
            pid = "p" + hashlib.sha1(key.encode()).hexdigest()[:10]
            return Proposal(pid, program.name, rule.id, rule.when, rule.reason, triggers, changes, symptom), True
    return None


def offer_for(program: Program, proposal: Proposal, first_time: bool) -> Offer | None:
    """What the coach says and uses when it proposes `proposal` (None when nothing of it still applies)."""
    lighter, applied = apply(program, proposal.changes)
    if not applied:
        return None
    why: dict[str, Any] = {"title": program.title} if proposal.when == "effort_trend" else (
        {"symptom": proposal.symptom} if proposal.when == "symptoms" else {})
    lines = [Say(f"proposal_why_{proposal.when}", why), Say("proposal_intro", {"title": program.title})]
    for c in applied:
        to = round(c.to) if c.field == "minutes" else c.to
        was = round(c.was) if c.field == "minutes" else c.was
        lines.append(Say(f"proposal_{c.field}", {"name": c.exercise, "to": to, "was": was}))
    return Offer(proposal=proposal.id, program=lighter, lines=tuple(lines), record=proposal.data(),
                 first_time=first_time)
