"""The coach: what it says and logs on each transition of the table in `coach.table`."""

from __future__ import annotations

from voice_coach.coach.core import CoachCore, Pending
from voice_coach.coach.cues import LEAD_IN_SECONDS, cues_for, resume_from, stopped_early, where_in
from voice_coach.coach.intents import Utterance
from voice_coach.coach.table import State

U = Utterance | None


class Coach(CoachCore):
    """Guides one session (a program) or a check-in (program None). No clock, no disk, no audio."""

    # ----- opening and check-in -----------------------------------------------------------------------
    def welcome(self, u: U = None) -> None:
        notes = self.opening.notes
        if self.program is None:
            self._log("session_started", {"program": "checkin", "kind": "checkin", **notes})
        else:
            self._log("session_started", {"program": self.program.name, "kind": self.program.kind,
                                          "exercises": len(self.program.exercises), **notes})
        if self.program is None:
            self._say("welcome_checkin")
        else:
            self._say("welcome_session", title=self.program.title, count=len(self.program.exercises))
        self.outbox.extend(self.opening.announce)
        if self.settings.first_run:
            self._caution("disclaimer")
        if self.program is not None:
            self._caution("caution_general")
        self._say("how_to_talk")
        self.outbox.extend(self.opening.recall)
        if self.state is State.RECALLING:
            self._say("recall_ask")
            self._asked()
        elif self.state is State.PROPOSING:
            self.propose()
        else:
            self.ask_feeling()

    def propose(self, u: U = None) -> None:
        if self._origin is State.RECALLING:
            self._log("checkin_answer", {"question": "checked_with_practitioner", "answer": "yes"}, u)
        offer = self.opening.offer
        assert offer is not None
        if offer.first_time:
            self._log("proposal_made", offer.record)
        else:
            self._log("proposal_offered", {"proposal": offer.proposal, "program": offer.record["program"]})
        self.offer_lighter()

    def rest_today(self, u: U = None) -> None:
        """ "No" to "have you checked with your practitioner?": no exercise today."""
        self._log("checkin_answer", {"question": "checked_with_practitioner", "answer": "no"}, u)
        self._say("recall_rest")
        self._end("finished_early")

    # ----- today's plan, and a lighter program proposed -------------------------------------------------
    def tell_today(self, u: U = None) -> None:
        self.outbox.extend(self.opening.today)
        self._log("plan_told", {"state": self.state.value}, u)
        self._say_question()

    def offer_lighter(self, u: U = None) -> None:
        assert self.opening.offer is not None
        self.outbox.extend(self.opening.offer.lines)
        self._say("proposal_ask")
        self._asked()

    def accept_offer(self, u: U = None) -> None:
        offer = self.opening.offer
        assert offer is not None
        self._log("proposal_accepted", {"proposal": offer.proposal, "program": offer.record["program"],
                                        "rule": offer.record.get("rule")}, u)
        self.program = offer.program
        self._say("proposal_accepted", title=offer.program.title)

    def decline_offer(self, u: U = None) -> None:
        offer = self.opening.offer
        assert offer is not None
        self._log("proposal_declined", {"proposal": offer.proposal, "program": offer.record["program"],
                                        "rule": offer.record.get("rule")}, u)
        self._say("proposal_declined")

    def ask_feeling(self, u: U = None) -> None:
        if self._origin is State.RECALLING:
            self._log("checkin_answer", {"question": "checked_with_practitioner", "answer": "yes"}, u)
        self.pending = None
        self._say("ask_feeling")
        self._asked()

    def confirm_feeling(self, u: U = None) -> None:
        self._read_back("feeling", u, State.ASKING_FEELING)

    def accept_feeling(self, u: U = None) -> None:
        u = self._take(u)
        assert u is not None and u.value is not None
        self.feeling = u.value
        self._log("checkin_answer", {"question": "fatigue", "value": u.value}, u)
        if self.in_checkin_mode and u.value >= self.settings.fatigue_stop_threshold:
            self.flags.append("extreme_fatigue")
            self._caution("caution_extreme_fatigue")
        self._fire("feeling_ok")

    def stop_too_tired(self, u: U = None) -> None:
        self.flags.append("extreme_fatigue")
        self._caution("caution_extreme_fatigue")
        self._end("stopped_for_safety")

    def ask_symptoms(self, u: U = None) -> None:
        self._say(self.questions[self.question][0])
        self._asked()

    def ask_which(self, u: U = None) -> None:
        self._say("ask_which_symptom")
        self._asked()

    def note_yes_to_kind(self, u: U = None) -> None:
        question, kind = self.questions[self.question]
        assert kind is not None
        self._log("checkin_answer", {"question": question, "answer": "yes"}, u)
        self._record_symptom(kind, u)
        self.question += 1
        self._fire("question_done")

    def note_yes_to_any(self, u: U = None) -> None:
        """A yes to "any new cramps or twitching?" is logged at once: whatever follows, it is not lost."""
        self._log("checkin_answer", {"question": self.questions[self.question][0], "answer": "yes"}, u)
        self.flags.append("new_cramps_or_twitching")

    def stop_for_unnamed_symptom(self, u: U = None) -> None:
        self._log("checkin_answer", {"question": "which_symptom", "answer": "no"}, u)
        self._caution("caution_cramps_or_twitching")
        self._end("stopped_for_safety")

    def note_no_symptom(self, u: U = None) -> None:
        self._log("checkin_answer", {"question": self.questions[self.question][0], "answer": "no"}, u)
        self.question += 1
        self._fire("question_done")

    def ask_daily(self, u: U = None) -> None:
        self._say("ask_daily")
        self._asked()

    def daily_yes(self, u: U = None) -> None:
        self._log("checkin_answer", {"question": "daily_activities", "answer": "yes"}, u)
        self.flags.append("daily_activities")
        self._caution("caution_daily_activities")
        self._end("completed" if self.in_checkin_mode else "stopped_for_safety")

    def daily_no(self, u: U = None) -> None:
        self._log("checkin_answer", {"question": "daily_activities", "answer": "no"}, u)

    # ----- symptoms: from any state ---------------------------------------------------------------------
    def confirm_symptom(self, u: U = None) -> None:
        back = self.state_before_confirming()
        assert u is not None
        if back is State.EXERCISING and self.pending is None:
            self._mark_exercise_position()
        self.pending = Pending("symptom", u, back)
        self._log("read_back", {"what": "symptom", "symptom": u.symptom}, u)
        self._say("confirm_symptom", symptom=u.symptom)
        self._asked()

    def state_before_confirming(self) -> State:
        """Where a denied symptom returns to; the machine has already moved to CONFIRMING."""
        if self.pending is not None:
            return self.pending.back_to
        return self._origin if self._origin is not None else State.ASKING_FEELING

    def safety_stop(self, u: U = None) -> None:
        assert u is not None and u.symptom is not None
        self._say("safety_stop")
        self._record_symptom(u.symptom, u)
        self._end("stopped_for_safety")

    def safety_stop_pending(self, u: U = None) -> None:
        symptom = self._take(None)
        self._log("confirmation", {"what": "symptom", "accepted": True}, u)
        self.safety_stop(symptom)

    def ask_symptom_again(self, u: U = None) -> None:
        """A "no" to "Did you say cramp?" heard below the confirmation threshold: a red flag is not dropped on a
        guess; the question is asked again."""
        assert self.pending is not None
        self._log("unsure", {"intent": "no", "state": self.state.value}, u)
        self._say("confirm_symptom", symptom=self.pending.utterance.symptom)
        self._asked()

    def symptom_denied(self, u: U = None) -> None:
        assert self.pending is not None
        self.paused_from = self.pending.back_to
        self.pending = None
        self._log("confirmation", {"what": "symptom", "accepted": False}, u)
        self._enter_pause("paused_after_denied")

    def note_symptom_and_continue(self, u: U = None) -> None:
        assert u is not None and u.symptom is not None
        self._record_symptom(u.symptom, u)
        if self.state is State.ASKING_SYMPTOMS and self.questions[self.question][1] == u.symptom:
            self._log("checkin_answer", {"question": self.questions[self.question][0], "answer": "yes"}, u)
            self.question += 1
            self._fire("question_done")
        else:
            self._say_question()

    def _record_symptom(self, kind: str, u: U) -> None:
        self._log("symptom", {"kind": kind}, u)
        self.flags.append(kind)
        self._caution(f"caution_{kind}")

    # ----- exercises -----------------------------------------------------------------------------------
    def introduce(self, u: U = None) -> None:
        ex = self.exercise
        number, total = self.index + 1, len(self.program.exercises) if self.program else 0
        if ex.tempo is not None:
            self._say("intro_resistance", number=number, total=total, name=ex.name, description=ex.description,
                      reps=ex.reps, weight=ex.weight)
        elif ex.hold_seconds:
            key = "intro_stretch_passive" if ex.mode == "passive" else "intro_stretch_active"
            self._say(key, number=number, total=total, name=ex.name, description=ex.description,
                      seconds=round(ex.hold_seconds), reps=ex.reps_per_side,
                      per_side="both" if tuple(ex.sides) == ("both",) else "each")
        else:
            self._say("intro_bout", number=number, total=total, name=ex.name, description=ex.description,
                      minutes=round(ex.minutes))
        self._say("ask_ready")
        self._asked()

    def begin_exercise(self, u: U = None) -> None:
        assert self.program is not None
        self.cues = cues_for(self.program, self.exercise)
        self.cue_index = 0
        self.reps_done = 0
        self.started_at = self.now
        self.say_cue()

    def say_cue(self, u: U = None) -> None:
        cue = self.cues[self.cue_index]
        if cue.key is not None:
            self._say(cue.key, **cue.slots)
        if cue.rep_done:
            self.reps_done += 1
        self.cue_index += 1

    def end_set_early(self, u: U = None) -> None:
        """ "next" or "skip" while counting: say what was done, in the exercise's own terms."""
        key, slots = stopped_early(self.exercise, self.cues, self.cue_index, self.now - self.started_at)
        self._say(key, **slots)

    def log_exercise(self, u: U = None) -> None:
        if self.cue_index >= len(self.cues) - 1:
            self._say(self.cues[-1].key or "set_end_stretch", **self.cues[-1].slots)
        ex = self.exercise
        self._log("exercise_done", {"name": ex.name, "index": self.index, "reps_target": ex.reps_target,
                                    "reps_done": self.reps_done})
        self.exercises_done += 1

    def ask_rating(self, u: U = None) -> None:
        self.pending = None
        self._say("ask_rating")
        self._asked()

    def confirm_rating(self, u: U = None) -> None:
        self._read_back("rating", u, State.ASKING_RATING)

    def accept_rating(self, u: U = None) -> None:
        u = self._take(u)
        assert u is not None and u.value is not None
        self.ratings.append(u.value)
        self._log("rating", {"value": u.value, "scale": "CR10", "exercise": self.exercise.name,
                             "index": self.index}, u)
        self._fire("rating_ok")

    def offer_rest(self, u: U = None) -> None:
        self.flags.append("hard_effort")
        self._say("offer_rest", value=self.ratings[-1])
        self._asked()

    def start_rest(self, u: U = None) -> None:
        assert self.program is not None
        if self._source is State.OFFERING_REST:  # the answer to "would you like to rest?", logged before the rest
            self._log("rest_offer", {"answer": "yes"}, u)
        self.rest_ends_at = self.now + self.program.rest_seconds
        self._say("rest_begin", seconds=round(self.program.rest_seconds))

    def ask_next(self, u: U = None) -> None:
        assert self.program is not None
        if self.index + 1 < len(self.program.exercises):
            self._say("ask_next", name=self.program.exercises[self.index + 1].name)
        else:
            self._say("ask_next_last")
        self._asked()

    def advance_next(self, u: U = None) -> None:
        self.index += 1
        self._fire("advance")

    def skip_current(self, u: U = None) -> None:
        self._say("skipping", name=self.exercise.name)
        self._log("exercise_skipped", {"name": self.exercise.name, "index": self.index}, u)
        self.index += 1
        self._fire("advance")

    def skip_next(self, u: U = None) -> None:
        self.index += 1
        if self.has_current():
            self.skip_current(u)
        else:
            self._fire("advance")

    # ----- help, silence, pause ------------------------------------------------------------------------
    def unsure_go_on(self, u: U = None) -> None:
        """A "resume", "yes" or "next" heard below the confirmation threshold: exercise does not start on a guess;
        the coach says it was not sure and asks again."""
        self._log("unsure", {"intent": u.intent.value if u else None, "state": self.state.value}, u)
        self._say("unsure_resume" if self.state is State.PAUSED else "unsure_begin")
        self._asked()

    def say_help(self, u: U = None) -> None:
        """What can be said in this very state, then its question again (nothing to ask while counting)."""
        self._say("help", options=self.options_in_order(), state=self.state.value)
        if self.state is not State.EXERCISING:
            self._say_question()

    def reprompt(self, u: U = None) -> None:
        self.silences += 1
        self._log("reprompt", {"state": self.state.value, "count": self.silences})
        self._say("still_there")
        self._say_question()

    def pause_here(self, u: U = None) -> None:
        self.paused_from = self._origin
        self._enter_pause("paused")

    def unsure_ask_again(self, u: U = None) -> None:
        """A reply that would move the session on, heard without agreement (`table.MOVES_ON`): asked again. The same
        reply heard again right after is taken (`certain`): two tries that agree, so a person is never asked forever."""
        self._log("unsure", {"intent": u.intent.value if u else None, "state": self.state.value,
                             "why": u.heard.why if u else None}, u)
        self._say("unsure_again")
        self._asked()
        self.unsure_last = self.meaning(u) if u is not None else None

    def pause_unsure_stop(self, u: U = None) -> None:
        """A "stop" only the grammar heard: pause and ask, rather than end on a guess ("stop" ends from the pause)."""
        self.paused_from = self._origin
        self._log("unsure", {"intent": "stop", "state": self._origin.value if self._origin else None,
                             "why": u.heard.why if u else None}, u)
        self._enter_pause("paused_unsure_stop")

    def pause_on_silence(self, u: U = None) -> None:
        self.paused_from = self._origin
        self._enter_pause("paused_silence")

    def pause_for_device(self, why: object = None) -> None:
        self.paused_from = self._origin
        self.device_paused = True
        self._log("device_lost", {"why": str(why) if why else None, "state": self._origin.value if self._origin
                                  else None})
        self._enter_pause("paused_device")

    def note_device_lost(self, why: object = None) -> None:
        """Lost while already paused: the pause stays the person's (or the device's) as it was."""
        self._log("device_lost", {"why": str(why) if why else None, "state": "paused"})

    def say_device_back(self, u: U = None) -> None:
        self.device_paused = False
        self._log("device_back", {})
        self._say("device_back")

    def _mark_exercise_position(self) -> None:
        """Remember how far into the exercise the person was when it stopped counting (pause, read-back)."""
        self.exercise_offset = self.now - self.started_at

    def say_where(self, u: U = None) -> None:
        """Where the person is ("repeat", "how many left"): said without changing the timing."""
        if self.state is State.EXERCISING:
            key, slots = where_in(self.exercise, self.cues, self.cue_index, self.now - self.started_at)
            self._say(key, **slots)
        elif self.state is State.RESTING:
            self._say("rest_left", seconds=max(1, round(self.rest_ends_at - self.now)))
        else:
            self._say_question()

    def tell_more(self, u: U = None) -> None:
        """ "Tell me more": the full safety notes, then the question again."""
        self._caution("disclaimer_full")
        self._say_question()

    def decline_rest(self, u: U = None) -> None:
        self._log("rest_offer", {"answer": "no"}, u)
        if self.has_next():
            self._say("rest_declined", name=self.program.exercises[self.index + 1].name)  # type: ignore[union-attr]
        else:
            self._say("rest_declined_last")
        self._asked()

    def _enter_pause(self, key: str) -> None:
        if self.paused_from is State.EXERCISING and self._origin is State.EXERCISING:
            self._mark_exercise_position()
        self.paused_at = self.now
        self.silences = 0
        self._log("paused", {"reason": key, "from": self.paused_from.value if self.paused_from else None})
        self._say(key)

    def resume_here(self, u: U = None) -> None:
        self.device_paused = False
        self._log("resumed", {"to": self.state.value}, u)
        self._say("resumed")
        self.silences = 0
        if self.state is State.EXERCISING:
            offset = self.exercise_offset
            key, slots = where_in(self.exercise, self.cues, self.cue_index, offset)
            self.cue_index, restart = resume_from(self.cues, self.cue_index, offset)
            self.started_at = self.now + LEAD_IN_SECONDS - restart
            self._say("resume_exercise", name=self.exercise.name)
            if key != "hold_left":  # the rest of a hold is said when it starts again, after the lead-in
                self._say(key, **slots)
        elif self.state is State.RESTING:
            self.rest_ends_at = self.now + (self.program.rest_seconds if self.program else 0)
            self._say("rest_begin", seconds=round(self.program.rest_seconds if self.program else 0))
        else:
            self._say_question()

    def _say_question(self) -> None:
        """Ask the question of the current state again (after silence, help or a resume)."""
        s = self.state
        if s is State.CONFIRMING and self.pending is not None:
            self._say_read_back()
        elif s is State.RECALLING:
            self._say("recall_ask")
        elif s is State.PROPOSING:
            self._say("proposal_ask")
        elif s is State.ASKING_FEELING:
            self._say("ask_feeling")
        elif s is State.ASKING_SYMPTOMS:
            self._say(self.questions[self.question][0])
        elif s is State.ASKING_WHICH_SYMPTOM:
            self._say("ask_which_symptom")
        elif s is State.ASKING_DAILY:
            self._say("ask_daily")
        elif s is State.INTRODUCING:
            self._say("intro_short", name=self.exercise.name)
            self._say("ask_ready")
        elif s is State.ASKING_RATING:
            self._say("ask_rating")
        elif s is State.OFFERING_REST:
            self._say("offer_rest", value=self.ratings[-1])
        elif s is State.WAITING_NEXT:
            self.ask_next()
        self._asked()

    # ----- read-back -----------------------------------------------------------------------------------
    def _read_back(self, what: str, u: U, back_to: State) -> None:
        assert u is not None
        self.pending = Pending(what, u, back_to)
        self._log("read_back", {"what": what, "value": u.value}, u)
        self._say_read_back()
        self._asked()

    def _say_read_back(self) -> None:
        assert self.pending is not None
        p = self.pending
        if p.what == "symptom":
            self._say("confirm_symptom", symptom=p.utterance.symptom)
        else:
            self._say("confirm_number", value=p.utterance.value)

    def confirm_corrected(self, u: U = None) -> None:
        assert self.pending is not None and u is not None
        self.pending = Pending(self.pending.what, u, self.pending.back_to)
        self._say_read_back()
        self._asked()

    def _take(self, u: U) -> Utterance | None:
        """The reply a "yes" confirmed (the pending one), else the reply itself."""
        if self.pending is not None:
            confirmed = self.pending.utterance
            self.pending = None
            return confirmed
        return u

    @property
    def _origin(self) -> State | None:
        """The state being left (machine already moved): the source recorded by `_remember_source`."""
        return self._source

    # ----- endings -------------------------------------------------------------------------------------
    def end_by_user(self, u: U = None) -> None:
        self._log("stop_requested", {"state": self._source.value if self._source else None}, u)
        self._end("stopped_by_user")

    def end_finished_early(self, u: U = None) -> None:
        """ "I'm done for today": a polite end, not the emergency stop (no caution for it)."""
        self._log("finish_requested", {"state": self._source.value if self._source else None}, u)
        self._end("finished_early")

    def end_completed(self, u: U = None) -> None:
        self._end("completed")

    def end_abandoned(self, u: U = None) -> None:
        self._end("abandoned")

    def end_cut_off(self, outcome: object = "interrupted") -> None:
        self._end(str(outcome))

    def _end(self, outcome: str) -> None:
        self.outcome = outcome
        if self.program is not None:
            total = len(self.program.exercises)
            self._say("summary", done=self.exercises_done, total=total)
            if self.ratings:
                self._say("summary_ratings", highest=max(self.ratings), last=self.ratings[-1])
        else:
            self._say("summary_checkin")
        safety = [f for f in self.flags if f != "hard_effort"]
        if safety or outcome == "stopped_for_safety":
            self._caution("check_in_practitioner")
        self._say(f"goodbye_{outcome}")
        self._log("session_ended", {"outcome": outcome, "flags": sorted(set(self.flags)),
                                    "exercises_done": self.exercises_done})

