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

import io
import logging
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice_coach.coach.intents import Heard
from voice_coach.errors import ConfigError
from voice_coach.private_files import write_private
from voice_coach.speech.recognition import Recognizer
from voice_coach.speech.recognizer_wrapper import Wrapped
from voice_coach.speech.signal import frame_levels

log = logging.getLogger(__name__)

FILE_NAME = "voice_templates.npz"
TRIM_BELOW_PEAK_DB, TRIM_ABOVE_FLOOR_DB = 30.0, 6.0
"""Speech is the span from the first to the last 10 ms frame louder than both (peak - 30 dB) and (the quietest
tenth of the frames + 6 dB), with 50 ms either side."""
TRIM_PAD_FRAMES = 5
MAX_TAKES = 10
"""Takes kept per phrase (the latest): five tries, each as said and with noise added (`NOISY_COPY_SNR_DB`)."""
NOISY_COPY_SNR_DB = 10.0
"""Each try is also kept with pink noise 10 dB under the speech, as if said with a fan running: a reply said in
noise is then near one of its takes. Measured on tests/audio (white noise at 10 dB, which the copies never used):
replies the takes decide rightly 67 -> 83 of 103 (sure 21 -> 57); speech not meant for the coach no nearer (its
lowest ratio 0.62 -> 0.70); quiet, held-out and slowed speech unchanged (all decided, all sure)."""
MIN_PHRASES = 5
"""Phrases with takes needed before a take can decide alone (`Match.typical`)."""
MAX_TAKE_FRAMES = 150
"""Encoder frames (20 ms) kept of a take: 3 s of speech is more than any command; a longer try is left out."""
LENGTH_RATIO = 3.0
"""An utterance is compared only with takes at most 3 times longer or shorter than it (not the same words)."""
WARP_CELLS = 250_000
"""Cells (query frame x take x take frame) warped at once: bounds the memory of one comparison (2 MB of costs), and
small blocks stay in the processor's cache (measured fastest of 0.25, 1 and 4 million). With every take's similarity
at once, one person's peak memory rose 278 -> 295-300 MB."""


@dataclass(frozen=True)
class Match:
    """The nearest take to an utterance among the state's phrases."""

    phrase: str
    distance: float
    """Mean cosine distance along the best time-warped path (0: the same frames; about 0.2 and more: other words)."""
    runner_up: float
    """The same for the nearest take of any other phrase learned, whether this state takes it or not (inf when no
    other phrase has takes): a reply nearer to a phrase of another state is not decided by the takes."""
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
        if not (np.isfinite(self.typical) and self.typical > 0):
            return np.inf  # too few phrases learned to say what is typical: the takes cannot decide
        return self.distance / self.typical


def speech_span(pcm: bytes) -> tuple[int, int]:
    """First and last+1 10 ms frame of the speech in 16 kHz mono int16 `pcm` (see TRIM_*); (0, 0) when nothing
    stands out."""
    level = frame_levels(pcm)
    n = len(level)
    if n == 0:
        return 0, 0
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
    """Dynamic time warping of `query` against each take: the mean cosine distance along each best path (steps
    right, down and diagonal; the path cost divided by the two lengths' sum)."""
    if not takes:
        return np.full(0, np.inf)
    bank = TakeBank(takes)
    out = np.empty(len(takes))
    out[bank.order] = bank.distances(query)
    return out


