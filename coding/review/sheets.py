"""Review in a spreadsheet: export codings with an empty `decision` column,
then import the filled-in decisions back, all or nothing.

Each exported row carries the coding's id and a `revision` (a short hash of
where the coding stood at export). A row whose coding has moved on since
(someone decided on it, or the transcript changed) is refused, so a stale
sheet never overwrites newer work; the check and the writes are one
IMMEDIATE transaction, so two imports cannot both pass it.

A blind sheet (`--blind`) holds the machine suggestions one coder has not
decided, as the machine made them, for independent double coding; its
revisions start with `b` and are checked against that coder's own progress.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError, InputErrors
from ..escape import spreadsheet_cell, spreadsheet_text, xlsx_safe
from ..store import Store
from .decisions import DECISIONS, apply_decision, undecided_suggestions, with_context
from .standing import current

EXPORT_COLUMNS = ["coding_id", "revision", "group", "transcript", "line", "speaker", "role", "code",
                  "status", "coder", "method", "score", "rule", "matched_text", "quote", "context",
                  "decision", "new_code", "note"]
REQUIRED_COLUMNS = ["coding_id", "revision", "decision"]
STATUSES = ("suggested", "accepted", "rejected")


REVISION_COLUMNS = ["coding_id", "status", "code", "segment_start", "segment_end", "quote"]


def revisions(codings: pd.DataFrame, prefix: str = "") -> list[str]:
    """Where each coding stands, as a short fingerprint: changes when anything a reviewer saw does."""
    seen = codings[REVISION_COLUMNS].astype(str).agg("\x1f".join, axis=1) if not codings.empty else []
    return [prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10] for text in seen]


def standing_codings(store: Store, rule: str | None = None) -> pd.DataFrame:
    """One row per (segment, code): where it stands now, with its revision."""
    standing = current(store.codings(), *([rule] if rule else []))
    return standing.assign(revision=revisions(standing))


def blind_codings(store: Store, coder: str) -> pd.DataFrame:
    """The machine suggestions `coder` has not decided, with blind revisions."""
    rows = undecided_suggestions(store, coder)
    return rows.assign(revision=revisions(rows, prefix="b"))


def export_codings(store: Store, status: str | None = None, code: str | None = None,
                   group: str | None = None, coder: str | None = None, blind: bool = False,
                   rule: str | None = None) -> pd.DataFrame:
    """The sheet to review: one row per coding, an empty decision column to fill in.
    `blind`: only the machine suggestions `coder` has not decided, showing no other
    person's decision."""
    if status is not None and status not in STATUSES:
        raise InputError(None, None, f"status {status!r}: use one of {', '.join(STATUSES)}")
    if blind:
        if coder is None:
            raise InputError(None, None, "a blind export is for one coder: give --coder NAME")
        if status not in (None, "suggested"):
            raise InputError(None, None, "a blind export holds only suggestions (--status suggested)")
        rows = blind_codings(store, coder)
    else:
        rows = standing_codings(store, rule)
    for column, value in (("status", status), ("code", code), ("group", group)):
        if value is not None:
            rows = rows[rows[column] == value]
    rows = rows.sort_values(["group", "transcript", "segment_start", "code"])
    rows = with_context(store, rows).assign(decision="", new_code="", note="")
    return rows[EXPORT_COLUMNS].reset_index(drop=True)


