"""Auditory scanning: the options valid now are read one at a time; a switch press or any sound picks one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from voice_coach.access.prompts import SCAN_GROUPS, AccessPrompts, load_access_prompts
from voice_coach.access.words import Meaning, canonical_phrases
from voice_coach.coach.intents import SYMPTOM_KINDS, Heard, Intent, PhraseBook, load_phrasebook
from voice_coach.coach.ports import Clock, Expectation, Speaker


class Selector(Protocol):
    """One binary signal: a switch (a key), any sound, or either. Time is the clock's; tests never sleep."""

    act: str
    """How the lines name it: switch, sound or both (keys of `acts` in prompts/access_en.yaml)."""
    long_act: str
    """How the lines name the longer signal that pauses an exercise (long_sound for a sound)."""
    source: str
    """Journal source of answers given by this selector (keyboard for a switch, voice for a sound)."""

    def reset(self, clock: Clock) -> None:
        """Forget everything that came in before now: presses typed earlier, sound the microphone kept."""
        ...

    def settle(self, clock: Clock) -> None:
        """The coach has just spoken: drop what a microphone heard of it (key presses are kept)."""
        ...

    def wait(self, until: float, clock: Clock, *, long: bool = False) -> str | None:
        """The journal source of the first pick before `until` (clock seconds), or None; `long` asks for the
        longer signal that pauses an exercise in progress."""
        ...


@dataclass(frozen=True)
class Option:
    """One thing a scan reads: a choice (its phrase goes to the coach) or a group that opens a shorter scan."""

    id: str
    """Key of `scan_words` in prompts/access_en.yaml."""
    phrase: str | None = None
    """The phrase returned when picked ("next", "five", "cramp"); None for a group."""
    children: tuple[Option, ...] = ()
    """The options of a group (rating groups, symptoms)."""


ORDER = (Intent.YES, Intent.NO, Intent.NEXT, Intent.REPEAT, Intent.SKIP, Intent.REST, Intent.RESUME, Intent.NUMBER,
         Intent.TODAY)
"""The question's own answers, read first, in this order; then a symptom, pause, and stop last (always there)."""
NEVER_SCANNED = (Intent.HELP, Intent.WHERE, Intent.MORE, Intent.FINISH)
"""Help is what a scan is; "how many left" and "tell me more" only inform; stop already ends politely enough."""


def scan_options(intents: set[Intent], names: dict[Meaning, str]) -> list[Option]:
    """The options of a state, in reading order: the question's own answers, a symptom, pause, stop. Stop comes
    last so that a sound meant for the first answer can never end the session (it is still in every scan)."""
    def choice(intent: Intent) -> Option:
        return Option(intent.value, names[(intent, None, None)])

    symptoms = tuple(Option(kind, names[(Intent.SYMPTOM, None, kind)]) for kind in SYMPTOM_KINDS
                     if (Intent.SYMPTOM, None, kind) in names)
    asks_which = Intent.SYMPTOM in intents and Intent.NO in intents and Intent.YES not in intents
    out: list[Option] = []
    if asks_which:
        out.extend(symptoms)
    skip = {Intent.YES} if Intent.NEXT in intents and Intent.NO not in intents else set()
    for intent in ORDER:
        if intent not in intents or intent in skip:
            continue
        if intent is Intent.NUMBER:
            if Intent.YES in intents:
                continue  # a read-back: "no" asks the question again, so numbers need not be read here
            out.extend(Option(group, None, tuple(Option(f"n{n}", names[(Intent.NUMBER, n, None)]) for n in values))
                       for group, values in SCAN_GROUPS.items())
        else:
            out.append(choice(intent))
    known = {Intent.STOP, Intent.SYMPTOM, Intent.PAUSE, *ORDER, *NEVER_SCANNED}
    out.extend(choice(i) for i in Intent if i in intents and i not in known and (i, None, None) in names)
    if Intent.SYMPTOM in intents and not asks_which:
        out.append(Option("symptom", None, symptoms))
    if Intent.PAUSE in intents:
        out.append(choice(Intent.PAUSE))
    if Intent.STOP in intents:
        out.append(choice(Intent.STOP))
    return out


