"""The YAML and TOML data files: read, or written whole, with any failure as one error line naming the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from .errors import CoachError, ConfigError
from .private_files import write_private

try:  # libyaml's parser is several times faster, which matters at every CLI start
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]


def parse_yaml(text: str) -> Any:
    """`yaml.safe_load`, with the C parser when PyYAML has it."""
    return yaml.load(text, Loader=SafeLoader)


def read_yaml(path: Path, error: type[CoachError], what: str, *, missing: str | None = None,
              line_numbers: bool = True) -> Any:
    """The YAML at `path`; a missing, unreadable or malformed file is one `error` line naming `path` and `what`.

    `missing` replaces "no such <what>"; with `line_numbers` a syntax error says where, otherwise it is
    "cannot read" like any other damage."""
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {missing or f'no such {what}'}") from None
    except yaml.YAMLError as exc:
        if not line_numbers:
            raise error(f"{path}: cannot read {what} ({exc.__class__.__name__}); fix or restore it") from None
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise error(f"{path}: not valid YAML{where}; fix the file or restore it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what} ({exc.__class__.__name__}); fix or restore it") from None


def read_toml(path: Path, error: type[CoachError], what: str, fix: str) -> dict[str, Any] | None:
    """The TOML at `path`, None when there is no file; damage is one `error` line ending in `fix`."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what} ({exc.__class__.__name__}); check the file") from None
    except tomllib.TOMLDecodeError as exc:
        first = str(exc).splitlines()[0]
        raise error(f"{path}: not valid TOML ({first}); {fix}") from None


def write_atomically(path: Path, text: str, error: type[CoachError] = ConfigError) -> None:
    """Write a whole file or nothing, private (0600), never onto a link, folder, device, pipe or journal
    (`private_files.write_private`). A failure is one `error` line, and the old file is left as it was."""
    write_private(path, text, error, make_folder=True, failed="cannot save")
