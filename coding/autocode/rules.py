"""Auto-coding: find each code's terms and patterns in the segments.

The steps, each small, run over the Doc of one speaker turn:

1. typo tolerance: each distinct word that is not a real word of the
   language is compared once with the codebook's term forms (rapidfuzz); a
   close one stands for that form;
2. matching: terms match their own forms and inflections, written apart,
   hyphenated or closed up (the rule is in `coding.autocode.terms`); spaCy
   Matcher for token patterns;
3. vetoes, each with its reason: `exclude` phrases in the same sentence;
   denials, refusals, hypotheticals and needs already met (see
   `coding.autocode.negation`); a code limited to some speaker roles;
4. one coding per (segment, code), keeping the strongest evidence;
5. assent: a participant's short "yes, that would help" to an interviewer's
   question naming one code is coded from the question (method `assent`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from ..codebook import Codebook
from ..coders import RULE_CODER
from .negation import REASON, WindowedNegex
from .terms import HYPHENS, direct_lemmas, norm_of, term_phrases, term_words, trigger_sets
from .segments import Piece, Segment
from ..read import Transcript

MIN_FUZZY_LENGTH = 5
SPAN_KEY = "coding"
# Lower rank wins when one segment matches a code several ways.
METHOD_RANK = {"lower": 0, "lemma": 1, "pattern": 2, "fuzzy": 3}
# A word at least this common in the language's wordfreq list is real, never a typo
# (Zipf 2: about once in ten million words; "knowlege" is 1.9, "pathetic" 4.1).
REAL_WORD_ZIPF = 2.0
# Short assent to a question, per language; a turn longer than this is not a mere "yes".
# (Spanish "si" only before a comma or stop: it is also "if").
ASSENT = {
    "en": re.compile(
        r"^\W*(?:yes|yeah|yep|yup|aye|absolutely|definitely|exactly|totally|certainly|indeed|precisely|"
        r"of course|very much(?: so)?|oh,? yes|oh,? yeah|that would (?:really )?(?:help|be (?:great|good|useful|"
        r"brilliant|amazing|a big help|huge))|that'd (?:help|be great)|it would (?:really )?(?:help|be (?:great|"
        r"good|useful)))\b[\s\S]*", re.IGNORECASE),
    "es": re.compile(
        r"^\W*(?:sí|si(?=\s*[,.!])|claro|por supuesto|desde luego|exacto|exactamente|totalmente|efectivamente|"
        r"sin duda|eso (?:nos )?(?:ayudaría|vendría (?:muy )?bien)|(?:eso )?sería (?:muy |de gran )?(?:útil|"
        r"genial|ayuda|una gran ayuda)|nos ayudaría)\b[\s\S]*", re.IGNORECASE),
    "fr": re.compile(
        r"^\W*(?:oui|ouais|tout à fait|exactement|absolument|bien sûr|évidemment|carrément|certainement|"
        r"effectivement|(?:ça|cela) (?:nous )?aiderait|(?:ce|ça) serait (?:très |vraiment )?(?:utile|génial|"
        r"super|une aide))\b[\s\S]*", re.IGNORECASE),
    "pt": re.compile(
        r"^\W*(?:sim|claro|com certeza|certamente|exatamente|exato|totalmente|sem dúvida|"
        r"(?:isso )?(?:nos )?ajudaria|(?:isso )?seria (?:muito )?(?:útil|ótimo|uma grande ajuda))\b[\s\S]*",
        re.IGNORECASE),
}
ASSENT_MAX_WORDS = 14
# A "yes" that goes on to deny or qualify ("yes, but not now") is not assent.
NOT_ASSENT = {
    "en": re.compile(r"\b(?:no|not|never|nope|nobody|nothing|but)\b|n't\b|n\u2019t\b", re.IGNORECASE),
    "es": re.compile(r"\b(?:no|nunca|nadie|nada|ni|tampoco|pero)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(?:non|ne|pas|jamais|personne|rien|mais)\b|\bn['\u2019]", re.IGNORECASE),
    "pt": re.compile(r"\b(?:não|nao|nunca|ninguém|nada|nem|mas)\b", re.IGNORECASE),
}


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
    veto: str = ""  # why a mention does not count ("refused: not really"); empty: a coding


@dataclass(frozen=True)
class Match:
    code: str
    start: int  # token offsets in the turn Doc
    end: int
    method: str
    score: float
    rule: str


class TypoCorrector:
    """Gives a misspelt word the term form it is closest to (as its NORM).

    Works on the vocabulary, not the text: each distinct word is judged once
    and remembered, so the cost grows with the number of distinct words. Real
    words are never corrected: words the lemma table knows, and words of the
    language's word-frequency list (wordfreq) at least as common as
    REAL_WORD_ZIPF ("relatively" is not a typo of "relative").
    """

    def __init__(self, codebook: Codebook, nlp: Language):
        self.lang = nlp.lang
        self.cutoff = min((c.fuzzy for c in codebook.codes if c.fuzzy), default=None)
        self.targets = sorted({form for code in codebook.codes if code.fuzzy is not None
                               for term in code.terms_for(nlp.lang) for way in trigger_sets(term, nlp.lang)
                               for words in way for form in words
                               if len(form) >= MIN_FUZZY_LENGTH and form.isalpha()})
        self.known = direct_lemmas(nlp.lang).keys() | set(direct_lemmas(nlp.lang).values()) | set(self.targets)
        self.scores: dict[int, float] = {}  # orth -> ratio, for corrected words
        self.corrections: dict[str, tuple[str, float] | None] = {}

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            lower = norm_of(token.lower_)
            corrected = self.correction(lower) if self.cutoff is not None else None
            if corrected is not None:
                token.norm_ = corrected[0]
                self.scores[token.orth] = corrected[1]
            else:
                token.norm_ = lower
        return doc

    def correction(self, word: str) -> tuple[str, float] | None:
        """(form, score) of the term form a misspelt `word` stands for; None for a real
        word or one too far from every term form. Remembered per word."""
        if word in self.corrections:
            return self.corrections[word]
        found = None
        if self.cutoff is not None and len(word) >= MIN_FUZZY_LENGTH and word.isalpha() \
                and not self.is_real(word):
            best = process.extractOne(word, self.targets, scorer=fuzz.ratio, score_cutoff=self.cutoff)
            if best is not None:
                found = (best[0], round(best[1], 1))
        self.corrections[word] = found
        return found

    def is_real(self, word: str) -> bool:
        return word in self.known or word_frequency(word, self.lang) >= REAL_WORD_ZIPF


def _phrase(nlp: Language, tokens: list[str]) -> Doc:
    """A phrase for the NORM PhraseMatcher: its tokens' norms are the forms themselves."""
    doc = Doc(nlp.vocab, words=tokens, spaces=[False] * len(tokens))
    for token in doc:
        token.norm_ = token.text
    return doc


