"""Segments: the sentences of each speaker turn, the unit that gets coded.

A segment keeps where it came from (transcript, line, character offsets into
the normalised text) and its text, so a quote can always be found again and
a changed transcript is detected rather than silently misquoted.

spaCy sees *pieces*: a whole turn, or (on the fast path) a run of whole
sentences cut out of a turn where a match is possible; a piece knows its
offset in the transcript, so offsets come out the same either way. A piece
longer than PIECE_LIMIT is cut further, between sentences (see `fitting`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from ..read import Transcript, Turn

if TYPE_CHECKING:  # spaCy is imported only once something needs coding
    from spacy.tokens import Doc, Span


@dataclass(frozen=True)
class Piece:
    """Text handed to spaCy: all of a turn or whole sentences of it, from `start`."""

    turn: Turn
    start: int
    text: str

    @classmethod
    def whole(cls, transcript: Transcript, turn: Turn) -> "Piece":
        return cls(turn, turn.start, transcript.turn_text(turn))


# "word." (or ! ?) then whitespace then a word: where the sentencizer starts a sentence,
# if spaCy's tokenizer splits the "word." into a word and a sentence-final mark.
SENTENCE_END = re.compile(r"(?<!\S)([^\W\d_]{2,}[.!?])(\s+)(?=[^\W\d_])")
# Where else a long piece may be cut, best first: after sentence punctuation, at a line
# break, at a space (for text where the rule above does not apply or finds nothing).
BREAKS = (re.compile(r"[.!?\u2026]+[\"')\]\u201d\u2019\u00bb]*\s+|[\u3002\uff01\uff1f]+"),
          re.compile(r"\n+"), re.compile(r"\s+"))
# Longest piece handed to spaCy. Far below spaCy's own limit (nlp.max_length, 1,000,000),
# because negation scope takes time quadratic in a piece's sentences (negspacy pairs
# every sentence with every mention), so a 2.5 MB turn would take minutes, not seconds.
PIECE_LIMIT = 20_000


def fitting(pieces: list[Piece], nlp) -> list[Piece]:
    """The pieces, each longer than PIECE_LIMIT (or nlp.max_length) characters cut into
    consecutive pieces that fit, each knowing its offset. A cut goes at the last sentence
    start in the second half of the limit, where spaCy's sentencizer starts a sentence too:
    sentences are coded independently, so those cuts change no coding (save a token pattern
    reaching across a sentence end). Only a stretch of text with no such sentence start is
    cut at punctuation, a line break or a space."""
    limit = min(PIECE_LIMIT, nlp.max_length)
    ends_sentence = _sentence_rule(nlp)
    fitted = []
    for piece in pieces:
        text, start = piece.text, 0
        while len(text) - start > limit:
            end = _cut(text, start, start + limit, ends_sentence)
            fitted.append(Piece(piece.turn, piece.start + start, text[start:end]))
            start = end
        fitted.append(Piece(piece.turn, piece.start + start, text[start:]) if start else piece)
    return fitted


def _sentence_rule(nlp):
    """Does spaCy split a chunk like "word." into a word and a sentence-final mark? Only
    known for pipelines whose sentences come from the sentencizer (the blank ones)."""
    if nlp.pipe_names[:1] != ["sentencizer"]:
        return None
    punct_chars = nlp.get_pipe("sentencizer").punct_chars

    def ends_sentence(chunk: str) -> bool:
        tokens = nlp.tokenizer(chunk)
        return len(tokens) == 2 and tokens[1].text in punct_chars
    return ends_sentence


def _cut(text: str, start: int, end: int, ends_sentence) -> int:
    middle = (start + end) // 2
    if ends_sentence is not None:
        for match in reversed(list(SENTENCE_END.finditer(text, middle, end))):
            if ends_sentence(match[1]):
                return match.end(2)
    for pattern in BREAKS:
        last = None
        for last in pattern.finditer(text, middle, end):
            pass
        if last is not None:
            return last.end()
    return end


@dataclass(frozen=True)
class Segment:
    transcript: str
    index: int
    turn: int
    piece: int
    speaker: str
    role: str
    line: int
    start: int
    end: int
    text: str
    group: str = ""
    sent: Span | None = field(default=None, compare=False, repr=False)


def segment(transcript: Transcript, pieces: list[Piece], docs: Iterable[Doc]) -> list[Segment]:
    """Split each piece's Doc (one per piece, in order) into sentence segments."""
    segments: list[Segment] = []
    for number, (piece, doc) in enumerate(zip(pieces, docs)):
        for sent in doc.sents:
            segment_ = _segment(transcript, piece, number, sent, len(segments))
            if segment_ is not None:
                segments.append(segment_)
    return segments


def _segment(transcript: Transcript, piece: Piece, number: int, sent: Span, index: int) -> Segment | None:
    raw = sent.text
    stripped = raw.strip()
    if not stripped:
        return None
    turn = piece.turn
    start = piece.start + sent.start_char + (len(raw) - len(raw.lstrip()))
    end = start + len(stripped)
    return Segment(
        transcript=transcript.path,
        index=index,
        turn=turn.index,
        piece=number,
        speaker=turn.speaker,
        role=turn.role,
        line=transcript.line_of(start),
        start=start,
        end=end,
        text=transcript.text[start:end],
        group=transcript.group_of(turn),
        sent=sent,
    )
