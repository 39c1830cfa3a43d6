"""Pinned model files: each file's size and SHA-256 as its official source publishes it, and checking a copy."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voice_coach.errors import ModelError

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
READ_BYTES = 1 << 20


@dataclass(frozen=True)
class PinnedFile:
    """One file of a model as its official source holds it."""

    path: str
    """Relative path inside the model folder (and after the download address)."""
    sha256: str
    """SHA-256 of the whole file, lowercase hex."""
    size_bytes: int
    """Its exact size."""


def parse_pinned(table: object, files: tuple[str, ...], bad: Callable[[str, str], ModelError]
                 ) -> tuple[PinnedFile, ...]:
    """A catalog's `pinned` table ({"model.bin" = {sha256 = "...", size_bytes = N}, ...}), one entry per file of
    `files`, checked."""
    if not isinstance(table, dict) or set(table) != set(files):
        raise bad("pinned", "must give sha256 and size_bytes for each of the model's files, and only those")
    out = []
    for rel in files:
        entry = table[rel]
        if not isinstance(entry, dict) or set(entry) != {"sha256", "size_bytes"}:
            raise bad(f"pinned.{rel}", "must be {sha256 = \"...\", size_bytes = N}")
        sha, size = entry["sha256"], entry["size_bytes"]
        if not isinstance(sha, str) or not SHA256_RE.match(sha):
            raise bad(f"pinned.{rel}.sha256", "must be 64 lowercase hex digits")
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise bad(f"pinned.{rel}.size_bytes", "must be a positive integer")
        out.append(PinnedFile(rel, sha, size))
    return tuple(out)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def pin_problems(root: Path, pinned: tuple[PinnedFile, ...]) -> list[str]:
    """How the files under `root` differ from their pins (empty: every file is the published one)."""
    problems = []
    for pin in pinned:
        path = root / pin.path
        try:
            size = path.stat().st_size
            if size != pin.size_bytes:
                problems.append(f"{pin.path} has {size} bytes, the published file {pin.size_bytes}")
            elif file_sha256(path) != pin.sha256:
                problems.append(f"{pin.path} does not match its published SHA-256 ({pin.sha256[:16]}...)")
        except OSError as exc:
            problems.append(f"{pin.path} cannot be read ({exc.strerror or exc.__class__.__name__})")
    return problems
