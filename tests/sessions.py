"""Run whole sessions on fakes: the helper the golden, safety and property tests share."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fakes import FakeClock, MemoryJournal, RecordingSpeaker, Reply, ScriptedListener
from voice_coach.coach import Coach
from voice_coach.intents import load_phrasebook
from voice_coach.programs import load_program
from voice_coach.prompts import load_prompts
from voice_coach.session_loop import SessionLoop, SessionResult
from voice_coach.settings import CoachSettings


@dataclass
class Run:
    """Everything a scripted session produced."""

    result: SessionResult
    coach: Coach
    speaker: RecordingSpeaker
    listener: ScriptedListener
    journal: MemoryJournal
    clock: FakeClock
    transcript: list[str] = field(default_factory=list)

    def golden(self) -> str:
        lines = list(self.transcript)
        lines.append("--- journal")
        for r in self.journal.rows:
            said = f" <{r['source']}: {r['transcript']!r} @{r['confidence']}>" if r["transcript"] is not None else ""
            lines.append(f"{r['at'].strftime('%H:%M:%S')} {r['kind']} {r['data']}{said}")
        lines.append(f"--- outcome {self.result.outcome} after {self.clock.now():g} s")
        return "\n".join(lines) + "\n"


def run_session(program: str | None, replies: list[Reply | str], **settings: object) -> Run:
    transcript: list[str] = []
    speaker = RecordingSpeaker(transcript)
    listener = ScriptedListener(replies, transcript=transcript)
    journal, clock = MemoryJournal(), FakeClock()
    coach = Coach(load_program(program) if program else None, CoachSettings(**settings))  # type: ignore[arg-type]
    loop = SessionLoop(coach, listener=listener, speaker=speaker, journal=journal, clock=clock,
                       prompts=load_prompts(), phrasebook=load_phrasebook())
    result = loop.run()
    return Run(result, coach, speaker, listener, journal, clock, transcript)
