"""`voice-coach recognize FILE.wav...`: what the recognizer hears in WAV files, with the grammar of a state."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from voice_coach.access.words import intents_by_state
from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard, Intent, PhraseBook, load_phrasebook
from voice_coach.coach.ports import EndOfInput, Expectation
from voice_coach.coach.table import State
from voice_coach.errors import AudioError, CoachError
from voice_coach.speech.audio_io import WavSource
from voice_coach.speech.listener import StreamListener, UtteranceReport
from voice_coach.speech.recognition import Recognizer
from voice_coach.speech.recognizers import BACKENDS, make_recognizer


def state_intents(state: str) -> list[Intent]:
    """The intents the coach takes in `state`, in Intent order (from the transition table)."""
    try:
        wanted = State(state)
    except ValueError:
        raise CoachError(f"--state {state}: not a coach state; use one of {', '.join(grammar_states())}",
                         code="usage") from None
    accepted = intents_by_state()[wanted]
    return [i for i in Intent if i in accepted]


def grammar_states() -> list[str]:
    """States that listen for something."""
    return [s.value for s, intents in intents_by_state().items() if intents]


def recognize_file(path: Path, recognizer: Recognizer, phrases: tuple[str, ...], state: str, book: PhraseBook,
                   on_utterance: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Every utterance in one WAV, through the same endpointing as the microphone. The file is streamed a block
    at a time; each utterance goes to `on_utterance` as soon as it is cut (when given, the result's list stays
    empty: nothing is held for a long recording), else all are collected in the result."""
    source = WavSource(path)  # the header is checked here: an AudioError before any audio is decoded
    utterances: list[dict[str, Any]] = []
    emit = on_utterance or utterances.append
    listener = StreamListener(source, recognizer, on_report=lambda report: emit(_utterance(report, book)))
    clock, expect = VirtualClock(), Expectation(phrases, True, state)
    try:
        while True:
            listener.listen(None, clock, expect)
    except EndOfInput:
        pass
    finally:
        listener.close()
    return {"file": str(path), "seconds": round(source.duration_seconds, 2), "utterances": utterances}


def _utterance(report: UtteranceReport, book: PhraseBook) -> dict[str, Any]:
    d = report.decoded
    heard = report.heard
    out: dict[str, Any] = {
        "start_seconds": report.start_seconds, "end_seconds": report.speech_end_seconds,
        "transcript": heard.text if heard else (d.text if d else ""),
        "confidence": heard.confidence if heard else (d.confidence if d else 0.0),
        "accepted": heard is not None, "reason": d.reason if d else ("ok" if heard else "rejected"),
        "certainty": heard.certainty.value if heard else "rejected", "why": d.why if d else "",
        "ended_by": report.reason, "intent": None}
    if d is not None and d.score_per_frame is not None:
        out["score_per_frame"] = d.score_per_frame
    if d is not None and d.transcript is not None:
        out["whisper_heard"] = d.transcript  # what the Whisper check heard freely
    if d is not None and d.take is not None:
        out["nearest_take"] = d.take  # the nearest of the person's voice-check takes, and its ratio
    if heard is not None:
        u = book.parse(Heard(heard.text, heard.confidence, "voice"))
        if u is not None:
            out["intent"] = u.intent.value
            if u.value is not None:
                out["value"] = u.value
            if u.symptom is not None:
                out["symptom"] = u.symptom
    return out


def _line(file: str, u: dict[str, Any]) -> str:
    """One utterance as a line: where it starts in the file, what was said, and what came of it."""
    said = f"\"{u['transcript']}\"" if u["transcript"] else "(nothing)"
    if u["accepted"]:
        intent = u["intent"] or "no intent"
        extra = u.get("value", u.get("symptom"))
        part = f"{said} confidence {u['confidence']:.2f} → {intent}{'' if extra is None else f' {extra}'}"
    else:
        heard = f"; Whisper heard \"{u['whisper_heard']}\"" if u.get("whisper_heard") else ""
        heard += f"; your nearest take \"{u['nearest_take']}\"" if u.get("nearest_take") else ""
        part = f"rejected ({u['reason']}; best guess {said}{heard})"
    return f"{file} [{u['start_seconds']:.2f} s]: {part}"


class _JsonWriter:
    """The --json document written as it goes (a long recording's utterances are never all held in memory)."""

    def __init__(self, backend: str, state: str | None) -> None:
        head = json.dumps({"backend": backend, "state": state}, ensure_ascii=False)[:-1]
        click.echo(head + ', "files": [', nl=False)
        self._files = 0
        self._utterances = 0

    def file(self, path: Path) -> None:
        click.echo(("," if self._files else "") + "\n  " + json.dumps({"file": str(path)})[:-1], nl=False)
        click.echo(', "utterances": [', nl=False)
        self._files += 1
        self._utterances = 0

    def utterance(self, u: dict[str, Any]) -> None:
        click.echo(("," if self._utterances else "") + "\n    " + json.dumps(u, ensure_ascii=False), nl=False)
        self._utterances += 1

    def end_file(self, seconds: float | None, error: str | None) -> None:
        tail = {"seconds": seconds} if error is None else {"error": error}
        click.echo("], " + json.dumps(tail, ensure_ascii=False)[1:], nl=False)

    def close(self) -> None:
        click.echo("\n]}")


@click.command("recognize")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--state", default=None, help="A coach state (e.g. asking_rating): use its grammar. Default: every "
              "phrase the coach knows.")
@click.option("--backend", default="auto", show_default=True, type=click.Choice(list(BACKENDS)),
              help="Speech recognizer.")
@click.option("--model", type=click.Path(path_type=Path), help="A vosk model directory.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document with every utterance.")
def recognize(files: tuple[Path, ...], state: str | None, backend: str, model: Path | None, as_json: bool) -> None:
    """Print what the recognizer hears in each WAV: transcript, confidence, and the intent (or "rejected")."""
    book = load_phrasebook()
    phrases = tuple(book.phrases_for(state_intents(state)) if state else sorted(book.phrases))
    recognizer = make_recognizer(backend, model)
    out = _JsonWriter(recognizer.name, state) if as_json else None
    failed: list[AudioError] = []
    for path in files:
        said = 0

        def show(u: dict[str, Any], path: Path = path) -> None:
            nonlocal said
            said += 1
            if out is not None:
                out.utterance(u)
            else:
                click.echo(_line(str(path), u))

        if out is not None:
            out.file(path)
        try:
            result = recognize_file(path, recognizer, phrases, state or "any", book, on_utterance=show)
        except AudioError as exc:
            failed.append(exc)
            if len(files) > 1:
                click.echo(f"voice-coach: {exc.message}", err=True)
            if out is not None:
                out.end_file(None, exc.message)
            continue
        if out is not None:
            out.end_file(result["seconds"], None)
        elif not said:
            click.echo(f"{path}: silence (no speech found in {result['seconds']} s)")
    if out is not None:
        out.close()
    if len(files) == 1 and failed:
        raise failed[0]  # one file: its own line is the whole story
    if failed:
        raise AudioError(f"{len(failed)} of {len(files)} file(s) could not be read (see above)")
