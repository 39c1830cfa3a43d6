"""How alike two phrases sound: weighted phoneme edit distance over the recognizer's pronunciation dictionary."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from voice_coach.errors import ConfigError

REFUSE_BELOW = 0.3
"""Normalized distance under which two phrases are too alike to tell apart ("no"/"go" 0.23, "next"/"text" 0.09)."""
WARN_BELOW = 0.42
"""Under this, the phrases are accepted with a warning: a recognizer may mix them up in slurred speech."""

# Consonants: (place 0 = lips .. 7 = glottis, manner, voiced).
_CONSONANTS: dict[str, tuple[int, str, bool]] = {
    "P": (0, "stop", False), "B": (0, "stop", True), "M": (0, "nasal", True), "W": (0, "glide", True),
    "F": (1, "fric", False), "V": (1, "fric", True),
    "TH": (2, "fric", False), "DH": (2, "fric", True),
    "T": (3, "stop", False), "D": (3, "stop", True), "S": (3, "fric", False), "Z": (3, "fric", True),
    "N": (3, "nasal", True), "L": (3, "liquid", True), "R": (4, "liquid", True),
    "SH": (4, "fric", False), "ZH": (4, "fric", True), "CH": (4, "affric", False), "JH": (4, "affric", True),
    "Y": (5, "glide", True),
    "K": (6, "stop", False), "G": (6, "stop", True), "NG": (6, "nasal", True),
    "HH": (7, "fric", False),
}
_MANNER_NEAR = {frozenset({"stop", "affric"}), frozenset({"affric", "fric"}), frozenset({"liquid", "glide"}),
                frozenset({"nasal", "stop"})}
# Vowels: (height 0 = open .. 3 = close, backness 0 = front .. 2 = back, rounded, diphthong).
_VOWELS: dict[str, tuple[float, float, bool, bool]] = {
    "IY": (3, 0, False, False), "IH": (2.5, 0.3, False, False), "EY": (2, 0, False, True),
    "EH": (1.5, 0, False, False), "AE": (0.5, 0, False, False), "AH": (1, 1, False, False),
    "ER": (1.5, 1, False, False), "AA": (0, 2, False, False), "AO": (0.7, 2, True, False),
    "OW": (1.5, 2, True, True), "UH": (2.5, 1.7, True, False), "UW": (3, 2, True, False),
    "AY": (0.5, 1, False, True), "AW": (0.5, 1.5, True, True), "OY": (1, 2, True, True),
}
_NEAR_VOWEL = {"Y": "IY", "W": "UW", "R": "ER"}
"""Glides and r sound like the vowel they start from."""
_WEAK = {"HH": 0.5, "AH": 0.7, "T": 0.9, "D": 0.9}
"""Phones easily lost in fast or slurred speech cost less to drop or add."""


@lru_cache(maxsize=4096)
def substitution_cost(a: str, b: str) -> float:
    """0 for the same phone, 0.2-0.5 for close ones (t/d, n/m, ih/iy), up to 1 for unrelated ones."""
    if a == b:
        return 0.0
    if a in _CONSONANTS and b in _CONSONANTS:
        pa, ma, va = _CONSONANTS[a]
        pb, mb, vb = _CONSONANTS[b]
        manner = 0.0 if ma == mb else 0.5 if frozenset({ma, mb}) in _MANNER_NEAR else 1.0
        cost = 0.25 * (va != vb) + 0.35 * min(1.0, abs(pa - pb) / 4) + 0.4 * manner
        return max(0.2, min(1.0, cost))
    if a in _VOWELS and b in _VOWELS:
        ha, ba, ra, da = _VOWELS[a]
        hb, bb, rb, db = _VOWELS[b]
        cost = 0.15 + 0.3 * abs(ha - hb) / 3 + 0.25 * abs(ba - bb) / 2 + 0.15 * (ra != rb) + 0.15 * (da != db)
        return max(0.2, min(1.0, cost))
    vowel = _NEAR_VOWEL.get(a) or _NEAR_VOWEL.get(b)
    if vowel is not None and vowel in (a, b):
        return 0.5
    return 1.0


def indel_cost(p: str) -> float:
    return _WEAK.get(p, 1.0)


def phone_distance(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Weighted edit distance between two phone strings, divided by the longer length (0 same .. ~1)."""
    if not a or not b:
        return 1.0
    prev = [0.0]
    for p in b:
        prev.append(prev[-1] + indel_cost(p))
    for pa in a:
        row = [prev[0] + indel_cost(pa)]
        for j, pb in enumerate(b, start=1):
            row.append(min(prev[j] + indel_cost(pa), row[j - 1] + indel_cost(pb),
                           prev[j - 1] + substitution_cost(pa, pb)))
        prev = row
    return prev[-1] / max(len(a), len(b))


