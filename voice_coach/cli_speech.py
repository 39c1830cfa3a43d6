"""`voice-coach recognize FILE.wav...`: what the recognizer hears in WAV files, with the grammar of a state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .audio_io import PcmSource, read_wav
from .audio_listener import StreamListener, UtteranceReport
from .clocks import VirtualClock
from .coach_table import State
from .errors import AudioError, CoachError
from .intents import Heard, Intent, PhraseBook, load_phrasebook
from .ports import EndOfInput, Expectation, Recognizer
from .recognizers import BACKENDS, make_recognizer
from .words import intents_by_state


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


def recognize_file(path: Path, recognizer: Recognizer, phrases: tuple[str, ...], state: str,
                   book: PhraseBook) -> dict[str, Any]:
    """Every utterance in one WAV, through the same endpointing as the microphone."""
    pcm = read_wav(path)
    listener = StreamListener(PcmSource(pcm), recognizer)
    clock, expect = VirtualClock(), Expectation(phrases, True, state)
    try:
        while True:
            listener.listen(None, clock, expect)
    except EndOfInput:
        pass
    return {"file": str(path), "seconds": round(len(pcm) / 32000, 2),
            "utterances": [_utterance(r, book) for r in listener.reports]}


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


def _line(result: dict[str, Any]) -> str:
    if not result["utterances"]:
        return f"{result['file']}: silence (no speech found in {result['seconds']} s)"
    parts = []
    for u in result["utterances"]:
        said = f"\"{u['transcript']}\"" if u["transcript"] else "(nothing)"
        if u["accepted"]:
            intent = u["intent"] or "no intent"
            extra = u.get("value", u.get("symptom"))
            parts.append(f"{said} confidence {u['confidence']:.2f} → {intent}{'' if extra is None else f' {extra}'}")
        else:
            heard = f"; Whisper heard \"{u['whisper_heard']}\"" if u.get("whisper_heard") else ""
            heard += f"; your nearest take \"{u['nearest_take']}\"" if u.get("nearest_take") else ""
            parts.append(f"rejected ({u['reason']}; best guess {said}{heard})")
    return f"{result['file']}: " + "; ".join(parts)


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
    results, failed = [], []
    for path in files:
        try:
            result = recognize_file(path, recognizer, phrases, state or "any", book)
        except AudioError as exc:
            failed.append(exc.message)
            click.echo(f"voice-coach: {exc.message}", err=True)
            continue
        results.append(result)
        if not as_json:
            click.echo(_line(result))
    if as_json:
        click.echo(json.dumps({"backend": recognizer.name, "state": state, "files": results}, indent=2,
                              ensure_ascii=False))
    if failed:
        raise AudioError(f"{len(failed)} of {len(files)} file(s) could not be read (see above)")
