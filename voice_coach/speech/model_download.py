"""Installing a catalog model: stream the archive (or each pinned file) to a temp file while hashing it, check
the pinned size and SHA-256, unpack it safely into a temp folder, verify it, then rename it into place.

Every temp file lives in the destination folder (so the final rename is atomic) and is removed on any
failure: a model folder either is whole or does not exist.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import ssl
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from voice_coach.errors import ModelError
from voice_coach.speech.models import (
    InstallResult,
    ModelSpec,
    ProgressCallback,
    _get_spec,
    check_model_dir,
    install_hint,
    package_model_path,
    resolve_url,
    url_env_var,
    verify_dir,
)

CHUNK_BYTES = 64 * 1024


def install_spec(
    spec: ModelSpec,
    *,
    dest_dir: Path,
    url: str | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float = 30,
) -> InstallResult:
    """Install one catalog model into dest_dir/NAME (see `install`)."""
    name = spec.name
    if spec.base_url:
        return _install_files(spec, dest_dir=dest_dir, url=url, progress=progress, timeout_s=timeout_s)
    if spec.package:
        return _check_package_model(spec)
    target = dest_dir / name
    if (done := _already_installed(spec, target)) is not None:
        return done
    source = resolve_url(spec, url)
    if not source or not spec.sha256 or not spec.size_bytes or not spec.archive_dir:
        raise ModelError(f"model '{name}' has no download address or checksum: "
                         "fix its entry in voice_coach/data/catalog.toml")
    archive: Path | None = None
    unpack_dir: Path | None = None
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        fd, archive_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{name}.", suffix=".download")
        archive = Path(archive_name)
        with os.fdopen(fd, "wb") as out:
            digest = _download(name, source, spec.size_bytes, out, progress, timeout_s)
        if digest != spec.sha256:
            raise _mismatch(name, "", spec.sha256, digest)
        unpack_dir = Path(tempfile.mkdtemp(dir=dest_dir, prefix=f".{name}.", suffix=".unpack"))
        _unpack(name, archive, unpack_dir)
        root = unpack_dir / spec.archive_dir
        if not root.is_dir():
            raise ModelError(f"archive for model '{name}' has no folder '{spec.archive_dir}': "
                             "the catalog entry does not match the archive; fix voice_coach/data/catalog.toml")
        _place_if_whole(spec, root, target, unpack_dir, "archive for")
    except OSError as exc:
        raise _cannot_write(name, dest_dir, exc) from None
    finally:
        if archive is not None:
            archive.unlink(missing_ok=True)
        if unpack_dir is not None:
            shutil.rmtree(unpack_dir, ignore_errors=True)
    return InstallResult(name, target, True, f"model '{name}' installed and verified at {target}")


def _install_files(spec: ModelSpec, *, dest_dir: Path, url: str | None, progress: ProgressCallback | None,
                   timeout_s: float) -> InstallResult:
    """Download each pinned file from base_url into a temp folder, check its size and SHA-256, then rename the
    whole folder to dest_dir/NAME in one step."""
    name, target = spec.name, dest_dir / spec.name
    if (already := _already_installed(spec, target)) is not None:
        return already
    base = resolve_url(spec, url) or ""
    base = base if base.endswith("/") else base + "/"
    total, done = sum(p.size_bytes for p in spec.pinned), 0
    scratch: Path | None = None
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=dest_dir, prefix=f".{name}.", suffix=".download"))
        root = scratch / name
        for pin in spec.pinned:
            path = root / pin.path
            path.parent.mkdir(parents=True, exist_ok=True)

            def step(received: int, _: int | None, before: int = done) -> None:
                if progress is not None:
                    progress(before + received, total)

            with path.open("wb") as out:
                digest = _download(name, urllib.parse.urljoin(base, pin.path), pin.size_bytes, out, step, timeout_s)
            if digest != pin.sha256:
                raise _mismatch(name, f"{pin.path} of ", pin.sha256, digest)
            done += pin.size_bytes
        _place_if_whole(spec, root, target, scratch, "download of")
    except OSError as exc:
        raise _cannot_write(name, dest_dir, exc) from None
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return InstallResult(name, target, True, f"model '{name}' downloaded from {base}, checked against its published "
                                             f"SHA-256s, and installed at {target}")


def _already_installed(spec: ModelSpec, target: Path) -> InstallResult | None:
    if target.is_dir() and not check_model_dir(spec, target):
        return InstallResult(spec.name, target, False,
                             f"model '{spec.name}' is already installed and verified at {target}")
    return None


def _place_if_whole(spec: ModelSpec, root: Path, target: Path, scratch: Path, what: str) -> None:
    """Rename the model at `root` to `target` when it is whole (and its files are the pinned ones)."""
    problems = check_model_dir(spec, root)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ModelError(f"{what} model '{spec.name}' is not a whole model: {problems[0]}{more}; "
                         "fix the catalog entry or the download address")
    _move_into_place(root, target, scratch)


def _mismatch(name: str, what: str, expected: str, digest: str) -> ModelError:
    return ModelError(f"checksum mismatch for {what}model '{name}': expected sha256 {expected[:16]}..., got "
                      f"{digest[:16]}...; the download is damaged or not the pinned file: run "
                      f"`voice-coach models install {name}` again")


def _cannot_write(name: str, dest_dir: Path, exc: OSError) -> ModelError:
    return ModelError(f"cannot write model '{name}' into {dest_dir} ({exc.strerror or exc}): "
                      "free some disk space or choose a writable folder with VOICE_COACH_MODELS")


def _check_package_model(spec: ModelSpec) -> InstallResult:
    path = package_model_path(spec.package or "", spec.package_dir)
    if path is None:
        raise ModelError(f"model '{spec.name}' comes from the python package {spec.package}, "
                         f"which is not installed: {install_hint(spec)}")
    problems = verify_dir(path, spec.files, spec.engine)
    if problems:
        raise ModelError(f"model '{spec.name}' in python package {spec.package} is damaged ({problems[0]}): "
                         f"run `pip install --force-reinstall {spec.pip_name}`")
    return InstallResult(spec.name, path, False,
                         f"model '{spec.name}' comes with python package {spec.package} at {path}; nothing to do")


def _why(reason: object, timeout_s: float) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "server name not found"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(reason, ssl.SSLError):
        return "secure connection failed"
    return " ".join(str(reason).split()) or type(reason).__name__


def _download(name: str, source: str, expected_bytes: int | None, out: BinaryIO, progress: ProgressCallback | None,
              timeout_s: float) -> str:
    """Stream `source` into `out` (model `name`, exactly `expected_bytes` long); return the SHA-256 hex digest.
    Raises one-line ModelErrors."""
    expected = expected_bytes or 0
    parts = urllib.parse.urlsplit(source)
    if parts.scheme not in ("http", "https", "file"):
        raise ModelError(f"cannot download model '{name}' from {source!r}: use an https:// address "
                         f"(catalog or {url_env_var(name)})")
    request = urllib.request.Request(source, headers={"User-Agent": "voice-coach"})
    again = f"run `voice-coach models install {name}` again"
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ModelError(f"download of model '{name}' failed: {source} answered HTTP {exc.code} {exc.reason}: "
                         f"check the address (catalog or {url_env_var(name)})") from None
    except urllib.error.URLError as exc:
        raise ModelError(f"cannot download model '{name}': {_why(exc.reason, timeout_s)} at "
                         f"{parts.netloc or source}: check the network connection and the address, then "
                         f"{again}") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ModelError(f"cannot download model '{name}' from {source}: {_why(exc, timeout_s)}: "
                         f"check the network connection, then {again}") from None
    digest, received, declared = hashlib.sha256(), 0, None
    with response:
        length = response.headers.get("Content-Length", "")
        declared = int(length) if length.strip().isdigit() else None
        if declared is not None and declared != expected:
            raise ModelError(f"download of model '{name}' is not the pinned file: {source} offers {declared} "
                             f"bytes but the catalog pins {expected}: check the address")
        while True:
            try:
                chunk = response.read(CHUNK_BYTES)
            except (OSError, http.client.HTTPException) as exc:
                raise ModelError(f"download of model '{name}' broke off after {received} of {expected} bytes "
                                 f"({_why(exc, timeout_s)}): {again}") from None
            if not chunk:
                break
            received += len(chunk)
            if received > expected:
                raise ModelError(f"download of model '{name}' is larger than the pinned {expected} bytes: "
                                 "check the address")
            digest.update(chunk)
            out.write(chunk)
            if progress is not None:
                progress(received, expected)
    if received < expected:
        raise ModelError(f"download of model '{name}' was cut short: got {received} of {expected} bytes; {again}")
    return digest.hexdigest()


def _unsafe_member(member: str) -> bool:
    posix = PurePosixPath(member.replace("\\", "/"))
    return (not member or "\x00" in member or posix.is_absolute() or ".." in posix.parts
            or bool(PureWindowsPath(member).drive))


def _refuse(name: str, member: str, why: str) -> ModelError:
    return ModelError(f"archive for model '{name}' has an unsafe entry {member!r} ({why}): refusing to unpack it; "
                      "check the download address")


def _unpack(name: str, archive: Path, into: Path) -> None:
    """Unpack a zip or tar(.gz) archive into `into`, refusing members that would land outside it."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if _unsafe_member(info.filename):
                        raise _refuse(name, info.filename, "path leaves the model folder")
                zf.extractall(into)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive, "r:*") as tf:
                members = tf.getmembers()
                for member in members:
                    if _unsafe_member(member.name):
                        raise _refuse(name, member.name, "path leaves the model folder")
                    if not (member.isfile() or member.isdir()):
                        raise _refuse(name, member.name, "links and devices are not allowed")
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(into, members=members, filter="data")
                else:  # older Pythons: the checks above already refuse what the filter would
                    tf.extractall(into, members=members)
        else:
            raise ModelError(f"download of model '{name}' is not a zip or tar.gz archive: check the address")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, EOFError, zlib.error,
            NotImplementedError, RuntimeError) as exc:
        raise ModelError(f"archive for model '{name}' is damaged ({' '.join(str(exc).split())}): "
                         f"run `voice-coach models install {name}` again") from None


def _move_into_place(root: Path, target: Path, scratch: Path) -> None:
    """Rename the unpacked model to `target`; a damaged old copy is moved into `scratch` (deleted later)."""
    old = None
    if target.exists() or target.is_symlink():
        old = scratch / ".previous"
        os.rename(target, old)
    try:
        os.rename(root, target)
    except OSError:
        if old is not None:
            os.rename(old, target)
        raise


def install(
    name: str,
    *,
    dest_dir: Path,
    url: str | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float = 30,
    catalog: Mapping[str, ModelSpec] | None = None,
) -> InstallResult:
    """Download, check and unpack model `name` into dest_dir/NAME; the only code here that opens sockets."""
    spec = _get_spec(name, catalog)
    return install_spec(spec, dest_dir=Path(dest_dir), url=url, progress=progress, timeout_s=timeout_s)
