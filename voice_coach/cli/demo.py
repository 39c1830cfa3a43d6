"""`voice-coach demo`: a recorded short stretching session replayed through the real recognizer and coach."""

from __future__ import annotations

from pathlib import Path

import click

from voice_coach.coach.intents import Heard, PhraseBook
from voice_coach.coach.ports import Clock, Expectation, Listener
from voice_coach.errors import CoachError
from voice_coach.paths import DEMO_AUDIO
from voice_coach.private_files import private_dir
from voice_coach.terminal_text import one_line


class TurnPrinter:
    """Wraps a listener and prints each turn as it happens: what was heard, and what it meant."""

    def __init__(self, inner: Listener, phrasebook: PhraseBook) -> None:
        self.inner, self.phrasebook = inner, phrasebook

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        heard = self.inner.listen(until, clock, expect)
        if heard is not None:
            meant = self.phrasebook.parse(heard)
            what = "not understood" if meant is None else meant.intent.value + (
                f" {meant.value}" if meant.value is not None else f" ({meant.symptom})" if meant.symptom else "")
            click.echo(f"   heard: \"{one_line(heard.text, 200)}\" (confidence {heard.confidence:.2f}) -> {what}")
        return heard


def _has_output_device() -> bool:
    try:
        from voice_coach.speech.devices import list_devices
        return any(d.output_channels > 0 for d in list_devices())
    except Exception:  # no PortAudio, or it cannot list: the demo writes WAVs instead
        return False


@click.command()
@click.option("--db", type=click.Path(path_type=Path), help="Journal for the demo (default: a fresh one in the "
                                                            "output folder).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("demo-output"), show_default=True,
              help="Folder for the spoken lines as WAVs when there is no sound device.")
@click.option("--backend", default="auto", show_default=True, type=click.Choice(["auto", "pocketsphinx", "vosk"]))
@click.option("--audio", type=click.Path(path_type=Path), default=DEMO_AUDIO, show_default=False,
              help="A folder of reply WAVs to replay instead of the recorded demo.")
def demo(db: Path | None, out: Path, backend: str, audio: Path) -> None:
    """Replay a recorded short stretching session through the recognizer and the coach, turn by turn."""
    from voice_coach.coach.coach import Coach
    from voice_coach.coach.intents import load_phrasebook
    from voice_coach.coach.programs import load_program
    from voice_coach.coach.prompts import load_prompts
    from voice_coach.coach.settings import CoachSettings
    from voice_coach.journal import lock as journal_lock
    from voice_coach.journal.journal import SqliteJournal
    from voice_coach.session.loop import SessionLoop
    from voice_coach.session.wiring import make_clock, make_speaker
    from voice_coach.speech.wiring import audio_replay_listener
    from voice_coach.stop_signals import signals_interrupt

    phrasebook = load_phrasebook()
    speaking = _has_output_device()
    speaker = make_speaker("speaker" if speaking else str(out))
    db = db or out / "demo-journal.sqlite3"
    private_dir(out, CoachError, what="--out", code="usage")
    listener = TurnPrinter(audio_replay_listener(audio, backend), phrasebook)
    with journal_lock.hold(db, what="demo"), signals_interrupt():
        journal = SqliteJournal(db)
        clock = make_clock(replaying=True, time_scale=1.0)  # replayed at once, but dated today (the report reads it)
        loop = SessionLoop(Coach(load_program("stretching"), CoachSettings(first_run=True)), listener=listener,
                           speaker=speaker, journal=journal, clock=clock, prompts=load_prompts(),
                           phrasebook=phrasebook)
        result = loop.run()
        journal.close()
    where = "spoken aloud" if speaking else f"written as WAVs to {out}/ (no sound device here)"
    click.echo(f"demo: {result.outcome.replace('_', ' ')}; the coach's lines were {where}; journal: {db} "
               f"(see `voice-coach report --db {db} --format text`)", err=True)
