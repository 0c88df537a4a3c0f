"""Word documents (`.docx`, read by python-docx), as people and transcription
services write them.

A paragraph starts a speaker's turn when it begins with a label:

- bold (`**Ana:** text`, `**Ana** text` for a known speaker, or `**Ana**` alone);
- followed by a colon (`Ana: text`, `Speaker 1 (00:01:05): text`);
- on its own line, before the text, with a timestamp as Otter and Rev write it
  (`Ana Lopez  0:03`, `Speaker 1 (00:01:05):`, `[00:01:05] Ana`), or a known
  speaker's name alone.

A paragraph without a label continues the turn (a timestamp-only paragraph is
kept for the next place). Once a document's labels have been bold or timed, a plain
`Word:` at a paragraph's start is a label only for a speaker already known. Headings and a closing "Transcribed by https://..." are
left out, and so are paragraphs before the first label (with a warning: a title
page). Tables of speaker / text (an optional time column; columns by header name,
else speaker then text) give one turn per row. Places: `paragraph N` (body
paragraphs counted from 1, tables not) with its timestamp, `table T row R`.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ..errors import InputError
from .captions import looks_like_name, split_label
from .metadata import ReaderOptions, file_metadata, require_group, source_hash
from .rendering import Draft, Rendering, clean
from .speakers import Speakers
from .transcript import Transcript

SUFFIXES = (".docx",)

TIME = r"(?:\d{1,2}:){1,2}\d{1,2}(?:[.,]\d{1,7})?"  # 0:03, 00:01:05, 0:0:3.600 (Teams)
TIME_ONLY = re.compile(rf"^[\[(]?(?P<time>{TIME})[\])]?(?:\s*-->\s*[\[(]?{TIME}[\])]?)?$")
LEADING_TIME = re.compile(rf"^[\[(]?(?P<time>{TIME})[\])]?\s+(?P<rest>.+)$")
# "Ana Lopez  0:03", "Speaker 1 (00:01:05):", "Ana [00:01:05]" on a line of their own; with
# text after them only when the time is bracketed or followed by a colon ("Ana (0:03): text")
LABEL_WITH_TIME = re.compile(rf"^(?P<label>[^\d\s:\[(][^:]{{0,39}}?)\s*(?:[\[(]?(?P<time>{TIME})[\])]?\s*:?$|"
                             rf"(?:[\[(](?P<btime>{TIME})[\])]\s*:?|(?P<ctime>{TIME})\s*:)\s+(?P<rest>.+)$)")
TRAILER = re.compile(r"^transcribed by\s+https?://", re.IGNORECASE)
SPEAKER_HEADERS = {"speaker", "name", "who", "participant", "person", "speaker name"}
TEXT_HEADERS = {"text", "utterance", "transcript", "speech", "content", "what was said", "said"}
TIME_HEADERS = {"time", "timestamp", "start", "start time", "begin"}


def read(path: Path, raw: bytes, options: ReaderOptions | None = None) -> Transcript:
    document = _open(raw, path)
    metadata = file_metadata(path)
    require_group(metadata, path)
    speakers = Speakers(metadata.speakers, path.as_posix(), metadata.declared_in)
    reader = _Turns(speakers)
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            reader.table(block)
        else:
            reader.paragraph(block)
    reader.close()
    if not reader.rendering.turns:
        raise InputError(path, None, "no speaker turns: no paragraph starts with a speaker label "
                         "(bold, 'Name:', or a name with a timestamp)")
    warnings = list(speakers.warnings)
    if reader.preamble:
        first, last = reader.preamble[0], reader.preamble[-1]
        span = f"paragraph {first} comes" if first == last else f"paragraphs {first}-{last} come"
        warnings.insert(0, f"{path.as_posix()}: {span} before the first speaker label: left out")
    return reader.rendering.transcript(path, metadata, speakers.roles, source_hash(path, raw), warnings)


def _open(raw: bytes, path: Path):
    import docx

    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise InputError(path, None, "not a Word .docx file (not a zip package; an old .doc must be saved as .docx)")
    try:
        return docx.Document(io.BytesIO(raw))
    except Exception as error:  # python-docx raises many kinds for a zip that is no Word document
        raise InputError(path, None, f"not a readable Word .docx file ({type(error).__name__}: {error})") from None


class _Turns:
    """Walks paragraphs and tables in document order, gathering turns."""

    def __init__(self, speakers: Speakers):
        self.speakers = speakers
        self.rendering = Rendering()
        self.draft: Draft | None = None
        self.number = 0  # body paragraphs seen
        self.tables = 0
        self.time = ""  # a timestamp-only paragraph's time, for the next place
        self.preamble: list[int] = []
        self.styled = False  # labels so far were bold or had a timestamp
        self.after_timing = False  # the paragraph before was a timestamp alone

    def paragraph(self, paragraph) -> None:
        self.number += 1
        text = clean(paragraph.text)
        style = paragraph.style.name if paragraph.style is not None else ""
        if not text or style.startswith("Heading") or style in ("Title", "Subtitle") or TRAILER.match(text):
            return
        only = TIME_ONLY.match(text)
        if only:
            self.time, self.after_timing = only["time"], True
            return
        label, words, time = self._label_of(paragraph, text)
        self.after_timing = False
        time = time or self.time
        if label is not None:
            self._start(label)
        elif self.draft is None:
            self.preamble.append(self.number)
            return
        if words:  # a label alone on its line: its time goes with the text that follows
            self.draft.add(words, " ".join(x for x in (f"paragraph {self.number}", time) if x))
            time = ""
        self.time = time

    def _label_of(self, paragraph, text: str) -> tuple[str | None, str, str]:
        """(label, text, time) of a paragraph; a label alone on the paragraph's first line
        (before a line break, as Otter writes 'Ana Lopez  0:03') is a label too."""
        bold = _bold_start(paragraph)
        first, _, after = paragraph.text.partition("\n")
        if clean(after):
            label, words, time = self._label(clean(first), bold)
            if label is not None and not words:
                return label, clean(after), time
        return self._label(text, bold)

    def _label(self, text: str, bold: str) -> tuple[str | None, str, str]:
        time = ""
        leading = LEADING_TIME.match(text)
        if leading:
            time, text = leading["time"], leading["rest"]
            bold = bold if not bold.startswith(time) else bold[len(time):].lstrip("])").strip()
        if bold and text.startswith(bold) and len(bold) <= 45:
            rest = text[len(bold):].strip()
            colon = bold.endswith(":") or rest.startswith(":")
            label, rest = bold.rstrip(":").strip(), rest.lstrip(":").strip()
            with_time = LABEL_WITH_TIME.match(label)
            if with_time and not with_time["rest"]:
                label, time = with_time["label"].strip(), time or with_time["time"]
            if TIME_ONLY.match(rest):
                time, rest = time or TIME_ONLY.match(rest)["time"], ""
            if label and (colon or not rest or self.speakers.resolve(label) is not None):
                self.styled = True
                return label, rest, time
        with_time = LABEL_WITH_TIME.match(text)
        if with_time and (looks_like_name(with_time["label"]) or self.speakers.resolve(with_time["label"])):
            stamp = with_time["time"] or with_time["btime"] or with_time["ctime"]
            self.styled = True
            return with_time["label"].strip(), with_time["rest"] or "", time or stamp
        label, rest = split_label(text, self.speakers)
        # once labels came bold or timed, a plain 'Word:' is a label only for a known speaker
        if label is not None and (not self.styled or self.speakers.resolve(label) is not None):
            return label, rest, time
        name = text.rstrip(":").strip()
        # a known speaker's name alone, or a name alone under a timestamp line (Teams)
        if len(name) <= 40 and (self.speakers.resolve(name) is not None or
                                (self.after_timing and looks_like_name(name))):
            return name, "", time
        return None, text, time

    def _start(self, label: str) -> None:
        self.close()
        name = self.speakers.speaker(label)
        self.draft = Draft(name, self.speakers.role(name))

    def close(self) -> None:
        if self.draft is not None:
            self.rendering.turn(self.draft)
            self.draft = None

    def table(self, table) -> None:
        self.tables += 1
        rows = [[clean(cell.text) for cell in row.cells] for row in table.rows]
        if not rows:
            return
        speaker, text, time, body = _table_columns(rows)
        for number, row in enumerate(rows, start=1):
            if number <= body or max(speaker, text) >= len(row) or not row[text]:
                continue
            if row[speaker]:
                self._start(row[speaker])
            elif self.draft is None:
                continue
            place = f"table {self.tables} row {number}" + (f" {row[time]}" if time is not None and row[time] else "")
            self.draft.add(row[text], place)
        self.close()


def _bold_start(paragraph) -> str:
    """The text of the bold runs a paragraph starts with ('' if it does not start bold)."""
    from docx.text.run import Run

    bold = []
    for item in paragraph.iter_inner_content():
        runs = [item] if isinstance(item, Run) else list(getattr(item, "runs", []))
        for run in runs:
            if not run.text.strip() and not bold:
                continue
            if not _is_bold(run):
                return clean("".join(bold))
            bold.append(run.text)
    return clean("".join(bold))


def _is_bold(run) -> bool:
    if run.bold is not None:
        return bool(run.bold)
    style = run.style
    while style is not None:  # a character style such as "Strong", or one it is based on
        if style.font.bold is not None:
            return bool(style.font.bold)
        style = style.base_style
    return False


def _table_columns(rows: list[list[str]]) -> tuple[int, int, int | None, int]:
    """(speaker, text, time, header rows) columns of a turn table."""
    header = [cell.casefold() for cell in rows[0]]
    find = lambda names: next((i for i, cell in enumerate(header) if cell in names), None)  # noqa: E731
    speaker, text = find(SPEAKER_HEADERS), find(TEXT_HEADERS)
    if speaker is not None and text is not None:
        return speaker, text, find(TIME_HEADERS), 1
    width = len(rows[0])
    timed = [i for i in range(width) if _all_times([r[i] for r in rows if i < len(r) and r[i]])]
    others = [i for i in range(width) if i not in timed]
    if len(others) < 2:
        return 0, min(1, width - 1), None, 0
    return others[0], others[1], (timed[0] if timed else None), 0


def _all_times(cells: list[str]) -> bool:
    return bool(cells) and all(TIME_ONLY.match(cell) for cell in cells)
