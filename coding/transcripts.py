"""Read interview transcripts: YAML front matter, then `Speaker: text` turns.

Offsets are defined once, here: Unicode code points of the text after
decoding UTF-8, dropping a BOM, turning CRLF and CR into LF, and NFC
normalisation. Exchange formats such as REFI-QDA count characters, not bytes,
and every later stage (segments, codings, exports) uses these offsets.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from .errors import InputError

ROLES = ("interviewer", "participant")
RESERVED_KEYS = {"group", "title", "date", "language", "speakers"}
TRANSCRIPT_SUFFIXES = {".md", ".txt", ".markdown"}

# A line that starts like "Name:" or "Speaker 2:" is taken as a speaker label.
LABEL_LINE = re.compile(r"^(?P<label>[^\s:#<][^:\n]{0,39}?):(?:[ \t]+(?P<rest>.*))?$")


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted talk: `text` is `transcript.text[start:end]`."""

    index: int
    speaker: str
    role: str
    line: int
    start: int
    end: int


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


def find_transcripts(paths: list[Path]) -> list[Path]:
    """Expand folders into their transcript files, sorted for determinism."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if _is_transcript_file(p)))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(path, None, "no such transcript file or folder")
    if not found:
        raise InputError(paths[0] if paths else None, None, "no transcript files (*.md, *.txt) found")
    return found


def _is_transcript_file(path: Path) -> bool:
    """Text files in a transcript folder, except a README describing the folder."""
    return (path.is_file() and path.suffix in TRANSCRIPT_SUFFIXES
            and not path.name.startswith(".") and path.stem.upper() != "README")


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InputError(path, None, f"cannot read: {error.strerror}") from None


def file_hash(raw: bytes) -> str:
    """Hash of the file as stored: equal hashes mean nothing to re-read."""
    return hashlib.sha256(raw).hexdigest()


def read_transcript(path: str | Path, raw: bytes | None = None) -> Transcript:
    """Parse one transcript file (or its bytes, already read); every problem is an
    InputError with a line."""
    path = Path(path)
    raw = read_bytes(path) if raw is None else raw
    text = normalise(raw, path)
    meta, key_lines, body_line = _front_matter(text, path)
    transcript = _transcript_from_meta(meta, key_lines, text, path)
    transcript.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    transcript.turns = _turns(transcript, body_line, path)
    transcript.file_hash = file_hash(raw)
    return transcript


def _front_matter(text: str, path: Path) -> tuple[dict, dict[str, int], int]:
    """Return the front matter, the line of each top-level key, and the body's first line."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise InputError(path, 1, "no YAML front matter: the file must start with a '---' line")
    try:
        closing = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise InputError(path, 1, "front matter is not closed by a '---' line") from None
    yaml = YAML(typ="safe", pure=True)
    try:
        meta = yaml.load("\n".join(lines[1:closing])) or {}
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 2 if mark else 1
        raise InputError(path, line, f"YAML syntax error in front matter: {error.problem}") from None
    if not isinstance(meta, dict):
        raise InputError(path, 2, "front matter must be a mapping of keys to values")
    key_lines: dict[str, int] = {}
    for number, line in enumerate(lines[1:closing], start=2):
        key = line.split(":", 1)[0]
        if key in meta:
            key_lines.setdefault(key, number)
    return meta, key_lines, closing + 2


def _transcript_from_meta(meta: dict, lines: dict[str, int], text: str, path: Path) -> Transcript:
    group = meta.get("group")
    if group is None or str(group).strip() == "":
        raise InputError(path, 1, "front matter has no 'group' (the id of the group interviewed)")
    speakers = meta.get("speakers")
    if not isinstance(speakers, dict) or not speakers:
        raise InputError(path, lines.get("speakers", 1),
                         "front matter needs 'speakers': a map of speaker label to interviewer or participant")
    for label, role in speakers.items():
        if role not in ROLES:
            raise InputError(path, lines.get("speakers", 1),
                             f"speaker {label!r} has role {role!r}; use 'interviewer' or 'participant'")
    attributes = {str(k): _scalar(v) for k, v in meta.items() if k not in RESERVED_KEYS}
    return Transcript(
        path=path.as_posix(),
        group=str(group).strip(),
        text=text,
        content_hash=content_hash(text),
        title=_scalar(meta.get("title", "")),
        date=_scalar(meta.get("date", "")),
        language=_scalar(meta.get("language", "en")) or "en",
        speakers={str(k): str(v) for k, v in speakers.items()},
        attributes=attributes,
    )


def _scalar(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_scalar(v) for v in value)
    return "" if value is None else str(value)


def _turns(transcript: Transcript, body_line: int, path: Path) -> list[Turn]:
    turns: list[Turn] = []
    current: dict | None = None

    def close():
        if current is not None:
            turns.append(Turn(len(turns), **current))

    text, starts = transcript.text, transcript.line_starts
    for number in range(body_line, len(starts) + 1):
        line_start = starts[number - 1]
        line_end = starts[number] - 1 if number < len(starts) else len(text)
        line = text[line_start:line_end]
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#") or stripped.startswith("<!--"):
            close()
            current = None
            continue
        label_match = LABEL_LINE.match(line)
        label = label_match["label"].strip() if label_match else None
        if label in transcript.speakers:
            close()
            rest_start = line_start + label_match.start("rest") if label_match["rest"] else line_end
            current = dict(speaker=label, role=transcript.speakers[label], line=number,
                           start=rest_start, end=line_end)
        elif label_match and _looks_like_label(label):
            known = ", ".join(transcript.speakers)
            raise InputError(path, number, f"speaker {label!r} is not in the front matter's speakers ({known})")
        elif current is None:
            raise InputError(path, number, "text outside a speaker turn; start the line with 'Label: '")
        else:
            current["end"] = line_end
    close()
    if not turns:
        raise InputError(path, body_line, "empty transcript: no speaker turns ('Label: text') found")
    return turns


def _looks_like_label(label: str) -> bool:
    """A capitalised prefix of at most three words before a colon."""
    return len(label.split()) <= 3 and not label[0].islower() and "/" not in label
