"""One error family for everything a user can get wrong: a code, and a message that says what to do."""

from __future__ import annotations


class CoachError(Exception):
    """Base error: `code` is a short stable slug, `message` one line naming what happened and the fix."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ProgramError(CoachError):
    """An exercise program or plan file is missing or invalid."""

    code = "program"


class PromptError(CoachError):
    """A prompt file is missing, malformed, or disagrees with the coach's contract."""

    code = "prompt"


class JournalError(CoachError):
    """The journal database cannot be opened, read or written."""

    code = "journal"


class AudioError(CoachError):
    """An audio file cannot be read or is in a format we cannot use."""

    code = "audio"


class ModelError(CoachError):
    """A speech model is missing, damaged, or cannot be downloaded."""

    code = "model"


class DeviceError(CoachError):
    """A microphone or speaker is missing or failed."""

    code = "device"


class ConfigError(CoachError):
    """A profile or setting value is invalid."""

    code = "config"
