"""Turn what a person said into an intent with slots: commands, numbers 0-10, yes/no and symptoms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from voice_coach.datafile import read_yaml
from voice_coach.errors import PromptError
from voice_coach.paths import PROMPTS_DIR
from voice_coach.terminal_text import shown


class Intent(StrEnum):
    """What a reply means to the coach."""

    YES = "yes"
    NO = "no"
    NEXT = "next"
    REPEAT = "repeat"
    SKIP = "skip"
    PAUSE = "pause"
    RESUME = "resume"
    REST = "rest"
    STOP = "stop"
    HELP = "help"
    NUMBER = "number"
    SYMPTOM = "symptom"
    TODAY = "today"
    FINISH = "finish"
    """ "I'm done for today": end politely, as finished early (not the emergency stop: no caution)."""
    WHERE = "where"
    """ "How many left?", "what's next?": where the person is."""
    MORE = "more"
    """ "Tell me more": the full safety notes, on request."""


class Certainty(StrEnum):
    """How sure the recognizer is of what it heard: the contract between speech and the coach."""

    SURE = "sure"
    """Act at once."""
    UNSURE = "unsure"
    """Heard, but without agreement: the coach reads it back or asks again where a mistake would move it on."""
    REJECTED = "rejected"
    """Not a reply (silence, noise, speech not meant for the coach): never reaches the coach."""


SYMPTOM_KINDS = ("cramp", "fasciculation", "dizziness", "pain", "extreme_fatigue", "breathless")


@dataclass(frozen=True)
class Heard:
    """A reply as it came in, before interpretation."""

    text: str
    """The transcript (or the typed line)."""
    confidence: float = 1.0
    """0..1; typed replies are 1.0."""
    source: str = "keyboard"
    """voice, keyboard or caregiver."""
    certainty: Certainty = Certainty.SURE
    """The recognizer's judgement (typed replies are sure); never REJECTED here (a rejection is no Heard)."""
    why: str = ""
    """Why it is unsure ("grammar_only", "probed", "takes_unsure", ...); empty when sure."""


@dataclass(frozen=True)
class Utterance:
    """A reply the coach understood."""

    intent: Intent
    heard: Heard
    value: int | None = None
    """The number, for Intent.NUMBER."""
    symptom: str | None = None
    """One of SYMPTOM_KINDS, for Intent.SYMPTOM."""


@dataclass(frozen=True)
class NumberCarriers:
    """Words people say around a number: "about a three", "I'd say five", "four out of ten"."""

    before: tuple[str, ...]
    """Normalized words said before the number, longest first."""
    after: tuple[str, ...]
    """Normalized words said after it, longest first."""

    def inner(self, text: str) -> str | None:
        """What is left of normalized `text` once one carrier before and/or one after is taken away ("about a
        three" → "three"); None when no carrier was there."""
        stripped = text
        for word in self.before:
            if stripped.startswith(word + " "):
                stripped = stripped[len(word) + 1:]
                break
        for word in self.after:
            if stripped.endswith(" " + word):
                stripped = stripped[:-len(word) - 1]
                break
        return stripped if stripped != text and stripped else None


