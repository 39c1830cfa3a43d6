"""Spotting "stop" in the microphone while the coach speaks: a pocketsphinx key-phrase search over every frame."""

from __future__ import annotations

from typing import Any

from voice_coach.errors import ModelError

SPOT_PHRASE = "stop"
SPOT_THRESHOLD = 1e-10
"""pocketsphinx's key-phrase threshold. Measured on the coach's ten lines said by espeak-ng with a "stop" of three
tests/audio/clean voices 0.8 s in (the echo bench's own held-out "stop" voice not used): with the echo 38 dB down
(WebRTC's canceller) 21 of 21 spotted at most 223 ms after the end of the word, none on the lines alone; with the
raw echo 18 dB down 11 of 21 and none on the lines alone. 1e-20 spotted 18 of 21 in the raw echo but also fired on
4 of 7 lines alone; 1e-5 spotted 5 of 21 there."""
PHONES = {"stop": "S T AA P"}
"""The phrase's pronunciation (CMUdict's), so that the full dictionary need not be loaded."""
FRAME_SECONDS = 0.01
"""pocketsphinx's frame: its segments count in these."""


class StopSpotter:
    """Listens for one word anywhere in a stream, without endpointing: the word is found inside one long
    utterance (the coach's own voice in the microphone, then the person's "stop"), where the grammar decoder,
    which explains the whole utterance, loses it. Only a cue to cut the line: what the person said is still
    decided by the listener's full decode of the word, cut out where the spotter found it."""

    def __init__(self, phrase: str = SPOT_PHRASE, threshold: float = SPOT_THRESHOLD) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise ModelError(f"pocketsphinx is not installed ({exc}): run `pip install pocketsphinx`") from None
        try:  # no dictionary but the phrase's words and no language model: 6 MB and 0.05 s instead of 28 MB, 0.4 s
            self.decoder: Any = Decoder(dict=None, lm=None, kws_threshold=threshold, loglevel="FATAL")
            for word in phrase.split():
                self.decoder.add_word(word, PHONES[word], True)
            self.decoder.add_keyphrase("spot", phrase)
            self.decoder.activate_search("spot")
        except (RuntimeError, ValueError, KeyError) as exc:
            raise ModelError(f"pocketsphinx cannot load its model ({exc}): reinstall it with "
                             "`pip install --force-reinstall pocketsphinx`") from None
        self._running = False

    def restart(self) -> None:
        """Forget the audio so far (a new line begins)."""
        if self._running:
            self.decoder.end_utt()
        self.decoder.start_utt()
        self._running = True

    def feed(self, pcm: bytes) -> float | None:
        """More audio (16 kHz int16 mono). When the word has just been found: how many seconds ago it began
        (the search starts over after that); None otherwise."""
        if not self._running:
            self.restart()
        self.decoder.process_raw(pcm, False, False)
        hyp = self.decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return None
        frames = self.decoder.n_frames()
        starts = [s.start_frame for s in self.decoder.seg()]
        back = (frames - (starts[-1] if starts else frames)) * FRAME_SECONDS
        self.restart()
        return max(0.0, back)


def stop_spotter() -> StopSpotter | None:
    """A spotter for the microphone's barge-in, or None when pocketsphinx cannot give one (barge-in then waits for
    the listener's own decision, as before)."""
    try:
        return StopSpotter()
    except ModelError:
        return None