def default_dictionary_path() -> Path:
    """The pronunciation dictionary pocketsphinx ships in its wheel."""
    try:
        import pocketsphinx
    except ImportError as exc:
        raise ConfigError("pocketsphinx is not installed: reinstall voice-coach (bash scripts/setup)") from exc
    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


@dataclass(frozen=True)
class Dictionary:
    """word → its pronunciations, each a tuple of ARPAbet phones without stress."""

    words: dict[str, tuple[tuple[str, ...], ...]]

    def pronunciations(self, phrase: str, limit: int = 16) -> list[tuple[str, ...]]:
        """Every pronunciation of a phrase (up to `limit` combinations); [] when a word is unknown."""
        per_word = []
        for word in phrase.split():
            prons = self.words.get(word)
            if not prons:
                return []
            per_word.append(prons)
        out = []
        for combo in itertools.islice(itertools.product(*per_word), limit):
            out.append(tuple(p for pron in combo for p in pron))
        return out

    def unknown_words(self, phrase: str) -> list[str]:
        return [w for w in phrase.split() if w not in self.words]


@lru_cache(maxsize=2)
def load_dictionary(path: Path | None = None) -> Dictionary:
    """Read a CMU-style dictionary ("word(2) P H O N E S  # comment"); ConfigError if it is missing."""
    path = path or default_dictionary_path()
    words: dict[str, list[tuple[str, ...]]] = {}
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split("#", 1)[0].split()
                if len(parts) < 2:
                    continue
                word = parts[0].lower()
                if word.endswith(")") and "(" in word:
                    word = word[: word.index("(")]
                phones = tuple(p.rstrip("012").upper() for p in parts[1:])
                words.setdefault(word, []).append(phones)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the pronunciation dictionary ({exc.strerror or exc}); "
                          "reinstall voice-coach") from None
    return Dictionary({w: tuple(p) for w, p in words.items()})


def distance(a: str, b: str, dictionary: Dictionary | None = None) -> float | None:
    """How far apart two phrases sound (the closest of their pronunciations); None if either is unknown."""
    d = dictionary or load_dictionary()
    pa, pb = d.pronunciations(a), d.pronunciations(b)
    if not pa or not pb:
        return None
    return min(phone_distance(x, y) for x in pa for y in pb)


@dataclass(frozen=True)
class Clash:
    """A phrase that sounds too much like the one checked."""

    phrase: str
    """The other phrase."""
    meaning: str
    """What the other phrase means ("no", "five", "cramp")."""
    distance: float
    """0 (same sound) .. ~1 (nothing alike)."""

    @property
    def refused(self) -> bool:
        return self.distance < REFUSE_BELOW


def clashes(phrase: str, others: dict[str, str], dictionary: Dictionary | None = None) -> list[Clash]:
    """The phrases of `others` (phrase → meaning) that sound close to `phrase`, closest first."""
    d = dictionary or load_dictionary()
    out = []
    for other, meaning in others.items():
        dist = distance(phrase, other, d)
        if dist is not None and dist < WARN_BELOW:
            out.append(Clash(other, meaning, round(dist, 3)))
    return sorted(out, key=lambda c: c.distance)
