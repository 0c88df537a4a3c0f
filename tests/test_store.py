"""The store: transactions, re-tagging, and refusing files it does not own."""
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from coding.errors import InputError
from coding.tagging import tag
from coding.store import SCHEMA_VERSION, Store
from coding.report.tables import needs_table

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
    with closing(Store.open(db)) as store:  # kept, marked gone, so a restored file takes its codings back
        assert list(store.transcripts()["path"]) == [f"{small.as_posix()}/a.md"]
        assert store.db.execute("SELECT path FROM transcripts WHERE gone = 1").fetchall()[0][0] == \
            f"{small.as_posix()}/b.md"


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


def test_a_version_1_store_is_upgraded_keeping_every_coding(tmp_path, monkeypatch):
    """tests/store_v1.sql: a store written by coding 0.1 (schema 1), with one person's rejection."""
    db = tmp_path / "coding.db"
    connection = sqlite3.connect(db)
    connection.executescript((Path(__file__).parent / "store_v1.sql").read_text())
    connection.executescript("PRAGMA application_id = 1668244583; PRAGMA user_version = 1;")
    before = connection.execute("SELECT id, coder, status, code FROM codings ORDER BY id").fetchall()
    connection.close()
    store = Store.open(db)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert (tmp_path / "coding.db.v1.bak").exists()
    rows = store.codings().sort_values("coding_id")
    assert list(rows[["coding_id", "coder", "status", "code"]].itertuples(index=False, name=None)) == before
    assert list(store.log_entries()["action"]) == ["migrate"] * 3  # 1 -> 2 -> 3 -> 4
    assert needs_table(store).set_index("code").loc["legal_support", "groups"] == 0  # mira rejected it
    store.close()
    # every transcript is re-tagged once, so that its turns are stored
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "a.md", "Interviewer: Legal advice?\nAna: We need a lawyer. And training.\n",
                     group="G1")
    monkeypatch.chdir(tmp_path)
    result = tag([Path("transcripts")], CODEBOOK, db)
    assert result.tagged == ["transcripts/a.md"]
    store = Store.open(db)
    assert len(store.turns()) == 2
    assert (store.codings()["coder"] == "mira").sum() == 1
    store.close()
