"""Segments: the sentences of each speaker turn, the unit that gets coded.

A segment keeps where it came from (transcript, line, character offsets into
the normalised text) and its text, so a quote can always be found again and
a changed transcript is detected rather than silently misquoted.

spaCy sees *pieces*: a whole turn, or (on the fast path) a run of whole
sentences cut out of a turn where a match is possible; a piece knows its
offset in the transcript, so offsets come out the same either way.
"""

from __future__ import annotations

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
        sent=sent,
    )
