"""`voice-coach profile show|set|reset`, `voice-coach words set|list|reset`, and `voice-coach voice-check`."""

from __future__ import annotations

from pathlib import Path

import click

from voice_coach.errors import CoachError, ConfigError, DeviceError
from voice_coach.paths import default_db
from voice_coach.terminal_text import printable


@click.group()
def profile() -> None:
    """Your settings: voice, timing, thresholds, and how you answer (speech, any sound, switch, scanning)."""


@profile.command("show")
def profile_show() -> None:
    """Every setting, its value, and whether it is the default."""
    from voice_coach.access.profile import explicit_keys, load_profile, profile_path, show_lines

    path = profile_path()
    for line in show_lines(load_profile(path), explicit_keys(path)):
        click.echo(printable(line))
    click.echo(f"(file: {path})", err=True)


@profile.command("set", context_settings={"ignore_unknown_options": True})  # `set speech_rate_wpm -5` is a value
@click.argument("key")
@click.argument("value")
def profile_set(key: str, value: str) -> None:
    """Change one setting, e.g. `profile set end_silence_seconds 2.5` or `profile set input_mode scanning`."""
    from voice_coach.access.profile import checked, key_name, set_value

    if key_name(key) == "voice" and checked("voice", value).lower() != "default":
        from voice_coach.speech.speech_out import installed_voice

        installed_voice(checked("voice", value))  # a voice the engine lacks is refused now, not at the first line
    name, parsed = set_value(key, value)
    click.echo(printable(f"{name} = {parsed}"))


@profile.command("reset")
@click.argument("key")
def profile_reset(key: str) -> None:
    """Put one setting back to its default."""
    from voice_coach.access.profile import Profile, reset_value

    name = reset_value(key)
    click.echo(f"{name} = {getattr(Profile(), name)} (default)")


@click.group()
def words() -> None:
    """Your own command words, checked so that they cannot be mistaken for other words."""


@words.command("set", context_settings={"ignore_unknown_options": True})  # own words may start with "-"
@click.argument("command")
@click.argument("own_words")
def words_set(command: str, own_words: str) -> None:
    """Use OWN_WORDS for COMMAND, e.g. `words set next "carry on"`. Refused when too close to another word.
    `words set wake "hello coach"` changes the listener's wake phrase."""
    from voice_coach.access.words import set_alias

    if command.strip().lower() == "wake":
        from voice_coach.listen.wake_words import set_wake
        for line in set_wake(own_words):
            click.echo(line)
        return

    verdict = set_alias(command, own_words)
    lines = verdict.lines()
    if verdict.refused:
        raise CoachError("; ".join(lines), code="usage")  # one line, with the clearer choices
    for line in lines:
        click.echo(line)


@words.command("list")
def words_list() -> None:
    """Your own words, by command."""
    from voice_coach.access.words import list_lines, load_aliases
    from voice_coach.listen.wake_words import load_wake, wake_path

    for line in list_lines(load_aliases()):
        click.echo(line)
    mine = " (yours)" if wake_path().exists() else " (the default; change it with: words set wake \"WORDS\")"
    click.echo(f'wake  "{load_wake()}"{mine}')


@words.command("reset")
@click.argument("command", required=False)
def words_reset(command: str | None) -> None:
    """Forget your own words (all of them, or those of one COMMAND)."""
    from voice_coach.access.words import reset_aliases

    if command is not None and command.strip().lower() == "wake":
        from voice_coach.listen.wake_words import load_wake, reset_wake
        reset_wake()
        click.echo(f'the wake phrase is "{load_wake()}" again')
        return
    n = reset_aliases(command)
    click.echo(f"removed {n} own word{'s' if n != 1 else ''}" + (f" for {command}" if command else ""))


@click.command("voice-check")
@click.option("--input", "input_", default="mic", show_default=True,
              help="mic, or a folder of WAVs named <phrase>_<n>.wav (next_1.wav, short_of_breath_2.wav).")
@click.option("--output", default="text", show_default=True, help="text, or speaker (the requests spoken aloud).")
@click.option("--db", type=click.Path(path_type=Path), help="Journal file (default: your data directory).")
@click.option("--backend", default="auto", show_default=True,
              type=click.Choice(["auto", "pocketsphinx", "vosk"]), help="Speech recognizer.")
@click.option("--model", type=click.Path(path_type=Path), help="A vosk model directory.")
@click.option("--times", default=3, show_default=True, type=click.IntRange(1, 5), help="Tries per command (mic).")
@click.option("--numbers", is_flag=True, help="Also check zero to ten (mic).")
@click.option("--symptoms", is_flag=True, help="Also check the symptom words (mic).")
@click.option("--learn/--no-learn", default=None,
              help="Keep your tries so that the coach learns how you say each command (default: with the "
                   "microphone yes, with a folder no).")
@click.option("--wake/--no-wake", default=True, show_default=True,
              help="Also check the wake phrase of `voice-coach listen` (mic).")
