"""Candidates: the parts of a transcript where a code could match, found without spaCy.

Most talk names no code, and running spaCy over it only to find nothing is
most of the cost of tagging. Every match needs at least one *trigger word*:
a form a term word matches (see `coding.autocode.terms`), a word form the
lookup lemmatizer takes to a literal pattern token's lemma, or a misspelling the typo corrector would take to a
term word. Both are decided once per distinct whitespace chunk of the corpus
and remembered, so a turn without any is skipped with a few set operations.

A turn with a trigger is cut to the runs of whole sentences that hold one:
a cut is made only after a chunk like "word." that spaCy splits into a word
and a sentence-final mark, followed by a word, which is exactly where the
sentencizer starts a new sentence. Sentences are coded independently
(matches, vetoes and negation all stay within a sentence), so coding the
pieces gives the same codings as coding the whole turn; the equivalence
tests check this against the reference path, every turn in full.

In languages written without spaces (zh, ja, th) a word is not a whitespace
chunk: there a turn is coded in full when its text holds trigger words that
complete some rule, found as substrings.
"""

from __future__ import annotations

import bisect
import re

from spacy.language import Language
from spacy.tokenizer import Tokenizer

from ..codebook import Codebook
from .nlp import lemma_forms
from .terms import trigger_sets
from .segments import SENTENCE_END, Piece
from ..read import Transcript

# A word as the fast path sees it: a run of letters or a run of digits ("ps4" -> ps, 4;
# "wasn't" -> wasn, t), so that a term word is found by its longest run.
LETTER_RUNS = re.compile(r"[^\W\d_]+|\d+")
LITERAL_KEYS = ("LEMMA", "LOWER", "ORTH", "TEXT")


def _forms(word: str, lemma: bool, forms: dict[str, frozenset[str]]) -> set[str]:
    return set(forms.get(word, ())) | {word} if lemma else {word}


def _literal_words(value, lemma: bool, forms) -> set[str] | None:
    """Trigger words for one token constraint; None when it is not a plain literal."""
    values = value.get("IN") if isinstance(value, dict) else [value]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        return None
    words: set[str] = set()
    for text in values:
        runs = LETTER_RUNS.findall(text.lower())
        if not runs:
            return None
        words |= _forms(max(runs, key=len), lemma, forms)
    return words


def _pattern_triggers(pattern: list[dict], forms) -> list[set[str]] | None:
    """One trigger set per required literal token: a match needs a word of each."""
    required = []
    for spec in pattern:
        if spec.get("OP") not in (None, "+", "1"):
            continue  # optional or negated tokens need not be there
        for key, value in spec.items():
            if key in LITERAL_KEYS:
                words = _literal_words(value, key == "LEMMA", forms)
                if words is not None:
                    required.append(words)
    return required or None


def _is_plain(pattern: list[dict]) -> bool:
    """A fixed run of literal words: cannot reach across a sentence end."""
    return all(spec and set(spec) <= set(LITERAL_KEYS)
               and all(_literal_words(value, False, {}) is not None for value in spec.values())
               for spec in pattern)


def _longest_run(word: str) -> str | None:
    runs = LETTER_RUNS.findall(word.lower())
    return max(runs, key=len) if runs else None


def trigger_words(codebook: Codebook, nlp: Language) -> list[list[set[str]]] | None:
    """For every term and pattern, the word sets a match needs a word of each of
    (the forms of each of its words); None if some term or pattern has no literal
    word to rely on (then every turn is coded)."""
    forms = lemma_forms(nlp.lang)
    rules: list[list[set[str]]] = []
    for code in codebook.codes:
        for term in code.terms_for(nlp.lang):
            for way in trigger_sets(term, nlp.lang):
                runs = [{_longest_run(word) for word in words} for words in way]
                if any(None in slot for slot in runs):
                    return None  # a word of marks alone: no run to rely on
                rules.append(runs)
        for pattern in code.patterns:
            required = _pattern_triggers(pattern, forms)
            if required is None:
                return None
            rules.append(required)
    return rules


