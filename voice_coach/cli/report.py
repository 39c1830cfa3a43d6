"""The caregiver's commands: `report` (text, csv, json, html, fhir), `note` and `log`."""

from __future__ import annotations

import io
import json
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from voice_coach.day_bounds import check_day
from voice_coach.errors import CoachError, JournalError
from voice_coach.journal.journal import Damaged, Entry, SqliteJournal
from voice_coach.paths import default_db
from voice_coach.private_files import write_private
from voice_coach.report import labels as words
from voice_coach.terminal_text import printable, scrub, shown

FORMATS = ("text", "csv", "json", "html", "fhir")
SUFFIXES = {".html": "html", ".htm": "html", ".csv": "csv", ".json": "json", ".txt": "text"}
PROGRESS_AFTER_SECONDS = 1.0
"""A report that takes longer than this shows a progress bar (on a terminal, on stderr)."""


class LazyProgress:
    """A rich progress bar that appears only once the work has taken longer than `delay_seconds`."""

    def __init__(self, console: Console, *, stages: int, delay_seconds: float = PROGRESS_AFTER_SECONDS,
                 clock: Callable[[], float] = time.monotonic, enabled: bool | None = None) -> None:
        self.console, self.stages, self.delay_seconds, self.clock = console, stages, delay_seconds, clock
        self.enabled = console.is_terminal if enabled is None else enabled
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.done = -1
        self.description = ""
        self.started = clock()

    def __enter__(self) -> LazyProgress:
        self.started = self.clock()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()

    def stage(self, description: str) -> None:
        """The next stage of the work begins."""
        self.done += 1
        self.tick(description)

    def tick(self, description: str | None = None) -> None:
        """Work goes on: show the bar once it is late, else just remember where we are."""
        self.description = description or self.description
        if self.progress is None and self.enabled and self.clock() - self.started >= self.delay_seconds:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                     TimeElapsedColumn(), console=self.console, transient=True)
            self.task = self.progress.add_task(self.description, total=self.stages)
            self.progress.start()
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=max(self.done, 0), description=self.description)


def infer_format(out: Path | None) -> str:
    """The format a file name asks for (report.html, sessions.csv, bundle.fhir.json), else json; on the screen
    (no file) the readable text summary."""
    if out is None:
        return "text"
    name = out.name.lower()
    if name.endswith((".fhir.json", ".fhir")):
        return "fhir"
    return SUFFIXES.get(out.suffix.lower(), "json")


