"""The store: one SQLite file holding transcripts, turns, codings, runs and the log.

Every change happens inside `Store.atomic()` (nested calls become SAVEPOINTs),
so a failure leaves the file as it was and a function takes the store alone,
never a raw connection. Machine coders own only their own rows: re-tagging
replaces them and never deletes a row written by a person; people's rows
follow their quote when a transcript changes, moves or comes back.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..coders import MACHINE_SQL, RULE_CODER
from ..errors import InputError
from . import schema

SCHEMA_VERSION = schema.VERSION
CODING_COLUMNS = [
    "transcript", "group_id", "segment_start", "segment_end", "line", "speaker", "role",
    "quote", "code", "matched_text", "match_start", "match_end", "method", "score", "rule",
]
# What a re-found suggestion may update in place (its unit, transcript + segment + code, stays).
EVIDENCE_COLUMNS = [c for c in CODING_COLUMNS if c not in ("transcript", "segment_start", "segment_end", "code")]
BUSY_SECONDS = float(os.environ.get("CODING_BUSY_TIMEOUT", "10"))


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A coding store on disk. Open with `Store.open(path)`; `create=True` makes one."""

    def __init__(self, connection: sqlite3.Connection, path: str):
        self.db = connection
        self.path = path
        self._depth = 0

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, create: bool = False, timeout: float | None = None) -> "Store":
        """Open an existing store (upgrading an older schema); with create=True make one."""
        path = Path(path)
        if not path.exists():
            if not create:
                raise InputError(path, None, "no coding store here; run 'coding tag' or 'coding run' first")
            return cls._create(path, timeout)
        store = cls(cls._connect(path, timeout), str(path))
        try:
            store._check()
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def _connect(path: Path, timeout: float | None) -> sqlite3.Connection:
        if not path.parent.is_dir():
            raise InputError(path, None, f"the folder {path.parent} does not exist")
        try:
            connection = sqlite3.connect(path, isolation_level=None,
                                         timeout=BUSY_SECONDS if timeout is None else timeout)
        except sqlite3.Error as error:
            raise InputError(path, None, f"cannot open the store: {error}") from None
        connection.row_factory = sqlite3.Row
        # A file may come from anyone: functions in its schema must not run on our data.
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    @classmethod
    def _create(cls, path: Path, timeout: float | None) -> "Store":
        connection = cls._connect(path, timeout)
        if not os.access(path.parent, os.W_OK):
            connection.close()
            raise InputError(path, None, f"cannot create the store: the folder {path.parent} is read-only")
        store = cls(connection, str(path))
        with store.atomic():
            store._script(f"{schema.SCHEMA}\nPRAGMA application_id = {schema.APPLICATION_ID};\n"
                          f"PRAGMA user_version = {schema.VERSION};\n")
        return store

    def _check(self) -> None:
        try:
            application = self.db.execute("PRAGMA application_id").fetchone()[0]
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as error:
            raise self._sqlite_error(error) from None
        except sqlite3.DatabaseError:
            raise InputError(self.path, None, "not a SQLite database, so not a coding store") from None
        if application != schema.APPLICATION_ID:
            raise InputError(self.path, None, "this SQLite file is not a coding store; choose another --db")
        if version > schema.VERSION:
            raise InputError(self.path, None, f"store schema version {version} is newer than this "
                             f"coding understands ({schema.VERSION}); upgrade coding")
        self._refuse_foreign_objects(version)
        if version < schema.VERSION:
            self._upgrade(version)
            self._refuse_foreign_objects(schema.VERSION)

    def _refuse_foreign_objects(self, version: int) -> None:
        problems = schema.differences(self.db, version)
        if problems:
            raise InputError(self.path, None, "refused: the store's schema is not what coding creates "
                             f"({'; '.join(problems[:3])}{'; ...' if len(problems) > 3 else ''})")

    def _upgrade(self, version: int) -> None:
        """Apply the upgrades from `version` in order, after copying the file to a backup."""
        backup = Path(f"{self.path}.v{version}.bak")
        try:
            with closing_connection(sqlite3.connect(backup)) as copy:
                self.db.backup(copy)
        except sqlite3.Error as error:
            raise InputError(self.path, None, f"cannot back up the store before upgrading it: {error}") from None
        with self.atomic():
            for step in range(version, schema.VERSION):
                script, note = schema.MIGRATIONS[step]
                self._script(script)
                self.log("coding", "migrate", before=f"schema {step}", after=f"schema {step + 1}",
                         detail=f"{note}; backup in {backup.name}")
            self.db.execute(f"PRAGMA user_version = {schema.VERSION}")

    def _script(self, script: str) -> None:
        """Run a schema script statement by statement (executescript would commit the
        open transaction first, so an upgrade could not be rolled back)."""
        self._in_transaction()
        statement = ""
        for line in script.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self.db.execute(statement)
                statement = ""

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

    # -- transactions ----------------------------------------------------------

    @contextmanager
    def atomic(self) -> Iterator["Store"]:
        """All or nothing: the outermost call is an IMMEDIATE transaction (it takes the
        write lock before reading, so a check and the write it allows cannot be split by
        another writer); a nested call is a SAVEPOINT."""
        outermost = self._depth == 0
        try:
            self.db.execute("BEGIN IMMEDIATE" if outermost else f"SAVEPOINT s{self._depth}")
        except sqlite3.OperationalError as error:
            raise self._sqlite_error(error) from None
        self._depth += 1
        try:
            yield self
        except BaseException as error:
            self._depth -= 1
            if outermost:
                self.db.execute("ROLLBACK")
            else:
                self.db.execute(f"ROLLBACK TO s{self._depth}")
                self.db.execute(f"RELEASE s{self._depth}")
            if isinstance(error, sqlite3.OperationalError):
                raise self._sqlite_error(error) from None
            raise
        self._depth -= 1
        try:
            self.db.execute("COMMIT" if outermost else f"RELEASE s{self._depth}")
        except sqlite3.OperationalError as error:
            if outermost:
                self.db.execute("ROLLBACK")
            raise self._sqlite_error(error) from None

    def _sqlite_error(self, error: sqlite3.OperationalError) -> InputError:
        text = str(error)
        if "locked" in text or "busy" in text:
            return InputError(self.path, None, "the store is busy: another coding command is writing to "
                              "it; try again when it has finished")
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return InputError(self.path, None, "cannot write the store: the file or its folder is read-only")
        return InputError(self.path, None, f"cannot use the store: {text}")

    def _in_transaction(self) -> None:
        if self._depth == 0:
            raise RuntimeError("a write to the store outside Store.atomic()")

    # -- the log -----------------------------------------------------------

    def log(self, coder: str, action: str, coding_id: int | None = None, transcript: str = "",
            code: str = "", before: str = "", after: str = "", detail: str = "") -> None:
        """Append one change to the log (the table refuses updates, deletes and replaces)."""
        self._in_transaction()
        self.db.execute("INSERT INTO log (at, coder, action, coding_id, transcript, code, before, after, "
                        "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (now(), coder, action, coding_id, transcript, code, before, after, detail))

    # -- tagging -----------------------------------------------------------

    def start_run(self, tool_version: str, codebook, pipeline: str) -> int:
        """Record a tagging run and make its codebook the store's list of codes."""
        self._in_transaction()
        cursor = self.db.execute(
            "INSERT INTO runs (started, tool_version, codebook_path, codebook_hash, pipeline, "
            "shared_min_groups) VALUES (?, ?, ?, ?, ?, ?)",
            (now(), tool_version, codebook.path, codebook.content_hash, pipeline,
             codebook.shared_min_groups))
        self.db.execute("DELETE FROM codes")
        self.db.executemany("INSERT INTO codes (id, position, label, description) VALUES (?, ?, ?, ?)",
                            [(c.id, i, c.label, c.description) for i, c in enumerate(codebook.codes)])
        return cursor.lastrowid

    def finish_run(self, run_id: int, tagged: int, unchanged: int) -> None:
        self.db.execute("UPDATE runs SET transcripts_tagged = ?, transcripts_unchanged = ? WHERE id = ?",
                        (tagged, unchanged, run_id))
        self.log(RULE_CODER, "tag", detail=f"run {run_id}: {tagged} transcripts tagged, {unchanged} unchanged")

    def save_model(self, tool_version: str, codebook_hash: str, learner: str, trained_on: dict,
                   estimate: dict, blob: bytes) -> int:
        """Keep a learned model (every version stays; the latest is used)."""
        self._in_transaction()
        cursor = self.db.execute(
            "INSERT INTO models (created, tool_version, codebook_hash, learner, trained_on, estimate, blob) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (now(), tool_version, codebook_hash, learner,
                                             json.dumps(trained_on, ensure_ascii=False),
                                             json.dumps(estimate, ensure_ascii=False), blob))
        self.log(RULE_CODER, "train", detail=f"model {cursor.lastrowid}: {learner}")
        return cursor.lastrowid

    def latest_model(self) -> dict | None:
        """The latest learned model: id, created, codebook_hash, learner, trained_on, estimate, blob."""
        row = self.db.execute("SELECT * FROM models ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return {**dict(row), "trained_on": json.loads(row["trained_on"]), "estimate": json.loads(row["estimate"])}

    def models(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT id, created, codebook_hash, learner, trained_on, estimate FROM models "
                                 "ORDER BY id", self.db)

    def set_run_model(self, run_id: int, model_id: int | None) -> None:
        self.db.execute("UPDATE runs SET model = ? WHERE id = ?", (model_id, run_id))

    def stored_hashes(self) -> dict[str, tuple[str, str, str]]:
        """path -> (file hash, content hash, codebook hash) of every transcript on disk at its last run."""
        rows = self.db.execute("SELECT path, file_hash, content_hash, codebook_hash FROM transcripts "
                               "WHERE gone = 0")
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def set_file_hash(self, path: str, file_hash: str) -> None:
        self.db.execute("UPDATE transcripts SET file_hash = ? WHERE path = ?", (file_hash, path))

    def replace_transcript(self, run_id: int, transcript, codebook_hash: str, codings) -> None:
        """Store a transcript's turns and machine suggestions in place of the old ones.

        A suggestion found again keeps its id (so exported ids stay valid);
        people's codings are never deleted: they follow their quote, take their
        speaker and role from the turn they are now in, or are marked orphaned.
        """
        self._in_transaction()
        previous = self.db.execute("SELECT content_hash, gone FROM transcripts WHERE path = ?",
                                   (transcript.path,)).fetchone()
        self._store_transcript(run_id, transcript, codebook_hash)
        self._store_vetoes(run_id, transcript.path, [c for c in codings if c.veto])
        codings = self._not_overruled([c for c in codings if not c.veto], transcript.path)
        added, kept, dropped = self._replace_suggestions(run_id, transcript.path, codings)
        if previous is None or previous["gone"] or previous["content_hash"] != transcript.content_hash:
            self.reanchor(transcript)
        if previous is None or (added, dropped) != (0, 0):
            self.log(RULE_CODER, "suggest", transcript=transcript.path, before=str(kept + dropped),
                     after=str(added + kept), detail=f"run {run_id}: {added} added, {kept} kept, {dropped} dropped")

    def _store_transcript(self, run_id: int, transcript, codebook_hash: str) -> None:
        self.db.execute(
            "INSERT INTO transcripts (path, group_id, title, date, language, content_hash, file_hash, "
            "codebook_hash, speakers, attributes, run_id, gone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
            "ON CONFLICT (path) DO UPDATE SET group_id = excluded.group_id, title = excluded.title, "
            "date = excluded.date, language = excluded.language, content_hash = excluded.content_hash, "
            "file_hash = excluded.file_hash, codebook_hash = excluded.codebook_hash, "
            "speakers = excluded.speakers, attributes = excluded.attributes, run_id = excluded.run_id, gone = 0",
            (transcript.path, transcript.group, transcript.title, transcript.date,
             transcript.language, transcript.content_hash, transcript.file_hash, codebook_hash,
             json.dumps(transcript.speakers, ensure_ascii=False),
             json.dumps(transcript.attributes, ensure_ascii=False, sort_keys=True), run_id))
        self.db.execute("DELETE FROM turns WHERE transcript = ?", (transcript.path,))
        self.db.executemany(
            'INSERT INTO turns (transcript, turn, speaker, role, line, start, "end", text, group_id, '
            "attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(transcript.path, t.index, t.speaker, t.role, t.line, t.start, t.end,
              transcript.turn_text(t), t.group, json.dumps(t.attributes, ensure_ascii=False, sort_keys=True))
             for t in transcript.turns])
        self.db.execute("DELETE FROM places WHERE transcript = ?", (transcript.path,))
        self.db.executemany("INSERT INTO places (transcript, start, place) VALUES (?, ?, ?)",
                            [(transcript.path, start, place) for start, place in transcript.places])

    def _not_overruled(self, codings: list, path: str) -> list:
        """A person's decision wins: the learned coder's suggestion of a code on a passage
        that overlaps a person's coding or rejection of that code (on another span, such as
        one sentence of the turn) is not stored."""
        people = self.db.execute(f"SELECT segment_start, segment_end, code FROM codings WHERE transcript = ? "
                                 f"AND NOT {MACHINE_SQL} AND status != 'removed'", (path,)).fetchall()
        if not people:
            return codings
        by_code: dict[str, list[tuple[int, int]]] = {}
        for row in people:
            by_code.setdefault(row["code"], []).append((row["segment_start"], row["segment_end"]))

        def overruled(c) -> bool:
            return c.method == "model" and any(
                start < c.segment_end and c.segment_start < end and (start, end) != (c.segment_start, c.segment_end)
                for start, end in by_code.get(c.code, ()))
        return [c for c in codings if not overruled(c)]

    def _store_vetoes(self, run_id: int, path: str, vetoed) -> None:
        """The mentions the rules vetoed this run, with why (replacing the last run's)."""
        self.db.execute("DELETE FROM vetoes WHERE transcript = ?", (path,))
        self.db.executemany(
            "INSERT INTO vetoes (transcript, group_id, segment_start, segment_end, line, speaker, role, "
            "quote, code, matched_text, match_start, match_end, method, rule, reason, run_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.transcript, c.group, c.segment_start, c.segment_end, c.line, c.speaker, c.role, c.quote,
              c.code, c.matched_text, c.match_start, c.match_end, c.method, c.rule, c.veto, run_id)
             for c in vetoed])

    def vetoes(self) -> pd.DataFrame:
        """Mentions of a code that the rules vetoed, with the reason (for `audit --all`)."""
        return pd.read_sql_query(
            "SELECT v.group_id AS \"group\", v.transcript, v.segment_start, v.segment_end, v.line, v.speaker, "
            "v.role, v.quote, v.code, v.matched_text, v.method, v.rule, v.reason FROM vetoes v "
            "JOIN transcripts t ON t.path = v.transcript WHERE t.gone = 0 "
            "ORDER BY v.transcript, v.segment_start, v.code", self.db)

    def _replace_suggestions(self, run_id: int, path: str, codings) -> tuple[int, int, int]:
        """Upsert the rule coder's rows; returns (added, kept, dropped)."""
        old = {(r["segment_start"], r["segment_end"], r["code"]): r["id"] for r in self.db.execute(
            "SELECT id, segment_start, segment_end, code FROM codings WHERE transcript = ? AND coder = ?",
            (path, RULE_CODER))}
        created, fresh, kept = now(), [], []
        for c in codings:
            values = dict(transcript=c.transcript, group_id=c.group, segment_start=c.segment_start,
                          segment_end=c.segment_end, line=c.line, speaker=c.speaker, role=c.role,
                          quote=c.quote, code=c.code, matched_text=c.matched_text, match_start=c.match_start,
                          match_end=c.match_end, method=c.method, score=c.score, rule=c.rule)
            coding_id = old.pop((c.segment_start, c.segment_end, c.code), None)
            if coding_id is None:
                fresh.append((*(values[k] for k in CODING_COLUMNS), run_id, created))
            else:
                kept.append((*(values[k] for k in EVIDENCE_COLUMNS), run_id, coding_id))
        self.db.executemany(
            f"INSERT INTO codings ({', '.join(CODING_COLUMNS)}, coder, status, run_id, created) "
            f"VALUES ({', '.join('?' * len(CODING_COLUMNS))}, '{RULE_CODER}', 'suggested', ?, ?)", fresh)
        self.db.executemany(
            f"UPDATE codings SET {', '.join(f'{c} = ?' for c in EVIDENCE_COLUMNS)}, run_id = ?, "
            "orphaned = 0, orphan_reason = '' WHERE id = ?", kept)
        self.db.executemany("DELETE FROM codings WHERE id = ?", [(i,) for i in old.values()])
        return len(fresh), len(kept), len(old)

    def reanchor(self, transcript) -> None:
        """After a transcript changed, came back or moved: each person's coding follows its
        quote (in place, or found exactly once elsewhere) and takes group, speaker, role
        and line from where it now is; one whose quote is gone or ambiguous is orphaned.
        Every change is logged."""
        text = transcript.text
        rows = self.db.execute(f"SELECT * FROM codings WHERE transcript = ? AND NOT {MACHINE_SQL} "
                               "AND status != 'removed' ORDER BY id", (transcript.path,)).fetchall()
        for row in rows:
            start, end, quote = row["segment_start"], row["segment_end"], row["quote"]
            if text[start:end] != quote:
                found = text.count(quote) if quote else 0
                if found != 1:
                    why = ("the transcript changed and the quote is no longer in it" if found == 0 else
                           f"the transcript changed and the quote is now in it {found} times")
                    self._orphan(row, why)
                    continue
                start, end = text.index(quote), text.index(quote) + len(quote)
            turn = next((t for t in transcript.turns if t.start <= start and end <= t.end), None)
            if turn is None:
                self._orphan(row, "the quote is no longer inside one speaker turn")
                continue
            self._move(row, transcript, turn, start, end)

    def _move(self, row, transcript, turn, start: int, end: int) -> None:
        shift = start - row["segment_start"]
        place = dict(group_id=transcript.group_of(turn), segment_start=start, segment_end=end,
                     line=transcript.line_of(start), speaker=turn.speaker, role=turn.role)
        changed = {k: (row[k], v) for k, v in place.items() if row[k] != v}
        if not changed and not row["orphaned"]:
            return
        self.db.execute(
            f"UPDATE codings SET {', '.join(f'{k} = ?' for k in place)}, match_start = match_start + ?, "
            "match_end = match_end + ?, orphaned = 0, orphan_reason = '' WHERE id = ?",
            (*place.values(), shift, shift, row["id"]))
        what = "; ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items()) or "quote in place"
        if turn.role != "participant":
            what += "; now in an interviewer's turn, so not counted"
        if row["orphaned"]:
            self.log(RULE_CODER, "re-attach", row["id"], transcript.path, row["code"], before="orphaned",
                     after=f"{start}-{end}", detail=f"the quote is back ({what})")
        else:
            self.log(RULE_CODER, "re-anchor", row["id"], transcript.path, row["code"],
                     before=f"{row['segment_start']}-{row['segment_end']}", after=f"{start}-{end}", detail=what)

    def _orphan(self, row, why: str) -> None:
        if row["orphaned"] and row["orphan_reason"] == why:
            return
        self.db.execute("UPDATE codings SET orphaned = 1, orphan_reason = ? WHERE id = ?", (why, row["id"]))
        self.log(RULE_CODER, "orphan", row["id"], row["transcript"], row["code"],
                 before="orphaned" if row["orphaned"] else "", after="orphaned", detail=why)

    def missing_transcripts(self, folder: str, present: set[str]) -> list[sqlite3.Row]:
        """Stored transcripts under `folder` whose files are not among `present`."""
        rows = self.db.execute("SELECT path, content_hash, gone FROM transcripts WHERE substr(path, 1, ?) = ?",
                               (len(folder), folder)).fetchall()
        return [row for row in rows if row["path"] not in present]

    def forget(self, path: str) -> None:
        """A transcript's file is gone: drop its turns and machine suggestions, keep it (marked
        gone) so a renamed or restored file can take its codings back; people's codings stay,
        orphaned, saying why."""
        self.db.execute(f"DELETE FROM codings WHERE transcript = ? AND {MACHINE_SQL}", (path,))
        for row in self.db.execute("SELECT * FROM codings WHERE transcript = ? AND status != 'removed'",
                                   (path,)).fetchall():
            self._orphan(row, "the transcript file is gone")
        self.db.execute("DELETE FROM turns WHERE transcript = ?", (path,))
        self.db.execute("UPDATE transcripts SET gone = 1 WHERE path = ?", (path,))
        self.log(RULE_CODER, "forget", transcript=path, detail="file no longer on disk; its codings are kept")

    def gone_with_content(self, content_hash: str, candidates: set[str], path: str) -> str | None:
        """Another stored transcript with this text whose file is gone (or among `candidates`,
        files missing in this run): the old name of the file now at `path`."""
        rows = self.db.execute("SELECT path, gone FROM transcripts WHERE content_hash = ? AND path != ? "
                               "ORDER BY path", (content_hash, path)).fetchall()
        return next((row["path"] for row in rows if row["gone"] or row["path"] in candidates), None)

    def move_transcript(self, old: str, new: str) -> None:
        """A renamed file takes over its old name's codings, coverage and review places."""
        for row in self.db.execute(f"SELECT id, code FROM codings WHERE transcript = ? AND NOT {MACHINE_SQL} "
                                   "AND status != 'removed'", (old,)).fetchall():
            self.log(RULE_CODER, "re-attach", row["id"], new, row["code"], before=old, after=new,
                     detail="the file was renamed (same text)")
        self.db.execute("UPDATE codings SET transcript = ? WHERE transcript = ?", (new, old))
        self.db.execute("UPDATE OR IGNORE coverage SET transcript = ? WHERE transcript = ?", (new, old))
        self.db.execute("DELETE FROM coverage WHERE transcript = ?", (old,))
        self.db.execute("DELETE FROM transcripts WHERE path = ?", (old,))
        self.log(RULE_CODER, "rename", transcript=new, before=old, after=new,
                 detail="same normalised text under a new name")

    def decided_codes_outside(self, codes: list[str]) -> pd.DataFrame:
        """People's live codings whose code is not among `codes` (per code: how many)."""
        frame = pd.read_sql_query(f"SELECT code, count(*) AS codings FROM codings WHERE NOT {MACHINE_SQL} "
                                  "AND status != 'removed' GROUP BY code ORDER BY code", self.db)
        return frame[~frame["code"].isin(codes)].reset_index(drop=True)

    def rename_code(self, old: str, new: str, coder: str) -> int:
        """Move every coding of code `old` to `new` (logged per person's coding); returns how many."""
        self._in_transaction()
        people = self.db.execute(f"SELECT id FROM codings WHERE code = ? AND NOT {MACHINE_SQL}", (old,)).fetchall()
        for row in people:
            self.log(coder, "rename code", row["id"], code=new, before=old, after=new)
        moved = self.db.execute("UPDATE codings SET code = ? WHERE code = ?", (new, old)).rowcount
        self.db.execute("UPDATE OR IGNORE coverage SET code = ? WHERE code = ?", (new, old))
        self.db.execute("DELETE FROM coverage WHERE code = ?", (old,))
        self.db.execute("UPDATE codes SET id = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM codes WHERE id = ?)",
                        (new, old, new))
        self.log(coder, "rename code", code=new, before=old, after=new, detail=f"{moved} codings moved")
        return moved

    # -- people's codings -----------------------------------------------------

    def coding(self, coding_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM codings WHERE id = ?", (coding_id,)).fetchone()

    def insert_coding(self, values: dict) -> int:
        self._in_transaction()
        columns = ", ".join(values)
        cursor = self.db.execute(f"INSERT INTO codings ({columns}, created) VALUES "
                                 f"({', '.join('?' * len(values))}, ?)", (*values.values(), now()))
        return cursor.lastrowid

    def set_status(self, coding_id: int, status: str) -> None:
        self._in_transaction()
        self.db.execute("UPDATE codings SET status = ? WHERE id = ?", (status, coding_id))

    def cover(self, coder: str, transcript: str, code: str, source: str) -> None:
        """Record that `coder` read `transcript` for `code` ('*': every code)."""
        self._in_transaction()
        self.db.execute("INSERT OR IGNORE INTO coverage (coder, transcript, code, source, at) "
                        "VALUES (?, ?, ?, ?, ?)", (coder, transcript, code, source, now()))

    def review_position(self, coder: str, scope: str) -> str:
        row = self.db.execute("SELECT position FROM review_positions WHERE coder = ? AND scope = ?",
                              (coder, scope)).fetchone()
        return row[0] if row else ""

    def set_review_position(self, coder: str, scope: str, position: str) -> None:
        self._in_transaction()
        self.db.execute("INSERT OR REPLACE INTO review_positions (coder, scope, position) VALUES (?, ?, ?)",
                        (coder, scope, position))

    # -- reading -----------------------------------------------------------

    def codings(self, where: str = "", params: tuple = ()) -> pd.DataFrame:
        """Tidy coding rows, one per coding (machines' and people's)."""
        frame = pd.read_sql_query(
            "SELECT c.id AS coding_id, c.group_id AS \"group\", c.transcript, c.segment_start, "
            "c.segment_end, c.line, c.speaker, c.role, c.code, c.coder, c.status, c.quote, "
            "c.matched_text, c.match_start, c.match_end, c.method, c.score, c.rule, c.note, c.decides, "
            "c.orphaned, c.orphan_reason, c.adjudicated, c.created FROM codings c "
            f"{where} ORDER BY c.group_id, c.transcript, c.segment_start, c.code, c.id", self.db, params=params)
        return frame.astype({"orphaned": bool, "adjudicated": bool})

    def unit_codings(self, transcript: str, segment_start: int, segment_end: int, code: str) -> pd.DataFrame:
        """Every coding of one unit (segment and code)."""
        return self.codings("WHERE c.transcript = ? AND c.segment_start = ? AND c.segment_end = ? AND c.code = ?",
                            (transcript, segment_start, segment_end, code))

    def turns(self, transcript: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE transcript = ?", (transcript,)) if transcript else ("", ())
        # a turn's group: its own (survey sheets) or its transcript's
        return pd.read_sql_query(
            f'SELECT u.transcript, u.turn, u.speaker, u.role, u.line, u.start, u."end", u.text, '
            f"CASE WHEN u.group_id != '' THEN u.group_id ELSE t.group_id END AS \"group\" "
            f"FROM turns u JOIN transcripts t ON t.path = u.transcript {where.replace('transcript', 'u.transcript')} "
            f"ORDER BY u.transcript, u.turn", self.db, params=params)

    def places(self, transcript: str | None = None) -> pd.DataFrame:
        """Where pieces of a transcript's text began in its original file: (transcript, start,
        place), such as 'cue 3 00:00:05.120'; none for line-based formats (Markdown)."""
        where, params = ("WHERE transcript = ?", (transcript,)) if transcript else ("", ())
        return pd.read_sql_query(f"SELECT transcript, start, place FROM places {where} "
                                 "ORDER BY transcript, start", self.db, params=params)

    def log_entries(self) -> pd.DataFrame:
        entries = pd.read_sql_query("SELECT id, at, coder, action, coding_id, transcript, code, before, "
                                    "after, detail FROM log ORDER BY id", self.db)
        return entries.astype({"coding_id": "Int64"})

    def history(self, coding_id: int) -> pd.DataFrame:
        """The log of a coding and of every decision about it (and about those, in turn)."""
        ids, frontier = {coding_id}, {coding_id}
        while frontier:
            marks = ", ".join("?" * len(frontier))
            found = {row[0] for row in self.db.execute(
                f"SELECT id FROM codings WHERE decides IN ({marks})", tuple(frontier))} - ids
            ids |= found
            frontier = found
        entries = self.log_entries()
        return entries[entries["coding_id"].isin(ids)].reset_index(drop=True)

    def groups(self) -> pd.DataFrame:
        """One row per group with its attributes (from the front matter of its transcripts)."""
        rows = self.db.execute(
            "SELECT group_id, attributes FROM transcripts WHERE gone = 0 AND group_id != '' UNION ALL "
            "SELECT DISTINCT u.group_id, '{}' FROM turns u JOIN transcripts t ON t.path = u.transcript "
            "WHERE t.gone = 0 AND u.group_id != '' ORDER BY 1").fetchall()
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
        """The transcripts whose files were there at the last run."""
        return pd.read_sql_query(
            "SELECT path, group_id AS \"group\", title, date, language, content_hash FROM transcripts "
            "WHERE gone = 0 ORDER BY path", self.db)

    def coverage(self) -> pd.DataFrame:
        """What each coder recorded having read: (coder, transcript, code); code '*' is every code."""
        return pd.read_sql_query("SELECT coder, transcript, code, source FROM coverage "
                                 "ORDER BY coder, transcript, code", self.db)


@contextmanager
def closing_connection(connection: sqlite3.Connection):
    try:
        yield connection
    finally:
        connection.close()
