"""Segments: the sentences of each speaker turn, the unit that gets coded.

A segment keeps where it came from (transcript, line, character offsets into
the normalised text) and its text, so a quote can always be found again and
a changed transcript is detected rather than silently misquoted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from spacy.tokens import Doc, Span

from .transcripts import Transcript, Turn


@dataclass(frozen=True)
class Segment:
    transcript: str
    index: int
    turn: int
    speaker: str
    role: str
    line: int
    start: int
    end: int
    text: str
    sent: Span | None = field(default=None, compare=False, repr=False)


def segment(transcript: Transcript, docs: Iterable[Doc]) -> list[Segment]:
    """Split each turn's Doc (one per turn, in order) into sentence segments."""
    segments: list[Segment] = []
    for turn, doc in zip(transcript.turns, docs):
        for sent in doc.sents:
            segment_ = _segment(transcript, turn, sent, len(segments))
            if segment_ is not None:
                segments.append(segment_)
    return segments


def _segment(transcript: Transcript, turn: Turn, sent: Span, index: int) -> Segment | None:
    raw = sent.text
    stripped = raw.strip()
    if not stripped:
        return None
    start = turn.start + sent.start_char + (len(raw) - len(raw.lstrip()))
    end = start + len(stripped)
    return Segment(
        transcript=transcript.path,
        index=index,
        turn=turn.index,
        speaker=turn.speaker,
        role=turn.role,
        line=transcript.line_of(start),
        start=start,
        end=end,
        text=transcript.text[start:end],
        sent=sent,
    )
