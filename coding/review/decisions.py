"""People's decisions: accept, reject, recode, add and remove codings.

A decision is a coding row of its own, written by a named coder, next to the
machine suggestion it is about; nothing is overwritten or deleted, so
re-tagging (which replaces only machines' rows) keeps every decision, and the
log can replay how each count came to be. A person changes only their own
rows: withdrawing someone else's coding is a rejection of one's own. Where a
unit stands is `coding.review.standing.current`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..codebook import rename_in_file
from ..coders import machine_mask
from ..errors import InputError
from ..store import CODING_COLUMNS, Store
from .standing import UNIT, latest_per_coder, live, status_of

DECISIONS = {"accept": "accept", "a": "accept", "accepted": "accept", "yes": "accept", "y": "accept",
             "reject": "reject", "r": "reject", "rejected": "reject", "no": "reject", "n": "reject",
             "recode": "recode", "c": "recode", "recoded": "recode"}


def _standing_before(store: Store, values) -> str:
    return status_of(store.unit_codings(values["transcript"], values["segment_start"],
                                        values["segment_end"], values["code"]))


def _require_coding(store: Store, coding_id: int):
    row = store.coding(coding_id)
    if row is None:
        raise InputError(None, None, f"no coding with id {coding_id}")
    return row


def _require_code(store: Store, code: str) -> None:
    known = set(store.codes()["code"])
    if code not in known:
        raise InputError(None, None, f"unknown code {code!r} (known: {', '.join(sorted(known))})")


def _copy(store: Store, row, coder: str, action: str, status: str, note: str, adjudicate: bool = False,
          **changes) -> int:
    """A person's coding on the same segment as `row`, with its evidence."""
    values = {column: row[column] for column in CODING_COLUMNS}
    values.update(coder=coder, status=status, note=note, decides=row["id"], adjudicated=int(adjudicate),
                  **changes)
    before = _standing_before(store, values)
    coding_id = store.insert_coding(values)
    store.log(coder, "adjudicate" if adjudicate else action, coding_id, row["transcript"], values["code"],
              before=before, after=status, detail=note)
    return coding_id


def apply_decision(store: Store, coding_id: int, decision: str, coder: str, new_code: str | None = None,
                   note: str = "", adjudicate: bool = False) -> list[int]:
    """Within `store.atomic()`: record one decision; returns the new coding ids.
    With `adjudicate` the decision settles the unit under the 'adjudicated' rule."""
    row = _require_coding(store, coding_id)
    if row["orphaned"]:
        raise InputError(None, None, f"coding {coding_id} is orphaned ({row['orphan_reason']}); "
                         "code the passage again with 'coding add'")
    decision = DECISIONS.get(decision.strip().lower(), decision)
    if decision in ("accept", "reject"):
        status = "accepted" if decision == "accept" else "rejected"
        return [_copy(store, row, coder, decision, status, note, adjudicate)]
    if decision == "recode":
        if not new_code:
            raise InputError(None, None, "recode needs the new code")
        _require_code(store, new_code)
        if new_code == row["code"]:
            raise InputError(None, None, f"coding {coding_id} already has code {new_code!r}")
        rejected = _copy(store, row, coder, "recode", "rejected", note or f"recoded as {new_code}", adjudicate)
        recoded = _copy(store, row, coder, "recode", "accepted", note, adjudicate, code=new_code,
                        method="recode", rule=f"recoded from {row['code']}")
        return [rejected, recoded]
    raise InputError(None, None, f"unknown decision {decision!r}: use accept, reject or recode")


def decide(store: Store, coding_id: int, decision: str, coder: str, new_code: str | None = None,
           note: str = "", adjudicate: bool = False) -> list[int]:
    """Accept, reject or recode one coding, in its own transaction."""
    with store.atomic():
        return apply_decision(store, coding_id, decision, coder, new_code, note, adjudicate)


def remove(store: Store, coding_id: int, coder: str, note: str = "") -> int:
    """Withdraw a coding. One's own coding is marked 'removed' (never deleted); a
    machine's suggestion or another person's coding is not one's to change, so the
    withdrawal is one's own rejection of it. Returns the id of the row that records it."""
    with store.atomic():
        row = _require_coding(store, coding_id)
        if row["coder"] != coder:
            return _copy(store, row, coder, "remove", "rejected", note or f"withdrew {row['coder']}'s coding")
        if row["status"] == "removed":
            raise InputError(None, None, f"coding {coding_id} is already removed")
        store.set_status(coding_id, "removed")
        store.log(coder, "remove", coding_id, row["transcript"], row["code"], before=row["status"],
                  after="removed", detail=note)
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
    for turn in turns[(turns["start"] < end) & (turns["end"] > start)].itertuples(index=False):
        low, high = max(start, turn.start), min(end, turn.end)
        if low >= high:
            continue
        piece = turn.text[low - turn.start:high - turn.start]
        low += len(piece) - len(piece.lstrip())
        high -= len(piece) - len(piece.rstrip())
        if low < high:
            pieces.append((turn, low, high))
    return pieces