@click.option("--forget", is_flag=True, help="Forget the tries the coach learned your voice from, and stop.")
def voice_check(input_: str, output: str, db: Path | None, backend: str, model: Path | None, times: int,
                numbers: bool, symptoms: bool, learn: bool | None, wake: bool, forget: bool) -> None:
    """How well the coach understands you now: say each command a few times; the result goes to the journal, and
    the coach learns how you say each command (your tries stay on this computer)."""
    if forget:
        click.echo(forget_voice())
        return
    from voice_coach.access.profile import endpoint_options, load_profile
    from voice_coach.access.voice_check import check_folder, check_live, default_phrases, record
    from voice_coach.access.words import load_aliases
    from voice_coach.coach.clocks import SystemClock
    from voice_coach.journal.journal import SqliteJournal
    from voice_coach.listen.wake_words import load_wake

    aliases = load_aliases()
    person = load_profile()
    clock = SystemClock()
    wake_phrase = load_wake()
    own = {wake_phrase: ("wake phrase", (wake_phrase,))}  # learned like the commands, for `voice-coach listen`
    if input_ == "mic":
        from voice_coach.session.wiring import make_speaker

        speaker = make_speaker(output, person)
        try:
            from voice_coach.speech.wiring import microphone_listener
            listener = microphone_listener(backend, model, **endpoint_options(person))
        except ImportError as exc:
            raise DeviceError(f"speech input is not installed ({exc.name}); run: bash scripts/setup") from None
        except DeviceError as exc:
            raise DeviceError(f"{exc.message.split(';')[0]}; plug one in, or check recordings with "
                              "--input FOLDER (WAVs named like next_1.wav)") from None
        recognizer = getattr(listener, "recognizer", None)
        _without_takes(recognizer)
        name = getattr(recognizer, "name", backend)
        phrases = default_phrases(aliases, numbers=numbers, symptoms=symptoms) + ([wake_phrase] if wake else [])
        result = check_live(phrases, listener, speaker, clock, times=times,
                            answer_seconds=person.response_timeout_seconds, backend=name, aliases=aliases, own=own)
    else:
        from voice_coach.speech.recognizers import make_recognizer

        folder = Path(input_)
        if not folder.is_dir():
            raise CoachError(f"--input {input_}: not 'mic' or a folder of WAVs named like next_1.wav", code="usage")
        recognizer = make_recognizer(backend, model)
        _without_takes(recognizer)
        result = check_folder(folder, recognizer, aliases=aliases, own=own)
    for line in result.lines(wake_sensitivity=person.wake_sensitivity):
        click.echo(line)
    journal = SqliteJournal(db or default_db())
    try:
        record(journal, result, clock.wall())
    finally:
        journal.close()
    click.echo(f"saved in the journal {journal.path}", err=True)
    if learn if learn is not None else input_ == "mic":
        for line in learn_voice(result.tries_to_learn()):
            click.echo(line)


def _without_takes(recognizer: object) -> None:
    """The check measures the recognizer as it is without the person's takes (with them, tries would match
    themselves and the trend in the report would change meaning after the first check)."""
    from voice_coach.speech.second_opinion import SecondOpinion

    if isinstance(recognizer, SecondOpinion):
        recognizer.check.templates = None


def learn_voice(takes: dict[str, list[bytes]]) -> list[str]:
    """Keep the tries as the person's voice templates (voice_coach/voice_templates.py); lines saying what was
    learned, or why not. Takes already learned of other phrases are kept; a file that cannot be read is set aside
    (renamed .bad), never overwritten."""
    from voice_coach.errors import ModelError
    from voice_coach.speech.recognizers import clean_phrase, whisper_check
    from voice_coach.speech.voice_templates import VoiceTemplates, learn, templates_path

    check = whisper_check()
    if check is None:
        return ["your voice was not learned: it needs the Whisper check, which is off (VOICE_COACH_WHISPER) or "
                "not installed (run: bash scripts/setup)"]
    path, lines = templates_path(), []
    old = None
    if path.exists():
        try:
            old = VoiceTemplates.load(path)
        except ConfigError as exc:
            aside = path.with_name(path.name + ".bad")
            try:
                path.replace(aside)
            except OSError:
                raise exc from None
            lines.append(f"{exc.message.split(';')[0]}; set aside as {aside}")
    try:
        templates, kept = learn({clean_phrase(p): t for p, t in takes.items()}, check.take_frames, old)
    except (RuntimeError, ValueError, ModelError) as exc:
        raise ModelError(f"your voice could not be learned: the Whisper model failed ({exc}); run "
                         "`voice-coach models verify`") from None
    if kept == 0:
        return [*lines, "your voice was not learned: no try held enough speech (say each word clearly after the "
                        "prompt, then run the check again)"]
    templates.save(path)
    phrases = sum(1 for p in takes if clean_phrase(p) in templates.takes)
    return [*lines, f"learned how you say {phrases} phrase{'s' if phrases != 1 else ''} from {kept} tries; the "
                    "coach now listens for them (to forget them: voice-coach voice-check --forget)"]


def forget_voice() -> str:
    from voice_coach.speech.voice_templates import templates_path

    path = templates_path()
    found = [p for p in (path, path.with_name(path.name + ".tmp"), path.with_name(path.name + ".bad")) if p.exists()]
    if not found:
        return "nothing to forget: the coach has not learned your voice"
    for p in found:
        try:
            p.unlink()
        except OSError as exc:
            raise ConfigError(f"{p}: cannot remove it ({exc.strerror or exc}); delete the file by hand") from None
    return f"forgot how you say the commands ({path} removed)"


def register(app: click.Group) -> None:
    """Add these commands to `voice-coach` (called from cli._register)."""
    app.add_command(profile)
    app.add_command(words)
    app.add_command(voice_check)
