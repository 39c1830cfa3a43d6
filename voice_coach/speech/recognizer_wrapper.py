"""A recognizer in front of another: every member of the Recognizer port passed through, to override some."""

from __future__ import annotations

from voice_coach.coach.intents import Heard
from voice_coach.speech.recognition import Decoded, Recognizer


class Wrapped:
    """The Recognizer port over `inner`, unchanged; subclasses change what they need."""

    def __init__(self, inner: Recognizer) -> None:
        self.inner = inner
        self.name = inner.name

    @property
    def phrases(self) -> frozenset[str]:
        return self.inner.phrases

    @property
    def last(self) -> Decoded | None:
        return self.inner.last

    @property
    def verify_seconds(self) -> float:
        return self.inner.verify_seconds

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.inner.begin(phrases)

    def feed(self, pcm: bytes) -> str | None:
        return self.inner.feed(pcm)

    def prepare(self) -> bool:
        return self.inner.prepare()

    def end(self) -> Heard | None:
        return self.inner.end()