class ScanningListener:
    """A Listener for people who cannot speak clearly, driven by one Selector.

    - A question: reads the options valid now, one at a time, with `pause_seconds` after each; a pick returns
      Heard(phrase, 1.0, source) with a phrase the phrase book maps back to the option's intent. Ratings are
      read in groups (low, middle, high), then the numbers of the group; "a symptom" opens the symptom kinds.
      A scan starts by saying what the switch (or a sound) does: in full the first time, briefly when it meant
      something else at the previous prompt.
      After `cycles` readings without a pick it says how to hear them again and waits quietly.
    - With `yes_no_by_signal` (switch and any-sound modes) a yes-or-no question is answered directly: a pick
      within `answer_seconds` of the hint is "yes", none is "no".
    - While the coach counts (an exercise, a rest), the longer signal pauses: the pause then offers resume,
      stop and the symptoms by scanning.
    """

    def __init__(self, selector: Selector, speaker: Speaker, *, phrasebook: PhraseBook | None = None,
                 aliases: dict[str, str] | None = None, prompts: AccessPrompts | None = None,
                 pause_seconds: float = 2.5, cycles: int = 2, yes_no_by_signal: bool = False,
                 answer_seconds: float = 20.0) -> None:
        self.selector, self.speaker = selector, speaker
        self.book = phrasebook or load_phrasebook()
        self.aliases = aliases or {}
        self.prompts = prompts or load_access_prompts()
        self.pause_seconds = pause_seconds
        self.cycles = max(1, cycles)
        self.yes_no_by_signal = yes_no_by_signal
        self.answer_seconds = answer_seconds
        """How long silence must last to mean "no", counted from the end of the hint (not from the question:
        a long question read aloud must not eat the time to answer)."""
        self.names = canonical_phrases(self.book)
        self._hinted: str | None = None
        self._introduced = False
        self._meaning = ""
        """What the signal did at the last prompt: choose, yes, or pause."""
        self.picks: list[tuple[str, float]] = []
        """(phrase, seconds from the start of listening) of each answer given: for the figures in the docs."""

    # ----- the Listener port -------------------------------------------------------------------------------
    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        deadline = math.inf if until is None else until
        intents = self.intents(expect)
        started = clock.now()
        if not expect.awaiting:
            heard = self._attention(deadline, clock, expect.state, intents)
        else:
            self._hinted = None
            if self.yes_no_by_signal and Intent.YES in intents and Intent.NO in intents:
                heard = self._yes_no(clock)
            else:
                heard = self._scan_until_picked(deadline, clock, expect.state, scan_options(intents, self.names))
        if heard is not None:
            self.picks.append((heard.text, clock.now() - started))
        return heard

    def intents(self, expect: Expectation) -> set[Intent]:
        out = set()
        for phrase in expect.phrases:
            u = self.book.parse(Heard(phrase), self.aliases, expect.state)
            if u is not None:
                out.add(u.intent)
        return out

    # ----- the three behaviours ----------------------------------------------------------------------------
    def _attention(self, deadline: float, clock: Clock, state: str, intents: set[Intent]) -> Heard | None:
        """While the coach counts: the longer signal means pause."""
        if Intent.PAUSE not in intents:
            clock.sleep_until(deadline)
            return None
        self.selector.settle(clock)  # the coach's counting was just spoken: not the person's sound
        self._meaning = "pause"
        if self._hinted != state:
            self._hinted = state
            self._speak(clock, "counting_hint", "counting_hint", act=self._act(long=True))
        source = self.selector.wait(deadline, clock, long=True)
        return Heard(self.names[(Intent.PAUSE, None, None)], 1.0, source) if source else None

    def _yes_no(self, clock: Clock) -> Heard:
        self._meaning = "yes"
        self.selector.reset(clock)
        self._speak(clock, "yes_no_hint", "yes_no_hint", act=self._act(), wait=self.prompts.waits[self.selector.act])
        source = self.selector.wait(clock.now() + self.answer_seconds, clock)
        if source is not None:
            return Heard(self.names[(Intent.YES, None, None)], 1.0, source)
        return Heard(self.names[(Intent.NO, None, None)], 1.0, self.selector.source)

    def _scan_until_picked(self, deadline: float, clock: Clock, state: str, options: list[Option]) -> Heard | None:
        self.selector.reset(clock)
        if not self._introduced:  # the full line once a session, then a short one when the signal meant
            self._introduced = True  # something else just before (yes, or pause): scans are slow enough
            self._speak(clock, "scan_start", "scan_start", act=self._act())
        elif self._meaning != "choose":
            self._speak(clock, "scan_start_short", "scan_start_short", act=self._act())
        self._meaning = "choose"
        while True:
            picked = self._scan(options, clock, state)
            if picked is not None:
                option, source = picked
                assert option.phrase is not None
                return Heard(option.phrase, 1.0, source)
            if clock.now() >= deadline:
                return None
            self._speak(clock, "scan_idle", "scan_idle", act=self._act())
            if self.selector.wait(deadline, clock) is None:
                return None

    def _scan(self, options: list[Option] | tuple[Option, ...], clock: Clock,
              state: str) -> tuple[Option, str] | None:
        for cycle in range(self.cycles):
            if cycle:
                self._speak(clock, "scan_again", "scan_again")
            for option in options:
                words = self._words(option, state)
                self._speak(clock, "scan_option", f"scan_option.{option.id}", option=words)
                source = self.selector.wait(clock.now() + self.pause_seconds, clock)
                if source is None:
                    continue
                if not option.children:
                    return option, source
                inner = self._scan(option.children, clock, state)
                if inner is not None:
                    return inner
        return None

    # ----- speaking -------------------------------------------------------------------------------------------
    def _words(self, option: Option, state: str) -> str:
        return self.prompts.option(option.id, state, option.phrase or option.id)

    def _act(self, long: bool = False) -> str:
        return self.prompts.acts[self.selector.long_act if long else self.selector.act]

    def _speak(self, clock: Clock, line: str, key: str, **slots: str) -> None:
        """Say a line, then let the selector drop what a microphone heard of it."""
        self.speaker.say(self.prompts.line(line, **slots), key)
        self.selector.settle(clock)
