"""The store: one SQLite file holding transcripts, segments, codings and runs.

Every change happens inside one transaction (`Store.transaction`), so a
failure leaves the file as it was. The auto coder owns only its own rows
(coder = 'auto'): re-tagging replaces them and never touches a row written
by a person.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import InputError

SCHEMA_VERSION = 2
APPLICATION_ID = 0x636F6467  # "codg": marks a SQLite file as a coding store

BASE = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    codebook_path TEXT NOT NULL,
    codebook_hash TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    shared_min_groups INTEGER NOT NULL,
    transcripts_tagged INTEGER NOT NULL DEFAULT 0,
    transcripts_unchanged INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE codes (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE transcripts (
    path TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    file_hash TEXT NOT NULL DEFAULT '',
    codebook_hash TEXT NOT NULL,
    speakers TEXT NOT NULL,
    attributes TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id)
);
"""
TURNS = """
CREATE TABLE turns (
    transcript TEXT NOT NULL REFERENCES transcripts(path) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    line INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (transcript, turn)
);
"""
CODINGS = """
CREATE TABLE codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    transcript TEXT NOT NULL,
    group_id TEXT NOT NULL,
    segment_start INTEGER NOT NULL,
    segment_end INTEGER NOT NULL,
    line INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    quote TEXT NOT NULL,
    code TEXT NOT NULL,
    coder TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected', 'removed')),
    matched_text TEXT NOT NULL DEFAULT '',
    match_start INTEGER,
    match_end INTEGER,
    method TEXT NOT NULL DEFAULT '',
    score REAL,
    rule TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    decides INTEGER,
    orphaned INTEGER NOT NULL DEFAULT 0,
    run_id INTEGER REFERENCES runs(id),
    created TEXT NOT NULL
);
CREATE INDEX codings_by_transcript ON codings (transcript, coder);
CREATE INDEX codings_by_code ON codings (code, group_id);
"""
LOG = """
CREATE TABLE log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    coder TEXT NOT NULL,
    action TEXT NOT NULL,
    coding_id INTEGER,
    transcript TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL DEFAULT '',
    before TEXT NOT NULL DEFAULT '',
    after TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER log_is_append_only_update BEFORE UPDATE ON log
    BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_is_append_only_delete BEFORE DELETE ON log
    BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TABLE review_positions (
    coder TEXT NOT NULL,
    scope TEXT NOT NULL,
    position TEXT NOT NULL,
    PRIMARY KEY (coder, scope)
);
"""

SCHEMA = BASE + TURNS + CODINGS + LOG

# A version 1 store had a `segments` table that nothing read, no turns, no
# log, and no 'removed' status: its codings are copied over and every
# transcript is marked for re-tagging so that its turns get stored.
MIGRATE_FROM_1 = f"""
ALTER TABLE codings RENAME TO codings_v1;
DROP INDEX IF EXISTS codings_by_transcript;
DROP INDEX IF EXISTS codings_by_code;
DROP TABLE segments;
ALTER TABLE transcripts ADD COLUMN file_hash TEXT NOT NULL DEFAULT '';
{TURNS}
{CODINGS}
{LOG}
INSERT INTO codings (id, transcript, group_id, segment_start, segment_end, line, speaker, role, quote,
    code, coder, status, matched_text, match_start, match_end, method, score, rule, note, run_id, created)
    SELECT id, transcript, group_id, segment_start, segment_end, line, speaker, role, quote, code, coder,
    status, matched_text, match_start, match_end, method, score, rule, note, run_id, created FROM codings_v1;
DROP TABLE codings_v1;
UPDATE transcripts SET content_hash = '';
"""

