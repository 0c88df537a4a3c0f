import shutil
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coding.tagging import tag
from coding.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CODEBOOK = ROOT / "codebook.yaml"
TRANSCRIPTS = ROOT / "transcripts"
DEVSET = ROOT / "tests" / "devset"

HEADER = """---
group: {group}
title: Test interview
language: en
region: Region Test
speakers:
  Interviewer: interviewer
  Ana: participant
  Ben: participant
---
# SYNTHETIC test transcript.
"""


def write_transcript(folder: Path, name: str, body: str, group: str = "T01") -> Path:
    path = folder / name
    path.write_text(HEADER.format(group=group) + body, encoding="utf-8")
    return path


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory) -> Path:
    """The bundled transcripts tagged once into a store shared by read-only tests."""
    db = tmp_path_factory.mktemp("bundled") / "coding.db"
    tag([TRANSCRIPTS], CODEBOOK, db)
    return db


@pytest.fixture
def bundled_store(bundled_db):
    with closing(Store.open(bundled_db)) as opened:
        yield opened


@pytest.fixture
def db(bundled_db, tmp_path) -> Path:
    """A private copy of the tagged bundled store, for tests that write to it."""
    copy = tmp_path / "coding.db"
    shutil.copy(bundled_db, copy)
    return copy


@pytest.fixture
def store(db):
    with closing(Store.open(db)) as opened:
        yield opened


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder laid out like a project: codebook.yaml and transcripts/ (copies)."""
    shutil.copy(CODEBOOK, tmp_path / "codebook.yaml")
    shutil.copytree(TRANSCRIPTS, tmp_path / "transcripts")
    monkeypatch.chdir(tmp_path)
    return tmp_path


ARTEFACTS = ROOT / "tests" / "artefacts"  # screenshots the browser tests keep (git-ignored)


def _system_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (no browser download). Skips, saying why,
    only where no chromium or no Playwright can be had (`make test` installs both)."""
    executable = _system_chromium()
    if executable is None:
        pytest.skip("no system chromium (make test installs Debian's chromium when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    """A fresh page with no network beyond this machine's loopback."""
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("http://127.0.0.1", "http://localhost", "file:", "data:",
                                                   "about:"))
                  else route.abort())
    opened = context.new_page()
    ARTEFACTS.mkdir(exist_ok=True)
    try:
        yield opened
    finally:
        context.close()