@dataclass(frozen=True)
class PhraseBook:
    """Every phrase the coach understands, by intent."""

    phrases: dict[str, tuple[Intent, int | None, str | None]]
    """normalized phrase → (intent, number value, symptom kind)."""
    fillers: frozenset[str]
    """Words dropped before a second matching attempt."""
    unspoken: frozenset[str] = frozenset()
    """Phrases understood when typed or transcribed but kept out of the recognizer's grammar (too close to a
    safety phrase)."""
    in_state: dict[str, dict[str, tuple[Intent, int | None, str | None]]] = field(default_factory=dict)
    """state → phrases that mean something only there ("let's go" starts an exercise at the ready prompt and
    resumes a pause); they win over the same phrase's everyday meaning in that state."""
    carriers: NumberCarriers = field(default_factory=lambda: NumberCarriers((), ()))
    """Words said around a number ("about a three", "four out of ten"): matched around it, never in a grammar."""

    def phrases_for(self, intents: Iterable[Intent], aliases: dict[str, str] | None = None,
                    state: str | None = None) -> list[str]:
        """The exact phrases accepted for these intents in `state` (the grammar of a state), sorted."""
        wanted = set(intents)
        local = self.in_state.get(state or "", {})
        out = {p for p, (i, _, _) in self.phrases.items() if i in wanted and p not in local}
        out |= {p for p, (i, _, _) in local.items() if i in wanted}
        out -= self.unspoken
        for alias, target in self.safe_aliases(aliases).items():
            if self.phrases[target][0] in wanted:
                out.add(alias)
        return sorted(out)

    def safe_aliases(self, aliases: dict[str, str] | None) -> dict[str, str]:
        """The own words (normalized alias → command phrase) that cannot take "stop" or a symptom word away,
        whatever the words file said: an alias never replaces a phrase the coach knows, and an alias for an
        ordinary command never contains a safety phrase. The words file is checked on load too; this is the
        second line, where the grammar and the meaning of a reply are made."""
        safety = [p for p, (i, _, _) in self.phrases.items() if i in (Intent.STOP, Intent.SYMPTOM)]
        out: dict[str, str] = {}
        for alias, target in (aliases or {}).items():
            a, t = normalize(alias), normalize(target)
            hit = self.phrases.get(t)
            if not a or hit is None or a in self.phrases:
                continue
            if hit[0] not in (Intent.STOP, Intent.SYMPTOM) and any(f" {p} " in f" {a} " for p in safety):
                continue
            out[a] = t
        return out

    def parse(self, heard: Heard, aliases: dict[str, str] | None = None, state: str | None = None) -> Utterance | None:
        """The utterance meant by `heard` (in `state`, when given), or None when nothing matches (an unknown
        word)."""
        text = normalize(heard.text)
        if aliases:
            text = self.safe_aliases(aliases).get(text, text)
        local = self.in_state.get(state or "", {})
        hit = local.get(text) or self.phrases.get(text)
        if hit is None and (number := self.carriers.inner(spelled(text))) is not None:
            found = self.phrases.get(number)
            hit = found if found is not None and found[0] is Intent.NUMBER else None
        if hit is None:
            words = [w for w in text.split() if w not in self.fillers]
            hit = local.get(" ".join(words)) or self.phrases.get(" ".join(words))
            if hit is None and len(words) == 1 and words[0].isdigit() and 0 <= int(words[0]) <= 10:
                hit = (Intent.NUMBER, int(words[0]), None)
            if hit is None:
                hit = self._symptom_inside(text)
        if hit is None:
            return None
        intent, value, symptom = hit
        return Utterance(intent=intent, heard=heard, value=value, symptom=symptom)

    def urgent(self, heard: Heard, aliases: dict[str, str] | None = None, own: frozenset[str] = frozenset()) -> bool:
        """Whether `heard` is a stop or a symptom, other than what the coach's own line names (`own`, from
        `safety_named`): heard while the coach speaks, it cuts the line and is acted on."""
        u = self.parse(heard, aliases)
        return (u is not None and u.intent in (Intent.STOP, Intent.SYMPTOM)
                and safety_meaning((u.intent, u.value, u.symptom)) not in own)

    def safety_named(self, text: str) -> frozenset[str]:
        """What `text` (a line of the coach's own) asks for that only the person may: "stop" and the kinds of
        the symptoms it names, found as whole words. Said through a loudspeaker, the microphone hears them."""
        padded = f" {normalize(text)} "
        return frozenset(safety_meaning(hit) for p, hit in self.phrases.items()
                         if hit[0] in (Intent.STOP, Intent.SYMPTOM) and f" {p} " in padded)

    def _symptom_inside(self, text: str) -> tuple[Intent, int | None, str | None] | None:
        """A symptom named inside a longer sentence ("my leg has a cramp") still counts: safety first."""
        padded = f" {text} "
        for phrase, hit in sorted(self.phrases.items(), key=lambda kv: -len(kv[0])):
            if hit[0] is Intent.SYMPTOM and f" {phrase} " in padded:
                return hit
        return None


def safety_meaning(hit: tuple[Intent, int | None, str | None]) -> str:
    """"stop" for a stop, the symptom's kind ("cramp") for a symptom, the intent's name otherwise."""
    intent, _, symptom = hit
    return symptom if intent is Intent.SYMPTOM and symptom else intent.value


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def spelled(text: str) -> str:
    """Normalized `text` with the digits 0-10 written as words ("3 out of 10" → "three out of ten")."""
    return " ".join(NUMBER_WORDS[int(w)] if w.isdigit() and int(w) <= 10 else w for w in text.split())