CODING_COLUMNS = [
    "transcript", "group_id", "segment_start", "segment_end", "line", "speaker", "role",
    "quote", "code", "matched_text", "match_start", "match_end", "method", "score", "rule",
]
EVIDENCE_COLUMNS = CODING_COLUMNS[4:]  # what a re-found suggestion may update in place


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A coding store on disk. Open with `Store.open(path)`; `create=True` makes one."""

    def __init__(self, connection: sqlite3.Connection, path: str):
        self.db = connection
        self.path = path

    @classmethod
    def open(cls, path: str | Path, create: bool = False) -> "Store":
        """Open an existing store (upgrading an older schema); with create=True make one."""
        path = Path(path)
        if not path.exists():
            if not create:
                raise InputError(path, None, "no coding store here; run 'coding tag' or 'coding run' first")
            return cls._create(path)
        store = cls(cls._connect(path), str(path))
        store._check()
        return store

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    @classmethod
    def _create(cls, path: Path) -> "Store":
        connection = cls._connect(path)
        connection.executescript(
            f"BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; "
            f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        return cls(connection, str(path))

    def _check(self) -> None:
        try:
            application = self.db.execute("PRAGMA application_id").fetchone()[0]
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError:
            self.db.close()
            raise InputError(self.path, None, "not a SQLite database, so not a coding store") from None
        if application != APPLICATION_ID:
            self.db.close()
            raise InputError(self.path, None, "this SQLite file is not a coding store; choose another --db")
        if version > SCHEMA_VERSION:
            self.db.close()
            raise InputError(self.path, None, f"store schema version {version} is newer than this "
                             f"coding understands ({SCHEMA_VERSION}); upgrade coding")
        if version == 1:
            self.db.executescript(f"BEGIN; {MIGRATE_FROM_1} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            with self.transaction() as db:
                self.log(db, "coding", "migrate", before="schema 1", after=f"schema {SCHEMA_VERSION}",
                         detail="transcripts will be re-tagged to store their turns")

    def close(self) -> None:
        self.db.close()

    @classmethod
    def codebooks_used(cls, path: str | Path) -> set[str]:
        """Hashes of the codebooks earlier runs of the store at `path` used (each passed
        every check then); empty when there is no store there yet."""
        if not Path(path).exists():
            return set()
        store = cls.open(path)
        try:
            return {row[0] for row in store.db.execute("SELECT DISTINCT codebook_hash FROM runs")}
        finally:
            store.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- the log -----------------------------------------------------------

    @staticmethod
    def log(db: sqlite3.Connection, coder: str, action: str, coding_id: int | None = None,
            transcript: str = "", code: str = "", before: str = "", after: str = "",
            detail: str = "") -> None:
        """Append one change to the log (the table refuses updates and deletes)."""
        db.execute("INSERT INTO log (at, coder, action, coding_id, transcript, code, before, after, "
                   "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (now(), coder, action, coding_id, transcript, code, before, after, detail))

    # -- tagging -----------------------------------------------------------

    def start_run(self, db: sqlite3.Connection, tool_version: str, codebook, pipeline: str) -> int:
        """Record a tagging run and make its codebook the store's list of codes."""
        cursor = db.execute(
            "INSERT INTO runs (started, tool_version, codebook_path, codebook_hash, pipeline, "
            "shared_min_groups) VALUES (?, ?, ?, ?, ?, ?)",
            (now(), tool_version, codebook.path, codebook.content_hash, pipeline,
             codebook.shared_min_groups))
        db.execute("DELETE FROM codes")
        db.executemany("INSERT INTO codes (id, position, label, description) VALUES (?, ?, ?, ?)",
                       [(c.id, i, c.label, c.description) for i, c in enumerate(codebook.codes)])
        return cursor.lastrowid

    def finish_run(self, db: sqlite3.Connection, run_id: int, tagged: int, unchanged: int) -> None:
        db.execute("UPDATE runs SET transcripts_tagged = ?, transcripts_unchanged = ? WHERE id = ?",
                   (tagged, unchanged, run_id))
        self.log(db, "auto", "tag", detail=f"run {run_id}: {tagged} transcripts tagged, "
                 f"{unchanged} unchanged")

    def stored_hashes(self) -> dict[str, tuple[str, str, str]]:
        """path -> (file hash, content hash, codebook hash) of every transcript tagged so far."""
        rows = self.db.execute("SELECT path, file_hash, content_hash, codebook_hash FROM transcripts")
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def set_file_hash(self, db: sqlite3.Connection, path: str, file_hash: str) -> None:
        db.execute("UPDATE transcripts SET file_hash = ? WHERE path = ?", (file_hash, path))

    def replace_transcript(self, db: sqlite3.Connection, run_id: int, transcript, codebook_hash: str,
                           codings) -> None:
        """Store a transcript's turns and auto codings in place of the old ones.

        A suggestion found again keeps its id (so exported ids stay valid);
        human codings are never deleted, only re-anchored or marked orphaned.
        """
        previous = db.execute("SELECT content_hash FROM transcripts WHERE path = ?",
                              (transcript.path,)).fetchone()
        self._store_transcript(db, run_id, transcript, codebook_hash)
        summary = self._replace_suggestions(db, run_id, transcript.path, codings)
        if previous is not None and previous[0] != transcript.content_hash:
            self._reanchor_human_codings(db, transcript)
        if previous is None or summary != (0, len(codings), 0):
            added, kept, dropped = summary
            self.log(db, "auto", "suggest", transcript=transcript.path,
                     before=str(kept + dropped), after=str(added + kept),
                     detail=f"run {run_id}: {added} added, {kept} kept, {dropped} dropped")

    def _store_transcript(self, db: sqlite3.Connection, run_id: int, transcript, codebook_hash: str):
        db.execute(
            "INSERT OR REPLACE INTO transcripts (path, group_id, title, date, language, content_hash, "
            "file_hash, codebook_hash, speakers, attributes, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (transcript.path, transcript.group, transcript.title, transcript.date,
             transcript.language, transcript.content_hash, transcript.file_hash, codebook_hash,
             json.dumps(transcript.speakers, ensure_ascii=False),
             json.dumps(transcript.attributes, ensure_ascii=False, sort_keys=True), run_id))
        db.execute("DELETE FROM turns WHERE transcript = ?", (transcript.path,))
        db.executemany(
            'INSERT INTO turns (transcript, turn, speaker, role, line, start, "end", text) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(transcript.path, t.index, t.speaker, t.role, t.line, t.start, t.end,
              transcript.turn_text(t)) for t in transcript.turns])

    def _replace_suggestions(self, db: sqlite3.Connection, run_id: int, path: str, codings):
        """Upsert the auto coder's rows; returns (added, kept, dropped)."""
        old = {(r["segment_start"], r["segment_end"], r["code"]): r["id"] for r in db.execute(
            "SELECT id, segment_start, segment_end, code FROM codings WHERE transcript = ? "
            "AND coder = 'auto'", (path,))}
        created, fresh, kept = now(), [], []
        for c in codings:
            values = (c.transcript, c.group, c.segment_start, c.segment_end, c.line, c.speaker, c.role,
                      c.quote, c.code, c.matched_text, c.match_start, c.match_end, c.method, c.score,
                      c.rule)
            coding_id = old.pop((c.segment_start, c.segment_end, c.code), None)
            if coding_id is None:
                fresh.append((*values, run_id, created))
            else:
                kept.append((*values[4:], run_id, coding_id))
        db.executemany(
            f"INSERT INTO codings ({', '.join(CODING_COLUMNS)}, coder, status, run_id, created) "
            f"VALUES ({', '.join('?' * len(CODING_COLUMNS))}, 'auto', 'suggested', ?, ?)", fresh)
        db.executemany(
            f"UPDATE codings SET {', '.join(f'{c} = ?' for c in EVIDENCE_COLUMNS)}, run_id = ? "
            "WHERE id = ?", kept)
        db.executemany("DELETE FROM codings WHERE id = ?", [(i,) for i in old.values()])
        return len(fresh), len(kept), len(old)

    def _reanchor_human_codings(self, db: sqlite3.Connection, transcript) -> None:
        """After a transcript changed: a person's coding whose quote moved follows it;
        one whose quote is gone (or now ambiguous) is marked orphaned and kept."""
        text = transcript.text
        rows = db.execute("SELECT id, segment_start, segment_end, quote, code, coder, orphaned "
                          "FROM codings WHERE transcript = ? AND coder != 'auto'", (transcript.path,))
        for row in rows.fetchall():
            start, end, quote = row["segment_start"], row["segment_end"], row["quote"]
            if text[start:end] == quote:
                if row["orphaned"]:
                    self._set_orphaned(db, transcript.path, row, False, "its quote is back in place")
                continue
            if text.count(quote) == 1:
                shift = text.index(quote) - start
                turn = next(t for t in transcript.turns if t.start <= start + shift < max(t.end, t.start + 1))
                db.execute("UPDATE codings SET segment_start = ?, segment_end = ?, line = ?, speaker = ?, "
                           "role = ?, match_start = match_start + ?, match_end = match_end + ?, "
                           "orphaned = 0 WHERE id = ?",
                           (start + shift, end + shift, transcript.line_of(start + shift), turn.speaker,
                            turn.role, shift, shift, row["id"]))
                self.log(db, "auto", "re-anchor", row["id"], transcript.path, row["code"],
                         before=f"{start}-{end}", after=f"{start + shift}-{end + shift}",
                         detail="the transcript changed; the quote was found once elsewhere")
            elif not row["orphaned"]:
                self._set_orphaned(db, transcript.path, row, True, "the transcript changed and the quote is not in it once")

    def _set_orphaned(self, db: sqlite3.Connection, path: str, row, orphaned: bool, why: str) -> None:
        db.execute("UPDATE codings SET orphaned = ? WHERE id = ?", (int(orphaned), row["id"]))
        self.log(db, "auto", "orphan" if orphaned else "re-attach", row["id"], path, row["code"],
                 before=str(int(not orphaned)), after=str(int(orphaned)), detail=why)

    def drop_missing(self, db: sqlite3.Connection, folder: str, present: set[str]) -> list[str]:
        """Forget transcripts under `folder` whose files are gone; people's codings stay, orphaned."""
        rows = db.execute("SELECT path FROM transcripts WHERE path LIKE ? || '%'", (folder,)).fetchall()
        gone = [row["path"] for row in rows if row["path"] not in present]
        for path in gone:
            db.execute("DELETE FROM codings WHERE transcript = ? AND coder = 'auto'", (path,))
            for row in db.execute("SELECT id, code, orphaned FROM codings WHERE transcript = ?",
                                  (path,)).fetchall():
                if not row["orphaned"]:
                    self._set_orphaned(db, path, row, True, "the transcript file is gone")
            db.execute("DELETE FROM transcripts WHERE path = ?", (path,))
            self.log(db, "auto", "forget", transcript=path, detail="file no longer on disk")
        return gone

    # -- people's codings -----------------------------------------------------

    def coding(self, coding_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM codings WHERE id = ?", (coding_id,)).fetchone()

    def insert_coding(self, db: sqlite3.Connection, values: dict) -> int:
        columns = ", ".join(values)
        cursor = db.execute(f"INSERT INTO codings ({columns}, created) VALUES "
                            f"({', '.join('?' * len(values))}, ?)", (*values.values(), now()))
        return cursor.lastrowid

    def set_status(self, db: sqlite3.Connection, coding_id: int, status: str) -> None:
        db.execute("UPDATE codings SET status = ? WHERE id = ?", (status, coding_id))

    def review_position(self, coder: str, scope: str) -> str:
        row = self.db.execute("SELECT position FROM review_positions WHERE coder = ? AND scope = ?",
                              (coder, scope)).fetchone()
        return row[0] if row else ""

    def set_review_position(self, db: sqlite3.Connection, coder: str, scope: str, position: str) -> None:
        db.execute("INSERT OR REPLACE INTO review_positions (coder, scope, position) VALUES (?, ?, ?)",
                   (coder, scope, position))

    # -- reading -----------------------------------------------------------

    def codings(self) -> pd.DataFrame:
        """Tidy coding rows, one per coding (the auto coder's and people's)."""
        frame = pd.read_sql_query(
            "SELECT c.id AS coding_id, c.group_id AS \"group\", c.transcript, c.segment_start, "
            "c.segment_end, c.line, c.speaker, c.role, c.code, c.coder, c.status, c.quote, "
            "c.matched_text, c.match_start, c.match_end, c.method, c.score, c.rule, c.note, c.decides, "
            "c.orphaned, c.created FROM codings c "
            "ORDER BY c.group_id, c.transcript, c.segment_start, c.code, c.id", self.db)
        frame["orphaned"] = frame["orphaned"].astype(bool)
        return frame

    def turns(self, transcript: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE transcript = ?", (transcript,)) if transcript else ("", ())
        return pd.read_sql_query(f'SELECT transcript, turn, speaker, role, line, start, "end", text '
                                 f"FROM turns {where} ORDER BY transcript, turn", self.db, params=params)

    def log_entries(self) -> pd.DataFrame:
        entries = pd.read_sql_query("SELECT id, at, coder, action, coding_id, transcript, code, before, "
                                    "after, detail FROM log ORDER BY id", self.db)
        return entries.astype({"coding_id": "Int64"})

    def groups(self) -> pd.DataFrame:
        """One row per group with its attributes (from the front matter of its transcripts)."""
        rows = self.db.execute(
            "SELECT group_id, attributes FROM transcripts ORDER BY group_id, path").fetchall()
        merged: dict[str, dict] = {}
        for row in rows:  # the first transcript (by path) to name an attribute wins
            attributes = merged.setdefault(row["group_id"], {})
            for key, value in json.loads(row["attributes"]).items():
                attributes.setdefault(key, value)
        frame = pd.DataFrame([{"group": g, **attrs} for g, attrs in merged.items()])
        return frame if not frame.empty else pd.DataFrame(columns=["group"])

    def codes(self) -> pd.DataFrame:
        """The codes of the codebook last used for tagging, in codebook order."""
        return pd.read_sql_query("SELECT id AS code, label, description FROM codes ORDER BY position",
                                 self.db)

    def shared_min_groups(self) -> int:
        row = self.db.execute("SELECT shared_min_groups FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else 6

    def transcripts(self) -> pd.DataFrame:
        return pd.read_sql_query(
            "SELECT path, group_id AS \"group\", title, date, language, content_hash FROM transcripts "
            "ORDER BY path", self.db)
