"""The user's profile (config dir profile.toml): voice, timing, thresholds and input mode, each value checked."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from voice_coach.coach.settings import CoachSettings
from voice_coach.datafile import read_toml, write_atomically
from voice_coach.errors import ConfigError
from voice_coach.paths import config_dir
from voice_coach.speech.endpointing import END_SILENCE_SECONDS, VAD_AGGRESSIVENESS
from voice_coach.terminal_text import SHOWN_CHARS, one_line, shown

INPUT_MODES = ("speech", "any-sound", "switch", "scanning")
"""How the person answers: speech; any sound = yes and silence = no; one key; options read out one by one."""
CONFIRM_POLICIES = ("always", "low-confidence")
SCAN_SELECTORS = ("both", "switch", "sound")
"""What picks an option in scanning: the switch, any sound, or either."""


@dataclass(frozen=True)
class Profile:
    """Per-user settings; defaults suit slow or effortful speech."""

    speech_rate_wpm: int = 175
    """How fast the coach speaks, in words a minute."""
    volume: float = 1.0
    """Speech volume, 0.0 (silent) to 1.0 (full)."""
    voice: str = "default"
    """A voice name or language ("en-us"); "default" = the speech engine's own."""
    end_silence_seconds: float = END_SILENCE_SECONDS
    """Silence that ends an utterance; longer for slow speech with pauses between words."""
    response_timeout_seconds: float = 20.0
    """How long the coach waits for an answer before asking again."""
    reprompts: int = 2
    """How many times a question is asked again before the coach pauses."""
    effort_stop_threshold: int = 7
    """A CR10 rating at or above this ends the exercise and offers rest or stop."""
    confirm: str = "low-confidence"
    """Read back spoken ratings heard with low confidence ("low-confidence") or every spoken one ("always");
    a typed, caregiver or switch rating is certain and never read back."""
    confirm_below: float = 0.6
    """A reply heard below this recognizer confidence is read back."""
    input_mode: str = "speech"
    """speech, any-sound, switch or scanning."""
    scan_fallback_after: int = 3
    """Switch from speech to scanning after this many answers in a row were not understood (0 = never)."""
    scan_with: str = "both"
    """What picks an option while scanning: both (switch or sound), switch, or sound."""
    scan_pause_seconds: float = 2.5
    """Time to pick after each option is read."""
    scan_cycles: int = 2
    """How many times the options are read before the coach waits quietly."""
    sound_threshold_dbfs: float = -45.0
    """A sound quieter than this never counts (raise it in a noisy room)."""
    vad_aggressiveness: int = VAD_AGGRESSIVENESS
    """Voice detector strictness, 0 (any noise counts) to 3 (only clear voice counts); for speech and sounds."""
    sound_min_seconds: float = 0.25
    """How long a sound must last to count as an answer."""
    pause_sound_seconds: float = 1.0
    """How long a sound must last to pause an exercise in progress (effort noises are shorter)."""
    reminder_times: str = "none"
    """When `voice-coach listen` says a planned session is due ("09:30, 16:00"); "none": no reminders."""
    quiet_hours: str = "21:00-08:00"
    """No reminders in these hours ("21:00-08:00"; "none" for none)."""
    reminders_per_day: int = 3
    """Never more reminders than this in a day, snoozes included."""
    reminder_snooze_minutes: int = 30
    """After "later" (or no answer), a reminder comes back this much later."""
    listen_switch: str = "none"
    """A switch `voice-coach listen` also wakes by (a long press): keys (this terminal's space/enter), an input
    device (/dev/input/by-id/…-event-kbd: what the service reads), or none."""
    switch_hold_seconds: float = 1.0
    """How long the switch is held to wake the listener (shorter presses answer yes; a brushed switch is short)."""
    wake_sensitivity: str = "high"
    """How readily `voice-coach listen` takes the wake phrase (listen.wake.SENSITIVITY_PROMPTS): "normal" answers
    "Yes?" less often to everyday talk that sounds like it ("okay cool") and misses a slow or unclear "okay coach"
    more often; "highest" hears that far more often, and answers such talk far more often."""


