"""Where the bundled data (prompts, programs, models) and the user's own files live."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
"""The project directory that holds prompts/, programs/ and models/."""

PROMPTS_DIR = ROOT / "prompts"
PROGRAMS_DIR = ROOT / "programs"


def data_dir() -> Path:
    """The user's data directory (journal); VOICE_COACH_HOME overrides it, for tests and kiosks."""
    home = os.environ.get("VOICE_COACH_HOME")
    return Path(home) / "data" if home else Path(platformdirs.user_data_dir("voice-coach"))


def config_dir() -> Path:
    """The user's config directory (profile, own programs, own words)."""
    home = os.environ.get("VOICE_COACH_HOME")
    return Path(home) / "config" if home else Path(platformdirs.user_config_dir("voice-coach"))


def default_db() -> Path:
    """The journal used when --db is not given."""
    return data_dir() / "journal.sqlite3"
