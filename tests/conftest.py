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
