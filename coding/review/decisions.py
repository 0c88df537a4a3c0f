"""People's decisions: accept, reject, recode, add and remove codings.

A decision is a coding row of its own, written by a named coder, next to the
auto coder's suggestion it is about; nothing is overwritten or deleted, so
re-tagging (which replaces only the auto coder's rows) keeps every decision,
and the log can replay how each count came to be. The latest live decision
on a (segment, code) is where it stands (`coding.tables.current`).
"""

from __future__ import annotations

import os
import re
import sqlite3

import pandas as pd

from ..errors import InputError
from ..store import CODING_COLUMNS, Store
from ..report.tables import UNIT

AUTO = "auto"
CODER_VARIABLE = "CODING_CODER"
DECISIONS = {"accept": "accept", "a": "accept", "accepted": "accept", "yes": "accept", "y": "accept",
             "reject": "reject", "r": "reject", "rejected": "reject", "no": "reject", "n": "reject",
             "recode": "recode", "c": "recode", "recoded": "recode"}
CODER_NAME = re.compile(r"^[\w.@ -]{1,64}$")


def coder_name(name: str | None) -> str:
    """The coder making decisions: the given name, else $CODING_CODER; 'auto' is reserved."""
    name = (name or os.environ.get(CODER_VARIABLE, "")).strip()
    if not name:
        raise InputError(None, None, f"who is coding? give --coder NAME or set {CODER_VARIABLE}")
    if name.lower() == AUTO:
        raise InputError(None, None, "the coder name 'auto' is reserved for the auto coder")
    if not CODER_NAME.match(name):
        raise InputError(None, None, f"coder name {name!r}: use letters, digits, spaces, . @ - _ (64 at most)")
    return name


def standing(db: sqlite3.Connection, row) -> str:
    """Where a coding's (segment, code) stands now: 'accepted', 'rejected', 'suggested' or ''."""
    found = db.execute(
        "SELECT status FROM codings WHERE transcript = ? AND segment_start = ? AND segment_end = ? "
        "AND code = ? AND status != 'removed' AND orphaned = 0 "
        "ORDER BY coder != 'auto' DESC, id DESC LIMIT 1",
        (row["transcript"], row["segment_start"], row["segment_end"], row["code"])).fetchone()
    return found[0] if found else ""


def _require_coding(store: Store, coding_id: int):
    row = store.coding(coding_id)
    if row is None:
        raise InputError(None, None, f"no coding with id {coding_id}")
    return row


def _require_code(store: Store, code: str) -> None:
    known = set(store.codes()["code"])
    if code not in known:
        raise InputError(None, None, f"unknown code {code!r} (known: {', '.join(sorted(known))})")


def _copy(store: Store, db, row, coder: str, action: str, status: str, note: str, **changes) -> int:
    """A person's coding on the same segment as `row`, with its evidence."""
    values = {column: row[column] for column in CODING_COLUMNS}
    values.update(coder=coder, status=status, note=note, decides=row["id"], **changes)
    before = standing(db, {**dict(row), **changes})
    coding_id = store.insert_coding(db, values)
    store.log(db, coder, action, coding_id, row["transcript"], values["code"], before=before,
              after=status, detail=note)
    return coding_id


def apply_decision(store: Store, db, coding_id: int, decision: str, coder: str,
                   new_code: str | None = None, note: str = "") -> list[int]:
    """Within an open transaction: record one decision; returns the new coding ids."""
    row = _require_coding(store, coding_id)
    decision = DECISIONS.get(decision.strip().lower(), decision)
    if decision == "accept":
        return [_copy(store, db, row, coder, "accept", "accepted", note)]
    if decision == "reject":
        return [_copy(store, db, row, coder, "reject", "rejected", note)]
    if decision == "recode":
        if not new_code:
            raise InputError(None, None, "recode needs the new code")
        _require_code(store, new_code)
        if new_code == row["code"]:
            raise InputError(None, None, f"coding {coding_id} already has code {new_code!r}")
        rejected = _copy(store, db, row, coder, "recode", "rejected", note or f"recoded as {new_code}")
        recoded = _copy(store, db, row, coder, "recode", "accepted", note, code=new_code, method="recode",
                        rule=f"recoded from {row['code']}")
        return [rejected, recoded]
    raise InputError(None, None, f"unknown decision {decision!r}: use accept, reject or recode")


def decide(store: Store, coding_id: int, decision: str, coder: str, new_code: str | None = None,
           note: str = "") -> list[int]:
    """Accept, reject or recode one coding, in its own transaction."""
    with store.transaction() as db:
        return apply_decision(store, db, coding_id, decision, coder, new_code, note)


def remove(store: Store, coding_id: int, coder: str, note: str = "") -> int:
    """Withdraw a coding. A person's coding is marked 'removed' (never deleted);
    an auto suggestion, which re-tagging would bring back, is rejected instead."""
    row = _require_coding(store, coding_id)
    with store.transaction() as db:
        if row["coder"] == AUTO:
            return _copy(store, db, row, coder, "remove", "rejected", note or "removed")
        if row["status"] == "removed":
            raise InputError(None, None, f"coding {coding_id} is already removed")
        store.set_status(db, coding_id, "removed")
        store.log(db, coder, "remove", coding_id, row["transcript"], row["code"],
                  before=row["status"], after="removed", detail=note)
        return coding_id


# -- manual codings ------------------------------------------------------------


