"""`voice-coach listen` (the resident listener) and `voice-coach service install|uninstall|status`; wiring only."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

import click

from voice_coach.errors import AudioError, CoachError
from voice_coach.paths import default_db


def parse_start_at(text: str, now: datetime | None = None) -> datetime:
    """--start-at: HH:MM today (local time), or an ISO date-time (local when it has no zone)."""
    now = now or datetime.now().astimezone()
    try:
        if len(text) <= 5 and ":" in text:
            hours, minutes = text.split(":")
            return datetime.combine(now.date(), time(int(hours), int(minutes)), tzinfo=now.tzinfo)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CoachError(f"--start-at {text}: use HH:MM or a date and time like 2026-01-05T09:00",
                         code="usage") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=now.tzinfo)


@click.command()
@click.option("--input", "input_", default="mic", show_default=True,
              help="mic, text (typed lines: \"okay coach check in\"), none (no microphone: the --switch alone), a "
                   "WAV file (the room, replayed) or a folder of WAVs (played one after another).")
@click.option("--output", default="speaker", show_default=True, envvar="VOICE_COACH_OUTPUT",
              help="speaker (spoken aloud and printed), text (printed only), or a folder to write one WAV per line.")
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
@click.option("--start-at", default=None, help="A replay's clock starts here (HH:MM today, or an ISO date-time).")
@click.option("--backend", default="auto", show_default=True, type=click.Choice(["auto", "pocketsphinx", "vosk"]),
              help="Speech recognizer inside sessions (the wake phrase is always heard by pocketsphinx).")
@click.option("--model", type=click.Path(path_type=Path), help="A vosk model directory.")
@click.option("--switch", "switch", default=None,
              help="A switch that wakes it too (hold it down): keys (this terminal's space/enter), an input device "
                   "(/dev/input/by-id/…-event-kbd), or none. Default: the profile's listen-switch.")
@click.option("--time-scale", default=1.0, type=click.FloatRange(1.0, 100.0), hidden=True)
def listen(input_: str, output: str, db: Path | None, start_at: str | None, backend: str,
           model: Path | None, switch: str | None, time_scale: float) -> None:
    """Listen all day for the wake phrase ("okay coach"), then start a session, a check-in, or answer. A switch
    held down wakes it too (--switch), for days when speech is too weak."""
    from voice_coach.journal import lock as journal_lock
    from voice_coach.stop_signals import signals_interrupt

    db = db or default_db()
    # one listener or session per journal; `systemctl --user stop` (SIGTERM) and SIGHUP end it as Ctrl-C does
    with journal_lock.hold(db, what="listen"), signals_interrupt():
        _listen(input_, output, db, start_at, backend, model, switch, time_scale)


def check_switch(input_: str, switch: str) -> None:
    """--input and --switch that cannot go together are one usage line."""
    live = input_ in ("mic", "text", "none")
    if switch == "none" and input_ == "none":
        raise CoachError("--input none listens to the switch alone: give one (--switch keys, or --switch "
                         "/dev/input/by-id/…-event-kbd)", code="usage")
    if switch != "none" and not live:
        raise CoachError("--switch is for live listening (--input mic, text or none), not a replayed recording",
                         code="usage")
    if switch == "keys" and input_ == "text":
        raise CoachError("--switch keys and --input text both want this terminal's keys: use --input mic or none "
                         "with --switch keys (or --switch none)", code="usage")


def _listen(input_: str, output: str, db: Path, start_at: str | None, backend: str, model: Path | None,
            switch_spec: str | None, time_scale: float) -> None:
    from voice_coach.access.profile import endpoint_options, load_profile, reminder_settings
    from voice_coach.access.switch_watch import SwitchOnly, SwitchWatch
    from voice_coach.access.words import load_aliases
    from voice_coach.coach.clocks import SystemClock, VirtualClock
    from voice_coach.coach.intents import load_phrasebook
    from voice_coach.coach.prompts import load_prompts
    from voice_coach.journal.journal import SqliteJournal
    from voice_coach.listen.listener import ResidentListener
    from voice_coach.listen.prompts import load_listen_prompts
    from voice_coach.listen.resident import WAKE_STATES, Resident, Wiring
    from voice_coach.listen.wake import ModeRecognizer, WakeDetector
    from voice_coach.listen.wake_words import load_wake
    from voice_coach.session.wiring import make_speaker
    from voice_coach.speech.listener import StreamListener
    from voice_coach.speech.recognizers import make_recognizer, whisper_check
    from voice_coach.speech.sphinx import SphinxRecognizer
    from voice_coach.speech.wiring import endpoint_settings

    prompts, phrasebook, profile, lines = load_prompts(), load_phrasebook(), load_profile(), load_listen_prompts()
    aliases, wake_phrase, settings = load_aliases(book=phrasebook), load_wake(), reminder_settings(profile)
    live = input_ in ("mic", "text", "none")
    switch_spec = switch_spec or (profile.listen_switch if live else "none")  # a replay never reads the switch
    check_switch(input_, switch_spec)
    if not live and start_at is None:
        start_at = datetime.now().astimezone().isoformat(timespec="minutes")
    if live and start_at is not None:
        raise CoachError("--start-at is for a replayed --input (a WAV file or a folder)", code="usage")
    speaker = make_speaker(output, profile)
    # the switch first: a device that cannot be read is one line before anything else starts
    watch = None if switch_spec == "none" else SwitchWatch.open(switch_spec)
    journal = SqliteJournal(db)
    stream: Any
    router: ModeRecognizer | None = None
    detector: WakeDetector | None = None
    if input_ == "text":  # typed lines ("okay coach check in"): a terminal, a caregiver trying it out
        from voice_coach.speech.text_io import TextListener
        stream = TextListener.keyboard("keyboard")
    elif input_ == "none":  # no microphone: the switch alone
        assert watch is not None
        stream = SwitchOnly(watch)
    else:
        source = listen_source(input_)
        detector = WakeDetector(SphinxRecognizer(None), whisper_check(), sensitivity=profile.wake_sensitivity)
        router = ModeRecognizer(detector, make_recognizer(backend, model), WAKE_STATES)
        stream = StreamListener(source, router, endpoint_settings(**endpoint_options(profile)), drain_on_listen=live)
    clock = SystemClock(scale=time_scale) if live else VirtualClock(start=parse_start_at(start_at or ""))

    def echo(line: str) -> None:
        click.echo(line, err=True)

    day = _Day(journal, clock)

    def run(what: Any) -> str:
        from voice_coach.session.run import run_session
        listener = stream
        if what.switch and watch is not None:  # woken by the switch: speech is weak today, the session scans
            listener = switch_input(profile, watch, speaker=speaker, phrasebook=phrasebook, aliases=aliases,
                                    microphone=stream.source if input_ == "mic" else None)
        result = run_session(what.program, checkin=what.checkin, listener=listener, speaker=speaker,
                             journal=journal, clock=clock, prompts=prompts, phrasebook=phrasebook, aliases=aliases,
                             profile=profile, echo=echo, today=day.today())
        return "nothing_left" if result is None else result.outcome

    wiring = Wiring(listener=stream, recognizer=router, wake=detector, speaker=speaker, journal=journal,
                    clock=clock, run=run, facts=day.facts, due=lambda wall: day.due(settings, wall), switch=watch,
                    hold_seconds=profile.switch_hold_seconds, speech=input_ != "none")
    heard_by = {"mic": "microphone", "text": "typed lines", "none": "no microphone"}.get(input_, input_)
    by_switch = f"; the switch {watch.name}: hold it down to wake" if watch is not None else ""
    echo(f'listening for "{wake_phrase}" ({heard_by}{by_switch}; journal {db}); stop with Ctrl-C' if live
         else f'listening for "{wake_phrase}" in {input_} from {clock.wall():%H:%M}')
    try:
        Resident(ResidentListener(wake_phrase), wiring, prompts, lines, phrasebook, aliases, echo=echo).run()
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
        if watch is not None:
            watch.close()
        journal.close()
    echo(f"listener stopped ({journal.path})")


def switch_input(profile: Any, watch: Any, *, speaker: Any, phrasebook: Any, aliases: dict[str, str],
                 microphone: Any) -> Any:
    """The session's input after a switch wake: the profile's switch or scanning mode (switch mode otherwise),
    with the listener's switch; scanning by sound only where there is a microphone."""
    from dataclasses import replace

    from voice_coach.access.input_modes import make_input_listener
    from voice_coach.access.switch_watch import SwitchSelector

    mode = profile.input_mode if profile.input_mode in ("switch", "scanning") else "switch"
    if microphone is None:
        profile = replace(profile, scan_with="switch")
    return make_input_listener(mode, profile, speaker=speaker, phrasebook=phrasebook, aliases=aliases,
                               audio=(lambda: microphone) if microphone is not None else None,
                               switch=lambda: SwitchSelector(watch))


