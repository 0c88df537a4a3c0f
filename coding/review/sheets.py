"""Review in a spreadsheet: export codings with an empty `decision` column,
then import the filled-in decisions back, all or nothing.

Each exported row carries the coding's id and a `revision` (a short hash of
where the coding stood at export). A row whose coding has moved on since
(someone decided on it, or the transcript changed) is refused, so a stale
sheet never overwrites newer work.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .decisions import DECISIONS, apply_decision, with_context
from ..errors import InputError, InputErrors
from ..store import Store
from ..report.tables import current

EXPORT_COLUMNS = ["coding_id", "revision", "group", "transcript", "line", "speaker", "role", "code",
                  "status", "coder", "method", "score", "rule", "matched_text", "quote", "context",
                  "decision", "new_code", "note"]
REQUIRED_COLUMNS = ["coding_id", "revision", "decision"]
STATUSES = ("suggested", "accepted", "rejected")


REVISION_COLUMNS = ["coding_id", "status", "code", "segment_start", "segment_end", "quote"]


def revisions(codings: pd.DataFrame) -> list[str]:
    """Where each coding stands, as a short fingerprint: changes when anything a reviewer saw does."""
    seen = codings[REVISION_COLUMNS].astype(str).agg("\x1f".join, axis=1)
    return [hashlib.sha1(text.encode("utf-8")).hexdigest()[:10] for text in seen]


def standing_codings(store: Store) -> pd.DataFrame:
    """One row per (segment, code): where it stands now, with its revision."""
    standing = current(store.codings())
    return standing.assign(revision=revisions(standing) if not standing.empty else [])


def export_codings(store: Store, status: str | None = None, code: str | None = None,
                   group: str | None = None) -> pd.DataFrame:
    """The sheet to review: one row per coding, an empty decision column to fill in."""
    if status is not None and status not in STATUSES:
        raise InputError(None, None, f"status {status!r}: use one of {', '.join(STATUSES)}")
    rows = standing_codings(store)
    for column, value in (("status", status), ("code", code), ("group", group)):
        if value is not None:
            rows = rows[rows[column] == value]
    rows = with_context(store, rows).assign(decision="", new_code="", note="")
    return rows[EXPORT_COLUMNS].reset_index(drop=True)


def to_bytes(sheet: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        return sheet.to_csv(index=False, lineterminator="\n").encode("utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        sheet.to_excel(buffer, index=False, sheet_name="codings", engine="openpyxl")
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
        return _read_xlsx(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, None, "not UTF-8 text; save the sheet as CSV (UTF-8) or .xlsx") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _check_header(path, reader.fieldnames or [])
    rows, line = [], reader.line_num + 1
    for row in reader:
        rows.append((line, {k: (v or "").strip() for k, v in row.items() if k is not None}))
        line = reader.line_num + 1
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


def _check_row(path: Path, line: int, row: dict, standing: pd.DataFrame, codes: set[str],
               seen: dict[int, int]) -> InputError | None:
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
    if coding_id not in standing.index:
        return problem(f"coding {coding_id} is unknown or no longer current (it was decided on or "
                       "re-tagged since the export); export again")
    if standing.loc[coding_id, "revision"] != row["revision"]:
        return problem(f"coding {coding_id} changed since the export; export again")
    return None


def import_decisions(store: Store, path: str | Path, coder: str, partial: bool = False) -> ImportResult:
    """Apply a filled-in sheet in one transaction. Every bad row is reported with its line;
    nothing is applied if any row is bad, unless `partial` (then the good rows are)."""
    path = Path(path)
    rows = read_sheet(path)
    standing = standing_codings(store).set_index("coding_id")
    codes, seen = set(store.codes()["code"]), {}
    result, good = ImportResult(), []
    for line, row in rows:
        if not row.get("decision"):
            result.skipped_blank += 1
            continue
        problem = _check_row(path, line, row, standing, codes, seen)
        if problem is None:
            good.append(row)
        else:
            result.problems.append(problem)
    if result.problems and not partial:
        raise InputErrors(result.problems)
    with store.transaction() as db:
        for row in good:
            decision = DECISIONS[row["decision"].lower()]
            apply_decision(store, db, int(row["coding_id"]), decision, coder, row.get("new_code") or None,
                           row.get("note", ""))
            result.applied[decision] += 1
    return result
