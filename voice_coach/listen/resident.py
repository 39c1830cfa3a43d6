"""The resident loop: the listener machine meets the audio stream, the speaker, the journal, the clock and the
session runner. Runs until the input ends (a recording) or the process is stopped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from voice_coach.access.switch_press import LONG_PRESS_SECONDS, PressLength
from voice_coach.access.switch_watch import SwitchWatch
from voice_coach.coach.intents import Heard, Intent, PhraseBook, normalize
from voice_coach.coach.messages import LogEntry, Say
from voice_coach.coach.ports import Clock, EndOfInput, Expectation, Journal, Listener, Speaker
from voice_coach.coach.prompts import Prompts
from voice_coach.errors import CoachError, DeviceError
from voice_coach.listen.listener import Facts, Mode, ResidentListener, Run
from voice_coach.listen.prompts import ListenPrompts
from voice_coach.listen.wake import ModeRecognizer, WakeDetector
from voice_coach.speech.earcon import play_earcon
from voice_coach.speech.listener import StreamListener

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
"""Longest a listen lasts before the loop looks at the clock again (reminders, timeouts)."""
REMINDER_CHECK_SECONDS = 10.0
"""How often the journal is read for a due reminder."""
RETRY_SECONDS = 3.0
"""How often a lost microphone is tried again."""
WAKE_STATES = frozenset({Mode.WAITING.value, Mode.PAUSED.value})


@dataclass
class Wiring:
    """What the loop drives; built by cli_listen (real adapters) or by tests (real parts on a recording)."""

    listener: Listener
    """The audio stream (StreamListener) with `recognizer` inside."""
    recognizer: ModeRecognizer | None
    """Routes waiting-state utterances to the wake detector (None: a scripted listener in tests)."""
    wake: WakeDetector | None
    speaker: Speaker
    journal: Journal
    clock: Clock
    run: Callable[[Run], str]
    """Runs a session or check-in on the same listener; returns its outcome."""
    facts: Callable[[], Facts]
    """The day's facts, read when something is asked."""
    due: Callable[[datetime], Any]
    """The reminder due at a wall time (reminders.due with the profile's settings), or None."""
    switch: SwitchWatch | None = None
    """The switch (--switch keys or a device), read on its own thread; None: no switch."""
    hold_seconds: float = LONG_PRESS_SECONDS
    """How long the switch must be held to wake the listener."""
    speech: bool = True
    """The listener hears speech (False: `--input none`, the switch alone)."""


