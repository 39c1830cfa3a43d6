"""The YAML and TOML data files: read within bounds, or written whole; any failure is one error line naming the file."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import yaml

from voice_coach.errors import CoachError, ConfigError
from voice_coach.private_files import write_private

try:  # libyaml's parser is several times faster, which matters at every CLI start
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1_000_000
"""A data file (program, plan, profile, words, prompts) is a few kilobytes; a bigger one is refused unread."""
MAX_VALUES = 100_000
"""Values in a YAML document once its aliases are expanded ("billion laughs" expands a tiny file to 10^9)."""
MAX_DEPTH = 64
"""How deep lists and mappings may nest (no data file needs more than a handful of levels)."""
MAX_INT = 2**63 - 1
"""Whole numbers beyond 64 bits are refused (TOML's own rule); nothing the coach reads is near it."""
MAX_KEY_DOTS = 64
"""A TOML key with more dots than this is refused before parsing (tomllib takes quadratic time on them)."""


class LimitError(yaml.YAMLError):
    """A data file over one of the bounds above; the message says which."""


def _check_tree(root: Any, children: Any) -> None:
    """Walk a graph of nodes without recursion: its size with shared nodes counted each time they are used,
    its depth, and any node that contains itself. `children(node)` lists a node's children."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            kids = children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if size[key] > MAX_VALUES:
                raise LimitError(f"it expands to more than {MAX_VALUES} values (aliases repeated without bound?)")
            if depth[key] > MAX_DEPTH:
                raise LimitError(f"it is nested more than {MAX_DEPTH} levels deep")
            continue
        if key in size:
            continue
        if key in on_path:
            raise LimitError("it contains itself (an alias inside its own anchor)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in children(node) if id(k) not in size)


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _value_children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise LimitError("it holds a whole number too large (more than 64 bits)")
    return []


class BoundedLoader(SafeLoader):
    """The safe loader, refusing a document over the bounds before anything is built from it."""

    def construct_document(self, node: yaml.Node) -> Any:
        _check_tree(node, _node_children)
        data = super().construct_document(node)
        _check_tree(data, _value_children)
        return data


def parse_yaml(text: str) -> Any:
    """`yaml.safe_load` within the bounds (C parser when PyYAML has it); a value Python cannot hold (a date
    out of range, a number of thousands of digits) is a YAMLError too."""
    if len(text) > MAX_FILE_BYTES:
        raise LimitError(f"it is larger than {MAX_FILE_BYTES // 1000} kB")
    try:
        return yaml.load(text, Loader=BoundedLoader)
    except (ValueError, OverflowError, RecursionError, MemoryError):
        raise LimitError("it holds a value out of range (a date that does not exist, or a number too large)") from None


def parse_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads` within the bounds; anything over them is a TOMLDecodeError with the reason."""
    if len(text) > MAX_FILE_BYTES:
        raise tomllib.TOMLDecodeError(f"it is larger than {MAX_FILE_BYTES // 1000} kB")
    for n, line in enumerate(text.splitlines(), 1):
        key = line.split("=", 1)[0] if "=" in line else line
        if key.count(".") > MAX_KEY_DOTS:
            raise tomllib.TOMLDecodeError(f"a key with more than {MAX_KEY_DOTS} dots at line {n}")
    try:
        data = tomllib.loads(text)
        _check_tree(data, _value_children)
    except LimitError as exc:
        raise tomllib.TOMLDecodeError(str(exc)) from None
    except RecursionError:
        raise tomllib.TOMLDecodeError(f"it is nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, OverflowError, MemoryError) as exc:
        if isinstance(exc, tomllib.TOMLDecodeError):
            raise
        raise tomllib.TOMLDecodeError("it holds a number too large") from None
    return data


def read_text(path: Path) -> str:
    """A data file's text: a regular file of at most MAX_FILE_BYTES (a FIFO or device would block or never end).

    Raises FileNotFoundError, OSError, UnicodeDecodeError, or LimitError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except ValueError:  # a NUL character in the name
        raise LimitError("its name holds a NUL character") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LimitError("it is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise LimitError(f"it is larger than {MAX_FILE_BYTES // 1000} kB")
    return data.decode("utf-8")


def read_yaml(path: Path, error: type[CoachError], what: str, *, missing: str | None = None,
              line_numbers: bool = True) -> Any:
    """The YAML at `path`; a missing, unreadable, malformed or oversized file is one `error` line naming `path`
    and `what`.

    `missing` replaces "no such <what>"; with `line_numbers` a syntax error says where, otherwise it is
    "cannot read" like any other damage."""
    try:
        return parse_yaml(read_text(path))
    except FileNotFoundError:
        raise error(f"{path}: {missing or f'no such {what}'}") from None
    except LimitError as exc:
        raise error(f"{path}: {what} not read: {exc}; fix the file or restore it") from None
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
        return parse_toml(read_text(path))
    except FileNotFoundError:
        return None
    except LimitError as exc:
        raise error(f"{path}: {what} not read: {exc}; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what} ({exc.__class__.__name__}); check the file") from None
    except tomllib.TOMLDecodeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "damaged"
        raise error(f"{path}: not valid TOML ({first}); {fix}") from None


def write_atomically(path: Path, text: str, error: type[CoachError] = ConfigError) -> None:
    """Write a whole file or nothing, private (0600), never onto a link, folder, device, pipe or journal
    (`private_files.write_private`). A failure is one `error` line, and the old file is left as it was."""
    write_private(path, text, error, make_folder=True, failed="cannot save")