class _Day:
    """The plan and the journal, read when the listener needs the day's facts or a reminder."""

    def __init__(self, journal: Any, clock: Any) -> None:
        self.journal, self.clock = journal, clock

    def today(self) -> Any:
        return self.clock.wall().astimezone().date()

    def facts(self) -> Any:
        from voice_coach.coach.programs import available_programs, load_program
        from voice_coach.listen.listener import Facts
        from voice_coach.listen.prompts import PROGRAM_REQUESTS
        from voice_coach.listen.reminders import checkin_first
        from voice_coach.plan.plan import load_plan
        from voice_coach.plan.today import today_lines, today_status, week_lines, week_status

        entries = list(self.journal.entries())
        plan = load_plan()
        status = today_status(plan, entries, self.today())
        titles = {}
        for name in PROGRAM_REQUESTS:
            if name in available_programs():
                titles[name] = load_program(name).title
        nxt = status.next
        return Facts(next_program=nxt.program if nxt else None, next_title=nxt.title if nxt else None,
                     checkin_first=checkin_first(entries), today=tuple(today_lines(status)),
                     week=tuple(week_lines(week_status(plan, entries, self.today()))), titles=titles)

    def due(self, settings: Any, wall: datetime) -> Any:
        from voice_coach.errors import ProgramError
        from voice_coach.listen.reminders import due
        from voice_coach.plan.plan import load_plan
        from voice_coach.plan.today import today_status

        if not settings.times:
            return None
        entries = list(self.journal.entries())
        try:
            nxt = today_status(load_plan(), entries, self.today()).next
        except ProgramError:
            nxt = None
        return due(settings, wall.astimezone(), entries, next_program=nxt.program if nxt else None,
                   next_title=nxt.title if nxt else None)