WAKE_SENSITIVITIES = ("normal", "high", "highest")
"""The profile's wake sensitivities (listen.wake.SENSITIVITY_PROMPTS says what each does)."""


@dataclass(frozen=True)
class Field:
    """How one profile key is parsed, checked and explained."""

    parse: Callable[[str], Any]
    check: Callable[[Any], str | None]
    """None when fine, else what is allowed ("0.3 to 10 seconds")."""
    help: str


def _number(kind: type, unit: str = "") -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        t = text.strip().lower()
        if unit and t.endswith(unit):
            t = t[: -len(unit)].strip()
        scale = 1.0
        if t.endswith("%"):
            t, scale = t[:-1].strip(), 0.01
        value = float(t) * scale
        if not math.isfinite(value):
            raise ValueError(text)
        if kind is int:
            if value != int(value):
                raise ValueError(text)
            return int(value)
        return value
    return parse


def _between(low: float, high: float, unit: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"{low:g} to {high:g}{unit}"
    return check


def _one_of(options: tuple[str, ...]) -> Callable[[Any], str | None]:
    return lambda value: None if value in options else " or ".join(options)


def _voice(value: Any) -> str | None:
    ok = isinstance(value, str) and value.strip() and len(value) <= 100 and value.isprintable()
    return None if ok else 'a voice name or language like "en-us", or "default"'


def _switch(value: Any) -> str | None:
    ok = value in ("none", "keys") or (isinstance(value, str) and value.startswith("/") and len(value) <= 300
                                       and value.isprintable() and " " not in value)
    return None if ok else "none, keys, or an input device like /dev/input/by-id/usb-…-event-kbd"


def _clock_list(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A text setting kept as written (tidied) once `parse` (reminders.py) accepts it."""
    def checked_text(text: str) -> str:
        from voice_coach.errors import ConfigError as Bad
        try:
            parse(text)
        except Bad:
            raise ValueError(text) from None
        return ", ".join(p.strip() for p in text.split(",") if p.strip()) or "none"
    return checked_text


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "times like 09:30 (a list: 09:30, 16:00; a range: 21:00-08:00)"


def _word(text: str) -> str:
    return text.strip().lower().replace("_", "-")


def _times(text: str) -> Any:
    from voice_coach.access.reminder_settings import parse_times
    return parse_times(text)


def _quiet(text: str) -> Any:
    from voice_coach.access.reminder_settings import parse_quiet
    return parse_quiet(text)


FIELDS: dict[str, Field] = {
    "speech_rate_wpm": Field(_number(int, "wpm"), _between(80, 300, " words a minute"), "how fast the coach speaks"),
    "volume": Field(_number(float), _between(0.0, 1.0, " (or 0% to 100%)"), "speech volume"),
    "voice": Field(str.strip, _voice, "speech voice or language"),
    "end_silence_seconds": Field(_number(float, "s"), _between(0.3, 10.0, " seconds"),
                                 "silence that ends what you say"),
    "response_timeout_seconds": Field(_number(float, "s"), _between(5.0, 300.0, " seconds"),
                                      "wait for an answer before asking again"),
    "reprompts": Field(_number(int), _between(0, 5, " times"), "questions asked again before pausing"),
    "effort_stop_threshold": Field(_number(int), _between(3, 9, " on the zero-to-ten scale"),
                                   "a rating this hard ends the exercise"),
    "confirm": Field(_word, _one_of(CONFIRM_POLICIES), "when ratings are read back"),
    "confirm_below": Field(_number(float), _between(0.1, 0.95, ""), "read back replies heard below this confidence"),
    "input_mode": Field(_word, _one_of(INPUT_MODES), "how you answer"),
    "scan_fallback_after": Field(_number(int), _between(0, 10, " (0 = never)"),
                                 "misunderstood answers before scanning starts"),
    "scan_with": Field(_word, _one_of(SCAN_SELECTORS), "what picks an option while scanning"),
    "scan_pause_seconds": Field(_number(float, "s"), _between(1.0, 10.0, " seconds"), "time to pick each option"),
    "scan_cycles": Field(_number(int), _between(1, 5, " times"), "times the options are read"),
    "sound_threshold_dbfs": Field(_number(float, "dbfs"), _between(-70.0, -10.0, " dBFS"),
                                  "quietest sound that counts"),
    "vad_aggressiveness": Field(_number(int), _between(0, 3, ""), "voice detector strictness"),
    "sound_min_seconds": Field(_number(float, "s"), _between(0.1, 2.0, " seconds"), "shortest sound that answers"),
    "pause_sound_seconds": Field(_number(float, "s"), _between(0.2, 5.0, " seconds"),
                                 "shortest sound that pauses an exercise"),
    "reminder_times": Field(_clock_list(_times), _text, "when `listen` reminds you of a planned session"),
    "quiet_hours": Field(_clock_list(_quiet), _text, "no reminders in these hours"),
    "reminders_per_day": Field(_number(int), _between(0, 10, " a day"), "most reminders in a day"),
    "reminder_snooze_minutes": Field(_number(int, "min"), _between(5, 240, " minutes"),
                                     "a reminder comes back after \"later\""),
    "listen_switch": Field(str.strip, _switch, "a switch `listen` also wakes by (a long press)"),
    "switch_hold_seconds": Field(_number(float, "s"), _between(0.5, 5.0, " seconds"),
                                 "how long the switch is held to wake `listen`"),
    "wake_sensitivity": Field(_word, _one_of(WAKE_SENSITIVITIES),
                              "how readily `listen` takes the wake phrase (higher: more of a slow one, more talk)"),
}
assert set(FIELDS) == {f.name for f in fields(Profile)}


def profile_path() -> Path:
    return config_dir() / "profile.toml"


def key_name(key: str) -> str:
    """The profile key for what a person typed ("speech-rate" → speech_rate_wpm); ConfigError if unknown."""
    k = key.strip().lower().replace("-", "_")
    if k in FIELDS:
        return k
    prefixed = [name for name in FIELDS if name.startswith(k + "_")]
    if len(prefixed) == 1:
        return prefixed[0]
    raise ConfigError(f"unknown profile key {shown(key)} (known: {', '.join(FIELDS)})")


def checked(key: str, value: Any, where: str = "") -> Any:
    """`value` (text from the command line, or a TOML value) parsed and range-checked for `key`."""
    field = FIELDS[key]
    default = getattr(Profile(), key)
    parsed: Any = None
    if isinstance(value, str):
        try:
            parsed = field.parse(value)
        except ValueError:
            parsed = None
    elif isinstance(value, int | float) and not isinstance(value, bool) and isinstance(default, int | float):
        if isinstance(default, float):
            parsed = float(value)
        elif float(value).is_integer():
            parsed = int(value)
    problem = field.check(parsed)
    if problem:
        text = one_line(value, SHOWN_CHARS) if isinstance(value, str) else shown(value)
        raise ConfigError(f"{where}{key} = {text}: use {problem}")
    return parsed


def load_profile(path: Path | None = None) -> Profile:
    """The saved profile, defaults for keys not set; a damaged file or bad value is one ConfigError line."""
    path = path or profile_path()
    raw = read_toml(path, ConfigError, "the profile", "fix it, or delete it to start from defaults")
    if raw is None:
        return Profile()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in FIELDS:
            raise ConfigError(f"{path}: unknown key {shown(key)}; remove it (known: {', '.join(FIELDS)})")
        values[key] = checked(key, value, f"{path}: ")
    return replace(Profile(), **values)


def set_value(key: str, value: str, path: Path | None = None) -> tuple[str, Any]:
    """Check and save one value; only the keys a person set are written (defaults can then improve)."""
    path = path or profile_path()
    name = key_name(key)
    parsed = checked(name, value)
    load_profile(path)  # refuse to rewrite a file we cannot read: it might hold a caregiver's settings
    stored = _stored(path)
    stored[name] = parsed
    write_atomically(path, _toml(stored))
    return name, parsed


def reset_value(key: str, path: Path | None = None) -> str:
    """Forget one key (back to its default)."""
    path = path or profile_path()
    name = key_name(key)
    load_profile(path)
    stored = _stored(path)
    if stored.pop(name, None) is not None:
        write_atomically(path, _toml(stored))
    return name


def _stored(path: Path) -> dict[str, Any]:
    try:
        return dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}


def explicit_keys(path: Path | None = None) -> set[str]:
    """Keys the person set (the others show as defaults)."""
    return set(_stored(path or profile_path()))


HEADER = "# voice-coach profile. Change it with: voice-coach profile set KEY VALUE\n"


def _toml(values: dict[str, Any], header: str = HEADER) -> str:
    """Flat TOML: one `key = value` a line (strings in basic quotes; JSON escapes are valid TOML escapes)."""
    out = [header]
    for key in sorted(values):
        out.append(f"{toml_key(key)} = {toml_value(values[key])}\n")
    return "".join(out)


def toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {value!r} as TOML")


def show_lines(profile: Profile, explicit: set[str]) -> list[str]:
    """`profile show`: every key, its value, and whether it is the default."""
    width = max(len(k) for k in FIELDS)
    out = []
    for key, field in FIELDS.items():
        value = getattr(profile, key)
        mark = "" if key in explicit else "  (default)"
        out.append(f"{key:<{width}}  {toml_value(value):<12}  {field.help}{mark}")
    return out


# ----- what the lead wires ------------------------------------------------------------------------------
def coach_settings(profile: Profile, base: CoachSettings | None = None) -> CoachSettings:
    """The coach's settings from the profile; fields the profile does not own (first_run, ask_daily, ...)
    come from `base`."""
    base = base or CoachSettings()
    values: dict[str, Any] = {
        "response_timeout_seconds": profile.response_timeout_seconds,
        "reprompts": profile.reprompts,
        "effort_stop_threshold": profile.effort_stop_threshold,
        "always_confirm_rating": profile.confirm == "always",
        "confirm_below": profile.confirm_below,
    }
    names = {f.name for f in fields(CoachSettings)}
    return replace(base, **{k: v for k, v in values.items() if k in names})


def speaker_options(profile: Profile) -> dict[str, Any]:
    """Keyword arguments for the speech speaker: rate, volume, voice (None = the engine's default)."""
    return {"rate": profile.speech_rate_wpm, "volume": profile.volume,
            "voice": None if profile.voice.lower() == "default" else profile.voice}


def endpoint_options(profile: Profile) -> dict[str, Any]:
    """Keyword arguments for endpointing (`speech_wiring.microphone_listener`, `audio_replay_listener`): the
    silence that ends an utterance, and the voice detector's strictness."""
    return {"end_silence_seconds": profile.end_silence_seconds, "vad_aggressiveness": profile.vad_aggressiveness}


def sound_options(profile: Profile) -> dict[str, Any]:
    """Keyword arguments for `input_modes.SoundSelector` (any-sound mode and scanning by sound)."""
    return {"threshold_dbfs": profile.sound_threshold_dbfs, "aggressiveness": profile.vad_aggressiveness,
            "min_seconds": profile.sound_min_seconds, "long_seconds": profile.pause_sound_seconds}


def reminder_settings(profile: Profile) -> Any:
    """`reminders.ReminderSettings` from the profile (the listener's reminders)."""
    from voice_coach.access.reminder_settings import ReminderSettings, parse_quiet, parse_times

    return ReminderSettings(times=parse_times(profile.reminder_times), quiet=parse_quiet(profile.quiet_hours),
                            max_per_day=profile.reminders_per_day, snooze_minutes=profile.reminder_snooze_minutes)