class Resident:
    """Drives a `ResidentListener` with what is heard and the time."""

    def __init__(self, machine: ResidentListener, wiring: Wiring, prompts: Prompts, lines: ListenPrompts,
                 phrasebook: PhraseBook, aliases: dict[str, str], *, echo: Callable[[str], None] = print) -> None:
        self.machine, self.w, self.prompts, self.lines = machine, wiring, prompts, lines
        self.phrasebook, self.aliases, self.echo = phrasebook, aliases, echo
        self.session_id = wiring.journal.new_session_id()
        self.wake_phrases = wake_grammar(machine.wake_phrase, lines)
        self._next_reminder_check = 0.0
        self._lost = False
        self._reopen: Callable[[], None] = lambda: None
        self.press = PressLength(wiring.hold_seconds)
        self._toned = False
        """The answer tone was played for the utterance in progress (the wake was decided at a short pause)."""
        if isinstance(wiring.listener, StreamListener) and wiring.recognizer is not None:
            wiring.listener.on_early, wiring.listener.decide_early = self.early_wake, wiring.recognizer.early

    # ----- the loop ----------------------------------------------------------------------------------------
    def run(self) -> None:
        self.log(LogEntry("listen_started", {"wake": self.machine.wake_phrase, "speech": self.w.speech,
                                             "switch": self.w.switch.name if self.w.switch else None}))
        if self.w.speech:
            self.say(Say("listening", {"wake": self.machine.wake_phrase}))
        if self.w.switch is not None:
            self.say(Say("switch_too" if self.w.speech else "listening_switch"))
        try:
            while True:
                self.step()
        except (EndOfInput, KeyboardInterrupt) as why:
            self.log(LogEntry("listen_ended", {"reason": "input_closed" if isinstance(why, EndOfInput)
                                               else "interrupted"}))

    def step(self) -> None:
        clock, machine = self.w.clock, self.machine
        if self._lost and not self.reopened():
            return
        now = clock.now()
        if machine.mode is Mode.WAITING and now >= self._next_reminder_check:
            self._next_reminder_check = now + REMINDER_CHECK_SECONDS
            reminder = self.w.due(clock.wall())
            if reminder is not None:
                machine.remind(reminder, now)
                self.flush()
        expect = self.expectation()
        if self.w.recognizer is not None:
            self.w.recognizer.state = expect.state
        if self.w.wake is not None:
            self.w.wake.lenient = machine.lenient(now)
        deadline = machine.wake_at()
        until = now + POLL_SECONDS if deadline is None else min(deadline, now + POLL_SECONDS)
        reports = len(getattr(self.w.listener, "reports", ()))
        try:
            heard = self.w.listener.listen(until, clock, expect)
        except DeviceError as lost:
            self.input_lost(lost)
            return
        woke = self.near_misses()
        now = clock.now()
        if heard is not None:
            self.hear(heard, now, woke)
        elif machine.awake and len(getattr(self.w.listener, "reports", ())) > reports:
            machine.heard(None, None, now, Facts())  # speech that was not understood
        self.switch_presses()
        machine.tick(clock.now())
        self.flush()

    def hear(self, heard: Heard, now: float, how: dict[str, Any] | None = None) -> None:
        machine = self.machine
        if machine.mode in (Mode.WAITING, Mode.PAUSED):
            if not starts_with_wake(heard.text, machine.wake_phrase):
                return  # only the wake phrase acts while waiting
            request = request_of(heard.text, machine.wake_phrase, self.lines)
            how = {**(how or {"phrase": heard.text}), "tone": self._toned}
            self._toned = False
            self.echo(f"[{self.w.clock.wall():%H:%M:%S}] wake: {heard.text}")
            machine.woke(request, now, self.facts(), how=how)
            return
        self.log(LogEntry("heard", {"state": machine.mode.value}, heard.text, heard.confidence, heard.source))
        kind, key = self.classify(heard.text)
        machine.heard(kind, key, now, self.facts() if kind == "request" else Facts())

    def early_wake(self) -> None:
        """The wake detector decided a wake at the first short pause: answer at once with the tone (the person
        hears they were heard) while the rest of the utterance, the request said in the same breath, is still
        being heard. "Yes?" follows only if nothing does."""
        if self.machine.mode is not Mode.WAITING:
            return  # paused: only "okay coach, start listening" counts, and is answered in words
        self._toned = True
        self.echo(f"[{self.w.clock.wall():%H:%M:%S}] wake heard (tone)")
        try:
            play_earcon(self.w.speaker)
        except Exception as exc:  # noqa: BLE001 - a failing sound output must not end the listener
            self.echo(f"voice-coach: sound output failed ({exc})")

    def switch_presses(self) -> None:
        """What the switch did since the last look: presses go to the machine (held seconds from the switch's own
        times), a switch that was unplugged or came back is said."""
        switch = self.w.switch
        if switch is None:
            return
        for notice in switch.notices():
            lost = notice.startswith("lost: ")
            self.echo(f"voice-coach: {notice[6:]}; trying again every {RETRY_SECONDS:g} s" if lost
                      else f"voice-coach: the switch {switch.name} is back")
            self.log(LogEntry("switch_lost" if lost else "switch_back", {"switch": switch.name}))
            self.say(Say("switch_lost" if lost else "switch_back"))
        for event in switch.take():
            down_at = self.press.down_at
            press = self.press.feed(event)
            if press is None:
                continue
            held = round(event.seconds - (down_at if down_at is not None else event.seconds), 2)
            now = self.w.clock.now()
            waiting = self.machine.mode in (Mode.WAITING, Mode.PAUSED)
            note = " (hold it down to wake me)" if waiting and press == "short" else ""
            self.echo(f"[{self.w.clock.wall():%H:%M:%S}] switch: {press} press, {held:g} s{note}")
            self.machine.pressed(press, now, self.facts() if waiting or self.machine.mode is Mode.ASKING
                                 else Facts(), how={"seconds": held})
            starts = any(isinstance(a, Run) for a in self.machine.outbox)
            self.flush()
            if starts:
                return  # the session had the switch meanwhile; what came before it is stale
        if switch.ended and self.w.speech:
            self.echo(f"voice-coach: the switch {switch.name} closed; listening for speech only")
            self.w.switch = None

    def classify(self, text: str) -> tuple[str | None, str | None]:
        """What a reply to the listener's question means: stop and symptoms first (safety), then the listener's
        own words (a leading wake phrase is dropped)."""
        utterance = self.phrasebook.parse(Heard(text, 1.0, "voice"), self.aliases)
        if utterance is not None and utterance.intent is Intent.STOP:
            return "stop", None
        if utterance is not None and utterance.intent is Intent.SYMPTOM:
            return "symptom", utterance.symptom
        said = strip_wake(text, self.machine.wake_phrase)
        meaning = self.lines.meaning(said) if said else None
        if meaning is None and utterance is not None and utterance.intent in (Intent.YES, Intent.NO):
            return "answer", utterance.intent.value
        return meaning if meaning is not None else (None, None)

    def near_misses(self) -> dict[str, Any] | None:
        """Journal the near misses the wake detector judged; how the latest wake was heard, if one was."""
        woke = None
        for result in self.w.wake.take_results() if self.w.wake is not None else []:
            if result.outcome == "near_miss":
                self.echo(f"[{self.w.clock.wall():%H:%M:%S}] near miss: {result.phrase} ({result.transcript})")
                self.machine.near_miss(self.w.clock.now(), result.how())
            elif result.outcome == "wake":
                woke = result.how()
        return woke

    def expectation(self) -> Expectation:
        mode = self.machine.mode
        if mode in (Mode.WAITING, Mode.PAUSED):
            return Expectation(self.wake_phrases, True, mode.value)
        safety = self.phrasebook.phrases_for((Intent.STOP, Intent.SYMPTOM), self.aliases)
        if mode is Mode.ASKING:
            words = [p for ps in self.lines.requests.values() for p in ps] + list(self.lines.answers["no"])
        else:
            words = [p for ps in self.lines.answers.values() for p in ps] + list(self.lines.requests["cancel"])
            words += list(self.lines.requests["start"][:1])
        words += [p for p in self.wake_phrases if p != self.machine.wake_phrase]
        return Expectation(tuple(sorted(set(words) | set(safety))), True, mode.value)

    def facts(self) -> Facts:
        try:
            return self.w.facts()
        except CoachError as exc:  # a broken plan only costs the plan's answers
            self.echo(f"voice-coach: {exc.message}")
            return Facts()

    # ----- actions -----------------------------------------------------------------------------------------
    def flush(self) -> None:
        while self.machine.outbox:
            outbox, self.machine.outbox = self.machine.outbox, []
            for action in outbox:
                if isinstance(action, Say):
                    self.say(action)
                elif isinstance(action, LogEntry):
                    self.log(action)
                else:
                    self.start(action)

    def start(self, run: Run) -> None:
        self.log(LogEntry("listen_starts", {"checkin": run.checkin, "program": run.program, "reason": run.reason,
                                            "switch": run.switch}))
        if self.w.recognizer is not None:
            self.w.recognizer.state = "session"
        try:
            outcome = self.w.run(run)
        except DeviceError:
            raise
        except CoachError as exc:  # the session could not start (a broken program): say so, keep listening
            self.echo(f"voice-coach: {exc.message}")
            outcome = "not_started"
        self.machine.finished(outcome)
        self._next_reminder_check = 0.0
        if self.w.switch is not None:  # presses made during the session were the session's
            self.w.switch.take()
            self.press.reset()

    def say(self, action: Say) -> None:
        key = action.key
        text = (self.lines.line(key, **action.slots) if key in self.lines.lines else self.prompts.render(action))
        try:
            self.w.speaker.say(text, key)
        except Exception as exc:  # noqa: BLE001 - a failing speech engine must not end the listener
            self.echo(f"voice-coach: speech output failed ({exc}); the line was: {text}")

    def log(self, entry: LogEntry) -> None:
        self.w.journal.append(self.session_id, entry.kind, self.w.clock.wall(), entry.data, source=entry.source,
                              transcript=entry.transcript, confidence=entry.confidence)

    def input_lost(self, lost: DeviceError) -> None:
        """The microphone went away: say so once, try again every few seconds, keep listening when it is back."""
        reopen = getattr(getattr(self.w.listener, "source", None), "reopen", None)
        if reopen is None:
            raise lost
        self._lost, self._reopen = True, reopen
        self.echo(f"voice-coach: {lost.message}; trying again every {RETRY_SECONDS:g} s")
        self.log(LogEntry("input_lost", {"error": lost.message}))
        self.say(Say("input_lost"))

    def reopened(self) -> bool:
        """After a loss: wait a little, try the microphone again; True (and said) once it is back."""
        self.w.clock.sleep_until(self.w.clock.now() + RETRY_SECONDS)
        try:
            self._reopen()
        except DeviceError:
            return False
        self._lost = False
        self.echo("voice-coach: the microphone is back; listening again")
        self.log(LogEntry("input_back", {}))
        self.say(Say("input_back"))
        return True


def wake_grammar(wake: str, lines: ListenPrompts) -> tuple[str, ...]:
    """The wake phrase alone and followed by each request: what the waiting state's grammar takes."""
    return tuple(sorted({wake, *(f"{wake} {p}" for ps in lines.requests.values() for p in ps)}))


def starts_with_wake(text: str, wake: str) -> bool:
    said, w = normalize(text), normalize(wake)
    return said == w or said.startswith(w + " ")


def strip_wake(text: str, wake: str) -> str:
    """The words after a leading wake phrase (all of them when there is none)."""
    said = normalize(text)
    return said[len(normalize(wake)):].strip() if starts_with_wake(said, wake) else said


def request_of(text: str, wake: str, lines: ListenPrompts) -> str | None:
    """The request said after the wake phrase ("okay coach check in" → "checkin"); None for the phrase alone."""
    rest = strip_wake(text, wake)
    meaning = lines.meaning(rest) if rest else None
    return meaning[1] if meaning is not None and meaning[0] == "request" else None
