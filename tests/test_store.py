"""The store: transactions, re-tagging, and refusing files it does not own."""
import sqlite3

import pytest

from coding.errors import InputError
from coding.pipeline import tag
from coding.store import SCHEMA_VERSION, Store

from .conftest import CODEBOOK, write_transcript


def dump(db):
    connection = sqlite3.connect(db)
    rows = {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("transcripts", "turns", "codings", "runs", "codes")}
    connection.close()
    return rows


@pytest.fixture
def small(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "a.md", "Interviewer: Legal advice?\nAna: We need a lawyer.\n", group="G1")
    write_transcript(folder, "b.md", "Ana: Training, please.\nBen: And staff.\n", group="G2")
    return folder


def test_tagging_writes_rows_and_skips_unchanged(tmp_path, small):
    db = tmp_path / "coding.db"
    first = tag([small], CODEBOOK, db)
    assert (len(first.tagged), first.codings) == (2, 4)
    before = dump(db)
    second = tag([small], CODEBOOK, db)
    assert (second.tagged, len(second.unchanged)) == ([], 2)
    after = dump(db)
    assert after["codings"] == before["codings"] and after["turns"] == before["turns"]
    assert len(after["runs"]) == 2


def test_bad_transcript_leaves_the_store_as_it_was(tmp_path, small):
    db = tmp_path / "coding.db"
    tag([small], CODEBOOK, db)
    before = dump(db)
    (small / "a.md").write_text((small / "a.md").read_text() + "Zoe: intruder\n")
    with pytest.raises(InputError, match="speaker 'Zoe'"):
        tag([small], CODEBOOK, db)
    assert dump(db) == before


def test_failure_inside_the_transaction_rolls_back(tmp_path, small, monkeypatch):
    db = tmp_path / "coding.db"
    tag([small], CODEBOOK, db)
    before = dump(db)
    (small / "b.md").write_text((small / "b.md").read_text() + "Ben: More training.\n")
    (small / "a.md").write_text((small / "a.md").read_text() + "Ben: More lawyers.\n")
    calls = []

    def fail_on_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)

    original = Store.replace_transcript
    monkeypatch.setattr(Store, "replace_transcript", fail_on_second)
    with pytest.raises(RuntimeError):
        tag([small], CODEBOOK, db)
    assert dump(db) == before


def test_no_store_is_created_when_input_is_bad(tmp_path, small):
    (small / "c.md").write_text("no front matter\n")
    with pytest.raises(InputError, match="no YAML front matter"):
        tag([small], CODEBOOK, tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()


def test_retagging_keeps_human_rows(tmp_path, small):
    db = tmp_path / "coding.db"
    tag([small], CODEBOOK, db)
    connection = sqlite3.connect(db)
    connection.execute(
        "INSERT INTO codings (transcript, group_id, segment_start, segment_end, line, speaker, role, "
        "quote, code, coder, status, created) SELECT transcript, group_id, segment_start, segment_end, "
        "line, speaker, role, quote, code, 'maria', 'rejected', '2026-01-01' FROM codings LIMIT 1")
    connection.commit()
    connection.close()
    (small / "a.md").write_text((small / "a.md").read_text() + "Ben: We need mediation.\n")
    result = tag([small], CODEBOOK, db)
    assert result.tagged == [f"{small.as_posix()}/a.md"]
    human = [row for row in dump(db)["codings"] if row[10] == "maria"]
    assert len(human) == 1 and human[0][11] == "rejected"


def test_removed_transcript_is_dropped(tmp_path, small):
    db = tmp_path / "coding.db"
    tag([small], CODEBOOK, db)
    (small / "b.md").unlink()
    result = tag([small], CODEBOOK, db)
    assert result.removed == [f"{small.as_posix()}/b.md"]
    assert {row[0] for row in dump(db)["transcripts"]} == {f"{small.as_posix()}/a.md"}


def test_newer_schema_and_foreign_files_are_refused(tmp_path, small):
    db = tmp_path / "coding.db"
    tag([small], CODEBOOK, db)
    connection = sqlite3.connect(db)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(InputError, match="newer than this coding understands"):
        Store.open(db)
    foreign = tmp_path / "other.db"
    sqlite3.connect(foreign).execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(InputError, match="not a coding store"):
        Store.open(foreign)
    text = tmp_path / "notes.db"
    text.write_text("hello, I am not a database at all" * 10)
    with pytest.raises(InputError, match="not a SQLite database"):
        Store.open(text)


def test_a_transcript_named_twice_is_refused(tmp_path, small):
    with pytest.raises(InputError, match="transcript given twice"):
        tag([small, small / "a.md"], CODEBOOK, tmp_path / "coding.db")
    assert not (tmp_path / "coding.db").exists()


def test_progress_reports_every_transcript(tmp_path, small):
    seen = []
    tag([small], CODEBOOK, tmp_path / "coding.db", progress=lambda path, total: seen.append((path, total)))
    assert [total for _, total in seen] == [2, 2] and seen[0][0].endswith("a.md")
