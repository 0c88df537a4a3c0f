"""Auto-coding: find each code's terms and patterns in the segments.

The steps, each small, run over the Doc of one speaker turn:

1. typo tolerance: each distinct unknown word is compared once with the
   codebook's term words (rapidfuzz); a close one takes that word's lemma;
2. matching: spaCy PhraseMatcher on lemmas (case-insensitive by
   construction) for terms, spaCy Matcher for token patterns;
3. vetoes: `exclude` phrases in the same sentence, and negation (NegEx with
   a window, see `coding.negation`);
4. one coding per (segment, code), keeping the strongest evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from ..codebook import Codebook
from ..coders import RULE_CODER
from .negation import WindowedNegex
from .nlp import known_words
from .segments import Piece, Segment
from ..read import Transcript

MIN_FUZZY_LENGTH = 5
SPAN_KEY = "coding"
# Lower rank wins when one segment matches a code several ways.
METHOD_RANK = {"lower": 0, "lemma": 1, "pattern": 2, "fuzzy": 3}


@dataclass(frozen=True)
class Coding:
    """One auto-coded (segment, code), with the evidence that produced it."""

    transcript: str
    group: str
    segment_start: int
    segment_end: int
    line: int
    speaker: str
    role: str
    quote: str
    code: str
    matched_text: str
    match_start: int
    match_end: int
    method: str
    score: float
    rule: str


@dataclass(frozen=True)
class Match:
    code: str
    start: int  # token offsets in the turn Doc
    end: int
    method: str
    score: float
    rule: str


class TypoCorrector:
    """Gives a misspelt word the lemma of the term word it is closest to.

    Works on the vocabulary, not the text: each distinct word is judged once
    and remembered, so the cost grows with the number of distinct words.
    Real words (those the lemma table knows) are never corrected.
    """

    def __init__(self, codebook: Codebook, nlp: Language):
        self.cutoff = min((c.fuzzy for c in codebook.codes if c.fuzzy), default=None)
        words = {}
        for code in codebook.codes:
            if code.fuzzy is None:
                continue
            for doc in nlp.pipe(code.terms):
                for token in doc:
                    for form in (token.lower_, token.lemma_):
                        if len(form) >= MIN_FUZZY_LENGTH and form.isalpha():
                            words[form] = token.lemma_
        self.term_words = words
        self.known = known_words(nlp.lang) | set(words)
        self.scores: dict[int, float] = {}  # orth -> ratio, for corrected words
        self.corrections: dict[str, tuple[str, float] | None] = {}

    def __call__(self, doc: Doc) -> Doc:
        if self.cutoff is None:
            return doc
        for token in doc:
            corrected = self.correction(token.lower_)
            if corrected is not None:
                token.lemma_ = corrected[0]
                self.scores[token.orth] = corrected[1]
        return doc

    def correction(self, word: str) -> tuple[str, float] | None:
        """(lemma, score) of the term word a misspelt `word` stands for; None for a real
        word or one too far from every term word. Remembered per word."""
        if word in self.corrections:
            return self.corrections[word]
        found = None
        if self.cutoff is not None and len(word) >= MIN_FUZZY_LENGTH and word.isalpha() \
                and word not in self.known:
            best = process.extractOne(word, self.term_words.keys(), scorer=fuzz.ratio,
                                      score_cutoff=self.cutoff)
            if best is not None:
                found = (self.term_words[best[0]], round(best[1], 1))
        self.corrections[word] = found
        return found


class AutoCoder:
    """Codes the turns of a transcript against a codebook."""

    coder = RULE_CODER

    def __init__(self, codebook: Codebook, nlp: Language):
        self.codebook = codebook
        self.nlp = nlp
        self.correct_typos = TypoCorrector(codebook, nlp)
        self.terms = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.excludes = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.patterns = Matcher(nlp.vocab)
        self.term_forms: dict[str, list[str]] = {}
        for code in codebook.codes:
            for term, doc in zip(code.terms, nlp.pipe(code.terms)):
                key = f"{code.id}\x1f{term}"
                self.term_forms[key] = [t.lower_ for t in doc]
                self.terms.add(key, [doc])
            if code.exclude:
                self.excludes.add(code.id, list(nlp.pipe(code.exclude)))
            for index, pattern in enumerate(code.patterns):
                self.patterns.add(f"{code.id}\x1fpattern {index + 1}", [pattern])
        self.negex = WindowedNegex(nlp, SPAN_KEY)

    def matches(self, doc: Doc) -> list[Match]:
        """Every match in a turn that survives the vetoes."""
        self.correct_typos(doc)
        found = [self._term_match(doc, key, start, end) for key, start, end in self.terms(doc)]
        found += [self._pattern_match(doc, key, start, end) for key, start, end in self.patterns(doc)]
        found = [m for m in found if m is not None]
        vetoed = {(self.nlp.vocab.strings[key], doc[start].sent.start)
                  for key, start, _ in self.excludes(doc)}
        found = [m for m in found if (m.code, doc[m.start].sent.start) not in vetoed]
        return self._drop_negated(doc, found)

    def _term_match(self, doc: Doc, key: int, start: int, end: int) -> Match | None:
        name = self.nlp.vocab.strings[key]
        code, term = name.split("\x1f")
        return self._match(doc, code, start, end, f"term: {term}", self.term_forms[name])

    def _pattern_match(self, doc: Doc, key: int, start: int, end: int) -> Match | None:
        code, rule = self.nlp.vocab.strings[key].split("\x1f")
        return self._match(doc, code, start, end, rule, None)

    def _match(self, doc: Doc, code: str, start: int, end: int, rule: str,
               term_forms: list[str] | None) -> Match | None:
        """A match with its method; a fuzzy one only if its code allows that score."""
        method, score = self._method(doc[start:end], term_forms)
        if method == "fuzzy" and score < (self.codebook.code(code).fuzzy or math.inf):
            return None
        return Match(code, start, end, method, score, rule)

    def _method(self, span: Span, term_forms: list[str] | None) -> tuple[str, float]:
        scores = [self.correct_typos.scores[t.orth] for t in span if t.orth in self.correct_typos.scores]
        if scores:
            return "fuzzy", min(scores)
        if term_forms is None:
            return "pattern", 100.0
        if [t.lower_ for t in span] == term_forms:
            return "lower", 100.0
        return "lemma", 100.0

    def _drop_negated(self, doc: Doc, found: list[Match]) -> list[Match]:
        if not found:
            return found
        doc.spans[SPAN_KEY] = [Span(doc, m.start, m.end, label=m.code) for m in found]
        self.negex(doc)
        return [m for m, span in zip(found, doc.spans[SPAN_KEY]) if not span._.negated]

    def code(self, transcript: Transcript, pieces: list[Piece], segments: list[Segment],
             docs: list[Doc]) -> list[Coding]:
        """Codings for one transcript: one per (segment, code), best evidence kept."""
        by_sentence = {(seg.piece, seg.sent.start): seg for seg in segments}
        best: dict[tuple[int, str], tuple] = {}
        for number, (piece, doc) in enumerate(zip(pieces, docs)):
            for match in self.matches(doc):
                segment = by_sentence.get((number, doc[match.start].sent.start))
                if segment is None:
                    continue
                rank = (METHOD_RANK[match.method], -match.score, match.start - match.end, match.start)
                key = (segment.index, match.code)
                if key not in best or rank < best[key][0]:
                    best[key] = (rank, segment, match, piece, doc)
        rows = [self._coding(transcript, segment, match, piece, doc)
                for _, segment, match, piece, doc in best.values()]
        return sorted(rows, key=lambda c: (c.segment_start, c.code))

    def _coding(self, transcript: Transcript, segment: Segment, match: Match, piece: Piece,
                doc: Doc) -> Coding:
        span = doc[match.start:match.end]
        return Coding(
            transcript=transcript.path,
            group=segment.group or transcript.group,
            segment_start=segment.start,
            segment_end=segment.end,
            line=segment.line,
            speaker=segment.speaker,
            role=segment.role,
            quote=segment.text,
            code=match.code,
            matched_text=span.text,
            match_start=piece.start + span.start_char,
            match_end=piece.start + span.end_char,
            method=match.method,
            score=match.score,
            rule=match.rule,
        )
