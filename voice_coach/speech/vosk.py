"""vosk behind the Recognizer port: the state's phrases as a JSON grammar plus the model's unknown-word token.

vosk decodes a grammar as a loop: any sequence of its phrases, or the unknown-word token for anything else.
An utterance is accepted only when it is exactly one phrase; the unknown token anywhere, several phrases in
a row, or sound as flat in spectrum as white noise (`signal.noise_like`) reject it. Confidence is the
lowest word confidence vosk reports (its lattice posterior; with a small grammar it is often 1.0, so it says
little more than "accepted"). A model with a static graph (HCLG.fst) cannot take grammars: it decodes
open-vocabulary and the same whole-phrase rule applies.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from voice_coach.coach.intents import Heard
from voice_coach.errors import ModelError
from voice_coach.speech.recognition import Decoded, WordWarnings, clean_phrase, phrase_set
from voice_coach.speech.signal import SAMPLE_RATE, noise_like

log = logging.getLogger(__name__)

UNKNOWN_TOKENS = ("[unk]", "<UNK>", "<unk>")
"""What models call the unknown word (vosk's English models: [unk]; some Kaldi recipes: <UNK>)."""


class VoskRecognizer:
    """vosk with a model folder (an English one from `voice-coach models install`, or --model PATH)."""

    name = "vosk"

    def __init__(self, model_path: Path | str) -> None:
        from voice_coach.speech.models import verify_dir

        self.model_path = Path(model_path)
        problems = verify_dir(self.model_path)
        if problems:
            raise ModelError(f"{self.model_path}: not a usable vosk model ({'; '.join(problems[:3])}): run "
                             "`voice-coach models install vosk-small-en-us` or pass another --model")
        try:
            import vosk
        except ImportError as exc:
            raise ModelError(f"vosk is not installed ({exc}): run `pip install vosk`") from None
        vosk.SetLogLevel(-1)
        self._vosk: Any = vosk
        try:
            self.model = vosk.Model(str(self.model_path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelError(f"{self.model_path}: vosk cannot load this model ({exc}): reinstall it with "
                             "`voice-coach models install vosk-small-en-us`") from None
        self.unknown = next((t for t in UNKNOWN_TOKENS if self.model.vosk_model_find_word(t) >= 0), None)
        """The model's unknown-word token, added to every grammar (None: the model has none)."""
        graph = self.model_path / "graph" if (self.model_path / "graph").is_dir() else self.model_path
        self.takes_grammar = (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
        """Lookahead models (HCLr.fst + Gr.fst) take a grammar per utterance; static-graph ones do not."""
        self.warnings = WordWarnings(self.name)
        self._usable: dict[tuple[str, ...], frozenset[str]] = {}
        self._rec: Any = None
        self._phrases: frozenset[str] = frozenset()
        self._words: list[dict[str, Any]] = []
        self._carry = b""
        self._fed = 0
        self._pcm = bytearray()
        self.last: Decoded | None = None
        """How the last utterance was judged."""
        self.verify_seconds = 0.0
        """Always 0: vosk has no second opinion of its own."""

    @property
    def phrases(self) -> frozenset[str]:
        """The state's phrases the grammar of the utterance in progress can say."""
        return self._phrases if self._rec is not None else frozenset()

    def prepare(self) -> bool:
        """Nothing to start early: vosk decodes as the audio comes."""
        return False

    def usable(self, phrases: tuple[str, ...]) -> frozenset[str]:
        """The phrases all of whose words the model knows (others are logged and left out)."""
        key = phrase_set(phrases)
        if key not in self._usable:
            out = []
            for phrase in key:
                missing = [w for w in phrase.split() if self.model.vosk_model_find_word(w) < 0]
                for word in missing:
                    self.warnings.missing(word, phrase)
                if not missing:
                    out.append(phrase)
            self._usable[key] = frozenset(out)
        return self._usable[key]

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._phrases = self.usable(phrases)
        self._words, self._carry, self._fed, self._pcm, self.last = [], b"", 0, bytearray(), None
        if not self._phrases:
            self._rec = None
            return
        if self.takes_grammar:
            grammar = sorted(self._phrases) + ([self.unknown] if self.unknown else [])
            self._rec = self._vosk.KaldiRecognizer(self.model, SAMPLE_RATE, json.dumps(grammar, ensure_ascii=False))
        else:
            self._rec = self._vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        self._rec.SetWords(True)

    def feed(self, pcm: bytes) -> str | None:
        data = self._carry + bytes(pcm)
        whole = len(data) & ~1
        self._carry = data[whole:]
        self._fed += whole
        if self._rec is None or not whole:
            return None
        self._pcm += data[:whole]
        if self._rec.AcceptWaveform(data[:whole]):  # vosk found an end of speech of its own: keep the words
            self._take(self._rec.Result())
            partial = ""
        else:
            partial = _json(self._rec.PartialResult()).get("partial", "")
        text = " ".join([*(w.get("word", "") for w in self._words), partial]).strip()
        return text or None

    def end(self) -> Heard | None:
        if self._rec is None:
            self.last = Decoded("", 0.0, False, "unknown_word" if self._fed else "silence")
            return None
        self._take(self._rec.FinalResult())
        self._rec = None
        words = [str(w.get("word", "")) for w in self._words]
        text = clean_phrase(" ".join(words))
        confidence = round(min((float(w.get("conf", 0.0)) for w in self._words), default=0.0), 3)
        if not words:
            self.last = Decoded("", 0.0, False, "silence")
        elif self.unknown is not None and self.unknown in words:
            self.last = Decoded(" ".join(words), confidence, False, "not_a_phrase")
        elif text not in self._phrases:
            self.last = Decoded(text, confidence, False, "not_a_phrase")
        elif noise_like(bytes(self._pcm)):
            self.last = Decoded(text, confidence, False, "noise")
        else:
            self.last = Decoded(text, confidence, True, "ok")
        return self.last.heard()

    def _take(self, result: str) -> None:
        self._words.extend(w for w in _json(result).get("result", []) if isinstance(w, dict))


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