class TakeBank:
    """Takes sorted by length, their frames in one matrix (float16 as kept), built once per set of takes: a reply
    is then compared block by block, each with one matrix product and one pass of warping (`distances`)."""

    def __init__(self, takes: list[np.ndarray]) -> None:
        self.order = sorted(range(len(takes)), key=lambda k: len(takes[k]))
        self.lengths = np.array([len(takes[k]) for k in self.order], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)
        self.frames = np.concatenate([takes[k] for k in self.order])

    def within(self, frames: int, ratio: float) -> tuple[int, int]:
        """The range of (sorted) takes at most `ratio` times longer or shorter than `frames`."""
        return (int(np.searchsorted(self.lengths, np.ceil(frames / ratio), "left")),
                int(np.searchsorted(self.lengths, np.floor(frames * ratio), "right")))

    def distances(self, query: np.ndarray, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """`warped_distances` of `query` against the sorted takes lo..hi."""
        hi = len(self.lengths) if hi is None else hi
        out = np.full(max(0, hi - lo), np.inf)
        n = len(query)
        query = query.astype(np.float32)
        start = lo
        while n and start < hi:
            end = start + 1
            while end < hi and n * (end + 1 - start) * self.lengths[end] <= WARP_CELLS:
                end += 1
            base, lengths = self.offsets[start], self.lengths[start:end]
            similarity = query @ self.frames[base:self.offsets[end]].astype(np.float32).T  # one BLAS product
            # each take's frames, padded by repeating its last (never read: a path ends at the take's length)
            index = self.offsets[start:end, None] - base + np.minimum(np.arange(lengths[-1]), lengths[:, None] - 1)
            out[start - lo:end - lo] = _warp(1.0 - similarity[:, index].astype(np.float64), lengths)
            start = end
        return out


def _warp(cost: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Best-path cost of each take (cost: query frame x take x take frame), divided by the two lengths' sum."""
    n, count, longest = cost.shape
    row = np.full((count, longest + 1), np.inf)
    row[:, 0] = 0.0
    edge = np.full((count, 1), np.inf)
    for i in range(n):  # one query frame at a time, every take and take frame at once
        # a cell is reached from above or the diagonal (`down`), or from its left neighbour in this row: the best
        # over every run of steps to the right is a running minimum over the row's prefix sums of cost
        down = cost[i] + np.minimum(row[:, 1:], row[:, :-1])
        prefix = np.cumsum(cost[i], axis=1)
        row = np.concatenate([edge, prefix + np.minimum.accumulate(down - prefix, axis=1)], axis=1)
    return np.asarray(row[np.arange(count), lengths] / (n + lengths))


class VoiceTemplates:
    """Each phrase's takes (unit-length encoder frames)."""

    def __init__(self, takes: dict[str, list[np.ndarray]] | None = None) -> None:
        self.takes: dict[str, list[np.ndarray]] = {}
        self._bank: tuple[TakeBank, list[str]] | None = None
        self._changes = 0
        for phrase, frames in (takes or {}).items():
            self.put(phrase, frames)

    def __len__(self) -> int:
        return sum(len(t) for t in self.takes.values())

    def phrases(self) -> list[str]:
        return sorted(self.takes)

    def add(self, phrase: str, frames: np.ndarray) -> None:
        """Keep a take (float16, as on disk: a person's takes are a few MB)."""
        if 0 < len(frames) <= MAX_TAKE_FRAMES:
            self.takes[phrase] = (self.takes.get(phrase, []) + [frames.astype(np.float16)])[-MAX_TAKES:]
            self._changed()

    def put(self, phrase: str, takes: Iterable[np.ndarray]) -> None:
        """Replace a phrase's takes with these (`add` each; the phrase is gone when none is kept)."""
        if self.takes.pop(phrase, None) is not None:
            self._changed()
        for frames in takes:
            self.add(phrase, frames)

    def match(self, frames: np.ndarray, phrases: Iterable[str]) -> Match | None:
        """The nearest take's phrase among `phrases` (those with takes), or None when none has takes."""
        chosen = {p for p in phrases if p in self.takes}
        if not chosen or len(frames) == 0:
            return None  # nothing to compare
        built = self._take_bank()
        if built is None or built[0].frames.shape[1] != frames.shape[1]:
            return None  # takes made by another model
        bank, phrase_of = built
        lo, hi = bank.within(len(frames), LENGTH_RATIO)
        nearest: dict[str, float] = {}
        for p, d in zip(phrase_of[lo:hi], bank.distances(frames, lo, hi), strict=True):
            nearest[p] = min(float(d), nearest.get(p, np.inf))
        # distances equal but for float rounding (block sums) are a tie: it goes to the first phrase in order
        ranked = sorted(((p, d) for p, d in nearest.items() if p in chosen), key=lambda x: (round(x[1], 6), x[0]))
        if not ranked:
            return None  # no take of the state's phrases is of a length this utterance could be
        runner_up = min((d for p, d in nearest.items() if p != ranked[0][0]), default=np.inf)
        typical = float(np.median(list(nearest.values()))) if len(nearest) >= MIN_PHRASES else np.inf
        return Match(ranked[0][0], round(ranked[0][1], 4), round(runner_up, 4), round(typical, 4))

    def _changed(self) -> None:
        self._changes += 1
        self._bank = None

    def _take_bank(self) -> tuple[TakeBank, list[str]] | None:
        """Every take in one bank (built once; kept unless the takes changed while it was built); None when the
        takes are of mixed widths (made by different models)."""
        built = self._bank
        if built is None:
            changes = self._changes
            pairs = [(p, t) for p in sorted(self.takes) for t in self.takes[p]]
            if len({t.shape[1] for _, t in pairs}) > 1:
                return None
            bank = TakeBank([t for _, t in pairs])
            built = bank, [pairs[k][0] for k in bank.order]
            if changes == self._changes:
                self._bank = built
        return built

    # ----- on disk ----------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically and privately (0600; a half-written file never replaces good takes); ConfigError when
        it cannot be written."""
        arrays: dict[str, np.ndarray] = {}
        for i, (phrase, takes) in enumerate(sorted(self.takes.items())):
            for k, t in enumerate(takes):
                arrays[f"{i}_{k}"] = t.astype(np.float16)
            arrays[f"{i}_phrase"] = np.array(phrase)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        write_private(path, buffer.getvalue(), ConfigError, make_folder=True,
                      failed="cannot save how you say the commands")

    @classmethod
    def load(cls, path: Path) -> VoiceTemplates:
        """ConfigError naming the file and what to do when it cannot be read."""
        def unreadable(why: str) -> ConfigError:
            return ConfigError(f"{path}: cannot read your voice-check takes ({why}); run `voice-coach voice-check` "
                               "again, or remove them with `voice-coach voice-check --forget`")

        try:
            data = np.load(path, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise unreadable("not a file of takes")
            with data:
                names = {k.split("_")[0]: str(data[k]) for k in data.files if k.endswith("_phrase")}
                takes: dict[str, list[np.ndarray]] = {}
                for key in sorted(data.files, key=_take_order):
                    group, _, index = key.partition("_")
                    if index != "phrase":
                        takes.setdefault(names[group], []).append(np.asarray(data[key]))
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
            raise unreadable(exc.__class__.__name__) from None
        widths = {t.shape[1] if t.ndim == 2 else -1 for frames in takes.values() for t in frames}
        if len(widths) > 1 or -1 in widths or not all(np.isfinite(t).all() for f in takes.values() for t in f):
            raise unreadable("takes of the wrong shape, or not numbers")
        return cls({p: [t / (np.linalg.norm(t.astype(np.float32), axis=1, keepdims=True) + 1e-9) for t in f]
                    for p, f in takes.items()})


def _take_order(key: str) -> tuple[int, int]:
    group, _, index = key.partition("_")
    if not group.isdigit():
        raise KeyError(key)
    return (int(group), int(index)) if index.isdigit() else (int(group), -1)


# ----- learning from a voice check ----------------------------------------------------------------------------
MIN_TAKE_FRAMES = 15
"""A take needs at least 150 ms of speech (a click or an empty take teaches nothing)."""


def templates_path() -> Path:
    from voice_coach.paths import config_dir

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


_latest: dict[Path, tuple[tuple[int, int, int], VoiceTemplates | None]] = {}


def current_templates(path: Path | None = None) -> VoiceTemplates | None:
    """`load_templates`, read again only when the file changed (each session and command that sets up the
    recognizer gets the takes of the latest voice check, even in one process)."""
    path = path or templates_path()
    try:
        info = path.stat()
    except OSError:
        return None
    stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    if path not in _latest or _latest[path][0] != stamp:
        _latest[path] = (stamp, load_templates(path))
    return _latest[path][1]


def learn(takes: dict[str, list[bytes]], frames_of: Callable[[bytes], np.ndarray],
          into: VoiceTemplates | None = None) -> tuple[VoiceTemplates, int]:
    """`into` (or new templates) with each phrase's takes replaced by these (`frames_of`: WhisperCheck.take_frames),
    each try kept as said and with noise added (NOISY_COPY_SNR_DB). Left out: tries with too little speech or too
    long for a command, and a try nearer to another phrase's tries than to its own phrase's other tries (a cough,
    the television, another word said by mistake). Returns the templates and how many tries were kept."""
    out = VoiceTemplates(dict(into.takes) if into is not None else None)
    new: dict[str, list[tuple[bytes, np.ndarray]]] = {}
    for phrase, pcms in takes.items():
        said = [(pcm, frames_of(pcm)) for pcm in pcms if _speech_frames(pcm) >= MIN_TAKE_FRAMES]
        said = [(pcm, f) for pcm, f in said if 0 < len(f) <= MAX_TAKE_FRAMES][-MAX_TAKES // 2:]
        if said:
            new[phrase] = said
            out.put(phrase, [f for _, f in said])
    # every phrase's tries are judged against all the new tries before any is left out
    new = {p: [(pcm, f) for k, (pcm, f) in enumerate(said) if _like_its_own(out, p, k)] for p, said in new.items()}
    for phrase, said in new.items():
        copies = [frames_of(with_pink_noise(pcm, NOISY_COPY_SNR_DB, k)) for k, (pcm, _) in enumerate(said)]
        out.put(phrase, [f for _, f in said] + copies)
    return out, sum(len(said) for said in new.values())


def with_pink_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """`pcm` (16 kHz mono int16) with pink noise (power falling 3 dB an octave, like a fan or a room's hum)
    `snr_db` under its speech (the RMS of samples over 2 % of the peak), seeded."""
    x = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float64)
    if x.size == 0 or not np.abs(x).max():
        return pcm
    speech = x[np.abs(x) > 0.02 * np.abs(x).max()]
    spectrum = np.fft.rfft(np.random.default_rng(seed).normal(size=x.size))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    noise = np.fft.irfft(spectrum, x.size)
    noise *= np.sqrt(np.mean(speech ** 2)) / 10 ** (snr_db / 20) / max(1e-12, float(np.sqrt(np.mean(noise ** 2))))
    return np.clip(np.round(x + noise), -32768, 32767).astype("<i2").tobytes()


def _like_its_own(templates: VoiceTemplates, phrase: str, index: int) -> bool:
    """Take `index` of `phrase` is nearer to the phrase's other takes than to any other phrase's (true when the
    phrase has no other take)."""
    take = templates.takes[phrase][index].astype(np.float32)
    own = [t for k, t in enumerate(templates.takes[phrase]) if k != index]
    others = [t for p, ts in templates.takes.items() if p != phrase for t in ts]
    if not own or not others:
        return True
    return float(warped_distances(take, own).min()) <= float(warped_distances(take, others).min())


def _speech_frames(pcm: bytes) -> int:
    start, end = speech_span(pcm)
    return end - start - 2 * TRIM_PAD_FRAMES


class TakeRecorder(Wrapped):
    """A recognizer that also keeps the audio of the latest utterance (`take`), for the live voice check."""

    def __init__(self, inner: Recognizer) -> None:
        super().__init__(inner)
        self._audio = bytearray()
        self.take = b""
        """The audio of the latest utterance that ended (kept until the next one ends)."""

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._audio.clear()
        self.inner.begin(phrases)

    def feed(self, pcm: bytes) -> str | None:
        self._audio += pcm
        return self.inner.feed(pcm)

    def end(self) -> Heard | None:
        self.take = bytes(self._audio)
        return self.inner.end()
