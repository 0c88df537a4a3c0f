"""Stores that others wrote to: planted triggers and views, log rewrites, locks,
missing and read-only folders, a store left empty by an interrupted first run."""
import os
import shutil
import sqlite3
from contextlib import closing

import pytest

from coding.cli import app
from coding.errors import InputError
from coding.report.tables import needs_table
from coding.review import decisions
from coding.store import Store
from coding.store.schema import APPLICATION_ID, SCHEMA, VERSION
from coding.tagging import tag

from .conftest import CODEBOOK, TRANSCRIPTS


def plant(db, sql):
    connection = sqlite3.connect(db)
    connection.executescript(sql)
    connection.close()


@pytest.mark.parametrize("sql, named", [
    ("CREATE TRIGGER wipe AFTER INSERT ON runs BEGIN DELETE FROM codings WHERE coder != 'auto'; END;",
     "unexpected trigger wipe"),
    ("ALTER TABLE codes RENAME TO codes_real; CREATE VIEW codes AS SELECT * FROM codes_real WHERE id != 'skills';",
     "unexpected view codes"),
    ("CREATE TABLE extra (x);", "unexpected table extra"),
    ("DROP TRIGGER log_is_append_only_delete;", "missing trigger log_is_append_only_delete"),
    ("CREATE INDEX sneaky ON codings (quote);", "unexpected index sneaky"),
])
def test_a_store_with_foreign_schema_objects_is_refused_before_anything_runs(db, sql, named, runner):
    plant(db, sql)
    before = db.read_bytes()
    with pytest.raises(InputError, match=named):
        Store.open(db)
    result = runner.invoke(app, ["tag", str(TRANSCRIPTS), "--codebook", str(CODEBOOK), "--db", str(db)])
    assert result.exit_code == 1 and "refused: the store's schema" in result.output
    assert db.read_bytes() == before


def test_a_planted_trigger_never_fires_on_peoples_decisions(db):
    with closing(Store.open(db)) as store:
        decisions.decide(store, int(store.codings()["coding_id"].iloc[0]), "accept", "ana")
    plant(db, "CREATE TRIGGER wipe AFTER INSERT ON runs BEGIN DELETE FROM codings WHERE coder != 'auto'; END;")
    with pytest.raises(InputError):
        tag([TRANSCRIPTS], CODEBOOK, db)
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT count(*) FROM codings WHERE coder = 'ana'").fetchone()[0] == 1
    connection.close()


def test_the_log_refuses_update_delete_and_insert_or_replace(store):
    decisions.decide(store, int(store.codings()["coding_id"].iloc[0]), "accept", "ana")
    first = store.log_entries().iloc[0]
    for sql in ("UPDATE log SET coder = 'eve'", "DELETE FROM log",
                f"INSERT OR REPLACE INTO log (id, at, coder, action) VALUES ({first['id']}, 'x', 'eve', 'forged')"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    assert store.log_entries().iloc[0]["coder"] == first["coder"]


def test_schema_functions_from_the_file_are_not_trusted(store):
    assert store.db.execute("PRAGMA trusted_schema").fetchone()[0] == 0


def test_db_in_a_missing_folder_is_one_line(runner, workdir):
    result = runner.invoke(app, ["run", "--db", "nowhere/sub/coding.db"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: nowhere/sub/coding.db: the folder nowhere/sub does not exist"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_db_in_a_read_only_folder_is_one_line(runner, workdir):
    (workdir / "locked").mkdir()
    (workdir / "locked").chmod(0o500)
    try:
        result = runner.invoke(app, ["run", "--db", "locked/coding.db"])
    finally:
        (workdir / "locked").chmod(0o700)
    assert result.exit_code == 1 and "read-only" in result.output


def test_a_read_only_store_file_is_one_line(runner, db):
    db.chmod(0o400)
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        store = Store(connection, str(db))
        with pytest.raises(InputError, match="read-only"):
            with store.atomic():
                store.log("ana", "test")
    finally:
        connection.close()
        db.chmod(0o600)


def test_a_locked_store_says_busy_not_not_a_database(runner, db, monkeypatch):
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr("coding.store.store.BUSY_SECONDS", 0.1)
    try:
        result = runner.invoke(app, ["table", "--db", str(db)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "the store is busy" in result.output and "not a SQLite" not in result.output


def test_a_store_left_empty_by_an_interrupted_first_run_prints_an_empty_table(tmp_path, runner):
    db = tmp_path / "coding.db"
    with closing(Store.open(db, create=True)):
        pass
    result = runner.invoke(app, ["table", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["code,label,description,groups,class,group_ids"]
    md = runner.invoke(app, ["table", "--db", str(db)])
    assert md.exit_code == 0 and "(no rows)" in md.stdout


def test_a_store_is_backed_up_before_an_upgrade(tmp_path):
    """A version-2 store (as coding 0.2 made it) is upgraded after a copy is kept."""
    from coding.store.schema import _SCHEMA_V2
    db = tmp_path / "coding.db"
    connection = sqlite3.connect(db)
    connection.executescript(_SCHEMA_V2 + f"PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 2;")
    connection.close()
    with closing(Store.open(db)) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    backup = sqlite3.connect(tmp_path / "coding.db.v2.bak")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 2
    assert "gone" not in {row[1] for row in backup.execute("PRAGMA table_info(transcripts)")}
    backup.close()
