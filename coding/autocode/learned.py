"""A coder that learns from people's decisions: one logistic regression per code
over TF-IDF word n-grams of a passage plus the rule coder's hits in it.

A *passage* is what the learned coder codes: a whole participant turn when it
is short (an answer in a survey, a reply in an interview), else each sentence.
Chosen by measurement on the NHS benchmark (README, "Accuracy"): scikit-learn's
liblinear on sparse features trains on 4,000 answers in seconds on one core,
offline, and beat the alternatives tried there.

The model is stored in the store as plain arrays (numpy's npz without pickles)
and a JSON header, never as a pickle: a store is a file other people send, and
unpickling runs code.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np

from ..read import Transcript, Turn

PASSAGE_MAX_WORDS = 80
LEARNER = "tfidf-word-1-2+rule-hits / logistic regression (liblinear, C=10) per code"
MIN_POSITIVES = 3
FOLDS = 5


@dataclass
class Passage:
    """Text to classify, with the codes the rules found in it (the rule features)."""

    text: str
    rule_codes: frozenset[str] = frozenset()
    vetoed_codes: frozenset[str] = frozenset()


@dataclass
class LearnedModel:
    codes: list[str]
    vocabulary: list[str]
    idf: np.ndarray
    coef: np.ndarray          # codes x (words + 2 * codes)
    intercept: np.ndarray     # codes
    threshold: float = 0.5
    info: dict = field(default_factory=dict)
    _fitted: object = field(default=None, repr=False, compare=False)

    # -- features ---------------------------------------------------------------

    def _vectorizer(self):
        """The fitted TF-IDF vectorizer, rebuilt once from the stored vocabulary and idf."""
        if self._fitted is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._fitted = TfidfVectorizer(**VECTORIZER)
            self._fitted.vocabulary_ = {term: i for i, term in enumerate(self.vocabulary)}
            self._fitted.idf_ = self.idf
        return self._fitted

    def features(self, passages: list[Passage]):
        return _features(self._vectorizer().transform([p.text for p in passages]), passages, self.codes)

    def probabilities(self, passages: list[Passage]) -> np.ndarray:
        """passages x codes: the probability that a person would code each passage so."""
        if not passages:
            return np.zeros((0, len(self.codes)))
        scores = self.features(passages) @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-scores))

    def strongest_words(self, passage: Passage, code: str, count: int = 3) -> list[str]:
        """The words (n-grams) of a passage that push most towards a code: evidence to read."""
        row = self._vectorizer().transform([passage.text])
        weights = self.coef[self.codes.index(code), :len(self.vocabulary)]
        contributions = {self.vocabulary[i]: row[0, i] * weights[i] for i in row.nonzero()[1]}
        best = sorted((w for w, v in contributions.items() if v > 0), key=lambda w: -contributions[w])
        return best[:count]

    # -- storage ------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
                            intercept=self.intercept.astype(np.float32),
                            header=np.frombuffer(json.dumps({
                                "codes": self.codes, "vocabulary": self.vocabulary,
                                "threshold": self.threshold, "info": self.info}).encode("utf-8"), dtype=np.uint8))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> "LearnedModel":
        with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
            header = json.loads(arrays["header"].tobytes().decode("utf-8"))
            return cls(codes=header["codes"], vocabulary=header["vocabulary"],
                       idf=arrays["idf"].astype(np.float64), coef=arrays["coef"].astype(np.float64),
                       intercept=arrays["intercept"].astype(np.float64), threshold=header["threshold"],
                       info=header.get("info", {}))


@dataclass
class Unit:
    """A passage of a stored transcript: where it is, and its rule features."""

    transcript: str
    turn: int
    start: int
    end: int
    role: str
    passage: Passage


def passages_of(transcript: Transcript, codings: list, segments: list) -> list[Unit]:
    """The participant passages of a coded transcript: a short turn whole, a long one
    by sentence (its segments), each with the codes the rules found or vetoed in it."""
    standing = [c for c in codings if not c.veto]
    vetoed = [c for c in codings if c.veto]
    sentences: dict[int, list] = {}
    for segment_ in segments:
        sentences.setdefault(segment_.turn, []).append((segment_.start, segment_.end))
    units = []
    for turn in transcript.turns:
        if turn.role != "participant":
            continue
        text = transcript.turn_text(turn)
        for start, end in _spans(turn, text, sentences.get(turn.index, [])):
            inside = lambda c: start <= c.segment_start < end or c.segment_start <= start < c.segment_end  # noqa: E731
            units.append(Unit(transcript.path, turn.index, start, end, turn.role, Passage(
                transcript.text[start:end],
                frozenset(c.code for c in standing if inside(c)),
                frozenset(c.code for c in vetoed if inside(c)))))
    return units


def _spans(turn: Turn, text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    stripped = text.strip()
    if not stripped:
        return []
    start = turn.start + len(text) - len(text.lstrip())
    if len(stripped.split()) <= PASSAGE_MAX_WORDS or not sentences:
        return [(start, start + len(stripped))]
    return sentences


def rule_coder(book, language: str):
    from .nlp import make_nlp
    from .rules import AutoCoder

    return AutoCoder(book, make_nlp(language))


def passages_with_rules(transcript: Transcript, rules) -> list[Unit]:
    """Run the rule coder over every turn (no fast path: every passage needs its
    features) and cut the transcript into passages."""
    from .segments import Piece, fitting, segment

    pieces = fitting([Piece.whole(transcript, turn) for turn in transcript.turns], rules.nlp)
    docs = list(rules.nlp.pipe(piece.text for piece in pieces))
    segments = segment(transcript, pieces, docs)
    return passages_of(transcript, rules.code(transcript, pieces, segments, docs), segments)


class LearnedCoder:
    """Suggests what the model says a person would code; the rule coder's hits are among
    its features. Codes the model did not learn (too few examples), interviewer turns
    and vetoed mentions keep the rule coder's rows."""

    def __init__(self, rules, model: "LearnedModel", model_id: int):
        self.rules, self.model, self.model_id = rules, model, model_id
        self.nlp, self.codebook = rules.nlp, rules.codebook
        self.learned = set(model.info.get("learned", model.codes)) & set(rules.codebook.ids)

    def code(self, transcript: Transcript, pieces, segments, docs) -> list:
        from .rules import Coding

        rows = self.rules.code(transcript, pieces, segments, docs)
        units = passages_of(transcript, rows, segments)
        kept = [c for c in rows if c.veto or c.role != "participant" or c.code not in self.learned]
        probabilities = self.model.probabilities([u.passage for u in units])
        turns = {t.index: t for t in transcript.turns}
        for unit, row in zip(units, probabilities):
            turn = turns[unit.turn]
            for j, code in enumerate(self.model.codes):
                if code not in self.learned or row[j] < self.model.threshold \
                        or not self.codebook.code(code).applies_to(turn.role):
                    continue
                kept.append(self._coding(transcript, turn, unit, code, float(row[j]), Coding))
        return sorted(kept, key=lambda c: (c.segment_start, c.code, c.veto))

    def _coding(self, transcript: Transcript, turn: Turn, unit: Unit, code: str, probability: float, Coding):
        words = self.model.strongest_words(unit.passage, code)
        rules = sorted(unit.passage.rule_codes & {code})
        at = unit.passage.text.lower().find(words[0]) if words else -1
        start, end = (unit.start + at, unit.start + at + len(words[0])) if at >= 0 else (unit.start, unit.end)
        evidence = f"model {self.model_id}: p={probability:.2f}"
        if rules:
            evidence += "; the rules found it too"
        if words:
            evidence += f"; words: {', '.join(words)}"
        return Coding(transcript=transcript.path, group=transcript.group_of(turn), segment_start=unit.start,
                      segment_end=unit.end, line=transcript.line_of(unit.start), speaker=turn.speaker,
                      role=turn.role, quote=transcript.text[unit.start:unit.end], code=code,
                      matched_text=transcript.text[start:end], match_start=start, match_end=end,
                      method="model", score=round(probability, 3), rule=evidence)


