"""Bulk codings from a spreadsheet or another tool: `coding import codings FILE --coder NAME`.

The file is the shape of a segment gold file, `transcript,lines,code[,note]`:
each row is a passage a person coded. Every row is checked before anything is
written, and all rows go in one transaction, or none do (each problem named
with its `file:line`). The transcripts the file names count as read by that
coder for every code (their other passages are that coder's "not coded"),
which is what `coding train` learns negatives from. A row this coder already
has is skipped, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..coders import is_machine
from ..csvrows import csv_rows
from ..errors import InputError, InputErrors
from ..store import Store
from .decisions import code_by_hand, find_transcript, line_spans, passage
from .standing import current, latest_per_coder

COLUMNS = ["transcript", "lines", "code"]


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    transcripts: list[str] = field(default_factory=list)


def import_codings(store: Store, path: str | Path, coder: str) -> ImportResult:
    """Read, check and store a file of a person's codings, all or nothing."""
    if not coder or is_machine(coder):
        raise InputError(None, None, f"--coder {coder!r}: name the person whose codings these are")
    path = Path(path)
    codes = set(store.codes()["code"])
    found, turns, spans, problems, planned = {}, {}, {}, [], []
    for line, row in csv_rows(path, COLUMNS, ("note",), what="codings file"):
        try:
            if row["code"] not in codes:
                raise InputError(None, None, f"unknown code {row['code']!r}")
            name = row["transcript"]
            if name not in found:
                found[name] = find_transcript(store, name)
                turns[found[name]] = store.turns(found[name])
                spans[found[name]] = line_spans(turns[found[name]])
            where = found[name]
            for piece in passage(where, turns[where], lines=row["lines"], spans=spans[where]):
                planned.append((line, where, piece, row["code"], row.get("note", "")))
        except InputError as error:
            problems.append(InputError(path, line, error.problem))
    if problems:
        raise InputErrors(problems)
    if not planned:
        raise InputError(path, 2, "no codings in the file")
    return _store(store, path, coder, planned, sorted(set(found.values())))


def _store(store: Store, path: Path, coder: str, planned: list, transcripts: list[str]) -> ImportResult:
    result = ImportResult(transcripts=transcripts)
    codings = store.codings()
    mine = latest_per_coder(codings)
    mine = mine[(mine["coder"] == coder) & (mine["status"] == "accepted")]
    have = set(zip(mine["transcript"], mine["segment_start"], mine["segment_end"], mine["code"]))
    # where each unit stands before the import, worked out once (for the log)
    standing = current(codings)
    before = dict(zip(zip(standing["transcript"], standing["segment_start"], standing["segment_end"],
                          standing["code"]), standing["status"]))
    with store.atomic():
        for line, where, (turn, low, high), code, note in planned:
            unit = (where, low, high, code)
            if unit in have:
                result.already += 1
                continue
            code_by_hand(store, where, turn, low, high, code, coder, note, action="import",
                         before=before.get(unit, ""))
            have.add(unit)
            result.added += 1
        for transcript in transcripts:
            store.cover(coder, transcript, "*", f"import {path.name}")
    return result
