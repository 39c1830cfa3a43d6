"""Own command words (config dir words.toml): alias → command, each checked for confusability before saving."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from voice_coach.access.confusability import WARN_BELOW, Clash, Dictionary, clashes, distance, load_dictionary
from voice_coach.access.profile import toml_key, toml_value
from voice_coach.coach.intents import Intent, PhraseBook, load_phrasebook, normalize
from voice_coach.coach.table import TRANSITIONS, State
from voice_coach.datafile import read_toml, write_atomically
from voice_coach.errors import ConfigError
from voice_coach.paths import config_dir
from voice_coach.terminal_text import shown, warn_on_stderr

Meaning = tuple[Intent, int | None, str | None]
"""What a phrase means to the coach: intent, number value, symptom kind."""
AVOID_DISTANCE = 0.45
"""A word suggested after a failed voice check sounds at least this unlike the word that failed."""
MAX_WORDS = 4
"""Own words are short: long phrases tire a weak voice and are harder to endpoint."""
HEADER = ('# Your own command words: "your words" = "command". '
          'Change them with: voice-coach words set COMMAND "WORDS"\n')


def words_path() -> Path:
    return config_dir() / "words.toml"


def canonical_phrases(book: PhraseBook) -> dict[Meaning, str]:
    """The first phrase listed for each meaning ("yes", "next", "five", "twitching"): what scans return."""
    out: dict[Meaning, str] = {}
    for phrase, meaning in book.phrases.items():
        out.setdefault(meaning, phrase)
    return out


def meaning_of(book: PhraseBook, phrase: str, aliases: dict[str, str] | None = None) -> Meaning | None:
    """The exact meaning of a phrase (an alias is followed to its command); None if unknown."""
    text = normalize(phrase)
    text = {normalize(a): normalize(t) for a, t in (aliases or {}).items()}.get(text, text)
    return book.phrases.get(text)


@lru_cache(maxsize=1)
def intents_by_state() -> dict[State, frozenset[Intent]]:
    """Which intents each state accepts, from the transition table (a trigger name equals an intent value)."""
    values = {i.value: i for i in Intent}
    table: dict[State, set[Intent]] = {s: set() for s in State}
    for row in TRANSITIONS:
        intent = values.get(row["trigger"])
        if intent is None:
            continue
        sources = row["source"] if isinstance(row["source"], list | tuple) else [row["source"]]
        for s in sources:
            table[s].add(intent)
    return {s: frozenset(i) for s, i in table.items()}


def competitors(book: PhraseBook, meaning: Meaning, aliases: dict[str, str]) -> dict[str, str]:
    """Every phrase with another meaning valid in some state where `meaning` is valid: phrase → what it means."""
    states = [s for s, intents in intents_by_state().items() if meaning[0] in intents]
    rivals = set().union(*(intents_by_state()[s] for s in states)) if states else set()
    names = canonical_phrases(book)
    out: dict[str, str] = {}
    for phrase, other in book.phrases.items():
        if other != meaning and other[0] in rivals:
            out[phrase] = names[other]
    for alias in aliases:
        other_meaning = meaning_of(book, alias, aliases)
        if other_meaning is not None and other_meaning != meaning and other_meaning[0] in rivals:
            out[normalize(alias)] = names[other_meaning]
    return out


def _safety_phrases(book: PhraseBook) -> dict[str, str]:
    names = canonical_phrases(book)
    return {p: names[m] for p, m in book.phrases.items() if m[0] in (Intent.STOP, Intent.SYMPTOM)}


@dataclass
class Verdict:
    """The outcome of checking one own word."""

    alias: str
    """The words, normalized."""
    target: str
    """The command they stand for (its first phrase: "next", "five", "cramp")."""
    refused: str | None = None
    """Why the words cannot be used; None when they can."""
    warnings: list[Clash] = field(default_factory=list)
    """Phrases close enough to be mixed up in slurred speech (accepted, with a warning)."""
    suggestions: list[str] = field(default_factory=list)
    """Alternatives that sound clearly different from everything else valid in the same states."""
    already: bool = False
    """The coach already understands these words as this command: nothing to add."""

    def lines(self) -> list[str]:
        """What `words set` prints: one line for the outcome, then warnings and suggestions."""
        if self.refused:
            out = [f'refused "{self.alias}" for {self.target}: {self.refused}']
        elif self.already:
            out = [f'"{self.alias}" already means {self.target}: nothing to add']
        else:
            out = [f'"{self.alias}" now means {self.target}']
        if not self.refused and self.warnings:
            close = ", ".join(f'"{c.phrase}" ({c.meaning}, {c.distance:.2f})' for c in self.warnings[:3])
            more = f" and {len(self.warnings) - 3} more" if len(self.warnings) > 3 else ""
            out.append(f"warning: it sounds a little like {close}{more}; it may be misheard when speech is slurred")
        if self.suggestions and (self.refused or self.warnings):
            out.append("clearer choices: " + ", ".join(f'"{s}"' for s in self.suggestions))
        return out


def check_alias(target: str, alias: str, aliases: dict[str, str], *, book: PhraseBook | None = None,
                dictionary: Dictionary | None = None, candidates: dict[str, tuple[str, ...]] | None = None) -> Verdict:
    """Whether `alias` may stand for `target` next to every phrase valid in the same states."""
    book = book or load_phrasebook()
    meaning = target_meaning(book, target)
    name = canonical_phrases(book)[meaning]
    words = normalize(alias)
    verdict = Verdict(words, name)
    d = dictionary or load_dictionary()
    others = {a: t for a, t in aliases.items() if normalize(a) != words}
    if not words:
        verdict.refused = "own words cannot be empty"
        return verdict
    if len(words.split()) > MAX_WORDS:
        verdict.refused = f"use at most {MAX_WORDS} words"
        return verdict
    existing = meaning_of(book, words, others)
    if existing == meaning:
        verdict.already = True
        return verdict
    if existing is not None:
        verdict.refused = f'"{words}" already means {canonical_phrases(book)[existing]}'
        return verdict
    unknown = d.unknown_words(words)
    if unknown:
        verdict.refused = (f"the recognizer cannot pronounce \"{unknown[0]}\" (not in its dictionary); "
                           "choose everyday words")
        verdict.suggestions = suggest(book, meaning, others, d, candidates)
        return verdict
    if meaning[0] not in (Intent.STOP, Intent.SYMPTOM):
        for phrase, what in _safety_phrases(book).items():
            if f" {phrase} " in f" {words} ":
                verdict.refused = f'it contains "{phrase}", which always means {what}'
                verdict.suggestions = suggest(book, meaning, others, d, candidates)
                return verdict
    found = clashes(words, competitors(book, meaning, others), d)
    hard = [c for c in found if c.refused]
    if hard:
        c = hard[0]
        verdict.refused = f'it sounds too much like "{c.phrase}" ({c.meaning}; distance {c.distance:.2f})'
    verdict.warnings = [c for c in found if not c.refused]
    if hard or verdict.warnings:
        verdict.suggestions = suggest(book, meaning, others, d, candidates)
    return verdict


def target_meaning(book: PhraseBook, target: str) -> Meaning:
    """The meaning of a command named on the command line; ConfigError naming the choices if unknown."""
    meaning = book.phrases.get(normalize(target))
    if meaning is None:
        commands = ", ".join(i.value for i in Intent if i.value in book.phrases)
        raise ConfigError(f"unknown command '{target}': use one of {commands}, a number word (zero to ten), "
                          "or a symptom word (cramp, twitching, dizzy, pain, exhausted, short of breath)")
    return meaning


def suggest(book: PhraseBook, meaning: Meaning, aliases: dict[str, str], dictionary: Dictionary | None = None,
            candidates: dict[str, tuple[str, ...]] | None = None, *, avoid: str | None = None,
            limit: int = 3) -> list[str]:
    """Candidate words for `meaning` that clash with nothing valid in its states, clearest first; with `avoid`,
    only ones that also sound unlike that word (the one that failed)."""
    if candidates is None:
        from voice_coach.access.prompts import load_access_prompts
        candidates = load_access_prompts().alias_candidates
    d = dictionary or load_dictionary()
    rivals = competitors(book, meaning, aliases)
    scored = []
    for word in candidates.get(meaning[0].value, ()):
        w = normalize(word)
        current = meaning_of(book, w, aliases)
        if (current is not None and current != meaning) or d.unknown_words(w):
            continue
        if avoid is not None:
            gap = distance(w, normalize(avoid), d)
            if gap is None or gap < AVOID_DISTANCE:
                continue
        nearest = min((dist for r in rivals if (dist := distance(w, r, d)) is not None), default=1.0)
        if nearest >= WARN_BELOW:
            scored.append((-nearest, w))
    return [w for _, w in sorted(scored)[:limit]]


# ----- the file ------------------------------------------------------------------------------------------
MAX_ENTRIES = 100
"""Own words read from the file at most; more is a hand-edit gone wrong (each is checked like `words set`)."""
MAX_WARNINGS = 10
"""Entries of the file named one by one in warnings; past this, one line counts the rest."""


def entry_problem(alias: object, target: object, accepted: dict[str, str], book: PhraseBook,
                  dictionary: Dictionary | None = None) -> str | None:
    """Why one entry of the words file cannot be used (the checks of `words set`, "stop" and the symptom
    words first); None when it can. `accepted` are the entries already taken from the file."""
    if not isinstance(alias, str) or not isinstance(target, str) or normalize(target) not in book.phrases:
        commands = ", ".join(i.value for i in Intent if i.value in book.phrases)
        return f"not a command the coach knows (use {commands}, a number word or a symptom word)"
    taken = book.phrases.get(normalize(alias))
    if taken is not None and taken[0] in (Intent.STOP, Intent.SYMPTOM) and taken != book.phrases[normalize(target)]:
        return f'"{normalize(alias)}" always means {canonical_phrases(book)[taken]}, whatever this file says'
    verdict = check_alias(target, alias, accepted, book=book, dictionary=dictionary, candidates={})
    return verdict.refused


def load_aliases(path: Path | None = None, book: PhraseBook | None = None,
                 warn: Callable[[str], None] = warn_on_stderr) -> dict[str, str]:
    """Own words → command phrase, as the session loop takes them. A damaged file is one ConfigError line; an
    entry that `words set` would refuse (one that would take "stop" or a symptom word away above all) is left
    out with one `warn` line naming the file and the entry, and the rest of the file still loads."""
    path = path or words_path()
    book = book or load_phrasebook()
    raw = read_toml(path, ConfigError, "your words", "fix it, or run: voice-coach words reset")
    if not raw:
        return {}
    dictionary = load_dictionary()
    out: dict[str, str] = {}
    ignored = 0
    for n, (alias, target) in enumerate(raw.items()):
        if n == MAX_ENTRIES:
            warn(f"{path}: only the first {MAX_ENTRIES} own words are read; the other {len(raw) - n} are ignored")
            break
        problem = entry_problem(alias, target, out, book, dictionary)
        if problem is not None:
            ignored += 1
            if ignored <= MAX_WARNINGS:
                warn(f"{path}: {shown(alias)} = {shown(target)} is ignored: {problem}")
            continue
        if meaning_of(book, alias) is None:  # words that already mean this command need no entry
            out[normalize(alias)] = normalize(str(target))
    if ignored > MAX_WARNINGS:
        warn(f"{path}: {ignored - MAX_WARNINGS} more own words are ignored the same way; fix or remove them")
    return out


def save_aliases(aliases: dict[str, str], path: Path | None = None) -> None:
    path = path or words_path()
    body = "".join(f"{toml_key(a)} = {toml_value(t)}\n" for a, t in sorted(aliases.items(), key=lambda kv: kv[1]))
    write_atomically(path, HEADER + body)


def set_alias(target: str, alias: str, path: Path | None = None, *, book: PhraseBook | None = None) -> Verdict:
    """Check and, unless refused, save `alias` for `target`."""
    book = book or load_phrasebook()
    aliases = load_aliases(path, book)
    verdict = check_alias(target, alias, aliases, book=book)
    if verdict.refused is None and not verdict.already:
        aliases[verdict.alias] = verdict.target
        save_aliases(aliases, path)
    return verdict


def reset_aliases(target: str | None = None, path: Path | None = None, *, book: PhraseBook | None = None) -> int:
    """Forget all own words, or those of one command; how many were removed."""
    book = book or load_phrasebook()
    if target is None and (path or words_path()).exists():
        try:
            aliases = load_aliases(path, book, warn=lambda _: None)
        except ConfigError:  # a damaged file is what "reset" is for: it is replaced whole
            aliases = {}
        save_aliases({}, path)
        return len(aliases)
    aliases = load_aliases(path, book)
    if target is None:
        keep: dict[str, str] = {}
    else:
        meaning = target_meaning(book, target)
        keep = {a: t for a, t in aliases.items() if book.phrases[t] != meaning}
    if len(keep) != len(aliases) or (target is None and (path or words_path()).exists()):
        save_aliases(keep, path)
    return len(aliases) - len(keep)


def list_lines(aliases: dict[str, str]) -> list[str]:
    if not aliases:
        return ['no own words yet: add one with  voice-coach words set next "go on"']
    by_target: dict[str, list[str]] = {}
    for alias, target in aliases.items():
        by_target.setdefault(target, []).append(alias)
    width = max(len(t) for t in by_target)
    return [f"{t:<{width}}  " + ", ".join(f'"{a}"' for a in sorted(v)) for t, v in sorted(by_target.items())]