def _window(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    from voice_coach.report.model import parse_date

    values: list[datetime | None] = []
    for option, text in (("--since", since), ("--until", until)):
        if not text:
            values.append(None)
            continue
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise CoachError(f"--since/--until: {option} {shown(text)} is not a date; use a date like 2026-11-25",
                             code="usage") from None
        check_day(option, text, value)  # before the time zone is added: year 1 or 9999 would overflow
        values.append(parse_date(text))
    start, end = values
    if start and end and start >= end:
        raise CoachError(f"--since {shown(since)} is not before --until {shown(until)}; --until is the first day "
                         "left out", code="usage")
    return start, end


@click.command()
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
@click.option("--since", help="From this date (YYYY-MM-DD).")
@click.option("--until", help="Before this date (YYYY-MM-DD); that day is left out.")
@click.option("--program", help="Only sessions of this program (caregiver entries are always shown).")
@click.option("--format", "format_", type=click.Choice(FORMATS),
              help="text, csv, json, html or fhir (default: text on the screen; from the -o file name).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), help="Write to this file (mode 0600).")
def report(db: Path | None, since: str | None, until: str | None, program: str | None, format_: str | None,
           out: Path | None) -> None:
    """Report sessions, ratings, symptoms, adherence and caregiver entries from the journal."""
    fmt = format_ or infer_format(out)
    start, end = _window(since, until)
    path = db or default_db()
    if out is not None and out.resolve() == path.resolve():
        raise CoachError(f"-o {out} is the journal itself; choose another file", code="usage")
    now = datetime.now().astimezone()
    err = Console(stderr=True)
    with LazyProgress(err, stages=3) as progress:
        entries, damaged = read_entries(path, start, end, progress)
        progress.stage(f"Making the {fmt} report")
        text = produce(fmt, entries, path=path, program=program, since=start, until=end, now=now,
                       progress=progress, to_terminal=out is None and sys.stdout.isatty(), damaged=damaged)
        progress.stage("Writing")
    if not any(e.kind == "session_started" for e in entries) and fmt not in ("text", "html"):
        click.echo("no sessions yet in this journal" + (" for these dates" if start or end else ""), err=True)
    if out is None and sys.stdout.isatty() and fmt != "text":
        text = printable(text)  # csv or json on a screen: no ESC codes from notes and names (text is scrubbed)
    write_output(text, out, bom=fmt == "csv")


def read_entries(path: Path, start: datetime | None, end: datetime | None,
                 progress: LazyProgress) -> tuple[list[Entry], list[Damaged]]:
    """The entries in the window, and the damaged rows left out (each warned about on stderr)."""
    progress.stage("Reading the journal")
    journal = SqliteJournal(path, readonly=True)
    entries: list[Entry] = []
    try:
        for e in journal.entries(start, end):
            entries.append(e)
            if len(entries) % 2000 == 0:
                progress.tick(f"Reading the journal ({len(entries)} entries)")
    finally:
        journal.close()
    return entries, journal.damaged


def produce(fmt: str, entries: list[Entry], *, path: Path, program: str | None, since: datetime | None,
            until: datetime | None, now: datetime, progress: LazyProgress, to_terminal: bool = False,
            damaged: list[Damaged] | None = None) -> str:
    """The report as text in `fmt`. Reading the entries is guarded: a malformed one becomes one JournalError
    line; drawing the report from the checked data is not (a failure there is a bug to see, not bad input)."""
    try:
        interpreted = _interpret(fmt, entries, program=program, since=since, until=until, now=now)
    except (KeyError, TypeError, ValueError) as exc:
        raise JournalError(f"journal {path}: an entry is not in the form this voice-coach expects ({exc!r}); "
                           "is it from a newer version?") from None
    if isinstance(interpreted, str):
        return interpreted
    interpreted["damaged"] = [{"id": d.id, "session_id": d.session_id, "kind": d.kind, "why": d.why,
                               "text": d.describe()} for d in damaged or []]
    if fmt == "text":
        from voice_coach.report.text import render_text

        buf = io.StringIO()
        width = shutil.get_terminal_size((110, 40)).columns if to_terminal else 110
        console = Console(file=buf, width=width, force_terminal=to_terminal,
                          color_system="auto" if to_terminal else None, highlight=False, emoji=False)
        render_text(scrub(interpreted), console)  # notes and names come from people: no ESC codes reach the screen
        return buf.getvalue()
    if fmt == "json":
        return json.dumps(interpreted, indent=2, ensure_ascii=False) + "\n"
    return _html(interpreted, progress)


def _interpret(fmt: str, entries: list[Entry], *, program: str | None, since: datetime | None,
               until: datetime | None, now: datetime) -> str | dict[str, Any]:
    """CSV and FHIR text straight from the entries; for JSON, text and HTML, the report data."""
    from voice_coach.report.model import build_report, with_programs

    if fmt == "csv":
        from voice_coach.report.csv_export import render_csv

        return render_csv(with_programs(entries, program))
    if fmt == "fhir":
        from voice_coach.report.fhir import build_bundle

        return json.dumps(build_bundle(with_programs(entries, program), generated_at=now), indent=2,
                          ensure_ascii=False) + "\n"
    last_day = (until - timedelta(microseconds=1)).date() if until is not None else now.date()
    data = build_report(entries, program=program, since=since, until=until, today=min(last_day, now.date()),
                        generated_at=now)
    return data


def _html(data: dict[str, Any], progress: LazyProgress) -> str:
    try:
        from voice_coach.report.charts import cr10_chart, recognition_chart, symptoms_chart
        from voice_coach.report.html import render_html
    except ImportError as exc:
        raise CoachError(f"--format html needs {exc.name or 'jinja2 and matplotlib'}: "
                         "pip install 'voice-coach[report]'", code="usage") from None

    def charts(name: str) -> str | None:
        progress.tick(f"Drawing the {name} chart")
        sessions = data["sessions"] + data["checkins"]
        if name == "cr10":
            return cr10_chart(data["sessions"], data["caregiver"], data["period"]["effort_threshold"])
        if name == "symptoms":
            events = [{**sy} for s in sessions for sy in s["symptoms"]]
            events += [{"kind": c["symptom"], "at": c["at"], "source": "caregiver"}
                       for c in data["caregiver"] if c["kind"] == "symptom"]
            starts = [s["started_at"] for s in sessions] + [c["at"] for c in data["caregiver"]]
            span = [words.local(min(starts)).replace(tzinfo=None),
                    datetime.fromisoformat(data["period"]["today"])] if starts else []
            return symptoms_chart(events, span)
        return recognition_chart(sessions)

    return render_html(data, charts=charts)


def write_output(text: str, out: Path | None, *, bom: bool = False) -> None:
    """To stdout, or atomically to `out`, created private (0600: it holds health information)."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if out.is_dir() and not out.is_symlink():
        raise CoachError(f"-o {out}: is a folder; give a file name such as {out / 'report.html'}", code="usage")
    encoded = text.encode("utf-8-sig" if bom else "utf-8")
    write_private(out, encoded, CoachError, what="-o", code="usage")
    click.echo(f"wrote {out}", err=True)


# ----- caregiver entries ------------------------------------------------------------------------------------
def _journal(db: Path | None) -> SqliteJournal:
    return SqliteJournal(db or default_db())


@click.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--at", "at_text", help="When it happened: 14:30, 2026-11-25 14:30 (default: now).")
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
def note(text: tuple[str, ...], at_text: str | None, db: Path | None) -> None:
    """Add a caregiver's note to the journal: voice-coach note "slept badly, new splint"."""
    from voice_coach.journal.caregiver import add_note, parse_at

    now = datetime.now().astimezone()
    at = parse_at(at_text, now)
    journal = _journal(db)
    try:
        add_note(journal, " ".join(text), at=at, now=now)
    finally:
        journal.close()
    click.echo(f"noted ({CAREGIVER_LABEL}) for {words.when(at)} in {journal.path}", err=True)


CAREGIVER_LABEL = "caregiver"


@click.command("log")
@click.option("--rating", type=click.IntRange(0, 10), help="An effort rating, Borg CR10 0–10.")
@click.option("--symptom", help="cramp, twitching, dizzy, pain, exhausted or short of breath.")
@click.option("--at", "at_text", help="When it happened: 14:30, 2026-11-25 14:30 (default: now).")
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
def log_entry(rating: int | None, symptom: str | None, at_text: str | None, db: Path | None) -> None:
    """Log an effort rating or a symptom for the person, as the caregiver."""
    from voice_coach.journal.caregiver import add_rating, add_symptom, parse_at, parse_symptom

    if (rating is None) == (symptom is None):
        raise CoachError("log: give either --rating N (0 to 10) or --symptom KIND", code="usage")
    now = datetime.now().astimezone()
    at = parse_at(at_text, now)
    if symptom is not None:
        symptom = parse_symptom(symptom)
    journal = _journal(db)
    try:
        if rating is not None:
            add_rating(journal, rating, at=at, now=now)
            what = f"effort {rating} of 10"
        else:
            assert symptom is not None
            add_symptom(journal, symptom, at=at, now=now)
            what = f"symptom {words.label(words.SYMPTOMS, symptom)}"
    finally:
        journal.close()
    click.echo(f"logged {what} ({CAREGIVER_LABEL}) for {words.when(at)} in {journal.path}", err=True)


COMMANDS = (report, note, log_entry)


def register(group: click.Group) -> None:
    """Add `report`, `note` and `log` to the `voice-coach` group (replacing an older `report`)."""
    for command in COMMANDS:
        group.add_command(command)