def listen_source(spec: str) -> Any:
    """--input: the microphone, a WAV file, or a folder of WAVs played one after another (a day, in parts)."""
    if spec == "mic":
        from voice_coach.speech.microphone import MicrophoneSource
        return MicrophoneSource(device=None)
    from voice_coach.speech.audio_io import BlockSource, WavSource, wav_blocks
    from voice_coach.speech.listener import wav_files

    path = Path(spec)
    if path.is_dir():  # streamed a file and a block at a time: a folder of hours takes no more memory than a minute
        files = wav_files(path)
        return BlockSource((block for f in files for block in wav_blocks(f)), name=str(path))
    if path.is_file():
        return WavSource(path)
    raise AudioError(f"--input {spec}: use mic, a WAV file or a folder of WAVs")


# ----- the person's tries of the wake phrase ---------------------------------------------------------------------
class _Capture:
    """A recognizer port that only keeps each utterance's audio (the tries of the wake phrase)."""

    name = "capture"
    last = None
    verify_seconds = 0.0
    phrases: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.takes: list[bytes] = []
        self._audio = bytearray()

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._audio = bytearray()

    def feed(self, pcm: bytes) -> str | None:
        self._audio += pcm
        return None

    def prepare(self) -> bool:
        return False

    def end(self) -> Any:
        from voice_coach.coach.intents import Heard
        self.takes.append(bytes(self._audio))
        return Heard("take", 1.0, "voice")


@click.command("learn-wake")
@click.option("--input", "input_", default="mic", show_default=True,
              help="mic, or a folder of WAVs, each one try of the wake phrase.")
@click.option("--times", default=5, show_default=True, type=click.IntRange(2, 5), help="Tries (mic).")
def learn_wake(input_: str, times: int) -> None:
    """Say the wake phrase a few times so that the listener learns how you say it (kept on this computer, with
    your voice-check tries; they decide once you have done a voice check of the commands too)."""
    from voice_coach.cli.access import learn_voice
    from voice_coach.listen.wake_words import load_wake
    from voice_coach.speech.audio_io import read_wav
    from voice_coach.speech.listener import wav_files

    wake = load_wake()
    if input_ != "mic":
        takes = [read_wav(f) for f in wav_files(Path(input_))]
    else:
        takes = _record_wake_tries(wake, times)
    for line in learn_voice({wake: takes}):
        click.echo(line)


def _record_wake_tries(wake: str, times: int) -> list[bytes]:
    from voice_coach.access.profile import endpoint_options, load_profile
    from voice_coach.access.prompts import load_access_prompts
    from voice_coach.coach.clocks import SystemClock
    from voice_coach.coach.ports import Expectation
    from voice_coach.session.wiring import make_speaker
    from voice_coach.speech.listener import StreamListener
    from voice_coach.speech.microphone import MicrophoneSource
    from voice_coach.speech.wiring import endpoint_settings

    person, lines = load_profile(), load_access_prompts()
    speaker, capture, clock = make_speaker("speaker", person), _Capture(), SystemClock()
    stream = StreamListener(MicrophoneSource(device=None), capture, endpoint_settings(**endpoint_options(person)),
                            drain_on_listen=True)
    try:
        for _ in range(times):
            speaker.say(lines.line("voice_check_say", phrase=wake), "voice_check_say")
            stream.listen(clock.now() + person.response_timeout_seconds, clock,
                          Expectation((wake,), True, "learn_wake"))
    finally:
        stream.close()
    return capture.takes


def register(app: click.Group) -> None:
    from voice_coach.cli.access import words
    from voice_coach.cli.service import service

    app.add_command(listen)
    app.add_command(service)
    words.add_command(learn_wake)
