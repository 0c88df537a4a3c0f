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

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .agreement import cohen_kappa
from ..csvrows import csv_rows
from ..review.decisions import find_transcript, parse_range
from ..errors import InputError
from ..store import Store
from .tables import counted_codings

GOLD_COLUMNS = ["group", "code", "present"]
BOOTSTRAP_SAMPLES = 2000
MIN_DOCUMENTS = 10
SEGMENT_GOLD_COLUMNS = ["transcript", "lines", "code"]
LEVELS = ("group", "segment")


def _gold_rows(path: Path, columns: list[str]) -> Iterator[tuple[int, dict]]:
    return csv_rows(path, columns, what="gold file")


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


def pairs_for(store: Store, gold_path: str | Path, level: str = "group") -> pd.DataFrame:
    """Every unit of the gold file's scope, with `gold`, `predicted` and its `document`."""
    if level not in LEVELS:
        raise InputError(None, None, f"level {level!r}: use group or segment")
    if level == "group":
        return _group_pairs(store, gold_path).assign(document=lambda f: f["group"])
    pairs = _segment_pairs(store, gold_path)
    return pairs.assign(document=_documents(store, pairs))


def _documents(store: Store, pairs: pd.DataFrame) -> pd.Series:
    """What the bootstrap resamples: transcripts, or, with fewer than MIN_DOCUMENTS of them
    (a survey sheet is one file of many respondents), speaker turns."""
    if pairs["transcript"].nunique() >= MIN_DOCUMENTS:
        return pairs["transcript"]
    turns = store.turns()
    spans = [(t.transcript, n, f"{t.transcript}#{t.turn}") for t in turns.itertuples()
             for n in range(t.line, t.line + t.text.count("\n") + 1)]
    turn_of = pd.DataFrame(spans, columns=["transcript", "line", "turn"]).drop_duplicates(["transcript", "line"])
    found = pairs[["transcript", "line"]].merge(turn_of, on=["transcript", "line"], how="left")["turn"]
    return pd.Series(found.fillna(pairs["transcript"]).values, index=pairs.index)


def evaluate(store: Store, gold_path: str | Path, level: str = "group", samples: int = BOOTSTRAP_SAMPLES,
             seed: int = 0) -> pd.DataFrame:
    """Per code and overall (micro over all units) agreement with gold; the overall row
    carries a bootstrap 95% interval for F1 and kappa, resampling documents."""
    codes = store.codes()
    pairs = pairs_for(store, gold_path, level)
    order = {code: i for i, code in enumerate(codes["code"])}
    rows = [{"code": code, **scores(part)}
            for code, part in sorted(pairs.groupby("code"), key=lambda item: order[item[0]])]
    overall = {"code": "overall", **scores(pairs)}
    f1, kappa = bootstrap(pairs, samples, seed)
    overall.update(f1_low=_round(np.percentile(f1, 2.5)), f1_high=_round(np.percentile(f1, 97.5)),
                   kappa_low=_round(np.percentile(kappa, 2.5)), kappa_high=_round(np.percentile(kappa, 97.5)),
                   documents=int(pairs["document"].nunique()))
    rows.append(overall)
    return pd.DataFrame(rows)


def _document_counts(pairs: pd.DataFrame, documents: list) -> np.ndarray:
    """documents x (tp, fp, fn, tn)."""
    gold, predicted = pairs["gold"].astype(bool), pairs["predicted"].astype(bool)
    cells = pd.DataFrame({"document": pairs["document"], "tp": gold & predicted, "fp": ~gold & predicted,
                          "fn": gold & ~predicted, "tn": ~gold & ~predicted})
    return cells.groupby("document")[["tp", "fp", "fn", "tn"]].sum().reindex(documents).fillna(0).to_numpy(float)


def _weights(documents: int, samples: int, seed: int) -> np.ndarray:
    """samples x documents: how often each document is drawn in each bootstrap sample."""
    generator = np.random.default_rng(seed)
    return generator.multinomial(documents, np.full(documents, 1 / documents), size=samples)


def _f1_kappa(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tp, fp, fn, tn = counts.T
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = 2 * tp / (2 * tp + fp + fn)
        observed = (tp + tn) / n
        chance = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n ** 2
        kappa = (observed - chance) / (1 - chance)
    return np.nan_to_num(f1), np.nan_to_num(kappa)


def bootstrap(pairs: pd.DataFrame, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0):
    """Micro-F1 and kappa over `samples` resamplings of the documents (with replacement)."""
    documents = sorted(pairs["document"].unique())
    return _f1_kappa(_weights(len(documents), samples, seed) @ _document_counts(pairs, documents))


def compare(store: Store, other: Store, gold_path: str | Path, level: str = "group",
            samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> pd.DataFrame:
    """A paired bootstrap of two stores (A: `store`, B: `other`) against one gold file: the
    same documents drawn for both in each sample. Says how likely B beats A."""
    a, b = pairs_for(store, gold_path, level), pairs_for(other, gold_path, level)
    documents = sorted(set(a["document"]) | set(b["document"]))
    weights = _weights(len(documents), samples, seed)
    f1_a, kappa_a = _f1_kappa(weights @ _document_counts(a, documents))
    f1_b, kappa_b = _f1_kappa(weights @ _document_counts(b, documents))
    rows = []
    for name, f1, kappa, pairs in (("A", f1_a, kappa_a, a), ("B", f1_b, kappa_b, b)):
        point = scores(pairs)
        rows.append({"store": name, "f1": point["f1"], "f1_low": _round(np.percentile(f1, 2.5)),
                     "f1_high": _round(np.percentile(f1, 97.5)), "kappa": point["kappa"],
                     "kappa_low": _round(np.percentile(kappa, 2.5)),
                     "kappa_high": _round(np.percentile(kappa, 97.5)), "p_better": None})
    difference = f1_b - f1_a
    rows.append({"store": "B - A", "f1": _round(rows[1]["f1"] - rows[0]["f1"]),
                 "f1_low": _round(np.percentile(difference, 2.5)), "f1_high": _round(np.percentile(difference, 97.5)),
                 "kappa": _round(rows[1]["kappa"] - rows[0]["kappa"]),
                 "kappa_low": _round(np.percentile(kappa_b - kappa_a, 2.5)),
                 "kappa_high": _round(np.percentile(kappa_b - kappa_a, 97.5)),
                 "p_better": _round(float(np.mean(difference > 0)))})
    return pd.DataFrame(rows)