@lru_cache(maxsize=200_000)
def word_frequency(word: str, lang: str) -> float:
    """wordfreq's Zipf frequency (0 for a word it does not list, or a language it lacks)."""
    from wordfreq import zipf_frequency

    try:
        return zipf_frequency(word, lang)
    except (LookupError, ValueError):
        return 0.0


class AutoCoder:
    """Codes the turns of a transcript against a codebook."""

    coder = RULE_CODER

    def __init__(self, codebook: Codebook, nlp: Language):
        self.codebook = codebook
        self.nlp = nlp
        self.correct_typos = TypoCorrector(codebook, nlp)
        self.terms = PhraseMatcher(nlp.vocab, attr="NORM")
        self.excludes = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.patterns = Matcher(nlp.vocab)
        self.term_spelling: dict[str, str] = {}
        tokenize = lambda word: [t.lower_ for t in nlp.tokenizer(word)]  # noqa: E731
        for code in codebook.codes:
            for term in code.terms_for(nlp.lang):
                key = f"{code.id}\x1f{term}"
                self.term_spelling[key] = "".join(term_words(term))
                self.terms.add(key, [_phrase(nlp, tokens) for tokens in term_phrases(term, nlp.lang, tokenize)])
            if code.exclude:
                self.excludes.add(code.id, list(nlp.pipe(code.exclude)))
            for index, pattern in enumerate(code.patterns):
                self.patterns.add(f"{code.id}\x1fpattern {index + 1}", [pattern])
        self.negex = WindowedNegex(nlp, SPAN_KEY)
        self.assent = ASSENT.get(nlp.lang)
        self.not_assent = NOT_ASSENT.get(nlp.lang)

    def matches(self, doc: Doc) -> tuple[list[Match], list[tuple[Match, str]]]:
        """Every match in a turn: those that stand, and those vetoed with the reason."""
        self.correct_typos(doc)
        found = [self._term_match(doc, key, start, end) for key, start, end in self.terms(doc)]
        if len(self.patterns):  # spaCy warns (W036) when an empty Matcher is called
            found += [self._pattern_match(doc, key, start, end) for key, start, end in self.patterns(doc)]
        found = [m for m in found if m is not None]
        excluded = {(self.nlp.vocab.strings[key], doc[start].sent.start): doc[start:end].text
                    for key, start, end in self.excludes(doc)}
        vetoed = [(m, f"excluded: {excluded[m.code, doc[m.start].sent.start]}") for m in found
                  if (m.code, doc[m.start].sent.start) in excluded]
        found = [m for m in found if (m.code, doc[m.start].sent.start) not in excluded]
        kept, negated = self._split_negated(doc, found)
        return kept, vetoed + negated

    def _term_match(self, doc: Doc, key: int, start: int, end: int) -> Match | None:
        name = self.nlp.vocab.strings[key]
        code, term = name.split("\x1f")
        return self._match(doc, code, start, end, f"term: {term}", self.term_spelling[name])

    def _pattern_match(self, doc: Doc, key: int, start: int, end: int) -> Match | None:
        code, rule = self.nlp.vocab.strings[key].split("\x1f")
        return self._match(doc, code, start, end, rule, None)

    def _match(self, doc: Doc, code: str, start: int, end: int, rule: str,
               spelling: str | None) -> Match | None:
        """A match with its method; a fuzzy one only if its code allows that score."""
        method, score = self._method(doc[start:end], spelling)
        if method == "fuzzy" and score < (self.codebook.code(code).fuzzy or math.inf):
            return None
        return Match(code, start, end, method, score, rule)

    def _method(self, span: Span, spelling: str | None) -> tuple[str, float]:
        """lower: the term as written (apart, hyphenated or closed up); lemma: an
        inflection of it; fuzzy: a misspelling; pattern: a token pattern."""
        scores = [self.correct_typos.scores[t.orth] for t in span if t.orth in self.correct_typos.scores]
        if scores:
            return "fuzzy", min(scores)
        if spelling is None:
            return "pattern", 100.0
        if "".join(t.lower_ for t in span if t.text not in HYPHENS) == spelling:
            return "lower", 100.0
        return "lemma", 100.0

    def _split_negated(self, doc: Doc, found: list[Match]) -> tuple[list[Match], list[tuple[Match, str]]]:
        if not found:
            return found, []
        doc.spans[SPAN_KEY] = [Span(doc, m.start, m.end, label=m.code) for m in found]
        self.negex(doc)
        spans = doc.spans[SPAN_KEY]
        kept = [m for m, span in zip(found, spans) if not span._.negated]
        return kept, [(m, span._.get(REASON)) for m, span in zip(found, spans) if span._.negated]

    def code(self, transcript: Transcript, pieces: list[Piece], segments: list[Segment],
             docs: list[Doc]) -> list[Coding]:
        """Codings for one transcript: one per (segment, code), best evidence kept; then
        assent to an interviewer's question; then the vetoed mentions (`veto` set), one
        per (segment, code) that has no standing coding."""
        by_sentence = {(seg.piece, seg.sent.start): seg for seg in segments}
        best: dict[tuple[int, str], tuple] = {}
        vetoes: dict[tuple[int, str], Coding] = {}
        for number, (piece, doc) in enumerate(zip(pieces, docs)):
            kept, vetoed = self.matches(doc)
            for match in kept:
                segment = by_sentence.get((number, doc[match.start].sent.start))
                if segment is None:
                    continue
                if not self.codebook.code(match.code).applies_to(segment.role):
                    vetoed.append((match, f"role: {match.code} applies to "
                                          f"{', '.join(self.codebook.code(match.code).roles)} turns only"))
                    continue
                rank = (METHOD_RANK[match.method], -match.score, match.start - match.end, match.start)
                key = (segment.start, match.code)
                if key not in best or rank < best[key][0]:
                    best[key] = (rank, segment, match, piece, doc)
            for match, reason in vetoed:
                segment = by_sentence.get((number, doc[match.start].sent.start))
                if segment is not None:
                    vetoes.setdefault((segment.start, match.code),
                                      self._coding(transcript, segment, match, piece, doc, veto=reason))
        rows = [self._coding(transcript, segment, match, piece, doc)
                for _, segment, match, piece, doc in best.values()]
        # an interviewer may name a code limited to participants: the question still asks it
        asked = rows + [v for v in vetoes.values() if v.veto.startswith("role:")]
        rows += self._assents(transcript, asked)
        standing = {(c.segment_start, c.code) for c in rows}
        rows += [v for key, v in vetoes.items() if key not in standing]
        return sorted(rows, key=lambda c: (c.segment_start, c.code, c.veto))

    def _assents(self, transcript: Transcript, rows: list[Coding]) -> list[Coding]:
        """A participant's short "yes, exactly, that would help" right after an interviewer's
        question that names one code: coded from the question (method `assent`)."""
        if self.assent is None or self.not_assent is None:
            return []
        found = []
        for before, turn in zip(transcript.turns, transcript.turns[1:]):
            if before.role != "interviewer" or not self.codebook.codes or turn.role == "interviewer":
                continue
            text = transcript.turn_text(turn)
            said = self.assent.match(text)
            if said is None or len(text.split()) > ASSENT_MAX_WORDS or self.not_assent.search(text):
                continue
            question = [c for c in rows if before.start <= c.segment_start < before.end and "?" in c.quote]
            last = max((c.segment_start for c in question), default=None)
            named = {c.code: c for c in question if c.segment_start == last}
            if len(named) != 1:
                continue
            asked = next(iter(named.values()))
            if not self.codebook.code(asked.code).applies_to(turn.role):
                continue
            start = turn.start + len(text) - len(text.lstrip())
            end = turn.start + len(text.rstrip())
            found.append(Coding(
                transcript=transcript.path, group=transcript.group_of(turn), segment_start=start,
                segment_end=end, line=transcript.line_of(start), speaker=turn.speaker, role=turn.role,
                quote=transcript.text[start:end], code=asked.code, matched_text=said.group(0).strip(),
                match_start=start + said.start(), match_end=start + said.end(), method="assent",
                score=100.0, rule=f"assent to: {asked.quote}"))
        return found

    def _coding(self, transcript: Transcript, segment: Segment, match: Match, piece: Piece,
                doc: Doc, veto: str = "") -> Coding:
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
            veto=veto,
        )
