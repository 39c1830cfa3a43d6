"""Every prompt key the coach may say, with the placeholders each may use: prompts/*.yaml must match it."""

from __future__ import annotations

from voice_coach.coach.intents import SYMPTOM_KINDS

OUTCOMES = ("completed", "finished_early", "stopped_by_user", "stopped_for_safety", "abandoned", "interrupted",
            "input_ended")

PROMPT_SLOTS: dict[str, frozenset[str]] = {
    key: frozenset(slots.split()) for key, slots in {
        # opening
        "welcome_session": "title count",
        "welcome_checkin": "",
        "disclaimer": "",
        "disclaimer_full": "",
        "caution_general": "",
        "how_to_talk": "",
        "recall_symptom": "symptom",
        "recall_safety": "",
        "recall_cut_off": "done total",
        "recall_fatigue": "value",
        "recall_ask": "",
        "recall_rest": "",
        # check-in
        "ask_feeling": "",
        "new_cramps_or_twitching": "",
        "new_cramps": "",
        "new_twitching": "",
        "ask_which_symptom": "",
        "ask_daily": "",
        # the weekly plan ("what's today?", `voice-coach plan`)
        "plan_today": "planned",
        "plan_rest_day": "",
        "plan_done_today": "done",
        "plan_next": "title",
        "plan_all_done": "",
        "plan_week": "title done planned",
        "plan_week_unplanned": "title done",
        "plan_week_empty": "",
        "plan_unavailable": "",
        # a lighter program proposed (gentle progression)
        "proposal_why_effort_trend": "title",
        "proposal_why_symptoms": "symptom",
        "proposal_why_daily_activities": "",
        "proposal_intro": "title",
        "proposal_reps": "name to was",
        "proposal_weight": "name to was",
        "proposal_minutes": "name to was",
        "proposal_ask": "",
        "proposal_accepted": "title",
        "proposal_declined": "",
        # exercises
        "intro_resistance": "number total name description reps weight",
        "intro_stretch_active": "number total name description seconds reps per_side",
        "intro_stretch_passive": "number total name description seconds reps per_side",
        "intro_bout": "number total name description minutes",
        "intro_short": "name",
        "ask_ready": "",
        "unsure_begin": "",
        "unsure_resume": "",
        "unsure_again": "",
        "set_begin": "reps",
        "rep_up": "count cue",
        "rep_down": "cue",
        "set_end": "reps",
        "hold_start": "side count seconds",
        "hold_half": "",
        "hold_release": "",
        "set_end_stretch": "",
        "bout_begin": "minutes",
        "bout_progress": "minutes_left",
        "bout_end": "",
        "stopped_in_hold": "side_name held seconds",
        "stopped_holds": "done total",
        "stopped_reps": "done total",
        "stopped_bout": "minutes",
        "skipping": "name",
        "ask_rating": "",
        "confirm_number": "value",
        "offer_rest": "value",
        "rest_begin": "seconds",
        "rest_left": "seconds",
        "rest_declined": "name",
        "rest_declined_last": "",
        "ask_next": "name",
        "ask_next_last": "",
        # anywhere
        "help": "options state",
        "not_understood": "",
        "short_number": "",
        "short_yes_no": "",
        "short_which": "",
        "short_ready": "",
        "short_next": "",
        "short_resume": "",
        "still_there": "",
        "paused": "",
        "paused_silence": "",
        "paused_unsure_stop": "",
        "paused_after_denied": "",
        "paused_device": "",
        "device_back": "",
        "resumed": "",
        "resume_exercise": "name",
        "hold_left": "side seconds",
        "holds_left": "done total",
        "reps_left": "done left",
        "bout_left": "minutes",
        "confirm_symptom": "symptom",
        "safety_stop": "",
        "check_in_practitioner": "",
        # endings
        "summary": "done total",
        "summary_ratings": "highest last",
        "summary_checkin": "",
        **{f"caution_{kind}": "" for kind in SYMPTOM_KINDS},
        "caution_daily_activities": "",
        "caution_cramps_or_twitching": "",
        **{f"goodbye_{outcome}": "" for outcome in OUTCOMES},
    }.items()
}
"""key → the placeholders its variants may use."""

LIST_SECTIONS = {"options": "option_words", "symptom": "symptom_words", "side": "side_words",
                 "side_name": "side_names", "per_side": "per_side_words"}
"""Slots whose values are looked up in a section of the prompt file before they are spoken."""


def is_caution(key: str) -> bool:
    """Safety lines: always said in full, even after "stop" cut the line before them."""
    return key.startswith("caution_") or key in ("disclaimer", "disclaimer_full", "safety_stop",
                                                  "check_in_practitioner")