VECTORIZER = dict(ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=True, dtype=np.float64)
C = 10.0


def _features(words, passages: list[Passage], codes: list[str]):
    """Word TF-IDF, then one column per code for a rule hit and one for a vetoed mention."""
    from scipy.sparse import csr_matrix, hstack

    index = {code: i for i, code in enumerate(codes)}
    rows, cols = [], []
    for r, passage in enumerate(passages):
        for code in passage.rule_codes:
            if code in index:
                rows.append(r), cols.append(index[code])
        for code in passage.vetoed_codes:
            if code in index:
                rows.append(r), cols.append(len(codes) + index[code])
    rules = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(passages), 2 * len(codes)))
    return hstack([words, rules]).tocsr()


def fit(passages: list[Passage], labels: np.ndarray, codes: list[str], threshold: float = 0.5,
        info: dict | None = None) -> LearnedModel:
    """Train one classifier per code on passages x codes labels (a code with no positive
    or no negative example gets a constant "never")."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(**VECTORIZER)
    try:
        words = vectorizer.fit_transform([p.text for p in passages])
    except ValueError:  # no word occurs twice: learn from the rule hits alone
        vectorizer = TfidfVectorizer(**{**VECTORIZER, "min_df": 1})
        words = vectorizer.fit_transform([p.text or "_" for p in passages])
    features = _features(words, passages, codes)
    coef = np.zeros((len(codes), features.shape[1]))
    intercept = np.full(len(codes), -20.0)
    for j in range(len(codes)):
        column = labels[:, j]
        if 0 < column.sum() < len(column):
            coef[j], intercept[j] = _logistic(features, column)
    vocabulary = [term for term, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
    return LearnedModel(codes, vocabulary, vectorizer.idf_, coef, intercept, threshold, info or {})


def _logistic(features, column: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, solver="liblinear", max_iter=1000).fit(features, column)
    return model.coef_[0], float(model.intercept_[0])


def out_of_fold(passages: list[Passage], labels: np.ndarray, codes: list[str], groups: list,
                folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """Cross-validated probabilities: each passage scored by a model that did not see it
    (nor any passage of the same group: one document's passages stay together)."""
    from sklearn.model_selection import GroupKFold

    probabilities = np.zeros(labels.shape)
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))), shuffle=True, random_state=seed)
    for train, test in splitter.split(passages, groups=groups):
        model = fit([passages[i] for i in train], labels[train], codes)
        probabilities[test] = model.probabilities([passages[i] for i in test])
    return probabilities


def best_threshold(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The one cut-off (for all codes) with the best micro-F1 on cross-validated scores."""
    def micro_f1(cut: float) -> float:
        predicted = probabilities >= cut
        tp = (predicted & labels).sum()
        wrong = (predicted ^ labels).sum()
        return 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0
    cuts = np.round(np.arange(0.10, 0.91, 0.05), 2)
    return float(max(cuts, key=micro_f1))
