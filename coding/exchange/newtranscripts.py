"""Sources we do not have, written as new Markdown transcripts to tag and code.

A source whose text is already one of our transcripts (front matter and all: a
project `coding` exported) is written exactly as it is, so after `coding tag` it
has the same text hash and its codings match on the next import. Any other text
becomes one participant's talk:

    ---
    group: <the Case the source belongs to, else its 'group' variable, else its name>
    title: <its name>
    <its variables and its case's, as attributes>
    speakers:
      Participant: participant
    ---
    Participant: <the text, unchanged>

Lines of the text that look like speaker labels (`Name: ...`) are declared as
participants too, so the file reads; the report asks the user to mark the
interviewer's label. The text is kept verbatim but for a line our reader would take
for a heading (`#`, `<!--`) after the first: it gets a `Participant: ` label
(`label_headings`). The next import finds the text, so labelled, inside the tagged
transcript and maps the positions through the labels it added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..read import normalise
from ..read.markdown import LABEL_LINE, read as read_markdown
from . import refi
from .project import ProjectFile, TextSource
from .qdc import yaml_string

SPEAKER = "Participant"
PREFIX = f"{SPEAKER}: "
RESERVED_KEYS = {"group", "title", "date", "language", "speakers"}  # front matter keys that are not attributes


def _label(line: str) -> str | None:
    """The speaker label a line starts with, as our reader would take it: a capitalised
    prefix of at most three words before a colon."""
    match = LABEL_LINE.match(line)
    label = match["label"].strip() if match else ""
    if label and len(label.split()) <= 3 and not label[0].islower() and "/" not in label:
        return label
    return None


@dataclass
class NewTranscript:
    name: str
    text: str
    source: str


def _group(project: ProjectFile, source: TextSource) -> tuple[str, dict[str, str]]:
    """The source's group and the attributes of its case (if a case holds it)."""
    case = next((c for c in project.cases if source.guid and source.guid in c.sources and c.name), None)
    if case is not None:
        return case.name, case.variables
    name = source.variables.get("group") or Path(source.name).stem or (source.guid or "").lower()
    return name.strip() or "imported", {}


def label_headings(text: str) -> tuple[str, list[int]]:
    """`text` with each heading-like line after the first given the participant's label (our
    reader would take it for a heading and end the turn), and the offsets in `text` where
    a label went in: the importer maps positions through them."""
    lines, inserted, offset = text.split("\n"), [], 0
    for number, line in enumerate(lines):
        if number and line.strip().startswith(("#", "<!--")):
            lines[number] = PREFIX + line
            inserted.append(offset)
        offset += len(line) + 1
    return "\n".join(lines), inserted


def _body(text: str) -> tuple[str, list[str], int]:
    """The talk as turns our reader takes: (body, speaker labels, heading lines labelled).
    Text before the first label is the participant's."""
    body, inserted = label_headings(text.strip("\n"))
    labels = {label: None for label in map(_label, body.split("\n")) if label}
    if not _label(body.split("\n", 1)[0]):
        body = PREFIX + body  # before the text: it stays whole
        labels = {SPEAKER: None, **labels}
    return body + "\n", list(labels), len(inserted)


def as_transcript(project: ProjectFile, source: TextSource, text: str) -> tuple[str, str]:
    """(Markdown transcript, a note for the report) for one source's normalised text."""
    group, case_values = _group(project, source)
    values = {**case_values, **source.variables}
    body, labels, changed = _body(text)
    lines = ["---", f"# From {' '.join((source.name or source.guid or '').split())} in "
             f"{project.path.name}{f' ({project.origin})' if project.origin else ''}"
             f"{f', source GUID {source.guid}' if source.guid else ''}.",
             f"group: {yaml_string(group)}",
             f"title: {yaml_string(values.get('title') or source.name or group)}"]
    for key in ("date", "language"):
        if values.get(key):
            lines.append(f"{key}: {yaml_string(values[key])}")
    for key, value in values.items():
        if key not in RESERVED_KEYS and value:
            lines.append(f"{yaml_string(key)}: {yaml_string(value)}")
    lines.append("speakers:")
    lines += [f"  {yaml_string(label)}: participant" for label in labels]
    lines.append("---")
    note = ""
    found = [label for label in labels if label != SPEAKER]
    if found:
        note = (f"declared {', '.join(found)} as participants (labels found in the text): "
                "mark the interviewer's label 'interviewer' before tagging")
    if changed:
        note += ("; " if note else "") + f"{changed} heading-like lines got a '{SPEAKER}:' label"
    return "\n".join(lines) + "\n" + body, note


def _is_our_transcript(text: str, name: str) -> bool:
    try:
        read_markdown(Path(name), text.encode("utf-8"))
    except InputError:
        return False
    return text.startswith("---")


def file_name(source: TextSource, taken: set[str]) -> str:
    stem = Path((source.name or source.guid or "source").replace("\\", "/").rsplit("/", 1)[-1]).stem
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._-") or "source"
    return refi.unique(stem[:80], taken) + ".md"


def plan_transcripts(project: ProjectFile, sources: list[TextSource], folder: Path
                     ) -> tuple[list[NewTranscript], list[str]]:
    """What to write for each source with text, checked to read as a transcript; and notes."""
    if folder.exists() and not folder.is_dir():
        raise InputError(folder, None, "is not a folder")
    existing = {p.stem for p in folder.glob("*")} if folder.is_dir() else set()
    contents = {p.read_bytes() for p in folder.glob("*.md")} if folder.is_dir() else set()
    planned, notes, taken = [], [], set(existing)
    for source in sources:
        label = source.name or source.guid or "a source"
        if source.text is None:
            continue
        try:
            text = normalise(source.text.encode("utf-8"), label)
        except InputError as error:
            notes.append(f"{label}: not written: {error.problem}")
            continue
        if not text.strip():
            notes.append(f"{label}: not written: its text is empty")
            continue
        name = file_name(source, taken)
        if _is_our_transcript(text, name):
            written, note = text, ""
        else:
            written, note = as_transcript(project, source, text)
        if written.encode("utf-8") in contents:
            notes.append(f"{label}: already in {folder} with the same text")
            continue
        try:
            read_markdown(Path(name), written.encode("utf-8"))
        except InputError as error:
            notes.append(f"{label}: not written: it would not read as a transcript ({error.problem})")
            continue
        planned.append(NewTranscript(name, written, label))
        if note:
            notes.append(f"{name}: {note}")
    return planned, notes


def write_transcripts(folder: Path, planned: list[NewTranscript]) -> list[Path]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(folder, None, f"cannot create the folder: {error.strerror}") from None
    return [refi.write_atomically(folder / item.name, item.text.encode("utf-8")) for item in planned]
