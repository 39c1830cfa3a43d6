"""How this person says each command: their voice-check takes, kept as Whisper encoder frames and matched by
dynamic time warping (speaker-dependent recognition, the approach that serves slow or slurred speech best).

A general model is trained on typical voices; a person with dysarthria says "next" their own way, but says it the
same way each time. The voice check records each command a few times; each take's speech is run through Whisper's
encoder (the check's own model, nothing more to install) and kept. An utterance later is compared, frame by frame
with time warping, to every take of the state's phrases: the nearest take's phrase, its distance, and the distance
to the nearest take of any other phrase. `whisper_check` weighs that beside Whisper's own reading (see
`WhisperCheck.judge`).

The takes live in the person's config folder (`voice_templates.npz`); `voice-coach voice-check` writes them and
`voice-coach voice-check --forget` removes them. Nothing leaves the machine.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError

log = logging.getLogger(__name__)

FILE_NAME = "voice_templates.npz"
TRIM_BELOW_PEAK_DB, TRIM_ABOVE_FLOOR_DB = 30.0, 6.0
"""Speech is the span from the first to the last 10 ms frame louder than both (peak - 30 dB) and (the quietest
tenth of the frames + 6 dB), with 50 ms either side."""
TRIM_PAD_FRAMES = 5
MAX_TAKES = 5
"""Takes kept per phrase (the latest)."""
MIN_PHRASES = 5
"""Phrases with takes needed before a take can decide alone (`Match.typical`)."""


@dataclass(frozen=True)
class Match:
    """The nearest take to an utterance among the state's phrases."""

    phrase: str
    distance: float
    """Mean cosine distance along the best time-warped path (0: the same frames; about 0.2 and more: other words)."""
    runner_up: float
    """The same for the nearest take of any other phrase (inf when only one phrase has takes)."""
    typical: float = np.inf
    """The median over every phrase with takes (not only the state's) of its nearest take's distance: how far the
    utterance is from words in general. Noise moves every distance up together; the ratio stays (see `ratio`).
    inf when fewer than MIN_PHRASES phrases have takes."""

    @property
    def gap(self) -> float:
        return self.runner_up - self.distance

    @property
    def ratio(self) -> float:
        """distance / typical: about 0.05-0.15 for the right phrase in quiet, 0.3-0.6 in white noise at 10 dB; speech
        not meant for the coach 0.53 and more (measured on tests/audio)."""
        return self.distance / self.typical if self.typical > 0 else np.inf


def speech_span(pcm: bytes) -> tuple[int, int]:
    """First and last+1 10 ms frame of the speech in 16 kHz mono int16 `pcm` (see TRIM_*); (0, 0) when nothing
    stands out."""
    x = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float32)
    n = len(x) // 160
    if n == 0:
        return 0, 0
    level = 10 * np.log10((x[:n * 160].reshape(n, 160) ** 2).mean(axis=1) + 1e-3)
    threshold = max(float(level.max()) - TRIM_BELOW_PEAK_DB, float(np.percentile(level, 10)) + TRIM_ABOVE_FLOOR_DB)
    loud = np.nonzero(level >= threshold)[0]
    if loud.size == 0:  # silence, or a steady sound with nothing standing out of it
        return 0, 0
    return max(0, int(loud[0]) - TRIM_PAD_FRAMES), min(n, int(loud[-1]) + TRIM_PAD_FRAMES + 1)


