"""The FHIR R4 export: a Bundle (type collection) of Observations for ratings, symptoms, check-in answers
and caregiver notes. LOINC and SNOMED CT codes only where verified; the documented local system otherwise."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from voice_coach.journal.journal import Entry
from voice_coach.report import labels as words

LOCAL_SYSTEM = "urn:uuid:6f1d3c2e-7c55-4a3e-9b8e-2f4f0c9d5a10"
"""voice-coach's own code system (docs/REPORTS.md lists its codes); a URN, so it points nowhere outside."""
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey", "display": "Survey"}]}
_NAMESPACE = uuid.UUID("0b9f4c1e-52f4-4c47-8d5e-6a0a3f2b7e91")
"""Resource ids are uuid5(namespace, session/seq): the same journal gives the same bundle."""

SYMPTOM_CODE = {"system": LOINC, "code": "75325-1", "display": "Symptom"}
SYMPTOM_SNOMED = {
    "cramp": ("55300003", "Cramp"),
    "dizziness": ("404640003", "Dizziness"),
    "pain": ("22253000", "Pain"),
    "extreme_fatigue": ("84229001", "Fatigue"),
    "breathless": ("267036007", "Dyspnea"),
}
"""Symptom kinds with a SNOMED CT finding (fasciculation has only the local code here)."""
ANSWER_LOINC = {"yes": ("LA33-6", "Yes"), "no": ("LA32-8", "No")}
LOCAL_CODES: dict[str, str] = {
    "cr10-effort": "Perceived exertion after an exercise, Borg CR10 (0-10)",
    "fatigue-0-10": "Fatigue before exercise or at a check-in (0-10)",
    "new-cramps": "New cramps since last time?",
    "new-twitching": "New muscle twitching (fasciculations) since last time?",
    "new-cramps-or-twitching": "New cramps or twitching since last time?",
    "daily-activities": "Did yesterday's exercise keep you from your daily activities?",
    "caregiver-note": "Note typed by a caregiver",
    **{f"symptom-{k}": f"Symptom reported: {v}" for k, v in words.SYMPTOMS.items()},
}
"""Every code of LOCAL_SYSTEM; no LOINC code for Borg CR10 effort or these questions was found, so none
is invented."""
QUESTION_CODES = {"fatigue": "fatigue-0-10", "new_cramps": "new-cramps", "new_twitching": "new-twitching",
                  "new_cramps_or_twitching": "new-cramps-or-twitching", "daily_activities": "daily-activities"}


def _local(code: str) -> dict[str, str]:
    return {"system": LOCAL_SYSTEM, "code": code, "display": LOCAL_CODES[code]}


def _score(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "score", "system": UCUM, "code": "{score}"}


def observation(e: Entry, program: str | None) -> dict[str, Any] | None:
    """The Observation for one journal entry, or None for entries that are not observations."""
    d = e.data
    obs: dict[str, Any] = {"resourceType": "Observation", "id": resource_id(e), "status": "final",
                           "category": [CATEGORY]}
    notes: list[str] = []
    if e.kind == "rating":
        obs["code"] = {"coding": [_local("cr10-effort")], "text": "Effort (Borg CR10)"}
        obs["valueQuantity"] = _score(int(d["value"]))
        if d.get("exercise"):
            notes.append(f"Exercise: {d['exercise']}")
    elif e.kind == "symptom":
        kind = str(d["kind"])
        coding = [_local(f"symptom-{kind}")] if f"symptom-{kind}" in LOCAL_CODES else []
        if kind in SYMPTOM_SNOMED:
            code, display = SYMPTOM_SNOMED[kind]
            coding.insert(0, {"system": SNOMED, "code": code, "display": display})
        obs["code"] = {"coding": [SYMPTOM_CODE], "text": "Symptom"}
        obs["valueCodeableConcept"] = {"coding": coding, "text": words.label(words.SYMPTOMS, kind)}
    elif e.kind == "checkin_answer" and d.get("question") in QUESTION_CODES:
        obs["code"] = {"coding": [_local(QUESTION_CODES[d["question"]])],
                       "text": words.label(words.QUESTIONS, d["question"])}
        value = d.get("value", d.get("answer"))
        if isinstance(value, int) and not isinstance(value, bool):
            obs["valueQuantity"] = _score(value)
        elif value in ANSWER_LOINC:
            code, display = ANSWER_LOINC[value]
            obs["valueCodeableConcept"] = {"coding": [{"system": LOINC, "code": code, "display": display}],
                                           "text": display}
        else:
            obs["valueString"] = str(value)
    elif e.kind == "note" and e.source == "caregiver":
        obs["code"] = {"coding": [_local("caregiver-note")], "text": "Caregiver note"}
        obs["valueString"] = str(d.get("text", ""))
    else:
        return None
    obs["effectiveDateTime"] = _instant(e.at)
    if d.get("logged_at"):
        obs["issued"] = _instant(datetime.fromisoformat(d["logged_at"]))
    obs["performer"] = [{"display": _performer(e)}]
    obs["method"] = {"text": _method(e)}
    if e.transcript:
        notes.append(f"Heard: “{e.transcript}”" + (f" (confidence {e.confidence:.2f})"
                                                    if e.confidence is not None else ""))
    if program:
        notes.append(f"Session: {program} ({e.session_id})")
    if notes:
        obs["note"] = [{"text": n} for n in notes]
    return obs


def _performer(e: Entry) -> str:
    return "Caregiver" if e.source == "caregiver" else "The person exercising (self-reported)"


def _method(e: Entry) -> str:
    return {"voice": "Spoken reply to voice-coach", "keyboard": "Typed reply to voice-coach",
            "caregiver": "Typed by a caregiver (voice-coach log or note)"}.get(e.source, "Recorded by voice-coach")


def _instant(at: datetime) -> str:
    """FHIR dateTime: seconds precision and an offset (the journal's times always have one)."""
    return at.isoformat(timespec="seconds")


def resource_id(e: Entry) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{e.session_id}/{e.seq}"))


def build_bundle(rows: Iterable[tuple[Entry, str | None]], *, generated_at: datetime | None = None) -> dict[str, Any]:
    """A Bundle of type collection; entries carry urn:uuid fullUrls matching the Observation ids."""
    entries = []
    for e, program in rows:
        obs = observation(e, program)
        if obs is not None:
            entries.append({"fullUrl": f"urn:uuid:{obs['id']}", "resource": obs})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if generated_at is not None:
        bundle["timestamp"] = _instant(generated_at)
    if entries:  # FHIR JSON allows no empty arrays
        bundle["entry"] = entries
    return bundle
