"""The session loop: the only place where the coach meets a listener, a speaker, a journal and a clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import Heard, PhraseBook
from voice_coach.coach.messages import Action, LogEntry, Say
from voice_coach.coach.ports import Clock, EndOfInput, Expectation, Journal, Listener, Speaker
from voice_coach.coach.prompt_contract import is_caution
from voice_coach.coach.prompts import Prompts
from voice_coach.errors import DeviceError, JournalError
from voice_coach.speech.barge_in import live_microphone, say_watching
from voice_coach.stop_signals import signals_deferred

JOURNAL_FAILED = "journal_failed"
"""Prompt key said when the journal cannot be written; JOURNAL_FAILED_TEXT is said while prompts/ lacks it."""
JOURNAL_FAILED_TEXT = ("I cannot write to your exercise journal, so I am stopping the session here. "
                       "Please ask your caregiver to check it.")


RETRY_SECONDS = 3.0
"""How often a vanished microphone is tried again."""


@dataclass
class SessionResult:
    """How a session went, for the CLI's last line and exit code."""

    session_id: str
    outcome: str
    entries: list[int] = field(default_factory=list)
    """Ids of the journal entries written (acknowledged)."""


class SessionLoop:
    """Runs one coach to its end."""

    def __init__(self, coach: Coach, *, listener: Listener, speaker: Speaker, journal: Journal, clock: Clock,
                 prompts: Prompts, phrasebook: PhraseBook, aliases: dict[str, str] | None = None) -> None:
        self.coach, self.listener, self.speaker = coach, listener, speaker
        self.journal, self.clock, self.prompts, self.phrasebook = journal, clock, prompts, phrasebook
        self.aliases = aliases or {}
        self.session_id = journal.new_session_id()
        self.written: list[int] = []
        self.failure: JournalError | None = None
        """The first journal write that failed; nothing is written after it and the session ends."""
        self.barged: Heard | None = None
        """A reply heard while the coach spoke ("stop" cuts the line), handled once the lines are said."""
        self.queue: list[Action] = []
        """What the coach asked for and the loop has not said or written yet."""
        self.started_logged = False
        self.ended_logged = False
        """This session's session_started / session_ended entries are written."""

    def expectation(self) -> Expectation:
        phrases = self.phrasebook.phrases_for(self.coach.accepted_intents(), self.aliases, self.coach.state.value)
        return Expectation(tuple(phrases), self.coach.awaiting_reply, self.coach.state.value)

    def run(self) -> SessionResult:
        """Run the session to its end. A journal that cannot be written ends it: the lines of the step in
        progress are still said (a caution is never dropped for a full disk), then the coach says the journal
        failed, and the JournalError goes up to the caller (the CLI prints it as one line)."""
        try:
            self.journal.close_dangling(self.clock.wall())
        except JournalError as exc:
            self.failure = exc
        try:
            if self.failure is None:
                self.coach.start(self.clock.now())
                self.flush()
            while not self.coach.ended and self.failure is None:
                try:
                    heard = self.listener.listen(self.coach.wake_at(), self.clock, self.expectation())
                except DeviceError as lost:
                    heard = None
                    self.recover_input(lost)
                if heard is not None:
                    self.hear(heard)
                self.coach.tick(self.clock.now())
                self.flush()
                while self.barged is not None and not self.coach.ended:  # heard while the coach spoke
                    heard, self.barged = self.barged, None
                    self.hear(heard)
                    self.flush()
        except EndOfInput:
            self.stop_because("input_closed", "input_ended")
        except KeyboardInterrupt as why:  # Ctrl-C, or SIGTERM/SIGHUP (stop_signals.Interrupted)
            self.stop_because("interrupted", "interrupted", signal=str(why) or "SIGINT")
        if self.failure is not None:
            self.say_journal_failed()
            raise self.failure
        return SessionResult(self.session_id, self.coach.outcome or "abandoned", self.written)

    def recover_input(self, lost: DeviceError) -> None:
        """The microphone failed mid-session: the coach pauses and says so; the device is tried again every
        few seconds until it works (then the session goes on where it was) or the pause times out. An input
        that cannot be reopened (no `reopen`) ends the command with the device's one-line error."""
        reopen = getattr(getattr(self.listener, "source", None), "reopen", None)
        if reopen is None:
            raise lost
        self.coach.input_lost(self.clock.now(), lost.message)
        self.flush()
        while not self.coach.ended and self.failure is None:
            self.clock.sleep_until(min(self.clock.now() + RETRY_SECONDS, self.coach.wake_at() or float("inf")))
            self.coach.tick(self.clock.now())
            self.flush()
            if self.coach.ended:
                return
            try:
                reopen()
            except DeviceError:
                continue
            self.coach.input_back(self.clock.now())
            self.flush()
            return

    def hear(self, heard: Heard) -> None:
        utterance = self.phrasebook.parse(heard, self.aliases, self.coach.state.value)
        self.log(LogEntry("heard", {"state": self.coach.state.value,
                                    "intent": utterance.intent.value if utterance else None},
                          heard.text, heard.confidence, heard.source))
        self.coach.hear(utterance, self.clock.now(), heard.text, heard.confidence, heard.source)

    def stop_because(self, reason: str, outcome: str, **details: str) -> None:
        """The input is gone (stdin closed, the replies ran out) or the program was told to end (Ctrl-C, SIGTERM,
        SIGHUP): log why, and end the session with `outcome` (the person did not say stop).

        An interruption can land anywhere in a step: the entries of the step it cut are written first (its lines
        are not said), and a session whose end entry was lost on the way (the coach had ended) still gets one."""
        for action in self.queue:
            if isinstance(action, LogEntry):
                self.log(action)
        self.queue = []
        if self.ended_logged:
            return
        if not self.coach.ended:
            self.log(LogEntry(reason, {"state": self.coach.state.value, **details}))
            self.coach.end_early(self.clock.now(), outcome)
            self.flush()
        if self.started_logged and not self.ended_logged:
            self.log(LogEntry("session_ended", {"outcome": self.coach.outcome or outcome, "reason": reason,
                                                "flags": sorted(set(self.coach.flags)),
                                                "exercises_done": self.coach.exercises_done}))

    def flush(self) -> None:
        """Speak and log what the coach asked for, in order. With a live microphone, "stop" said while the
        coach speaks cuts the line (barge-in) and the rest of the lines; entries are still all written."""
        self.queue.extend(self.coach.outbox)
        self.coach.outbox = []
        spoke = False
        while self.queue:  # taken one by one: what an interruption leaves is still in the queue
            action = self.queue.pop(0)
            if isinstance(action, Say):
                if self.barged is None or is_caution(action.key):  # a caution is never cut short by a reply
                    self.say(action)
                spoke = True
            else:
                self.log(action)
        if spoke:  # a spoken question is only asked once it has been heard to the end
            self.coach.finished_speaking(self.clock.now())

    def say(self, action: Say) -> None:
        text = self.prompts.render(action)
        microphone = live_microphone(self.speaker, self.listener) if self.barged is None else None
        if microphone is None:
            self.speaker.say(text, action.key)
            return
        own = self.phrasebook.safety_named(text)  # the coach's own "stop" or "cramp", heard back, is not the person's
        self.barged = say_watching(self.speaker, microphone, text, action.key, expect=self.expectation(),
                                   clock=self.clock, is_urgent=lambda h: self.phrasebook.urgent(h, self.aliases, own),
                                   spot="stop" not in own)

    def log(self, entry: LogEntry) -> None:
        """Append one entry (committed when this returns). After a failed write nothing more is attempted:
        the loop ends the session once the current step's lines are said."""
        if self.failure is not None:
            return
        try:
            with signals_deferred():  # written and counted, or not written: never cut between the two
                self.written.append(self.journal.append(
                    self.session_id, entry.kind, self.clock.wall(), entry.data, source=entry.source,
                    transcript=entry.transcript, confidence=entry.confidence))
                self.started_logged |= entry.kind == "session_started"
                self.ended_logged |= entry.kind == "session_ended"
        except JournalError as exc:
            self.failure = exc

    def say_journal_failed(self) -> None:
        """Tell the person (who may not see a screen) that nothing more is being recorded."""
        key = JOURNAL_FAILED
        text = self.prompts.render(Say(key)) if key in self.prompts.lines else JOURNAL_FAILED_TEXT
        try:
            self.speaker.say(text, key)
        except Exception:  # a failing speaker must not hide the journal error itself
            pass