def normalize(text: str) -> str:
    """Lowercase, digits kept, punctuation (but apostrophes) dropped, spaces collapsed."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


@lru_cache(maxsize=4)
def intent_named(name: str, path: object, where: str) -> Intent:
    """The intent a phrase file names; an unknown one is a PromptError naming the file and the field."""
    try:
        return Intent(name)
    except ValueError:
        raise PromptError(f"{path}: {where}: unknown intent") from None


def load_phrasebook(path: Path = PROMPTS_DIR / "phrases.yaml") -> PhraseBook:
    """Read and check the phrase file; a bad file is one PromptError line naming file and field."""
    raw = read_yaml(path, PromptError, "phrase file", line_numbers=False)
    if not isinstance(raw, dict):
        raise PromptError(f"{path}: must be a mapping with intents, numbers, symptoms, fillers")
    table: dict[str, tuple[Intent, int | None, str | None]] = {}

    def add(phrase: object, hit: tuple[Intent, int | None, str | None], field: str) -> None:
        if not isinstance(phrase, str) or not normalize(phrase):
            raise PromptError(f"{path}: {field}: phrases must be non-empty text (got {shown(phrase)})")
        key = normalize(phrase)
        if key in table and table[key] != hit:
            raise PromptError(f"{path}: {field}: phrase {shown(phrase)} already means {table[key][0].value}")
        table[key] = hit

    intents = raw.get("intents") or {}
    for name, phrases in intents.items():
        intent = intent_named(name, path, f"intents.{name}")
        for p in phrases or []:
            add(p, (intent, None, None), f"intents.{name}")
    for phrase, value in (raw.get("numbers") or {}).items():
        if not isinstance(value, int) or not 0 <= value <= 10:
            raise PromptError(f"{path}: numbers.{phrase}: must be a whole number 0-10 (got {shown(value)})")
        add(phrase, (Intent.NUMBER, value, None), f"numbers.{phrase}")
    for kind, phrases in (raw.get("symptoms") or {}).items():
        if kind not in SYMPTOM_KINDS:
            raise PromptError(f"{path}: symptoms.{kind}: unknown symptom (known: {', '.join(SYMPTOM_KINDS)})")
        for p in phrases or []:
            add(p, (Intent.SYMPTOM, None, kind), f"symptoms.{kind}")
    carriers = number_carriers(raw.get("number_carriers"), path)
    in_state: dict[str, dict[str, tuple[Intent, int | None, str | None]]] = {}
    for state, by_intent in (raw.get("in_state") or {}).items():
        if not isinstance(by_intent, dict):
            raise PromptError(f"{path}: in_state.{state}: must be a mapping of intent → phrases")
        local = in_state.setdefault(str(state), {})
        for name, phrases in by_intent.items():
            intent = intent_named(name, path, f"in_state.{state}.{name}")
            for p in phrases or []:
                if not isinstance(p, str) or not normalize(p):
                    raise PromptError(f"{path}: in_state.{state}.{name}: phrases must be non-empty text")
                if normalize(p) in local and local[normalize(p)][0] is not intent:
                    raise PromptError(f"{path}: in_state.{state}.{name}: phrase {p!r} already means "
                                      f"{local[normalize(p)][0].value} there")
                local[normalize(p)] = (intent, None, None)
    fillers = frozenset(normalize(f) for f in raw.get("fillers") or [])
    unspoken = frozenset(normalize(p) for p in raw.get("unspoken") or [] if isinstance(p, str))
    unknown = sorted(unspoken - set(table))
    if unknown:
        raise PromptError(f"{path}: unspoken: {unknown[0]!r} is not a phrase listed above")
    return PhraseBook(phrases=table, fillers=fillers, unspoken=unspoken, in_state=in_state, carriers=carriers)


def number_carriers(raw: object, path: Path) -> NumberCarriers:
    """The phrase file's `number_carriers: {before: [...], after: [...]}`, checked."""
    if raw is None:
        return NumberCarriers((), ())
    if not isinstance(raw, dict) or set(raw) - {"before", "after"}:
        raise PromptError(f"{path}: number_carriers: must be a mapping with before and after (lists of words)")
    out: dict[str, tuple[str, ...]] = {}
    for side in ("before", "after"):
        words = raw.get(side) or []
        if not isinstance(words, list) or not all(isinstance(w, str) and normalize(w) for w in words):
            raise PromptError(f"{path}: number_carriers.{side}: must be a list of words")
        out[side] = tuple(sorted({normalize(w) for w in words}, key=lambda w: (-len(w), w)))
    return NumberCarriers(out["before"], out["after"])
