"""Run one session or check-in on adapters already built: shared by `voice-coach session|checkin` and `listen`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from voice_coach.access.profile import Profile, coach_settings
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import PhraseBook
from voice_coach.coach.ports import Clock, Listener, Speaker
from voice_coach.coach.prompts import Prompts
from voice_coach.journal.journal import SqliteJournal
from voice_coach.session.loop import SessionLoop, SessionResult
from voice_coach.session.start import Start, finish, prepare_start


def say_nothing_left(start: Start, speaker: Speaker, prompts: Prompts) -> None:
    """No program asked for and nothing more is planned today: say so."""
    for line in start.nothing_left:
        speaker.say(prompts.render(line), line.key)


def run_prepared(start: Start, *, listener: Listener, speaker: Speaker, journal: SqliteJournal, clock: Clock,
                 prompts: Prompts, phrasebook: PhraseBook, aliases: dict[str, str], profile: Profile,
                 echo: Callable[[str], None]) -> SessionResult:
    """The coach built from `start`, run to its end by the session loop; a lighter program a "yes" accepted is
    written after it."""
    coach = Coach(start.program, coach_settings(profile, start.settings), start.opening)
    loop = SessionLoop(coach, listener=listener, speaker=speaker, journal=journal, clock=clock, prompts=prompts,
                       phrasebook=phrasebook, aliases=aliases)
    result = loop.run()
    for name, path in finish(list(journal.entries())):
        echo(f"program {name}: the lighter program you accepted is saved in {path}")
    echo(f"session {result.session_id[:8]}: {result.outcome.replace('_', ' ')} "
         f"({len(result.entries)} journal entries in {journal.path})")
    return result


def run_session(program: str | None, *, checkin: bool, listener: Listener, speaker: Speaker,
                journal: SqliteJournal, clock: Clock, prompts: Prompts, phrasebook: PhraseBook,
                aliases: dict[str, str], profile: Profile, echo: Callable[[str], None],
                today: date | None = None) -> SessionResult | None:
    """Today's planned session (`program` None), a named program, or a check-in; None when nothing was left."""
    start = prepare_start(program, list(journal.entries()), checkin=checkin, today=today)
    if start.nothing_left:
        say_nothing_left(start, speaker, prompts)
        return None
    return run_prepared(start, listener=listener, speaker=speaker, journal=journal, clock=clock, prompts=prompts,
                        phrasebook=phrasebook, aliases=aliases, profile=profile, echo=echo)
