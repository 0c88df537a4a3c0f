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

from .errors import InputError

SCHEMA_VERSION = 1
APPLICATION_ID = 0x636F6467  # "codg": marks a SQLite file as a coding store

SCHEMA = """
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
    codebook_hash TEXT NOT NULL,
    speakers TEXT NOT NULL,
    attributes TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id)
);
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    transcript TEXT NOT NULL REFERENCES transcripts(path) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    line INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (transcript, start, "end")
);
CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
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
    status TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected')),
    matched_text TEXT NOT NULL DEFAULT '',
    match_start INTEGER,
    match_end INTEGER,
    method TEXT NOT NULL DEFAULT '',
    score REAL,
    rule TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    run_id INTEGER REFERENCES runs(id),
    created TEXT NOT NULL
);
CREATE INDEX codings_by_transcript ON codings (transcript, coder);
CREATE INDEX codings_by_code ON codings (code, group_id);
"""

CODING_COLUMNS = [
    "transcript", "group_id", "segment_start", "segment_end", "line", "speaker", "role",
    "quote", "code", "matched_text", "match_start", "match_end", "method", "score", "rule",
]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A coding store on disk. Open with `Store.open(path)` or `Store.create(path)`."""

    def __init__(self, connection: sqlite3.Connection, path: str):
        self.db = connection
        self.path = path

    @classmethod
    def open(cls, path: str | Path, create: bool = False) -> "Store":
        """Open an existing store; with create=True make one if there is none."""
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
        with connection:
            connection.executescript(
                f"BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; "
                f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
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

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- writing -----------------------------------------------------------

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

    def is_current(self, path: str, content_hash: str, codebook_hash: str) -> bool:
        """True when this transcript was tagged from the same text with the same codebook."""
        row = self.db.execute("SELECT content_hash, codebook_hash FROM transcripts WHERE path = ?",
                              (path,)).fetchone()
        return row is not None and tuple(row) == (content_hash, codebook_hash)

    def replace_transcript(self, db: sqlite3.Connection, run_id: int, transcript, codebook_hash: str,
                           segments, codings) -> None:
        """Put a transcript's new segments and auto codings in place of the old ones."""
        db.execute("DELETE FROM segments WHERE transcript = ?", (transcript.path,))
        db.execute("DELETE FROM codings WHERE transcript = ? AND coder = 'auto'", (transcript.path,))
        db.execute(
            "INSERT OR REPLACE INTO transcripts (path, group_id, title, date, language, content_hash, "
            "codebook_hash, speakers, attributes, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (transcript.path, transcript.group, transcript.title, transcript.date,
             transcript.language, transcript.content_hash, codebook_hash,
             json.dumps(transcript.speakers, ensure_ascii=False),
             json.dumps(transcript.attributes, ensure_ascii=False, sort_keys=True), run_id))
        db.executemany(
            'INSERT INTO segments (transcript, turn, speaker, role, line, start, "end", text) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(s.transcript, s.turn, s.speaker, s.role, s.line, s.start, s.end, s.text) for s in segments])
        created = now()
        db.executemany(
            f"INSERT INTO codings ({', '.join(CODING_COLUMNS)}, coder, status, run_id, created) "
            f"VALUES ({', '.join('?' * len(CODING_COLUMNS))}, 'auto', 'suggested', ?, ?)",
            [(c.transcript, c.group, c.segment_start, c.segment_end, c.line, c.speaker, c.role,
              c.quote, c.code, c.matched_text, c.match_start, c.match_end, c.method, c.score,
              c.rule, run_id, created) for c in codings])

    def drop_missing(self, db: sqlite3.Connection, folder: str, present: set[str]) -> list[str]:
        """Forget transcripts under `folder` whose files are gone; human codings stay."""
        rows = db.execute("SELECT path FROM transcripts WHERE path LIKE ? || '%'", (folder,)).fetchall()
        gone = [row["path"] for row in rows if row["path"] not in present]
        for path in gone:
            db.execute("DELETE FROM codings WHERE transcript = ? AND coder = 'auto'", (path,))
            db.execute("DELETE FROM transcripts WHERE path = ?", (path,))
        return gone

    # -- reading -----------------------------------------------------------

    def codings(self) -> pd.DataFrame:
        """Tidy coding rows, one per coding, with each group's attributes as columns."""
        frame = pd.read_sql_query(
            "SELECT c.id AS coding_id, c.group_id AS \"group\", c.transcript, c.segment_start, "
            "c.segment_end, c.line, c.speaker, c.role, c.code, c.coder, c.status, c.quote, "
            "c.matched_text, c.method, c.score, c.rule FROM codings c "
            "ORDER BY c.group_id, c.transcript, c.segment_start, c.code, c.id", self.db)
        return frame

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
