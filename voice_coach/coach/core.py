"""The coach's core: its machine, its three inputs (start, hear, tick), timers and guards; no I/O."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from voice_coach.coach.cues import Cue
from voice_coach.coach.intents import Certainty, Intent, Utterance
from voice_coach.coach.messages import Action, LogEntry, Say
from voice_coach.coach.programs import Exercise, Program
from voice_coach.coach.settings import CoachSettings
from voice_coach.coach.table import TRANSITIONS, WAITING, State

logging.getLogger("transitions.core").setLevel(logging.ERROR)  # it warns about each name model_override skips

CHECKIN_QUESTIONS = (("new_cramps", "cramp"), ("new_twitching", "fasciculation"))
SESSION_QUESTIONS = (("new_cramps_or_twitching", None),)
SHORT_QUESTIONS = {State.ASKING_FEELING: "short_number", State.ASKING_RATING: "short_number",
                   State.CONFIRMING: "short_yes_no", State.PROPOSING: "short_yes_no",
                   State.ASKING_SYMPTOMS: "short_yes_no", State.ASKING_DAILY: "short_yes_no",
                   State.OFFERING_REST: "short_yes_no", State.ASKING_WHICH_SYMPTOM: "short_which",
                   State.INTRODUCING: "short_ready", State.RECALLING: "short_yes_no", State.WAITING_NEXT: "short_next",
                   State.PAUSED: "short_resume"}
"""The short reprompt after a reply that was not understood, by state."""
ANYWHERE: tuple[Intent, ...] = (Intent.MORE, Intent.PAUSE, Intent.SYMPTOM, Intent.FINISH, Intent.STOP)
"""Intents said last when the options are listed: the state's own answers come first."""
INTERNAL_TRIGGERS = {"begin", "timeout", "give_up", "cue", "set_done", "rest_over", "feeling_ok",
                     "rating_ok", "question_done", "advance", "device_lost", "device_back", "cut_off"}


@dataclass(frozen=True)
class Offer:
    """A lighter program proposed from the journal; it takes effect only on a "yes"."""

    proposal: str
    """The proposal's id, named by the accept or decline entry."""
    program: Program
    """The lighter program, used for the rest of the session once accepted."""
    lines: tuple[Say, ...]
    """Why, and what gets lighter (the coach then asks yes or no)."""
    record: dict[str, Any]
    """Data of the proposal_made entry: program, rule, reason, triggering entry ids, changes."""
    first_time: bool = True
    """False when it was offered before without an answer (logged as proposal_offered then)."""


@dataclass(frozen=True)
class Opening:
    """What the coach knows about the day before it starts, worked out from the journal and the plan."""

    today: tuple[Say, ...] = ()
    """The answer to "what's today?" (empty: the coach does not offer that question)."""
    announce: tuple[Say, ...] = ()
    """Said right after the welcome line (today's plan, when the session was chosen from it)."""
    offer: Offer | None = None
    """A lighter program to propose before the first question."""
    notes: dict[str, Any] = field(default_factory=dict)
    """Logged with session_started (the plan day, why the next-day question is asked)."""
    recall: tuple[Say, ...] = ()
    """What matters from last time (a safety stop, high fatigue, a session cut off), said after the welcome."""
    ask_checked: bool = False
    """After a safety stop last time: ask whether the person has checked with their practitioner first."""



@dataclass
class Pending:
    """A reply waiting for "yes, that's right"."""

    what: str
    """feeling, rating or symptom."""
    utterance: Utterance
    """The reply being confirmed."""
    back_to: State
    """Where to go back to if the answer is no (a denied symptom pauses there)."""