class Candidates:
    """Cuts transcripts into the pieces worth coding (see the module docstring)."""

    def __init__(self, coder):
        self.coder = coder
        rules = trigger_words(coder.codebook, coder.nlp)
        # spaCy's own tokenizer splits at whitespace first, so each word it makes is a whole
        # letter run of one whitespace chunk. Tokenizers for languages written without
        # spaces (zh, ja, th, ...) find words inside a run: there a trigger word is looked
        # for anywhere in the turn, and typos (which need the words) are not guessed at.
        self.spaceless = type(coder.nlp.tokenizer) is not Tokenizer
        self.everything = rules is None or (self.spaceless and coder.correct_typos.cutoff is not None)
        self.rules = rules or []
        self.word_slots: dict[str, list[tuple[int, int]]] = {}  # word -> (rule, slot) it fills
        for rule, required in enumerate(self.rules):
            for slot, words in enumerate(required):
                for word in words:
                    self.word_slots.setdefault(word, []).append((rule, slot))
        self.correction = coder.correct_typos.correction
        self.cut_sentences = not self.spaceless and coder.nlp.pipe_names[:1] == ["sentencizer"] and all(
            _is_plain(p) for c in coder.codebook.codes for p in c.patterns) and not any(
            re.search(r"[.!?]", t) for c in coder.codebook.codes for t in c.terms_for(coder.nlp.lang))
        self.seen: set[str] = set()
        self.typos: set[str] = set()  # chunks with a word the typo corrector would change
        self.chunk_slots: dict[str, set[tuple[int, int]]] = {}  # chunks with a trigger word
        self.sentence_ends: dict[str, bool] = {}
        self.punct_chars = coder.nlp.get_pipe("sentencizer").punct_chars if self.cut_sentences else set()

    def pieces(self, transcript: Transcript) -> list[Piece]:
        if self.everything:
            return [Piece.whole(transcript, turn) for turn in transcript.turns]
        pieces = []
        for turn in transcript.turns:
            text = transcript.turn_text(turn)
            if self.spaceless:
                if self._complete(self._slots_within(text)):
                    pieces.append(Piece(turn, turn.start, text))
                continue
            hits = self._hits(set(text.split()))
            if not hits:
                continue
            if self.cut_sentences:
                pieces += self._sentences_around(turn, text, hits)
            else:
                pieces.append(Piece(turn, turn.start, text))
        return pieces

    def _hits(self, chunks: set[str]) -> set[str]:
        """The chunks that complete some rule (or hold a typo); empty if none does."""
        if not chunks <= self.seen:
            self._learn(chunks - self.seen)
        hits = chunks & self.typos
        present = chunks & self.chunk_slots.keys()
        if not present:
            return hits
        complete = self._complete(slot for chunk in present for slot in self.chunk_slots[chunk])
        if complete:
            hits |= {chunk for chunk in present if any(r in complete for r, _ in self.chunk_slots[chunk])}
        return hits

    def _slots_within(self, text: str) -> set[tuple[int, int]]:
        """The (rule, slot) pairs of the trigger words found anywhere in the text."""
        lower = text.lower()
        return {pair for word, pairs in self.word_slots.items() if word in lower for pair in pairs}

    def _complete(self, slots) -> set[int]:
        """The rules all of whose slots are among the (rule, slot) pairs given."""
        filled: dict[int, set[int]] = {}
        for rule, slot in slots:
            filled.setdefault(rule, set()).add(slot)
        return {rule for rule, slots_ in filled.items() if len(slots_) == len(self.rules[rule])}

    def _learn(self, chunks: set[str]) -> None:
        for chunk in chunks:
            words = LETTER_RUNS.findall(chunk.lower())
            if any(self.correction(word) is not None for word in words):
                self.typos.add(chunk)  # a corrected typo may stand for any term word or lemma
            slots = {slot for word in words for slot in self.word_slots.get(word, ())}
            if slots:
                self.chunk_slots[chunk] = slots
        self.seen |= chunks
    def _ends_sentence(self, chunk: str) -> bool:
        """Does spaCy split this chunk into a word and a sentence-final mark? (remembered)"""
        known = self.sentence_ends.get(chunk)
        if known is None:
            tokens = self.coder.nlp.tokenizer(chunk)
            known = self.sentence_ends[chunk] = len(tokens) == 2 and tokens[1].text in self.punct_chars
        return known

    def _sentences_around(self, turn, text: str, hits: set[str]) -> list[Piece]:
        starts, ends = [0], []
        for match in SENTENCE_END.finditer(text):
            if self._ends_sentence(match[1]):
                ends.append(match.end(1))
                starts.append(match.end(2))
        ends.append(len(text))
        groups = set()
        for chunk in hits:
            position = text.find(chunk)
            while position != -1:
                groups.add(bisect.bisect_right(starts, position) - 1)
                position = text.find(chunk, position + 1)
        return [Piece(turn, turn.start + starts[g], text[starts[g]:ends[g]]) for g in sorted(groups)]
