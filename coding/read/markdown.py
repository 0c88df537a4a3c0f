"""The Markdown / plain-text transcript format: YAML front matter, then
`Speaker: text` turns (see the README's "Transcripts"). A `groups.csv` in the folder
may add the group and attributes (see `metadata`); a label written otherwise than
declared (`INTERVIEWER (J.)`, `Int.`) is matched as in `speakers`."""

from __future__ import annotations

import re
from pathlib import Path

import hashlib
import json

from ..errors import InputError
from ..yamlfile import load_yaml
from .metadata import ReaderOptions, check_speakers, from_facts, mapping_facts, source_hash, with_groups_file
from .speakers import Speakers
from .transcript import Transcript, Turn, content_hash, normalise

SUFFIXES = (".md", ".txt", ".markdown")

# A line that starts like "Name:" or "Speaker 2:" is taken as a speaker label.
LABEL_LINE = re.compile(r"^(?P<label>[^\s:#<][^:\n]{0,39}?):(?:[ \t]+(?P<rest>.*))?$")


def read(path: Path, raw: bytes, options: ReaderOptions | None = None) -> Transcript:
    """Parse one transcript file's bytes; every problem is an InputError with a line."""
    text = normalise(raw, path)
    meta, key_lines, body_line = _front_matter(text, path)
    transcript = _transcript_from_meta(meta, key_lines, text, path)
    transcript.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    transcript.turns = _turns(transcript, body_line, path)
    transcript.file_hash = source_hash(path, raw)
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
    own = mapping_facts(meta, lines, path, path.as_posix(), skip=("speakers",))
    facts = with_groups_file(path, own)  # the same as `own` without a groups.csv
    if "group" not in facts:
        raise InputError(path, 1, "front matter has no 'group' (the id of the group interviewed)")
    speakers = check_speakers(meta.get("speakers"), path, lines.get("speakers", 1), required=True)
    metadata = from_facts(facts)
    return Transcript(
        path=path.as_posix(),
        group=metadata.group,
        text=text,
        content_hash=content_hash(text) if facts == own else _with_facts_hash(text, facts),
        title=metadata.title,
        date=metadata.date,
        language=metadata.language,
        speakers=speakers,
        attributes=metadata.attributes,
    )


def _with_facts_hash(text: str, facts: dict) -> str:
    """What groups.csv added is part of the transcript: a change there is a change here."""
    values = json.dumps({k: v for k, (v, _) in facts.items()}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8") + b"\0" + values.encode("utf-8")).hexdigest()


def _turns(transcript: Transcript, body_line: int, path: Path) -> list[Turn]:
    turns: list[Turn] = []
    current: dict | None = None

    def close():
        if current is not None:
            turns.append(Turn(len(turns), **current))

    text, starts = transcript.text, transcript.line_starts
    speakers = Speakers(transcript.speakers, path.as_posix())
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
        elif label_match and _looks_like_label(label) and speakers.resolve(label) is not None:
            close()  # a label written otherwise than declared: 'INTERVIEWER (J.)', 'Int.'
            name = speakers.resolve(label)
            rest_start = line_start + label_match.start("rest") if label_match["rest"] else line_end
            current = dict(speaker=name, role=transcript.speakers[name], line=number,
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
    transcript.warnings.extend(speakers.warnings)
    return turns


def _looks_like_label(label: str) -> bool:
    """A capitalised prefix of at most three words before a colon."""
    return len(label.split()) <= 3 and not label[0].islower() and "/" not in label
