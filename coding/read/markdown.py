"""The Markdown / plain-text transcript format: YAML front matter, then
`Speaker: text` turns (see the README's "Transcripts")."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..yamlfile import load_yaml
from .transcript import ROLES, Transcript, Turn, content_hash, file_hash, normalise

SUFFIXES = (".md", ".txt", ".markdown")
RESERVED_KEYS = {"group", "title", "date", "language", "speakers"}

# A line that starts like "Name:" or "Speaker 2:" is taken as a speaker label.
LABEL_LINE = re.compile(r"^(?P<label>[^\s:#<][^:\n]{0,39}?):(?:[ \t]+(?P<rest>.*))?$")


def read(path: Path, raw: bytes) -> Transcript:
    """Parse one transcript file's bytes; every problem is an InputError with a line."""
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
    # "base": every scalar is the text as written (group 007 stays "007", not 7; a date stays
    # as typed); the front matter starts on the file's line 2.
    meta = load_yaml("\n".join(lines[1:closing]), path, "base", 2, " in front matter") or {}
    if not isinstance(meta, dict):
        raise InputError(path, 2, "front matter must be a mapping of keys to values")
    key_lines: dict[str, int] = {}
    for number, line in enumerate(lines[1:closing], start=2):
        key = line.split(":", 1)[0]
        if key in meta:
            key_lines.setdefault(key, number)
    return meta, key_lines, closing + 2


def _transcript_from_meta(meta: dict, lines: dict[str, int], text: str, path: Path) -> Transcript:
    for key in ("group", "language"):
        if isinstance(meta.get(key), (list, dict)):
            raise InputError(path, lines.get(key, 1), f"'{key}' must be a single value, not a list or mapping")
    group = meta.get("group")
    if group is None or group.strip() == "":
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
        group=group.strip(),
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
