"""Voice check: each command said a few times, how often it is recognised, clearer words for those that fail."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from voice_coach.access.profile import WAKE_SENSITIVITIES
from voice_coach.access.words import Meaning, canonical_phrases, intents_by_state, meaning_of, suggest
from voice_coach.coach.intents import Heard, Intent, PhraseBook, load_phrasebook, normalize
from voice_coach.coach.ports import Clock, Expectation, Journal, Listener, Speaker
from voice_coach.errors import AudioError, CoachError
from voice_coach.speech.recognition import Recognizer
from voice_coach.speech.voice_templates import TakeRecorder

VOICE_CHECK_SESSION = "voice_check"
"""Session id of every voice-check entry (like "caregiver"): the report reads them as one trend."""
KIND = "voice_check"
TIMES = 3
PASS_RATE = 2 / 3
"""A phrase recognised fewer than two times in three gets clearer alternatives suggested."""
COMMANDS = ("yes", "no", "next", "repeat", "skip", "pause", "resume", "rest", "stop", "help")
"""Checked by default (with the person's own words); numbers and symptoms on request."""
CHUNK_BYTES = 960
TAKE_MAX_SECONDS = 30.0
"""A take in a folder is one command: a longer WAV is refused (one line) rather than held in memory."""
OwnPhrase = tuple[str, tuple[str, ...]]
"""What a phrase outside the coach's commands means (for the summary: "wake phrase") and its grammar."""
WAV_NAME = re.compile(r"^(?P<phrase>.+?)_(?P<n>\d+)\.wav$", re.IGNORECASE)


@dataclass
class PhraseResult:
    """How one phrase fared."""

    phrase: str
    """What the person was asked to say."""
    meaning: str
    """What it means to the coach (the command's first phrase: "next", "five", "cramp")."""
    heard: list[str | None] = field(default_factory=list)
    """What the recognizer made of each try (None: rejected or silence)."""
    recognised: int = 0
    """Tries understood as the right command."""
    suggestions: list[str] = field(default_factory=list)
    """Clearer words for the same command, when this one failed."""
    own: bool = False
    """A phrase of the person's own that is not a command (the wake phrase)."""

    @property
    def said(self) -> int:
        return len(self.heard)

    @property
    def rate(self) -> float:
        return self.recognised / self.said if self.said else 0.0

    @property
    def passed(self) -> bool:
        return self.rate >= PASS_RATE - 1e-9


@dataclass
class VoiceCheckResult:
    """A whole voice check."""

    results: list[PhraseResult]
    input: str
    """mic, or the folder the WAVs came from."""
    backend: str
    """The recognizer used (pocketsphinx or vosk)."""
    takes: dict[str, list[bytes]] = field(default_factory=dict)
    """The audio of each phrase's tries (16 kHz mono int16; b"" for a try with nothing heard), in the order of
    each PhraseResult's `heard`, for learning how this person says them."""

    def tries_to_learn(self) -> dict[str, list[bytes]]:
        """Each phrase's tries with something heard in them. Tries the recognizer did not understand, or heard as
        another command, are kept: the takes are for exactly those (`voice_templates.learn` leaves out tries
        unlike the phrase's other tries)."""
        return {p: [pcm for pcm in takes if pcm] for p, takes in self.takes.items() if any(takes)}

    @property
    def overall_rate(self) -> float:
        said = sum(r.said for r in self.results)
        return sum(r.recognised for r in self.results) / said if said else 0.0

    def data(self) -> dict[str, Any]:
        """The journal entry's data: per-phrase rates, so a report can draw the trend."""
        return {"input": self.input, "backend": self.backend, "overall_rate": round(self.overall_rate, 3),
                "phrases": {r.phrase: {"meaning": r.meaning, "said": r.said, "recognised": r.recognised,
                                       "rate": round(r.rate, 3), "heard": r.heard} for r in self.results},
                "suggestions": {r.phrase: r.suggestions for r in self.results if r.suggestions}}

    def lines(self, book: PhraseBook | None = None, *, wake_sensitivity: str = "normal") -> list[str]:
        """The summary printed after the check (`wake_sensitivity`: the profile's; a poorly heard wake phrase
        suggests the next higher one)."""
        book = book or load_phrasebook()
        width = max((len(r.phrase) for r in self.results), default=0)
        out = []
        for r in self.results:
            mark = "ok  " if r.passed else "poor"
            line = f"{mark} {r.phrase:<{width}}  {r.recognised}/{r.said}"
            wrong = sorted({h for h in r.heard if h is not None and meaning_of(book, h) != meaning_of(book, r.phrase)})
            nothing = r.heard.count(None)
            if wrong or nothing:
                parts = [f'"{h}"' for h in wrong] + ([f"nothing ({nothing}x)"] if nothing else [])
                line += "  heard as " + ", ".join(parts)
            out.append(line)
            if r.own and not r.passed:
                out.append(f'     or choose another {r.meaning}:  voice-coach words set wake "WORDS"')
                more = WAKE_SENSITIVITIES[WAKE_SENSITIVITIES.index(wake_sensitivity) + 1:]
                if more:
                    out.append(f"     or let the listener take it more readily:  "
                               f"voice-coach profile set wake-sensitivity {more[0]}")
            for s in r.suggestions:
                if book.phrases.get(s) == book.phrases.get(normalize(r.meaning)):
                    out.append(f'     try saying "{s}": it already means {r.meaning}')
                else:
                    out.append(f'     or add your own word:  voice-coach words set {r.meaning} "{s}"')
        out.append(f"recognised {self.overall_rate:.0%} of {sum(r.said for r in self.results)} tries "
                   f"({self.backend})")
        return out


def grammar_for(meaning: Meaning, book: PhraseBook, aliases: dict[str, str]) -> tuple[str, ...]:
    """Every phrase valid in some state where this command is: the recognizer is as strict as in a session."""
    intents: set[Intent] = set()
    for state_intents in intents_by_state().values():
        if meaning[0] in state_intents:
            intents |= state_intents
    return tuple(book.phrases_for(intents, aliases))


def judge(phrase: str, heard: list[Heard | None], book: PhraseBook, aliases: dict[str, str]) -> PhraseResult:
    meaning = meaning_of(book, phrase, aliases)
    assert meaning is not None
    result = PhraseResult(normalize(phrase), canonical_phrases(book)[meaning])
    for h in heard:
        result.heard.append(normalize(h.text) if h is not None and h.text.strip() else None)
        u = book.parse(h, aliases) if h is not None else None
        if u is not None and (u.intent, u.value, u.symptom) == meaning:
            result.recognised += 1
    if not result.passed:
        result.suggestions = suggest(book, meaning, aliases, avoid=phrase)
    return result


def judge_own(phrase: str, meaning: str, heard: list[Heard | None]) -> PhraseResult:
    """A phrase the coach's commands do not hold (the listener's wake phrase): recognised when heard as itself."""
    result = PhraseResult(normalize(phrase), meaning, own=True)
    for h in heard:
        said = normalize(h.text) if h is not None and h.text.strip() else None
        result.heard.append(said)
        result.recognised += said == normalize(phrase)
    return result


def grammar_and_judge(phrase: str, book: PhraseBook, aliases: dict[str, str],
                      own: Mapping[str, OwnPhrase]) -> tuple[tuple[str, ...], Callable[[list[Heard | None]],
                                                                                     PhraseResult]]:
    """The grammar a phrase is heard with and how its tries are judged: a command of the coach, or one of `own`."""
    if normalize(phrase) in own:
        meaning, grammar = own[normalize(phrase)]
        return grammar, lambda heard: judge_own(phrase, meaning, heard)
    grammar = grammar_for(check_phrase(phrase, book, aliases), book, aliases)
    return grammar, lambda heard: judge(phrase, heard, book, aliases)


def check_phrase(phrase: str, book: PhraseBook, aliases: dict[str, str]) -> Meaning:
    meaning = meaning_of(book, phrase, aliases)
    if meaning is None:
        raise CoachError(f"'{phrase}' is not a command the coach knows (see: voice-coach words list)", code="usage")
    return meaning


# ----- from a folder of WAVs ------------------------------------------------------------------------------------
def folder_takes(folder: Path) -> dict[str, list[Path]]:
    """WAVs named <phrase>_<n>.wav ("short_of_breath_2.wav"), grouped by phrase in name order."""
    if not folder.is_dir():
        raise AudioError(f"{folder}: no such folder; give a folder of WAVs named like next_1.wav")
    takes: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".wav":
            continue
        m = WAV_NAME.match(path.name)
        if m is None:
            raise AudioError(f"{path}: name it <phrase>_<number>.wav (for example next_1.wav, short_of_breath_2.wav)")
        takes.setdefault(normalize(m.group("phrase").replace("_", " ")), []).append(path)
    if not takes:
        raise AudioError(f"{folder}: no WAVs here; record each command as <phrase>_<n>.wav (next_1.wav, ...)")
    return takes


def check_folder(folder: Path, recognizer: Recognizer, *, book: PhraseBook | None = None,
                 aliases: dict[str, str] | None = None, own: Mapping[str, OwnPhrase] | None = None) -> VoiceCheckResult:
    """Recognise every WAV of the folder against the grammar of the states where its command is valid (a phrase
    of `own`, such as the wake phrase, against its own grammar)."""
    from voice_coach.speech.audio_io import read_wav

    book = book or load_phrasebook()
    aliases = aliases or {}
    results = []
    takes: dict[str, list[bytes]] = {}
    for phrase, paths in folder_takes(folder).items():
        grammar, judged = grammar_and_judge(phrase, book, aliases, own or {})
        heard = []
        for path in paths:
            pcm = read_wav(path, max_seconds=TAKE_MAX_SECONDS)
            takes.setdefault(phrase, []).append(pcm)
            recognizer.begin(grammar)
            for i in range(0, len(pcm), CHUNK_BYTES):
                recognizer.feed(pcm[i:i + CHUNK_BYTES])
            heard.append(recognizer.end())
        results.append(judged(heard))
    return VoiceCheckResult(results, str(folder), recognizer.name, takes)


# ----- live, with the microphone ---------------------------------------------------------------------------------
def check_live(phrases: Iterable[str], listener: Listener, speaker: Speaker, clock: Clock, *, times: int = TIMES,
               answer_seconds: float = 10.0, backend: str = "", book: PhraseBook | None = None,
               aliases: dict[str, str] | None = None, own: Mapping[str, OwnPhrase] | None = None) -> VoiceCheckResult:
    """Ask for each phrase `times` times ("Please say: next.") and listen with that phrase's grammar (a phrase of
    `own`, such as the wake phrase, with its own)."""
    from voice_coach.access.prompts import load_access_prompts

    book = book or load_phrasebook()
    aliases = aliases or {}
    lines = load_access_prompts()
    recorder = _record_takes(listener)
    speaker.say(lines.line("voice_check_intro", times=times), "voice_check_intro")
    results = []
    takes: dict[str, list[bytes]] = {}
    for phrase in phrases:
        grammar, judged = grammar_and_judge(phrase, book, aliases, own or {})
        expect = Expectation(grammar, True, "voice_check")
        heard: list[Heard | None] = []
        for _ in range(times):
            speaker.say(lines.line("voice_check_say", phrase=phrase), "voice_check_say")
            if recorder is not None:
                recorder.take = b""
            heard.append(listener.listen(clock.now() + answer_seconds, clock, expect))
            if recorder is not None:
                takes.setdefault(normalize(phrase), []).append(recorder.take)  # b"": nothing was heard
        results.append(judged(heard))
    speaker.say(lines.line("voice_check_done"), "voice_check_done")
    return VoiceCheckResult(results, "mic", backend, takes)


def _record_takes(listener: Listener) -> TakeRecorder | None:
    """Keep each try's audio: the listener's recognizer wrapped in a TakeRecorder (None for a listener without
    one, such as typed replies)."""
    inner = getattr(listener, "recognizer", None)
    if inner is None:
        return None
    recorder = inner if isinstance(inner, TakeRecorder) else TakeRecorder(inner)
    listener.recognizer = recorder  # type: ignore[attr-defined]
    return recorder


def default_phrases(aliases: dict[str, str], *, numbers: bool = False, symptoms: bool = False,
                    book: PhraseBook | None = None) -> list[str]:
    """The commands, the person's own words, and on request the numbers and the symptom words."""
    book = book or load_phrasebook()
    names = canonical_phrases(book)
    out = list(COMMANDS) + sorted(aliases)
    if numbers:
        out += [names[(Intent.NUMBER, n, None)] for n in range(11)]
    if symptoms:
        out += [p for (i, _, kind), p in names.items() if i is Intent.SYMPTOM]
    return out


def record(journal: Journal, result: VoiceCheckResult, at: datetime) -> int:
    """Append the result to the journal (session "voice_check"), for the caregiver report's trend."""
    return journal.append(VOICE_CHECK_SESSION, KIND, at, result.data(), source="coach")


def trend(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """For the report: each voice check's date, overall rate and per-phrase rates, oldest first."""
    out = []
    for e in entries:
        if e.kind == KIND:
            out.append({"at": e.at.isoformat(), "overall_rate": e.data.get("overall_rate"),
                        "rates": {p: v.get("rate") for p, v in e.data.get("phrases", {}).items()}})
    return out
