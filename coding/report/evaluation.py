"""Agreement of the store's counted codes with a gold standard, at two levels.

Group level: a CSV `group,code,present` (present is 0 or 1), as a careful
human coder would judge each group. A group "has" a code when at least one
counted coding (see `coding.tables.counted`) says so.

Segment level: a CSV `transcript,lines,code` listing where a careful coder
found each code ("transcripts/G01.md,12-14,skills"). The units compared are
(transcript, line, code) for every line of a speaker turn in the transcripts
the gold file names; a counted coding covers the lines of its quote.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

import pandas as pd

from .agreement import cohen_kappa
from ..review.decisions import find_transcript, parse_range
from ..errors import InputError
from ..store import Store
from .tables import counted_codings

GOLD_COLUMNS = ["group", "code", "present"]
SEGMENT_GOLD_COLUMNS = ["transcript", "lines", "code"]
LEVELS = ("group", "segment")


def _gold_rows(path: Path, columns: list[str]) -> Iterator[tuple[int, dict]]:
    """(line, row) for each row of a gold CSV after its header; a row the csv module
    cannot read is an InputError at its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, None, "gold file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, None, f"cannot read gold file: {error}") from None
    reader = csv.DictReader(text.splitlines())
    try:
        if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != columns:
            raise InputError(path, 1, f"header must be {','.join(columns)}")
        line = reader.line_num + 1
        for row in reader:
            yield line, row
            line = reader.line_num + 1
    except csv.Error as error:  # the DictReader's own line_num lags a row behind
        raise InputError(path, reader.reader.line_num, f"not a valid CSV row: {error}") from None


def read_gold(path: str | Path, known_codes: set[str], known_groups: set[str]) -> pd.DataFrame:
    """Read and check a group-level gold CSV; every bad row is an error with its line."""
    path = Path(path)
    rows, seen = [], {}
    for line, row in _gold_rows(path, GOLD_COLUMNS):
        group, code, present = (str(row.get(c) or "").strip() for c in GOLD_COLUMNS)
        if code not in known_codes:
            raise InputError(path, line, f"unknown code {code!r}")
        if group not in known_groups:
            raise InputError(path, line, f"group {group!r} is not in the store; tag its transcripts first")
        if present not in ("0", "1"):
            raise InputError(path, line, f"present must be 0 or 1, not {present!r}")
        if (group, code) in seen:
            raise InputError(path, line, f"{group},{code} already given on line {seen[group, code]}")
        seen[group, code] = line
        rows.append({"group": group, "code": code, "gold": int(present)})
    if not rows:
        raise InputError(path, 2, "no gold rows")
    return pd.DataFrame(rows)


def scores(frame: pd.DataFrame) -> dict:
    """Confusion counts, precision, recall, F1 and kappa of `predicted` against `gold`."""
    gold, predicted = frame["gold"].astype(bool), frame["predicted"].astype(bool)
    tp = int((gold & predicted).sum())
    fp = int((~gold & predicted).sum())
    fn = int((gold & ~predicted).sum())
    tn = int((~gold & ~predicted).sum())
    # Undefined ratios (nothing predicted, nothing to find) stay empty, not 0. F1 is
    # 2TP / (2TP + FP + FN), defined whenever anything was predicted or there was
    # anything to find: predicting nothing where there were codes to find is 0, not empty.
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": _round(precision),
            "recall": _round(recall), "f1": _round(f1),
            "kappa": _round(cohen_kappa(list(frame["gold"]), list(frame["predicted"])))}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3) + 0.0  # + 0.0: no "-0.0"


def read_segment_gold(path: str | Path, store: Store) -> pd.DataFrame:
    """Read and check a segment-level gold CSV into (transcript, line, code) rows."""
    path = Path(path)
    known_codes = set(store.codes()["code"])
    rows, paths = [], {}
    for line, row in _gold_rows(path, SEGMENT_GOLD_COLUMNS):
        name, lines, code = (str(row.get(c) or "").strip() for c in SEGMENT_GOLD_COLUMNS)
        if code not in known_codes:
            raise InputError(path, line, f"unknown code {code!r}")
        try:
            if name not in paths:  # one lookup per transcript, not per gold row
                paths[name] = find_transcript(store, name)
            transcript = paths[name]
            first, last = parse_range(lines, "lines")
        except InputError as error:
            raise InputError(path, line, error.problem) from None
        rows += [{"transcript": transcript, "line": n, "code": code} for n in range(first, last + 1)]
    if not rows:
        raise InputError(path, 2, "no gold rows")
    return pd.DataFrame(rows).drop_duplicates()


def _turn_lines(store: Store, transcripts: set[str]) -> pd.DataFrame:
    """Every line that holds speaker talk, in the given transcripts."""
    turns = store.turns()
    turns = turns[turns["transcript"].isin(transcripts)]
    lines = [(t.transcript, n) for t in turns.itertuples()
             for n in range(t.line, t.line + t.text.count("\n") + 1)]
    return pd.DataFrame(lines, columns=["transcript", "line"]).drop_duplicates()


def _coded_lines(codings: pd.DataFrame) -> pd.DataFrame:
    lines = [(c.transcript, n, c.code) for c in codings.itertuples()
             for n in range(c.line, c.line + c.quote.count("\n") + 1)]
    return pd.DataFrame(lines, columns=["transcript", "line", "code"]).drop_duplicates()


def _segment_pairs(store: Store, gold_path: str | Path) -> pd.DataFrame:
    gold = read_segment_gold(gold_path, store).assign(gold=1)
    units = _turn_lines(store, set(gold["transcript"])).merge(store.codes()[["code"]], how="cross")
    predicted = _coded_lines(counted_codings(store)).assign(predicted=1)
    pairs = units.merge(gold, on=["transcript", "line", "code"], how="left")
    pairs = pairs.merge(predicted, on=["transcript", "line", "code"], how="left")
    return pairs.fillna({"gold": 0, "predicted": 0}).astype({"gold": int, "predicted": int})


def _group_pairs(store: Store, gold_path: str | Path) -> pd.DataFrame:
    gold = read_gold(gold_path, set(store.codes()["code"]), set(store.groups()["group"]))
    raised = counted_codings(store)[["group", "code"]].drop_duplicates().assign(predicted=1)
    pairs = gold.merge(raised, on=["group", "code"], how="left").fillna({"predicted": 0})
    return pairs.astype({"predicted": int})


def evaluate(store: Store, gold_path: str | Path, level: str = "group") -> pd.DataFrame:
    """Per code and overall (micro over all units) agreement with gold."""
    if level not in LEVELS:
        raise InputError(None, None, f"level {level!r}: use group or segment")
    codes = store.codes()
    pairs = _group_pairs(store, gold_path) if level == "group" else _segment_pairs(store, gold_path)
    order = {code: i for i, code in enumerate(codes["code"])}
    rows = [{"code": code, **scores(part)}
            for code, part in sorted(pairs.groupby("code"), key=lambda item: order[item[0]])]
    rows.append({"code": "overall", **scores(pairs)})
    return pd.DataFrame(rows)