def line_spans(turns: pd.DataFrame) -> dict[int, tuple[int, int]]:
    """Line number -> character offsets (start, end) of each line with speech."""
    spans = {}
    for turn in turns.itertuples(index=False):
        offset = turn.start
        for number, line in enumerate(turn.text.split("\n"), start=turn.line):
            spans[number] = (offset, offset + len(line))
            offset += len(line) + 1
    return spans


def _line_span(turns: pd.DataFrame, first: int, last: int,
               spans: dict[int, tuple[int, int]] | None = None) -> tuple[int, int]:
    """Character offsets of lines first..last, from the stored turns."""
    if first < 1:
        raise InputError(None, None, f"lines {first}-{last}: lines are numbered from 1")
    spans = line_spans(turns) if spans is None else spans
    final = max(spans, default=0)
    if last > final:
        raise InputError(None, None, f"lines {first}-{last}: the last line with speech is {final}")
    inside = [spans[n] for n in range(first, last + 1) if n in spans]
    if not inside:
        raise InputError(None, None, f"lines {first}-{last} hold no speaker turn")
    return inside[0][0], inside[-1][1]


def _char_span(turns: pd.DataFrame, chars: str) -> tuple[int, int]:
    start, end = parse_range(chars, "chars")
    length = int(turns["end"].max()) if not turns.empty else 0
    if start == end:
        raise InputError(None, None, f"chars {chars!r}: an empty range (the end is exclusive)")
    if end > length:
        raise InputError(None, None, f"chars {start}-{end}: speech ends at character {length}")
    return start, end


def add(store: Store, transcript: str, code: str, coder: str, lines: str | None = None,
        chars: str | None = None, note: str = "") -> list[int]:
    """Code a line range (or a character range) by hand; one coding per speaker turn in it.
    A range that takes in an interviewer's turn (whose codings never count) is an error
    that says so, as is coding the same passage twice or a range outside the speech."""
    if (lines is None) == (chars is None):
        raise InputError(None, None, "give either --lines FIRST-LAST or --chars START-END")
    path = find_transcript(store, transcript)
    _require_code(store, code)
    pieces = passage(path, store.turns(path), lines, chars)
    with store.atomic():
        return [code_by_hand(store, path, turn, low, high, code, coder, note) for turn, low, high in pieces]


def passage(path: str, turns: pd.DataFrame, lines: str | None = None, chars: str | None = None,
            spans: dict[int, tuple[int, int]] | None = None) -> list[tuple]:
    """The participants' speech in a line or character range, one piece per turn:
    (turn, start, end). An empty range or one taking in an interviewer's turn is an error."""
    if lines is not None:
        start, end = _line_span(turns, *parse_range(lines, "lines"), spans=spans)
    else:
        start, end = _char_span(turns, chars)
    where = f"lines {lines}" if lines is not None else f"characters {start}-{end}"
    pieces = _pieces(turns, start, end)
    if not pieces:
        raise InputError(None, None, f"{path}: {where} hold no speaker turn")
    asked = [piece[0] for piece in pieces if piece[0].role != "participant"]
    if asked:
        turns_at = ", ".join(f"line {turn.line} ({turn.speaker})" for turn in asked)
        raise InputError(None, None, f"{path}: {where} include the interviewer's turn at {turns_at}: "
                         "codings there never count toward a group; give the participants' lines only")
    return pieces


def code_by_hand(store: Store, path: str, turn, low: int, high: int, code: str, coder: str,
                 note: str = "", action: str = "add", before: str | None = None) -> int:
    """Store one person's coding of [low, high) inside one turn. Unless the caller checked
    already (and says where the unit stood `before`), refused if this coder already coded
    that passage with that code."""
    quote = turn.text[low - turn.start:high - turn.start]
    line = turn.line + turn.text[:low - turn.start].count("\n")
    if before is None:
        unit = store.unit_codings(path, low, high, code)
        mine = latest_per_coder(unit)
        if (mine["coder"].eq(coder) & mine["status"].eq("accepted")).any():
            raise InputError(None, None, f"{path}:{line}: {coder} has already coded this passage as {code}")
        before = status_of(unit)
    values = dict(transcript=path, group_id=turn.group, segment_start=low, segment_end=high, line=line,
                  speaker=turn.speaker, role=turn.role, quote=quote, code=code, matched_text=quote,
                  match_start=low, match_end=high, method="manual", score=None, rule="manual",
                  coder=coder, status="accepted", note=note)
    coding_id = store.insert_coding(values)
    store.log(coder, action, coding_id, path, code, before=before, after="accepted", detail=note)
    return coding_id


