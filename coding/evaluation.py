"""Agreement of the store's group-level codes with a gold standard.

Gold is a CSV `group,code,present` (present is 0 or 1), as a careful human
coder would judge each group. A group "has" a code when at least one counted
coding (see `coding.tables.counted`) says so.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .errors import InputError
from .store import Store
from .tables import counted

GOLD_COLUMNS = ["group", "code", "present"]


def read_gold(path: str | Path, known_codes: set[str], known_groups: set[str]) -> pd.DataFrame:
    """Read and check a gold CSV; every bad row is an error with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, None, "gold file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, None, f"cannot read gold file: {error}") from None
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != GOLD_COLUMNS:
        raise InputError(path, 1, f"header must be {','.join(GOLD_COLUMNS)}")
    rows, seen = [], {}
    for line, row in enumerate(reader, start=2):
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


def cohen_kappa(a: pd.Series, b: pd.Series) -> float:
    """Cohen's kappa of two binary raters; 1.0 when they agree and chance agreement is total."""
    observed = (a == b).mean()
    expected = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    if expected == 1:
        return 1.0 if observed == 1 else 0.0
    return float((observed - expected) / (1 - expected))


def scores(frame: pd.DataFrame) -> dict:
    gold, predicted = frame["gold"].astype(bool), frame["predicted"].astype(bool)
    tp = int((gold & predicted).sum())
    fp = int((~gold & predicted).sum())
    fn = int((gold & ~predicted).sum())
    tn = int((~gold & ~predicted).sum())
    # Undefined ratios (nothing predicted, nothing to find) stay empty, not 0.
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": _round(precision),
            "recall": _round(recall), "f1": _round(f1),
            "kappa": round(cohen_kappa(frame["gold"], frame["predicted"]), 3) + 0.0}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def evaluate(store: Store, gold_path: str | Path) -> pd.DataFrame:
    """Per code and overall (micro over all group x code pairs) agreement with gold."""
    codes = store.codes()
    gold = read_gold(gold_path, set(codes["code"]), set(store.groups()["group"]))
    raised = counted(store.codings())[["group", "code"]].drop_duplicates().assign(predicted=1)
    pairs = gold.merge(raised, on=["group", "code"], how="left").fillna({"predicted": 0})
    pairs["predicted"] = pairs["predicted"].astype(int)
    order = {code: i for i, code in enumerate(codes["code"])}
    rows = [{"code": code, **scores(part)}
            for code, part in sorted(pairs.groupby("code"), key=lambda item: order[item[0]])]
    rows.append({"code": "overall", **scores(pairs)})
    return pd.DataFrame(rows)