class CoachCore:
    """State, inputs and guards of the coach; the actions are in `coach.Coach`."""

    state: State

    def __init__(self, program: Program | None, settings: CoachSettings | None = None,
                 opening: Opening | None = None) -> None:
        self.program = program
        """None means a check-in without exercise."""
        self.settings = settings or CoachSettings()
        self.opening = opening or Opening()
        self.outbox: list[Action] = []
        self.outcome: str | None = None
        self.flags: list[str] = []
        self.ratings: list[int] = []
        self.exercises_done = 0
        self.now = 0.0
        self.index = 0
        self.question = 0
        self.silences = 0
        self.asked_at = 0.0
        self.started_at = 0.0
        self.exercise_offset = 0.0
        """Seconds into the exercise when it was paused (or left for a read-back): where it goes on."""
        self.rest_ends_at = 0.0
        self.paused_at = 0.0
        self.paused_from: State | None = None
        self.pending: Pending | None = None
        self.feeling: int | None = None
        self.cues: list[Cue] = []
        self.cue_index = 0
        self.reps_done = 0
        self._source: State | None = None
        self.device_paused = False
        """True while a pause was caused by the microphone, not by the person."""
        self.unsure_last: tuple[object, ...] | None = None
        """The reply just asked for again because it was heard unsure (`unsure_ask_again`), by state and meaning."""
        self._unsure_before: tuple[object, ...] | None = None
        self.machine = Machine(model=self, states=State, initial=State.IDLE, transitions=TRANSITIONS,
                               auto_transitions=False, model_override=True, send_event=False,
                               prepare_event="_remember_source")

    # ----- the three inputs ---------------------------------------------------------------------------
    def start(self, now: float) -> None:
        """Begin the session: welcome, cautions, first question."""
        self.now = now
        self._fire("begin")

    def hear(self, utterance: Utterance | None, now: float, transcript: str = "", confidence: float = 0.0,
             source: str = "voice") -> bool:
        """Act on a reply; None (or an intent not valid now) gets "sorry" and the options. True if acted."""
        self.now = now
        if self.state in (State.IDLE, State.ENDED):
            return False
        self._unsure_before, self.unsure_last = self.unsure_last, None
        if utterance is not None and utterance.intent.value in self.accepted_triggers():
            if self._fire(utterance.intent.value, utterance):
                return True
        heard = utterance.heard if utterance else None
        self._log("unrecognised", {"state": self.state.value}, transcript=heard.text if heard else transcript,
                  confidence=heard.confidence if heard else confidence, source=heard.source if heard else source)
        self._say("not_understood")
        self._say_short_question()
        return False

    def tick(self, now: float) -> None:
        """Let time pass: cue reps, end rests, reprompt after silence, give up on long pauses."""
        self.now = now
        while (due := self.wake_at()) is not None and now >= due and self.state is not State.ENDED:
            before = (self.state, self.cue_index, self.silences)
            if self.state is State.EXERCISING:
                self._fire("cue" if self.cue_index < len(self.cues) - 1 else "set_done")
            elif self.state is State.RESTING:
                self._fire("rest_over")
            elif self.state is State.PAUSED:
                self._fire("give_up")
            else:
                self._fire("timeout")
            if (self.state, self.cue_index, self.silences) == before:
                break

    def input_lost(self, now: float, why: str) -> None:
        """The microphone stopped: pause (from any live state) and say so; the loop retries the device."""
        self.now = now
        if self.state not in (State.IDLE, State.ENDED):
            self._fire("device_lost", why)

    def input_back(self, now: float) -> None:
        """The microphone works again: a pause it caused ends, and the session goes on where it was."""
        self.now = now
        if self.state is State.PAUSED:
            self._fire("device_back")

    def end_early(self, now: float, outcome: str) -> None:
        """The session cannot go on: its input ended ("input_ended") or the program was told to end
        ("interrupted"). It ends at once with that outcome (never "stopped_by_user": the person said nothing)."""
        self.now = now
        if self.state not in (State.IDLE, State.ENDED):
            self._fire("cut_off", outcome)

    def paused_for_device(self, *_: Any) -> bool:
        return self.device_paused

    def finished_speaking(self, now: float) -> None:
        """The speaker has finished the lines just said: the answer window starts now, not when they were
        queued (a long welcome must not use up the time to answer)."""
        if self.state in WAITING:
            self.asked_at = max(self.asked_at, now)

    def wake_at(self) -> float | None:
        """The next time something happens without a reply (None when only a reply can move on)."""
        if self.state is State.EXERCISING:
            return self.started_at + self.cues[self.cue_index].at_seconds
        if self.state is State.RESTING:
            return self.rest_ends_at
        if self.state is State.PAUSED:
            return self.paused_at + self.settings.give_up_seconds
        if self.state in WAITING:
            return self.asked_at + self.settings.response_timeout_seconds
        return None

    # ----- what is valid now --------------------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self.state is State.ENDED

    @property
    def awaiting_reply(self) -> bool:
        """True when the coach has asked something and waits for the answer."""
        return self.state in WAITING or self.state is State.PAUSED

    def accepted_triggers(self) -> set[str]:
        hidden = INTERNAL_TRIGGERS if self.opening.today else INTERNAL_TRIGGERS | {"today"}
        return set(self.machine.get_triggers(self.state)) - hidden

    def accepted_intents(self) -> list[Intent]:
        """Intents valid in the current state, in a stable order (the grammar of this state)."""
        names = self.accepted_triggers()
        return [i for i in Intent if i.value in names]

    def _say_short_question(self) -> None:
        """After a miss: the question again, short ("Say a number, zero to ten."); nothing while counting."""
        short = SHORT_QUESTIONS.get(self.state)
        if short is not None:
            self._say(short)
        if self.state in WAITING:
            self._asked()

    def options_in_order(self) -> list[Intent]:
        """What help lists: this state's own answers first, then what works everywhere (help itself left out)."""
        accepted: list[Intent] = [i for i in self.accepted_intents() if i is not Intent.HELP]
        if Intent.NEXT in accepted and Intent.NO not in accepted:  # "yes" there means the same as ready/next
            accepted = [i for i in accepted if i is not Intent.YES]
        return [i for i in accepted if i not in ANYWHERE] + [i for i in ANYWHERE if i in accepted]

    # ----- plumbing ------------------------------------------------------------------------------------
    def _fire(self, trigger: str, *args: Any) -> bool:
        return bool(self.machine.events[trigger].trigger(self, *args))

    def _remember_source(self, *_: Any) -> None:
        self._source = self.state

    def _say(self, key: str, **slots: Any) -> None:
        self.outbox.append(Say(key, slots))

    def _log(self, kind: str, data: dict[str, Any] | None = None, u: Utterance | None = None,
             **extra: Any) -> None:
        if u is not None:
            extra = {"transcript": u.heard.text, "confidence": u.heard.confidence, "source": u.heard.source}
        self.outbox.append(LogEntry(kind, data or {}, **extra))

    def _asked(self) -> None:
        self.asked_at = self.now

    def _caution(self, key: str) -> None:
        self._say(key)
        self._log("caution_spoken", {"key": key})

    @property
    def in_checkin_mode(self) -> bool:
        return self.program is None

    @property
    def exercise(self) -> Exercise:
        assert self.program is not None
        return self.program.exercises[self.index]

    @property
    def questions(self) -> tuple[tuple[str, str | None], ...]:
        return CHECKIN_QUESTIONS if self.in_checkin_mode else SESSION_QUESTIONS

    # ----- guards ------------------------------------------------------------------------------------
    def sure(self, u: Utterance | None = None) -> bool:
        return u is None or u.heard.confidence >= self.settings.confirm_below

    def certain(self, u: Utterance | None = None) -> bool:
        """Sure, and not marked unsure by the recognizer whatever `confirm_below` says (a person may lower it to be
        asked less about ratings): for a go-ahead that would start exercise and a "no" that would drop a red flag."""
        if u is not None and self._unsure_before == self.meaning(u):
            return True  # asked again and heard the same: the two tries agree with each other
        return self.sure(u) and (u is None or u.heard.certainty is Certainty.SURE)

    def meaning(self, u: Utterance) -> tuple[object, ...]:
        """What a reply means here, to compare two tries."""
        return (self.state, u.intent, u.value, u.symptom)

    def sure_symptom(self, u: Utterance | None = None) -> bool:
        """A symptom acted on at once: sure by confidence and not marked unsure by the recognizer (heard without
        agreement, or over the coach's own voice); otherwise it is read back ("Did you say ...?")."""
        return self.sure(u) and (u is None or u.heard.certainty is not Certainty.UNSURE)

    def sure_stop(self, u: Utterance | None = None) -> bool:
        """A "stop" that ends at once: typed, or heard with agreement (`Certainty.SURE`)."""
        return u is None or u.heard.certainty is Certainty.SURE

    def in_checkin(self, *_: Any) -> bool:
        return self.in_checkin_mode

    def can_reprompt(self, *_: Any) -> bool:
        return self.silences < self.settings.reprompts

    def too_tired(self, *_: Any) -> bool:
        return (not self.in_checkin_mode and self.feeling is not None
                and self.feeling >= self.settings.fatigue_stop_threshold)

    def asks_one_kind(self, *_: Any) -> bool:
        return self.questions[self.question][1] is not None

    def more_questions(self, *_: Any) -> bool:
        return self.question < len(self.questions)

    def asks_daily(self, *_: Any) -> bool:
        return self.settings.ask_daily

    def asks_checked(self, *_: Any) -> bool:
        return self.opening.ask_checked

    def has_offer(self, *_: Any) -> bool:
        return self.opening.offer is not None and self.program is not None

    def must_confirm_rating(self, u: Utterance | None = None) -> bool:
        """Spoken and unsure (or the person asked for every rating to be read back); typed is certain."""
        if u is not None and u.heard.source != "voice":
            return False
        return self.settings.always_confirm_rating or not self.sure(u)

    def pending_symptom(self, *_: Any) -> bool:
        return self.pending is not None and self.pending.what == "symptom"

    def pending_feeling(self, *_: Any) -> bool:
        return self.pending is not None and self.pending.what == "feeling"

    def pending_rating(self, *_: Any) -> bool:
        return self.pending is not None and self.pending.what == "rating"

    def pending_number(self, *_: Any) -> bool:
        return self.pending_feeling() or self.pending_rating()

    def too_hard(self, *_: Any) -> bool:
        return bool(self.ratings) and self.ratings[-1] >= self.settings.effort_stop_threshold

    def has_next(self, *_: Any) -> bool:
        return self.program is not None and self.index + 1 < len(self.program.exercises)

    def last_exercise(self, *_: Any) -> bool:
        return self.program is not None and self.index >= len(self.program.exercises) - 1

    def has_current(self, *_: Any) -> bool:
        return self.program is not None and self.index < len(self.program.exercises)

    def __getattr__(self, name: str) -> Any:
        """Guards `paused_from_<state>` for the generated resume rows."""
        if name.startswith("paused_from_"):
            target = State(name.removeprefix("paused_from_"))
            return lambda *_: self.paused_from is target
        raise AttributeError(name)
