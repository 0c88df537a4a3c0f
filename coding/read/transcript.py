"""What every reader produces: a `Transcript` of speaker `Turn`s, with offsets.

Offsets are defined once, here: Unicode code points of the text after
decoding UTF-8, dropping a BOM, turning CRLF and CR into LF, and NFC
normalisation. Exchange formats such as REFI-QDA count characters, not bytes,
and every later stage (segments, codings, exports) uses these offsets.
"""

from __future__ import annotations

import bisect
import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

ROLES = ("interviewer", "participant")


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted talk: `text` is `transcript.text[start:end]`.

    `group` and `attributes` are set where one file holds many groups (a survey
    sheet: one turn per respondent); empty, the transcript's own apply."""

    index: int
    speaker: str
    role: str
    line: int
    start: int
    end: int
    group: str = ""
    attributes: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Transcript:
    path: str
    group: str
    text: str
    content_hash: str
    title: str = ""
    date: str = ""
    language: str = "en"
    speakers: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=list)
    file_hash: str = ""
    # (offset, place): where each piece of the text began in the original file,
    # for formats whose own positions are not lines ("cue 3 00:00:05.120", "row 57")
    places: list[tuple[int, str]] = field(default_factory=list)
    # What the reader had to guess (an undeclared speaker, a near-match label), said once
    # per run by `coding tag`; empty for a file read as written.
    warnings: list[str] = field(default_factory=list, compare=False)

    def group_of(self, turn: Turn) -> str:
        return turn.group or self.group

    def place_of(self, offset: int) -> str:
        """Where an offset lies in the original file ('' for line-based formats)."""
        starts = [start for start, _ in self.places]
        index = bisect.bisect_right(starts, offset) - 1
        return self.places[index][1] if index >= 0 else ""

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self.line_starts, offset)

    def turn_text(self, turn: Turn) -> str:
        return self.text[turn.start : turn.end]


def normalise(raw: bytes, path: str | Path) -> str:
    """Decode and normalise file bytes into the text that offsets refer to."""
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(path, line, "binary file (NUL byte), not a text transcript")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            path, line, f"not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InputError(path, None, f"cannot read: {error.strerror}") from None


def file_hash(raw: bytes) -> str:
    """Hash of the file as stored: equal hashes mean nothing to re-read."""
    return hashlib.sha256(raw).hexdigest()
