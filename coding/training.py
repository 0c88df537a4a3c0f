"""Training the learned coder from people's decisions (`coding train`).

What people decided becomes labelled passages (see `autocode.learned`):

- positive for a code: a passage that a person's accepted or added coding of
  that code overlaps (their latest decision on the unit), and each of the
  codebook's `examples`;
- negative: a passage a person rejected the code on, and every other passage
  of a transcript that person read (`coverage`: reviewed, or named in an
  imported codings file) for that code; the examples of other codes;
- passages nobody read are left out; a read passage with no decision on a code
  that its reader did not cover counts as that code's negative.

The rule coder runs over the same passages, so its hits are features. A
cross-validated estimate (folds keep one speaker turn's passages together)
is printed per code with the number of positives; a code with fewer than
`MIN_POSITIVES` is not learned and keeps the rule coder's suggestions. The
model is stored, versioned, with what it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import __version__
from .autocode.learned import (FOLDS, LEARNER, MIN_POSITIVES, LearnedModel, Passage, Unit, best_threshold,
                               fit, out_of_fold, passages_with_rules, rule_coder)
from .codebook import Codebook, load_codebook
from .coders import is_machine
from .errors import InputError
from .read import Transcript, Turn
from .review.standing import latest_per_coder
from .store import Store

MIN_PASSAGES = 20


def stored_transcript(path: str, group: str, language: str, turns: pd.DataFrame) -> Transcript:
    """A transcript rebuilt from its stored turns (the text between turns is blank), enough
    to run the coders over it again without its file."""
    length = int(turns["end"].max()) if not turns.empty else 0
    chars = [" "] * length
    for turn in turns.itertuples(index=False):
        chars[turn.start:turn.end] = turn.text
    text = "".join(chars)
    rebuilt = Transcript(path=path, group=group, text=text, content_hash="", language=language,
                         line_starts=[0])
    rebuilt.turns = [Turn(index=t.turn, speaker=t.speaker, role=t.role, line=t.line, start=t.start, end=t.end,
                          group=t.group) for t in turns.itertuples(index=False)]
    return rebuilt


def labelled_units(store: Store, book: Codebook) -> tuple[list[Unit], np.ndarray, np.ndarray]:
    """Every passage of a transcript some person read, with labels (1 positive, 0 negative)
    and a mask of which labels are known."""
    codes = list(book.ids)
    coders: dict[str, object] = {}

    def rules_for(language: str):
        if language not in coders:
            coders[language] = rule_coder(book, language)
        return coders[language]

    decided = latest_per_coder(store.codings())
    decided = decided[~decided["orphaned"]]
    coverage = store.coverage()
    coverage = coverage[~coverage["coder"].map(is_machine)]
    if decided.empty and coverage.empty:
        return [], np.zeros((0, len(codes)), dtype=bool), np.zeros((0, len(codes)), dtype=bool)
    read = set(coverage["transcript"]) | set(decided["transcript"])
    units: list[Unit] = []
    stored = store.transcripts().set_index("path")  # read once, not once per transcript
    for path in sorted(read & set(stored.index)):
        row = stored.loc[path]
        transcript = stored_transcript(path, str(row["group"]), str(row["language"]), store.turns(path))
        units += passages_with_rules(transcript, rules_for(transcript.language))
    labels = np.zeros((len(units), len(codes)), dtype=bool)
    known = np.zeros((len(units), len(codes)), dtype=bool)
    position = {code: j for j, code in enumerate(codes)}
    by_transcript: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        by_transcript.setdefault(unit.transcript, []).append(i)
    for row in coverage.itertuples(index=False):
        columns = list(range(len(codes))) if row.code == "*" else [position[row.code]] if row.code in position else []
        for i in by_transcript.get(row.transcript, []):
            known[i, columns] = True
    for row in decided.itertuples(index=False):
        if row.code not in position:
            continue
        for i in by_transcript.get(row.transcript, []):
            unit = units[i]
            if row.segment_start < unit.end and unit.start < row.segment_end:
                known[i, position[row.code]] = True
                if row.status == "accepted":
                    labels[i, position[row.code]] = True
    return units, labels, known


def _examples(book: Codebook) -> tuple[list[Passage], np.ndarray]:
    passages, rows = [], []
    for j, code in enumerate(book.codes):
        for example in code.examples:
            passages.append(Passage(example))
            rows.append([k == j for k in range(len(book.codes))])
    return passages, np.array(rows, dtype=bool).reshape(len(rows), len(book.codes))


@dataclass
class TrainResult:
    model_id: int
    estimate: pd.DataFrame   # per code and overall: positives, precision, recall, f1, kappa
    passages: int
    threshold: float


def train(store: Store, codebook: str, folds: int = FOLDS) -> TrainResult:
    """Learn from people's decisions in the store; estimate by cross-validation; store the model."""
    book = load_codebook(codebook)
    units, labels, known = labelled_units(store, book)
    positives = (labels & known).sum(axis=0)
    learnable = positives >= MIN_POSITIVES
    if len(units) < MIN_PASSAGES or not learnable.any():
        raise InputError(None, None, f"too little to learn from: {len(units)} passages read by people, "
                         f"{int(positives.sum())} coded (need at least {MIN_PASSAGES} passages and "
                         f"{MIN_POSITIVES} codings of one code); review or import codings first")
    # a passage whose label for a code is unknown is left out by treating it as that code's
    # negative only where known: rows with nothing known are dropped
    rows = known.any(axis=1)
    units, labels, known = [u for u, keep in zip(units, rows) if keep], labels[rows], known[rows]
    passages = [u.passage for u in units]
    examples, example_labels = _examples(book)
    groups = [f"{u.transcript}#{u.turn}" for u in units]
    probabilities = out_of_fold(passages, labels & known, list(book.ids), groups, folds)
    threshold = best_threshold(labels[:, learnable] & known[:, learnable], probabilities[:, learnable])
    estimate = _estimate(book, labels, known, probabilities >= threshold, positives, learnable)
    model = fit(passages + examples, np.vstack([labels & known, example_labels]), list(book.ids), threshold)
    model.info = {"learned": [code for code, ok in zip(book.ids, learnable) if ok]}
    trained_on = {"passages": len(units), "transcripts": len({u.transcript for u in units}),
                  "examples": len(examples), "positives": dict(zip(book.ids, map(int, positives)))}
    with store.atomic():
        model_id = store.save_model(__version__, book.content_hash, LEARNER, trained_on,
                                    estimate.to_dict(orient="records"), model.to_bytes())
    return TrainResult(model_id, estimate, len(units), threshold)


def _estimate(book: Codebook, labels, known, predicted, positives, learnable) -> pd.DataFrame:
    from .report.evaluation import scores

    rows = []
    for j, code in enumerate(book.ids):
        mask = known[:, j]
        frame = pd.DataFrame({"gold": labels[mask, j].astype(int), "predicted": predicted[mask, j].astype(int)})
        rows.append({"code": code, "positives": int(positives[j]), "learned": bool(learnable[j]),
                     **_pick(scores(frame))})
    mask = known[:, learnable]
    frame = pd.DataFrame({"gold": labels[:, learnable][mask].astype(int),
                          "predicted": predicted[:, learnable][mask].astype(int)})
    rows.append({"code": "overall (learned codes)", "positives": int(positives[learnable].sum()),
                 "learned": True, **_pick(scores(frame))})
    return pd.DataFrame(rows)


def _pick(score: dict) -> dict:
    return {key: score[key] for key in ("precision", "recall", "f1", "kappa")}


def load_model(store: Store) -> tuple[int, LearnedModel] | None:
    found = store.latest_model()
    return None if found is None else (found["id"], LearnedModel.from_bytes(found["blob"]))
