"""The `voice-coach` command: sessions, check-ins, reports, models; every error is one clear line."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from voice_coach.errors import CoachError
from voice_coach.paths import default_db
from voice_coach.terminal_text import one_line


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def app() -> None:
    """A hands-free exercise coach for people living with ALS. Offline; guided by voice."""


def _finite(_ctx: click.Context, param: click.Parameter, value: float) -> float:
    """FloatRange lets "nan" through (every comparison with it is false)."""
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number", param=param)
    return value


def session_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by `session` and `checkin`."""
    for option in reversed([
        click.option("--input", "input_", default="auto", show_default=True, envvar="VOICE_COACH_INPUT",
                     help="auto (your profile's input mode; speech by default), mic, text (keyboard), caregiver "
                          "(typed by a caregiver), switch, any-sound, scanning, a .txt reply script, a WAV file or "
                          "a folder of WAVs."),
        click.option("--output", default="speaker", show_default=True, envvar="VOICE_COACH_OUTPUT",
                     help="speaker (spoken aloud and printed), text (printed only), or a folder to write one WAV "
                          "per line."),
        click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory)."),
        click.option("--backend", default="auto", show_default=True,
                     type=click.Choice(["auto", "pocketsphinx", "vosk"]), help="Speech recognizer."),
        click.option("--model", type=click.Path(path_type=Path), help="A vosk model directory."),
        click.option("--time-scale", default=1.0, type=click.FloatRange(1.0, 100.0), hidden=True, callback=_finite,
                     help="Run the clock faster (demos and terminal tests only)."),
    ]):
        f = option(f)
    return f


def _run(program: str | None, input_: str, output: str, db: Path | None, backend: str, model: Path | None,
         time_scale: float, checkin: bool = False) -> None:
    from voice_coach.journal import lock as journal_lock
    from voice_coach.stop_signals import signals_interrupt

    path = db or default_db()
    with journal_lock.hold(path, what="checkin" if checkin else "session"), signals_interrupt():
        _run_held(program, input_, output, path, backend, model, time_scale, checkin)


def _run_held(program: str | None, input_: str, output: str, db: Path, backend: str, model: Path | None,
              time_scale: float, checkin: bool) -> None:
    """A session or check-in, with the journal held (no other session can write it) and SIGTERM/SIGHUP ending it
    as Ctrl-C does."""
    from voice_coach.access.profile import load_profile
    from voice_coach.access.words import load_aliases
    from voice_coach.coach.intents import load_phrasebook
    from voice_coach.coach.prompts import load_prompts
    from voice_coach.journal.journal import SqliteJournal
    from voice_coach.session.run import run_prepared, say_nothing_left
    from voice_coach.session.start import prepare_start
    from voice_coach.session.wiring import make_clock, make_input, make_speaker

    prompts, phrasebook, profile = load_prompts(), load_phrasebook(), load_profile()
    aliases = load_aliases(book=phrasebook)
    journal = SqliteJournal(db)
    start = prepare_start(program, list(journal.entries()), checkin=checkin)  # today's plan, next-day question
    speaker = make_speaker(output, profile)
    if start.nothing_left:  # no --program, and nothing more is planned today
        say_nothing_left(start, speaker, prompts)
        journal.close()
        return
    source = make_input(input_, profile, speaker=speaker, phrasebook=phrasebook, aliases=aliases, backend=backend,
                        model=model)
    try:
        run_prepared(start, listener=source.listener, speaker=speaker, journal=journal,
                     clock=make_clock(source.replaying, time_scale), prompts=prompts, phrasebook=phrasebook,
                     aliases=aliases, profile=profile, echo=lambda line: click.echo(line, err=True))
    finally:
        source.close()
    journal.close()


@app.command()
@click.option("--program", default=None,
              help="stretching, resistance, aerobic, or a path to your own .yaml program (default: today's plan).")
@session_options
def session(program: str | None, input_: str, output: str, db: Path | None, backend: str, model: Path | None,
            time_scale: float) -> None:
    """Run a guided exercise session."""
    _run(program, input_, output, db, backend, model, time_scale)


@app.command()
@session_options
def checkin(input_: str, output: str, db: Path | None, backend: str, model: Path | None, time_scale: float) -> None:
    """A check-in without exercise: fatigue, new cramps, new twitching, daily activities."""
    _run(None, input_, output, db, backend, model, time_scale, checkin=True)


@app.command()
@click.option("--svg", type=click.Path(path_type=Path), help="Also write an SVG drawing (needs Graphviz).")
def diagram(svg: Path | None) -> None:
    """Print the coach's states and transitions as mermaid text."""
    from voice_coach.coach import diagram as d

    click.echo(d.mermaid(), nl=False)
    if svg is not None:
        drawing = d.svg()
        if drawing is None:
            raise CoachError("--svg needs Graphviz: install it (apt-get install graphviz)", code="usage")
        _write(drawing, svg)


@app.command()
def programs() -> None:
    """List the exercise programs you can run (yours first, then the bundled ones)."""
    from voice_coach.coach.programs import available_programs, load_program

    for name in available_programs():
        p = load_program(name)
        click.echo(one_line(f"{name:<14} {p.kind:<11} {len(p.exercises)} exercises  ({p.source})"))


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    from voice_coach.private_files import write_private

    write_private(out, text, CoachError, code="usage")
    click.echo(f"wrote {out}", err=True)


def _register() -> None:
    """Command groups that live in their own modules."""
    from voice_coach.cli.access import register as register_access
    from voice_coach.cli.demo import demo
    from voice_coach.cli.devices import devices
    from voice_coach.cli.listen import register as register_listen
    from voice_coach.cli.models import models
    from voice_coach.cli.plan import register as register_plan
    from voice_coach.cli.report import register as register_reports
    from voice_coach.cli.speech import recognize

    app.add_command(models)
    app.add_command(devices)
    app.add_command(recognize)
    app.add_command(demo)
    register_reports(app)
    register_access(app)
    register_plan(app)
    register_listen(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command; any CoachError or usage error becomes one line on stderr."""
    try:
        app.main(args=argv, prog_name="voice-coach", standalone_mode=False)
    except CoachError as exc:
        click.echo(f"voice-coach: {one_line(exc.message)}", err=True)
        return 2 if exc.code == "usage" else 1
    except click.exceptions.Abort:
        click.echo("voice-coach: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        hint = " (see --help)" if isinstance(exc, click.UsageError) else ""
        click.echo(f"voice-coach: {one_line(exc.format_message())}{hint}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