def find_transcript(store: Store, name: str) -> str:
    """A stored transcript path from its path, file name, stem or group id (if unique)."""
    stored = store.transcripts()
    paths, groups = list(stored["path"]), dict(zip(stored["path"], stored["group"]))
    for match in (lambda p: p == name, lambda p: p.rsplit("/", 1)[-1] == name,
                  lambda p: p.rsplit("/", 1)[-1].rsplit(".", 1)[0] == name, lambda p: groups[p] == name):
        found = [p for p in paths if match(p)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InputError(None, None, f"transcript {name!r} is ambiguous: {', '.join(found)}")
    raise InputError(None, None, f"no tagged transcript {name!r}; run 'coding tag' first")


def parse_range(text: str, what: str) -> tuple[int, int]:
    """'12-14' or '12' as an inclusive pair of numbers."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text or "")
    if not match:
        raise InputError(None, None, f"{what} {text!r}: write FIRST-LAST, such as 12-14")
    first, last = int(match[1]), int(match[2] or match[1])
    if last < first:
        raise InputError(None, None, f"{what} {text!r}: the range ends before it starts")
    return first, last


def _pieces(turns: pd.DataFrame, start: int, end: int) -> list[tuple[pd.Series, int, int]]:
    """The part of each turn inside [start, end), whitespace trimmed: one coding per turn,
    so that each keeps its own speaker and role."""
    pieces = []
    for turn in turns.itertuples(index=False):
        low, high = max(start, turn.start), min(end, turn.end)
        if low >= high:
            continue
        piece = turn.text[low - turn.start:high - turn.start]
        low += len(piece) - len(piece.lstrip())
        high -= len(piece) - len(piece.rstrip())
        if low < high:
            pieces.append((turn, low, high))
    return pieces


def _line_span(turns: pd.DataFrame, first: int, last: int) -> tuple[int, int]:
    """Character offsets of lines first..last, from the stored turns."""
    start = end = None
    for turn in turns.itertuples(index=False):
        offset = turn.start
        for number, line in enumerate(turn.text.split("\n"), start=turn.line):
            if first <= number <= last:
                start = offset if start is None else start
                end = offset + len(line)
            offset += len(line) + 1
    if start is None:
        raise InputError(None, None, f"lines {first}-{last} hold no speaker turn")
    return start, end


def add(store: Store, transcript: str, code: str, coder: str, lines: str | None = None,
        chars: str | None = None, note: str = "") -> list[int]:
    """Code a line range (or a character range) by hand; one coding per speaker turn in it."""
    if (lines is None) == (chars is None):
        raise InputError(None, None, "give either --lines FIRST-LAST or --chars START-END")
    path = find_transcript(store, transcript)
    _require_code(store, code)
    turns = store.turns(path)
    if lines is not None:
        start, end = _line_span(turns, *parse_range(lines, "lines"))
    else:
        start, end = parse_range(chars, "chars")
    pieces = _pieces(turns, start, end)
    if not pieces:
        raise InputError(None, None, f"{path}: characters {start}-{end} hold no speaker turn")
    group = store.transcripts().set_index("path").loc[path, "group"]
    ids = []
    with store.transaction() as db:
        for turn, low, high in pieces:
            quote = turn.text[low - turn.start:high - turn.start]
            values = dict(transcript=path, group_id=group, segment_start=low, segment_end=high,
                          line=turn.line + turn.text[:low - turn.start].count("\n"),
                          speaker=turn.speaker, role=turn.role, quote=quote, code=code,
                          matched_text=quote, match_start=low, match_end=high, method="manual",
                          score=None, rule="manual", coder=coder, status="accepted", note=note)
            before = standing(db, values)
            coding_id = store.insert_coding(db, values)
            store.log(db, coder, "add", coding_id, path, code, before=before, after="accepted",
                      detail=note)
            ids.append(coding_id)
    return ids


# -- what is left to review -------------------------------------------------------


def with_context(store: Store, codings: pd.DataFrame) -> pd.DataFrame:
    """Add each coding's speaker turn (`context`, `turn_start`) from the stored turns."""
    turns = store.turns()[["transcript", "start", "end", "text"]]
    joined = codings.reset_index().merge(turns, on="transcript", how="left")
    inside = joined[(joined["start"] <= joined["segment_start"]) & (joined["segment_end"] <= joined["end"])]
    inside = inside.drop_duplicates("index").set_index("index")
    result = codings.assign(context=inside["text"], turn_start=inside["start"])
    return result.assign(context=result["context"].fillna(""))


def review_queue(store: Store, coder: str, code: str | None = None, group: str | None = None,
                 transcript: str | None = None) -> pd.DataFrame:
    """Auto suggestions this coder has not decided on yet, in transcript order.
    Only participants' turns: interviewer codings never count, so need no review."""
    codings = store.codings()
    live = codings[(codings["status"] != "removed") & ~codings["orphaned"]]
    decided = live.loc[live["coder"] == coder, UNIT].drop_duplicates()
    suggestions = live[(live["coder"] == AUTO) & (live["role"] == "participant")]
    if code:
        suggestions = suggestions[suggestions["code"] == code]
    if group:
        suggestions = suggestions[suggestions["group"] == group]
    if transcript:
        suggestions = suggestions[suggestions["transcript"] == find_transcript(store, transcript)]
    pending = suggestions.merge(decided, on=UNIT, how="left", indicator=True)
    pending = pending[pending["_merge"] == "left_only"].drop(columns="_merge")
    pending = pending.sort_values(["transcript", "segment_start", "code"]).reset_index(drop=True)
    return with_context(store, pending)