def to_bytes(sheet: pd.DataFrame, fmt: str) -> bytes:
    """The sheet as CSV or xlsx, with text that a spreadsheet never runs as a formula:
    in CSV such cells get a leading `'` (read_sheet drops it again); in xlsx every
    text cell is a string cell, its text kept as written except the control
    characters xlsx cannot hold, which show as visible escapes (`\\x1b` for ESC)."""
    if fmt == "csv":
        return sheet.map(spreadsheet_cell).to_csv(index=False, lineterminator="\n").encode("utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            # xlsx_safe: openpyxl raises IllegalCharacterError on ESC and most other
            # control characters; they are written as the text of their escape instead.
            sheet.map(xlsx_safe).to_excel(writer, index=False, sheet_name="codings")
            for row in writer.sheets["codings"].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # openpyxl made text starting with "=" a formula
        return buffer.getvalue()
    raise InputError(None, None, f"format {fmt!r}: use csv or xlsx")


# -- import -------------------------------------------------------------------


@dataclass
class ImportResult:
    applied: Counter = field(default_factory=Counter)
    problems: list[InputError] = field(default_factory=list)
    skipped_blank: int = 0


def read_sheet(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) pairs; the line is the file line (CSV) or sheet row (xlsx) where the row starts."""
    if not path.exists():
        raise InputError(path, None, "decisions file not found")
    if path.suffix.lower() == ".xlsx":
        rows = _read_xlsx(path)
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(path, None, "not UTF-8 text; save the sheet as CSV (UTF-8) or .xlsx") from None
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            _check_header(path, reader.fieldnames or [])
            rows, line = [], reader.line_num + 1
            for row in reader:
                rows.append((line, {k: (v or "").strip() for k, v in row.items() if k is not None}))
                line = reader.line_num + 1
        except csv.Error as error:  # the DictReader's own line_num lags a row behind
            raise InputError(path, reader.reader.line_num, f"not a valid CSV row: {error}") from None
    # to_bytes puts a `'` before a CSV cell that looks like a formula: drop it again from
    # the columns the import uses (also when the CSV went through a spreadsheet into xlsx).
    for _, row in rows:
        for column in ("coding_id", "revision", "decision", "new_code", "note"):
            if column in row:
                row[column] = spreadsheet_text(row[column]).strip()
    return rows


def _read_xlsx(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        frame = pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise InputError(path, None, f"cannot read the spreadsheet: {error}") from None
    _check_header(path, list(frame.columns))
    return [(number + 2, {k: str(v).strip() for k, v in row.items()})
            for number, row in enumerate(frame.to_dict("records"))]


def _check_header(path: Path, columns: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(path, 1, f"missing column(s) {', '.join(missing)}; export with 'coding export codings'")


def _check_row(path: Path, line: int, row: dict, offered: pd.Series, codes: set[str],
               seen: dict[int, int]) -> InputError | None:
    """`offered`: revision -> coding id of every row an export could offer now."""
    def problem(text: str) -> InputError:
        return InputError(path, line, text)

    if not row.get("coding_id", "").isdigit():
        return problem(f"coding_id {row.get('coding_id')!r} is not a coding id")
    coding_id = int(row["coding_id"])
    if coding_id in seen:
        return problem(f"coding {coding_id} is decided twice (first on line {seen[coding_id]})")
    seen[coding_id] = line
    decision = DECISIONS.get(row["decision"].lower())
    if decision is None:
        return problem(f"decision {row['decision']!r}: use accept, reject or recode")
    new_code = row.get("new_code", "")
    if decision == "recode" and new_code not in codes:
        return problem(f"recode to unknown code {new_code!r}" if new_code else "recode needs a new_code")
    if offered.get(row["revision"]) != coding_id:
        if coding_id in set(offered):
            return problem(f"coding {coding_id} changed since the export (it was decided on or re-tagged "
                           "since, so the sheet is no longer current); export again")
        return problem(f"coding {coding_id} is unknown or no longer current (it was decided on or "
                       "re-tagged since the export); export again")
    return None


def import_decisions(store: Store, path: str | Path, coder: str, partial: bool = False,
                     adjudicate: bool = False) -> ImportResult:
    """Apply a filled-in sheet in one IMMEDIATE transaction (checked and written under
    the write lock). Every bad row is reported with its line; nothing is applied if any
    row is bad, unless `partial` (then the good rows are)."""
    path = Path(path)
    rows = read_sheet(path)
    result = ImportResult()
    with store.atomic():
        offered = pd.concat([standing_codings(store), blind_codings(store, coder)])
        offered = offered.drop_duplicates("revision").set_index("revision")["coding_id"]
        codes, seen, good = set(store.codes()["code"]), {}, []
        for line, row in rows:
            if not row.get("decision"):
                result.skipped_blank += 1
                continue
            problem = _check_row(path, line, row, offered, codes, seen)
            if problem is None:
                good.append(row)
            else:
                result.problems.append(problem)
        if result.problems and not partial:
            raise InputErrors(result.problems)
        for row in good:
            decision = DECISIONS[row["decision"].lower()]
            apply_decision(store, int(row["coding_id"]), decision, coder, row.get("new_code") or None,
                           row.get("note", ""), adjudicate)
            result.applied[decision] += 1
    return result
