"""The store's schema: what this version creates, the ordered upgrades from
older versions, and the check that a file holds exactly our schema objects.

A store is a file other programs (and people) can write to. A trigger or a
view planted in it would run on the reader's data, so a store whose tables,
columns, indexes, triggers or views differ from what this version creates is
refused before anything reads it (and SQLite's `trusted_schema` is off).
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

VERSION = 4
APPLICATION_ID = 0x636F6467  # "codg": marks a SQLite file as a coding store

_RUNS = """
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
"""
_TRANSCRIPTS_V2 = """
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
_TURNS = """
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
_CODINGS_V2 = """
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
_LOG_V2 = """
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
# Version 3: transcripts whose file is gone are kept (marked `gone`) so that a
# renamed or restored file can take their codings back; orphans say why;
# adjudicators' decisions are marked; what each coder has read is recorded;
# INSERT OR REPLACE cannot overwrite a log entry (REPLACE deletes without
# firing DELETE triggers).
_V3 = """
ALTER TABLE transcripts ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE codings ADD COLUMN orphan_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE codings ADD COLUMN adjudicated INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER log_is_append_only_replace BEFORE INSERT ON log
    WHEN EXISTS (SELECT 1 FROM log WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TABLE coverage (
    coder TEXT NOT NULL,
    transcript TEXT NOT NULL,
    code TEXT NOT NULL,
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (coder, transcript, code)
);
"""

# Version 4: a turn may carry its own group and attributes (a survey sheet holds
# many respondents of many groups); `places` says where each piece of the text
# began in the original file (a caption cue and its time, a DOCX paragraph, a
# sheet row); learned models live in the store and each run says which one tagged;
# mentions the rules vetoed are kept with the reason, for the audit.
_V4 = """
ALTER TABLE turns ADD COLUMN group_id TEXT NOT NULL DEFAULT '';
ALTER TABLE turns ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
CREATE TABLE places (
    transcript TEXT NOT NULL REFERENCES transcripts(path) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    place TEXT NOT NULL,
    PRIMARY KEY (transcript, start)
);
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    codebook_hash TEXT NOT NULL,
    learner TEXT NOT NULL,
    trained_on TEXT NOT NULL,
    estimate TEXT NOT NULL,
    blob BLOB NOT NULL
);
ALTER TABLE runs ADD COLUMN model INTEGER REFERENCES models(id);
CREATE TABLE vetoes (
    transcript TEXT NOT NULL REFERENCES transcripts(path) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    segment_start INTEGER NOT NULL,
    segment_end INTEGER NOT NULL,
    line INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    quote TEXT NOT NULL,
    code TEXT NOT NULL,
    matched_text TEXT NOT NULL,
    match_start INTEGER NOT NULL,
    match_end INTEGER NOT NULL,
    method TEXT NOT NULL,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id)
);
CREATE INDEX vetoes_by_transcript ON vetoes (transcript);
"""

# Version 2 as created fresh; later versions are version 2 plus the upgrades, so a
# new store and an upgraded one have the same columns in the same order.
_SCHEMA_V2 = _RUNS + _TRANSCRIPTS_V2 + _TURNS + _CODINGS_V2 + _LOG_V2
_SCHEMA_V3 = _SCHEMA_V2 + _V3
SCHEMA = _SCHEMA_V3 + _V4

# A version 1 store had a `segments` table that nothing read, no turns, no
# log, and no 'removed' status: its codings are copied over and every
# transcript is marked for re-tagging so that its turns get stored.
_FROM_1 = f"""
ALTER TABLE codings RENAME TO codings_v1;
DROP INDEX IF EXISTS codings_by_transcript;
DROP INDEX IF EXISTS codings_by_code;
DROP TABLE segments;
ALTER TABLE transcripts ADD COLUMN file_hash TEXT NOT NULL DEFAULT '';
{_TURNS}
{_CODINGS_V2}
{_LOG_V2}
INSERT INTO codings (id, transcript, group_id, segment_start, segment_end, line, speaker, role, quote,
    code, coder, status, matched_text, match_start, match_end, method, score, rule, note, run_id, created)
    SELECT id, transcript, group_id, segment_start, segment_end, line, speaker, role, quote, code, coder,
    status, matched_text, match_start, match_end, method, score, rule, note, run_id, created FROM codings_v1;
DROP TABLE codings_v1;
UPDATE transcripts SET content_hash = '';
"""

# version -> (script upgrading it to the next version, what the log says)
MIGRATIONS = {
    1: (_FROM_1, "transcripts will be re-tagged to store their turns"),
    2: (_V3, "gone transcripts kept for re-attaching, orphan reasons, adjudication, coverage"),
    3: (_V4, "turns with their own group (survey sheets), places in the original, learned models"),
}

def fingerprint(connection: sqlite3.Connection) -> dict:
    """The schema objects of a database, in a form that ignores how they came to be
    (an upgraded table and a freshly created one compare equal)."""
    objects = connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "ORDER BY type, name").fetchall()
    shape: dict = {}
    for kind, name, table, sql in objects:
        if kind == "table":
            # by name, not position: an upgrade appends columns a fresh table has in the middle
            columns = connection.execute(f"PRAGMA table_info({_quoted(name)})").fetchall()
            shape[(kind, name)] = tuple(sorted(tuple(column)[1:] for column in columns))
        elif kind == "index":
            columns = connection.execute(f"PRAGMA index_info({_quoted(name)})").fetchall()
            shape[(kind, name)] = (table, tuple(column[2] for column in columns))
        else:  # triggers and views: their text is what runs
            shape[(kind, name)] = (table, " ".join((sql or "").split()))
    return shape


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The schema each version created; version 1 predates this check.
_SCHEMAS = {2: _SCHEMA_V2, 3: _SCHEMA_V3, VERSION: SCHEMA}


@lru_cache(maxsize=None)
def expected(version: int = VERSION) -> dict:
    connection = sqlite3.connect(":memory:")
    connection.executescript(_SCHEMAS[version])
    shape = fingerprint(connection)
    connection.close()
    return shape


def differences(connection: sqlite3.Connection, version: int = VERSION) -> list[str]:
    """What makes this database's schema differ from what `version` created (empty: nothing).
    A version-1 store is only checked for views and triggers, which it never had."""
    found = fingerprint(connection)
    if version not in _SCHEMAS:
        return [f"unexpected {kind} {name}" for kind, name in found if kind in ("view", "trigger")]
    wanted = expected(version)
    extra = [f"unexpected {kind} {name}" for kind, name in found if (kind, name) not in wanted]
    missing = [f"missing {kind} {name}" for kind, name in wanted if (kind, name) not in found]
    changed = [f"changed {kind} {name}" for (kind, name), shape in found.items()
               if (kind, name) in wanted and wanted[(kind, name)] != shape]
    return extra + missing + changed
