"""The plain rendering every non-Markdown reader produces: `Speaker: text`, one turn
per line, so offsets, lines and quotes work as they do for Markdown.

A reader hands over turns made of *parts* (a caption cue, a Word paragraph, a sheet
cell), each with its place in the original file ("cue 3 00:00:05.120", "paragraph 7",
"row 57"). Parts of a turn are joined by a space; whitespace inside a part (a
line break in a cue or a cell) becomes one space. Offsets are code points of this
text, after NFC normalisation of each part, as for every transcript.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .metadata import Metadata
from .transcript import Transcript, Turn


def clean(text: str) -> str:
    """One line of NFC text: any run of whitespace (line breaks too) is one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class Draft:
    """A turn being gathered: its speaker and its parts (text, place)."""

    speaker: str
    role: str
    parts: list[tuple[str, str]] = field(default_factory=list)
    group: str = ""
    attributes: dict = field(default_factory=dict)

    def add(self, text: str, place: str) -> None:
        text = clean(text)
        if text:
            self.parts.append((text, place))


class Rendering:
    """Lays out lines and turns, keeping each turn's offsets and each part's place."""

    def __init__(self):
        self.chunks: list[str] = []
        self.length = 0
        self.turns: list[Turn] = []
        self.places: list[tuple[int, str]] = []

    @property
    def next_line(self) -> int:
        return len(self.chunks) + 1

    def line(self, text: str = "") -> None:
        """A line that holds no turn (a sheet's header, an empty answer)."""
        self._append(clean(text))

    def turn(self, draft: Draft) -> None:
        """A turn on a line of its own; a turn without text is left out (no line)."""
        if not draft.parts:
            return
        label = clean(draft.speaker) + ": "
        start = position = self.length + len(label)
        for text, place in draft.parts:
            if place:
                self.places.append((position, place))
            position += len(text) + 1
        body = " ".join(text for text, _ in draft.parts)
        self.turns.append(Turn(len(self.turns), draft.speaker, draft.role, self.next_line, start,
                               start + len(body), draft.group, draft.attributes))
        self._append(label + body)

    def _append(self, line: str) -> None:
        self.chunks.append(line)
        self.length += len(line) + 1

    def transcript(self, path: Path, metadata: Metadata, speakers: dict[str, str], file_hash: str,
                   warnings: list[str]) -> Transcript:
        text = "".join(chunk + "\n" for chunk in self.chunks)
        line_starts = [0]
        for chunk in self.chunks:
            line_starts.append(line_starts[-1] + len(chunk) + 1)
        return Transcript(
            path=path.as_posix(), group=metadata.group, text=text,
            content_hash=self._content_hash(text, metadata, speakers),
            title=metadata.title, date=metadata.date, language=metadata.language,
            speakers=dict(speakers), attributes=dict(metadata.attributes), turns=self.turns,
            line_starts=line_starts, file_hash=file_hash, places=self.places, warnings=list(warnings))

    def _content_hash(self, text: str, metadata: Metadata, speakers: dict[str, str]) -> str:
        """The text's hash, and that of what the rendering does not show (group, roles,
        attributes, places): a change in a sidecar is a change of the transcript."""
        facts = dict(group=metadata.group, title=metadata.title, date=metadata.date,
                     language=metadata.language, speakers=speakers, attributes=metadata.attributes,
                     turns=[(t.role, t.group, t.attributes) for t in self.turns], places=self.places)
        digest = hashlib.sha256(text.encode("utf-8"))
        digest.update(b"\0" + json.dumps(facts, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        return digest.hexdigest()
