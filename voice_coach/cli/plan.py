"""`voice-coach plan` (today and this week against the plan) and `voice-coach program show|accept|decline`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from voice_coach.day_bounds import check_day
from voice_coach.errors import CoachError
from voice_coach.journal.journal import CAREGIVER_SESSION_ID, Entry, SqliteJournal
from voice_coach.paths import default_db
from voice_coach.terminal_text import one_line, printable, shown, warn_on_stderr

if TYPE_CHECKING:
    from voice_coach.coach.programs import Program
    from voice_coach.plan.progression import Proposal

"""Entries a caregiver makes from the command line share this session id (as in the reports)."""
MARKS = {"done": "x", "extra": "+", "missed": "-", "planned": "o", "free": ".", "before": " "}


def _entries(db: Path | None) -> list[Entry]:
    path = db or default_db()
    if not path.exists():
        return []  # nothing done yet
    journal = SqliteJournal(path, readonly=True)
    try:
        return list(journal.entries())
    finally:
        journal.close()


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CoachError(f"--date {shown(text)}: use a date like 2026-03-02", code="usage") from None
    check_day("--date", text, day)
    return day


@click.command()
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
@click.option("--date", "day", help="The day to ask about (YYYY-MM-DD; default: today).")
@click.option("--output", default="text", show_default=True, help="text, or speaker to also say it aloud.")
@click.option("--plan", "plan_file", type=click.Path(path_type=Path), help="A plan file (default: yours, else ACSM).")
def plan(db: Path | None, day: str | None, output: str, plan_file: Path | None) -> None:
    """What is planned today, and what is done this week against the weekly plan."""
    from voice_coach.coach.prompts import load_prompts
    from voice_coach.plan.plan import load_plan
    from voice_coach.plan.today import day_of, done_sessions, today_lines, today_status, week_lines, week_status

    when = _day(day)
    weekly = load_plan(plan_file)
    entries = _entries(db)
    says = today_lines(today_status(weekly, entries, when)) + week_lines(week_status(weekly, entries, when))
    prompts = load_prompts()
    for s in says:
        click.echo(printable(prompts.render(s)))
    monday = when - timedelta(days=when.weekday())
    days = [monday + timedelta(days=i) for i in range(7)]
    done = {(d.day, d.kind) for d in done_sessions(entries)}
    first = min((day_of(e.at) for e in entries), default=when)  # days before the journal are not judged
    click.echo(f"\nweek of {monday.isoformat():<16}" + " ".join(f"{d:%a}" for d in days)
               + printable(f"   (plan: {weekly.source})"))
    for kind in weekly.kinds() + sorted({k for d, k in done if d in days} - set(weekly.kinds())):
        row = []
        for d in days:
            planned = any(p.kind == kind for p in weekly.day(d))
            state = ("done" if planned else "extra") if (d, kind) in done else "before" if d < first else (
                ("missed" if d < when else "planned") if planned else "free")
            row.append(f"{MARKS[state]:^3}")
        click.echo(f"{one_line(weekly.title_of(kind), 60):<24}" + " ".join(row))
    click.echo("x done  o planned  - planned, not done  + done, not planned  . nothing planned")
    if output != "text":
        from voice_coach.access.profile import load_profile
        from voice_coach.session.wiring import make_speaker

        speaker = make_speaker(output, load_profile())
        for s in says:
            speaker.say(prompts.render(s), s.key)


@click.group()
def program() -> None:
    """Lighter programs the coach proposes: show them, accept one, or decline it."""


def _candidates(name: str | None) -> list[str]:
    from voice_coach.coach.programs import available_programs, load_program
    from voice_coach.errors import ProgramError
    from voice_coach.plan.plan import load_plan

    if name is not None:
        return [name]
    try:
        names = list(dict.fromkeys(p.program for d in load_plan().week for p in d))
    except ProgramError as exc:
        warn_on_stderr(f"{exc.message} (every program is looked at instead)")
        names = available_programs()
    return [n for n in names if load_program(n).kind != "stretching"]


def _proposals(name: str | None, entries: list[Entry]) -> list[tuple[Program, Proposal, bool]]:
    from voice_coach.coach.programs import load_program
    from voice_coach.plan.progression import propose
    from voice_coach.plan.rules import load_rules

    rules, today = load_rules(), date.today()
    out = []
    for n in _candidates(name):
        p = load_program(n)
        found = propose(p, entries, rules, today)
        if found:
            out.append((p, found[0], found[1]))
    return out


@program.command()
@click.argument("name", required=False)
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
def show(name: str | None, db: Path | None) -> None:
    """The lighter program proposed for NAME (default: every program of the plan), and why."""
    from voice_coach.coach.programs import load_program
    from voice_coach.plan.override import accepted_ids

    entries = _entries(db)
    by_id = {e.id: e for e in entries}
    proposals = {p.name: (prop, new) for p, prop, new in _proposals(name, entries)}
    for n in _candidates(name):
        p = load_program(n)
        accepted = accepted_ids(p)
        click.echo(one_line(f"{n} ({p.title}): {p.source}"
                            + (f"; {len(accepted)} proposal(s) accepted" if accepted else "")))
        if n not in proposals:
            click.echo("  nothing proposed")
            continue
        prop, new = proposals[n]
        click.echo(f"  proposal {prop.id} ({'new' if new else 'offered, not answered yet'}), rule {prop.rule}:")
        click.echo(f"    {printable(prop.reason)}")
        click.echo("    because of: " + printable("; ".join(_describe(by_id[i]) for i in prop.triggers if i in by_id)))
        for c in prop.changes:
            click.echo(printable(f"    {c.exercise}: {c.field} {c.was} -> {c.to}"))
        click.echo(f"  accept with: voice-coach program accept {n}   (or decline)")


def _describe(e: Entry) -> str:
    when = e.at.astimezone().strftime("%Y-%m-%d")
    what = {"rating": lambda: f"effort {e.data.get('value')}", "symptom": lambda: f"{e.data.get('kind')}",
            "checkin_answer": lambda: "daily activities affected"}.get(e.kind, lambda: e.kind)()
    return f"#{e.id} {what} on {when}"


def _decide(name: str | None, db: Path | None, kind: str) -> None:
    from voice_coach.plan.override import apply_accepted

    journal = SqliteJournal(db or default_db())
    try:
        found = _proposals(name, list(journal.entries()))
        if not found:
            raise CoachError(f"{'program ' + name if name else 'programs'}: nothing is proposed; "
                             "`voice-coach program show` lists proposals and why", code="usage")
        if len(found) > 1:
            names = ", ".join(p.name for p, _, _ in found)
            raise CoachError(f"more than one program has a proposal ({names}): name one", code="usage")
        _, prop, new = found[0]
        now = datetime.now().astimezone()
        if new:
            journal.append(CAREGIVER_SESSION_ID, "proposal_made", now, prop.data(), source="coach")
        journal.append(CAREGIVER_SESSION_ID, kind, now, {"proposal": prop.id, "program": prop.program,
                                                         "rule": prop.rule}, source="caregiver")
        if kind == "proposal_accepted":
            for n, path in apply_accepted(list(journal.entries())):
                click.echo(f"program {n}: accepted proposal {prop.id}; the lighter program is in {path}")
        else:
            click.echo(f"program {prop.program}: declined proposal {prop.id}; the program stays as it is")
    finally:
        journal.close()


@program.command()
@click.argument("name", required=False)
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
def accept(name: str | None, db: Path | None) -> None:
    """Accept the lighter program proposed for NAME: it is saved as your own program file."""
    _decide(name, db, "proposal_accepted")


@program.command()
@click.argument("name", required=False)
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
def decline(name: str | None, db: Path | None) -> None:
    """Decline the lighter program proposed for NAME: nothing changes."""
    _decide(name, db, "proposal_declined")


def register(app: click.Group) -> None:
    app.add_command(plan)
    app.add_command(program)