# -- what is left to review -------------------------------------------------------


def with_context(store: Store, codings: pd.DataFrame) -> pd.DataFrame:
    """Add each coding's speaker turn (`context`, `turn_start`) from the stored turns."""
    turns = store.turns()[["transcript", "start", "end", "text"]]
    joined = codings.reset_index().merge(turns, on="transcript", how="left")
    inside = joined[(joined["start"] <= joined["segment_start"]) & (joined["segment_end"] <= joined["end"])]
    inside = inside.drop_duplicates("index").set_index("index")
    result = codings.assign(context=inside["text"], turn_start=inside["start"])
    return result.assign(context=result["context"].fillna(""))


def undecided_suggestions(store: Store, coder: str) -> pd.DataFrame:
    """Machine suggestions `coder` has not decided on, as the machine made them: no other
    person's decision shows through (blind double coding)."""
    rows = live(store.codings())
    machines = rows[machine_mask(rows["coder"])].sort_values("coding_id").drop_duplicates(UNIT, keep="last")
    decided = rows.loc[rows["coder"] == coder, UNIT].drop_duplicates()
    pending = machines.merge(decided, on=UNIT, how="left", indicator=True)
    return pending[pending["_merge"] == "left_only"].drop(columns="_merge")


ORDERS = ("transcript", "uncertain")


def review_queue(store: Store, coder: str, code: str | None = None, group: str | None = None,
                 transcript: str | None = None, order: str = "transcript") -> pd.DataFrame:
    """Machine suggestions this coder has not decided on yet, blind to other coders, in
    transcript order or, with order 'uncertain', the learned coder's least certain first
    (probability nearest 0.5: what a decision teaches it most; rule hits come after).
    Only participants' turns: interviewer codings never count."""
    if order not in ORDERS:
        raise InputError(None, None, f"--order {order!r}: use {' or '.join(ORDERS)}")
    suggestions = undecided_suggestions(store, coder)
    suggestions = suggestions[suggestions["role"] == "participant"]
    if code:
        suggestions = suggestions[suggestions["code"] == code]
    if group:
        suggestions = suggestions[suggestions["group"] == group]
    if transcript:
        suggestions = suggestions[suggestions["transcript"] == find_transcript(store, transcript)]
    pending = suggestions.sort_values(["transcript", "segment_start", "code"])
    if order == "uncertain":
        certainty = (pending["score"] - 0.5).abs().where(pending["method"] == "model", 1.0)
        pending = pending.assign(_certainty=certainty).sort_values("_certainty", kind="stable").drop(
            columns="_certainty")
    return with_context(store, pending.reset_index(drop=True))


# -- the codebook's ids ------------------------------------------------------------


def rename_code(store: Store, codebook: str | Path, old: str, new: str, coder: str) -> int:
    """Rename a code in the codebook file and move every coding and decision on it, in one
    transaction (the file is written last, so a failure leaves both as they were).
    Returns how many codings moved."""
    if old == new:
        raise InputError(None, None, "the old and the new code id are the same")
    with store.atomic():
        moved = store.rename_code(old, new, coder)
        in_file = rename_in_file(codebook, old, new)
        if not moved and not in_file:
            raise InputError(codebook, None, f"no code {old!r} in the codebook or the store")
    return moved


# -- taking a decision back ----------------------------------------------------------


def undo(store: Store, coder: str, ids: list[int], note: str = "undo") -> list[int]:
    """Take back one of `coder`'s own decisions: the rows it wrote (`ids`: one for an
    accept or reject, two for a recode, one per turn for an add) are marked removed,
    never deleted, in one transaction, and logged. Rows already removed are passed
    over; a row that is not the coder's is refused (nobody takes back another's
    judgement). Returns the ids marked removed."""
    with store.atomic():
        taken = []
        for coding_id in reversed(ids):
            row = _require_coding(store, coding_id)
            if row["coder"] != coder:
                raise InputError(None, None, f"coding {coding_id} is {row['coder']}'s, not {coder}'s: "
                                 "only one's own decisions can be undone")
            if row["status"] == "removed":
                continue
            store.set_status(coding_id, "removed")
            store.log(coder, "remove", coding_id, row["transcript"], row["code"], before=row["status"],
                      after="removed", detail=note)
            taken.append(coding_id)
        if not taken:
            raise InputError(None, None, "nothing to undo: that decision was already taken back")
    return taken