def encoder_frames(encoded: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """The encoder's output frames (20 ms each) over a span of 10 ms frames, each scaled to unit length (none for an
    empty span)."""
    start, end = span[0] // 2, (span[1] + 1) // 2 if span[1] > span[0] else 0
    frames = np.asarray(encoded, dtype=np.float32)[start:end]
    return frames / (np.linalg.norm(frames, axis=1, keepdims=True) + 1e-9)


def warped_distances(query: np.ndarray, takes: list[np.ndarray]) -> np.ndarray:
    """Dynamic time warping of `query` against each take at once: the mean cosine distance along each best path
    (steps right, down and diagonal; the path cost divided by the two lengths' sum)."""
    if not takes or len(query) == 0:
        return np.full(len(takes), np.inf)
    longest = max(len(t) for t in takes)
    stacked = np.zeros((len(takes), longest, query.shape[1]), dtype=np.float32)
    for k, t in enumerate(takes):
        stacked[k, :len(t)] = t
    n = len(query)
    similarity = query.astype(np.float32) @ stacked.reshape(-1, stacked.shape[2]).T  # one matrix product (BLAS)
    cost = 1.0 - similarity.reshape(n, len(takes), longest).transpose(1, 0, 2)
    total = np.full((len(takes), n + 1, longest + 1), np.inf, dtype=np.float32)
    total[:, 0, 0] = 0.0
    for s in range(2, n + longest + 1):  # one anti-diagonal at a time: each cell needs only earlier diagonals
        i = np.arange(max(1, s - longest), min(n, s - 1) + 1)
        j = s - i
        best = np.minimum(np.minimum(total[:, i - 1, j], total[:, i, j - 1]), total[:, i - 1, j - 1])
        total[:, i, j] = cost[:, i - 1, j - 1] + best
    lengths = np.array([len(t) for t in takes])
    return total[np.arange(len(takes)), n, lengths] / (n + lengths)


class VoiceTemplates:
    """Each phrase's takes (unit-length encoder frames)."""

    def __init__(self, takes: dict[str, list[np.ndarray]] | None = None) -> None:
        self.takes: dict[str, list[np.ndarray]] = {p: list(t)[-MAX_TAKES:] for p, t in (takes or {}).items() if t}

    def __len__(self) -> int:
        return sum(len(t) for t in self.takes.values())

    def phrases(self) -> list[str]:
        return sorted(self.takes)

    def add(self, phrase: str, frames: np.ndarray) -> None:
        if len(frames):
            self.takes[phrase] = (self.takes.get(phrase, []) + [frames.astype(np.float32)])[-MAX_TAKES:]

    def match(self, frames: np.ndarray, phrases: Iterable[str]) -> Match | None:
        """The nearest take's phrase among `phrases` (those with takes), or None when none has takes."""
        chosen = {p for p in phrases if p in self.takes}
        if not chosen or len(frames) == 0:
            return None
        every = sorted(self.takes)
        owners = [p for p in every for _ in self.takes[p]]
        distances = warped_distances(frames, [t for p in every for t in self.takes[p]])
        nearest: dict[str, float] = {}
        for p, d in zip(owners, distances, strict=True):
            nearest[p] = min(float(d), nearest.get(p, np.inf))
        ranked = sorted(((p, d) for p, d in nearest.items() if p in chosen), key=lambda x: x[1])
        runner_up = ranked[1][1] if len(ranked) > 1 else np.inf
        typical = float(np.median(list(nearest.values()))) if len(nearest) >= MIN_PHRASES else np.inf
        return Match(ranked[0][0], round(ranked[0][1], 4), round(runner_up, 4), round(typical, 4))

    # ----- on disk ----------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically (a half-written file never replaces good takes)."""
        arrays: dict[str, np.ndarray] = {}
        for i, (phrase, takes) in enumerate(sorted(self.takes.items())):
            for k, t in enumerate(takes):
                arrays[f"{i}_{k}"] = t.astype(np.float16)
            arrays[f"{i}_phrase"] = np.array(phrase)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> VoiceTemplates:
        """ConfigError naming the file and what to do when it cannot be read."""
        try:
            with np.load(path, allow_pickle=False) as data:
                names = {k.split("_")[0]: str(data[k]) for k in data.files if k.endswith("_phrase")}
                takes: dict[str, list[np.ndarray]] = {}
                for key in sorted(data.files, key=_take_order):
                    group, _, index = key.partition("_")
                    if index != "phrase":
                        takes.setdefault(names[group], []).append(data[key].astype(np.float32))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            raise ConfigError(f"{path}: cannot read your voice-check takes ({exc.__class__.__name__}); run "
                              "`voice-coach voice-check` again, or remove them with `voice-coach voice-check "
                              "--forget`") from None
        return cls(takes)


def _take_order(key: str) -> tuple[int, int]:
    group, _, index = key.partition("_")
    return (int(group), int(index)) if index.isdigit() else (int(group), -1)


# ----- learning from a voice check ----------------------------------------------------------------------------
MIN_TAKE_FRAMES = 15
"""A take needs at least 150 ms of speech (a click or an empty take teaches nothing)."""


def templates_path() -> Path:
    from .paths import config_dir

    return config_dir() / FILE_NAME


def load_templates(path: Path | None = None) -> VoiceTemplates | None:
    """The person's takes, or None when they have none; an unreadable file is logged once and skipped (the coach
    then listens without them; the voice check writes a good one again)."""
    path = path or templates_path()
    if not path.is_file():
        return None
    try:
        return VoiceTemplates.load(path)
    except ConfigError as exc:
        log.warning("%s", exc.message)
        return None


_latest: dict[Path, tuple[float, VoiceTemplates | None]] = {}


def current_templates(path: Path | None = None) -> VoiceTemplates | None:
    """`load_templates`, read again only when the file changed (each session and command that sets up the
    recognizer gets the takes of the latest voice check, even in one process)."""
    path = path or templates_path()
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    if path not in _latest or _latest[path][0] != stamp:
        _latest[path] = (stamp, load_templates(path))
    return _latest[path][1]


def learn(takes: dict[str, list[bytes]], frames_of: Callable[[bytes], np.ndarray],
          into: VoiceTemplates | None = None) -> tuple[VoiceTemplates, int]:
    """`into` (or new templates) with each phrase's takes replaced by these (`frames_of`: WhisperCheck.take_frames);
    takes with too little speech are left out. Returns the templates and how many takes were kept."""
    out = VoiceTemplates(dict(into.takes) if into is not None else None)
    kept = 0
    for phrase, pcms in takes.items():
        frames = [frames_of(pcm) for pcm in pcms if _speech_frames(pcm) >= MIN_TAKE_FRAMES]
        if frames:
            out.takes[phrase] = frames[-MAX_TAKES:]
            kept += len(out.takes[phrase])
    return out, kept


def _speech_frames(pcm: bytes) -> int:
    start, end = speech_span(pcm)
    return end - start - 2 * TRIM_PAD_FRAMES


class TakeRecorder:
    """A recognizer that also keeps the audio of the latest utterance (`take`), for the live voice check."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._audio = bytearray()
        self.take = b""

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._audio.clear()
        self.inner.begin(phrases)

    def feed(self, pcm: bytes) -> str | None:
        self._audio += pcm
        return self.inner.feed(pcm)

    def end(self) -> Any:
        self.take = bytes(self._audio)
        return self.inner.end()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
