"""Sheets (`.csv`, `.tsv` read by pandas; `.xlsx` read by openpyxl): turns or survey answers.

Which kind a sheet is, by its columns (names compared case-insensitively, with
spaces and hyphens as underscores):

- a **turn sheet** has a speaker column (`speaker`, `speaker_name`, `who`, `voice`,
  or `--speaker-column`): one row per turn, text from the first text column (also
  `transcript`, `content`, `caption`, `sentence` in a turn sheet), and
  optional `role` (interviewer / participant), `time` and `group` columns. A row
  without a speaker continues the previous speaker, in a turn of its own.
- a **survey sheet** is any other (or one given `--id-column`): one row per
  respondent, who is a participant named by the id column (`id`, `respondent`,
  `respondent_id`, `response_id`, `comment_id`, ..., else a column ending in
  `_id`; without one, `row N`). Each answer column (`--text-column`, else every
  column named `answer`, `response`, `comment`, `text`, `feedback`, ...) gives one
  turn. The group is the `--group-column` (or a column named `group`), else the
  sidecar's or groups.csv's group; every other column is an attribute of the turn.
  The extra header rows Qualtrics (question text, ImportId) and SurveyMonkey
  ("Open-Ended Response") write under the header give no turns (their lines stay empty).

Lines: the header row is line 1 (`id: answer` in the rendering) and each sheet row
N is on line N, its answer as `id: text`; an empty answer is an empty line, and a
line break inside a cell a space. With k answer columns, each row takes k lines,
one per answer column in order: row N's answer in the j-th column is on line
(N - 2) * k + j + 1 (with k = 1, line N). A sheet row is what a spreadsheet shows
(a quoted CSV cell spanning lines is one row); the header is the first row (for
xlsx, the first non-empty one). Places: `row N (column)` for answers, `row N` (and
its time) for turns.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .metadata import (GROUPS_FILE, Metadata, ReaderOptions, file_metadata, group_facts, merge_into,
                       read_groups, sidecar_path, source_hash)
from .rendering import Draft, Rendering, clean
from .speakers import Speakers
from .transcript import ROLES, Transcript, normalise

SUFFIXES = (".csv", ".tsv", ".xlsx")

ID_NAMES = ("id", "respondent", "respondent_id", "response_id", "comment_id", "participant_id",
            "record_id", "row_id", "case_id", "uuid", "responseid", "respondentid")
TEXT_NAMES = ("answer", "answers", "response", "responses", "comment", "comments", "text", "free_text",
              "freetext", "feedback", "verbatim", "open_text", "open_answer", "utterance", "speech")
NUMBERED_TEXT = re.compile(r"^(answer|response|comment|text)_?\d+$")
# what transcription services call the text of a turn; in a sheet without a speaker column
# these name no text (a gold file's `transcript` column is a file name)
TURN_TEXT_NAMES = ("transcript", "transcription", "content", "caption", "sentence", "what_was_said")
SPEAKER_NAMES = ("speaker", "speaker_name", "speaker_label", "who", "voice")
# rows under the header that survey tools add: Qualtrics' question text and ImportId rows,
# SurveyMonkey's "Open-Ended Response" row
IMPORT_ID = '{"ImportId"'
SUBHEADER_ANSWERS = {"response", "responses", "open-ended response"}
ROLE_NAMES = ("role", "speaker_role")
TIME_NAMES = ("time", "timestamp", "start", "start_time", "starttime", "begin")
GROUP_NAMES = ("group", "group_id")


@dataclass
class Sheet:
    columns: list[str]
    rows: list[tuple[int, list[str]]]  # (sheet row number, cells)
    header_row: int


def read(path: Path, raw: bytes, options: ReaderOptions | None = None) -> Transcript:
    metadata = file_metadata(path)
    given = options or ReaderOptions()
    options = given.over(metadata.options)  # the command line's win over the sidecar's
    sheet = load(path, raw, options)
    if not sheet.rows:
        raise InputError(path, None, "no rows under the header: an empty sheet")
    columns = _Columns(sheet.columns, path, options)
    rendering = Rendering()
    speakers = Speakers(metadata.speakers, path.as_posix(), metadata.declared_in)
    if columns.is_turn_sheet():
        _turn_rows(sheet, columns, metadata, speakers, rendering, path)
    else:
        _answer_rows(sheet, columns, metadata, speakers, rendering, path)
    if not rendering.turns:
        raise InputError(path, None, "no text in any row: an empty sheet")
    return rendering.transcript(path, metadata, speakers.roles, source_hash(path, raw, given.key()),
                                speakers.warnings)


def is_transcript_sheet(path: Path, options: ReaderOptions | None = None) -> bool:
    """In a folder, a sheet is a transcript when it has a sidecar or its header names a
    text column (gold files and groups.csv are left alone). A sheet that cannot be read
    counts, so that reading it says what is wrong."""
    if path.name.lower() == GROUPS_FILE:
        return False
    if sidecar_path(path) is not None:
        return True
    try:
        columns = header(path)
    except Exception:  # unreadable: let the reader report it
        return True
    keys = [_key(c) for c in columns]
    wanted = {_key(c) for c in (options.text_columns if options else ())}
    turn_texts = TURN_TEXT_NAMES if any(k in SPEAKER_NAMES for k in keys) else ()
    return any(k in wanted or _is_text_name(k) or k in turn_texts for k in keys)


# -- loading -------------------------------------------------------------------------


def load(path: Path, raw: bytes, options: ReaderOptions) -> Sheet:
    if path.suffix.lower() == ".xlsx":
        return _load_xlsx(path, raw, options.sheet)
    return _load_csv(path, raw, "\t" if path.suffix.lower() == ".tsv" else None)


def header(path: Path) -> list[str]:
    """The column names of a sheet, read cheaply (first line, first row)."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                if any(cell is not None and str(cell).strip() for cell in row):
                    return [_cell(cell) for cell in row]
            return []
        finally:
            book.close()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _delimiter(first)
    return next(csv.reader([first], delimiter=delimiter), [])


def _delimiter(first_line: str) -> str:
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _load_csv(path: Path, raw: bytes, delimiter: str | None) -> Sheet:
    import pandas as pd

    text = normalise(raw, path)
    if not text.strip():
        raise InputError(path, None, "empty sheet: no header row")
    delimiter = delimiter or _delimiter(text.split("\n", 1)[0])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise InputError(path, None, "empty sheet: no header row") from None
    except (pd.errors.ParserError, ValueError) as error:
        raise InputError(path, None, f"not a readable CSV: {str(error).strip()}") from None
    columns = [str(c).strip() for c in frame.columns]
    rows = [(number, list(cells)) for number, cells in enumerate(frame.itertuples(index=False, name=None), start=2)]
    return Sheet(columns, rows, 1)


def _load_xlsx(path: Path, raw: bytes, sheet_name: str | None) -> Sheet:
    import openpyxl

    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise InputError(path, None, "not an .xlsx workbook (not a zip package; an old .xls must be saved as .xlsx)")
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a zip that is no workbook
        raise InputError(path, None, f"not a readable .xlsx workbook ({type(error).__name__}: {error})") from None
    try:
        if sheet_name is not None and sheet_name not in book.sheetnames:
            raise InputError(path, None, f"no sheet {sheet_name!r} (sheets: {', '.join(book.sheetnames)})")
        worksheet = book[sheet_name] if sheet_name is not None else book.worksheets[0]
        found: list[tuple[int, list[str]]] = []
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            cells = [_cell(cell) for cell in row]
            if found or any(cells):
                found.append((number, cells))
    finally:
        book.close()
    while found and not any(found[-1][1]):
        found.pop()
    if not found:
        raise InputError(path, None, "empty sheet: no header row")
    (header_row, columns), rows = found[0], found[1:]
    width = len(columns)
    rows = [(number, (cells + [""] * width)[:width]) for number, cells in rows]
    return Sheet([c.strip() for c in columns], rows, header_row)


def _cell(value) -> str:
    """A cell as text: 57 not 57.0, a date without a midnight time."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "hour") and hasattr(value, "date") and (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.date().isoformat()
    return str(value)


# -- columns -----------------------------------------------------------------------


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().casefold())


def _is_text_name(key: str) -> bool:
    return key in TEXT_NAMES or bool(NUMBERED_TEXT.match(key))


class _Columns:
    """The sheet's columns by role: named by options (missing is an error) or found by name."""

    def __init__(self, columns: list[str], path: Path, options: ReaderOptions):
        self.columns, self.path, self.options = columns, path, options
        self.keys = [_key(c) for c in columns]

    def named(self, name: str | None, option: str) -> int | None:
        if name is None:
            return None
        if _key(name) in self.keys:
            return self.keys.index(_key(name))
        raise InputError(self.path, 1, f"no column {name!r} ({option}); the columns are {', '.join(self.columns)}")

    def found(self, names: tuple[str, ...]) -> int | None:
        return next((self.keys.index(n) for n in names if n in self.keys), None)

    def is_turn_sheet(self) -> bool:
        if self.options.id_column:
            return False
        return self.speaker() is not None

    def speaker(self) -> int | None:
        return self.named(self.options.speaker_column, "--speaker-column") if self.options.speaker_column \
            else self.found(SPEAKER_NAMES)

    def respondent(self) -> int | None:
        if self.options.id_column:
            return self.named(self.options.id_column, "--id-column")
        found = self.found(ID_NAMES)
        if found is None:
            found = next((i for i, k in enumerate(self.keys) if k.endswith("_id") and not _is_text_name(k)), None)
        return found

    def texts(self) -> list[int]:
        if self.options.text_columns:
            return [self.named(name, "--text-column") for name in self.options.text_columns]
        turn_texts = TURN_TEXT_NAMES if self.is_turn_sheet() else ()
        found = [i for i, key in enumerate(self.keys) if _is_text_name(key) or key in turn_texts]
        if not found:
            raise InputError(self.path, 1, "no text column: name it with --text-column (or text_columns in a "
                             f"sidecar); the columns are {', '.join(self.columns)}")
        return found

    def optional(self, name: str | None, option: str, names: tuple[str, ...]) -> int | None:
        return self.named(name, option) if name else self.found(names)

    def group(self) -> int | None:
        return self.optional(self.options.group_column, "--group-column", GROUP_NAMES)


# -- survey sheets ---------------------------------------------------------------------


def _answer_rows(sheet: Sheet, columns: _Columns, metadata: Metadata, speakers: Speakers,
                 rendering: Rendering, path: Path) -> None:
    respondent, texts, group = columns.respondent(), columns.texts(), columns.group()
    _check_group_source(group, metadata, path)
    used = {respondent, group, *texts}
    attributes = [i for i in range(len(sheet.columns)) if i not in used]
    id_name = sheet.columns[respondent] if respondent is not None else "row"
    rendering.line(f"{id_name}: {' / '.join(sheet.columns[i] for i in texts)}")
    turn_attributes = _TurnAttributes(sheet, attributes, metadata, path)
    more_header = _header_rows(sheet, texts, respondent)
    for number, cells in sheet.rows:
        answers = [(i, cells[i]) for i in texts]
        if number in more_header or not any(clean(text) for _, text in answers):
            for _ in answers:
                rendering.line("")
            continue
        speaker = cells[respondent].strip() if respondent is not None else ""
        speaker = speaker or f"row {number}"
        speakers.roles.setdefault(speaker, "participant")
        turn_group = _row_group(cells, group, number, metadata, path)
        extra = turn_attributes.of(number, cells, turn_group or metadata.group)
        for column, text in answers:
            if not clean(text):
                rendering.line("")
                continue
            draft = Draft(speaker, speakers.roles[speaker], group=turn_group, attributes=extra)
            draft.add(text, f"row {number} ({sheet.columns[column]})")
            rendering.turn(draft)


def _header_rows(sheet: Sheet, texts: list[int], respondent: int | None) -> set[int]:
    """The first rows, when a survey tool wrote more header there (they get no turns)."""
    numbers: set[int] = set()
    for index, (number, cells) in enumerate(sheet.rows[:2]):
        answers = [cells[i].strip() for i in texts if cells[i].strip()]
        if any(cell.startswith(IMPORT_ID) for cell in cells):
            numbers |= {n for n, _ in sheet.rows[:index + 1]}
        elif answers and all(a.casefold() in SUBHEADER_ANSWERS for a in answers) and \
                (respondent is None or not cells[respondent].strip()):
            numbers.add(number)
    return numbers


class _TurnAttributes:
    """A survey answer's attributes: its row's other columns, its group's row in groups.csv
    and the file's own (sidecar) attributes; the same key with two values is an error."""

    def __init__(self, sheet: Sheet, columns: list[int], metadata: Metadata, path: Path):
        self.names = [(i, sheet.columns[i]) for i in columns]
        self.path = path
        self.table = read_groups(path.parent)
        self.own = {k: v for k, v in metadata.facts.items() if k in metadata.attributes}
        self.of_group: dict[str, dict] = {}

    def of(self, number: int, cells: list[str], group: str) -> dict[str, str]:
        row = {name: (cells[i].strip(), f"{self.path.as_posix()} row {number}") for i, name in self.names
               if cells[i].strip()}
        if group not in self.of_group:
            facts = dict(self.own)
            merge_into(facts, {k: v for k, v in group_facts(self.table, group).items()
                               if k not in ("group", "title", "date", "language")}, self.path)
            self.of_group[group] = facts
        if not self.of_group[group]:
            return {key: value for key, (value, _) in row.items()}
        merge_into(row, self.of_group[group], self.path)
        return {key: value for key, (value, _) in row.items()}


def _check_group_source(group: int | None, metadata: Metadata, path: Path) -> None:
    if group is None and not metadata.group:
        raise InputError(path, None, f"no group: give --group-column COLUMN (or group_column in "
                         f"{path.with_suffix('.yaml').name}), or a group for the whole sheet there or in {GROUPS_FILE}")


def _row_group(cells: list[str], group: int | None, number: int, metadata: Metadata, path: Path) -> str:
    """A row's own group ('' when the sheet has no group column: the file's group applies)."""
    if group is None:
        return ""
    value = cells[group].strip() or metadata.group
    if not value:
        raise InputError(path, None, f"row {number} has no group (column {group + 1} is empty and the file has no group)")
    return value


# -- turn sheets -------------------------------------------------------------------------


def _turn_rows(sheet: Sheet, columns: _Columns, metadata: Metadata, speakers: Speakers,
               rendering: Rendering, path: Path) -> None:
    speaker_column, text = columns.speaker(), columns.texts()[0]
    role = columns.optional(columns.options.role_column, "role_column", ROLE_NAMES)
    time = columns.optional(columns.options.time_column, "time_column", TIME_NAMES)
    group = columns.group()
    _check_group_source(group, metadata, path)
    rendering.line(f"{sheet.columns[speaker_column]}: {sheet.columns[text]}")
    current = None
    for number, cells in sheet.rows:
        if not clean(cells[text]):
            rendering.line("")
            continue
        label = clean(cells[speaker_column])
        if label:
            current = speakers.speaker(label, _role(cells, role, number, path))
        elif current is None:
            raise InputError(path, None, f"row {number} has text but no speaker, and no row before it to continue")
        stated = _role(cells, role, number, path)
        if stated is not None and stated != speakers.role(current):
            raise InputError(path, None, f"row {number}: {current!r} is {speakers.role(current)} "
                             f"(declared or on an earlier row), not {stated}")
        place = f"row {number}" + (f" {clean(cells[time])}" if time is not None and clean(cells[time]) else "")
        draft = Draft(current, speakers.role(current), group=_row_group(cells, group, number, metadata, path))
        draft.add(cells[text], place)
        rendering.turn(draft)


def _role(cells: list[str], role: int | None, number: int, path: Path) -> str | None:
    if role is None or not clean(cells[role]):
        return None
    value = clean(cells[role]).casefold()
    if value not in ROLES:
        raise InputError(path, None, f"row {number}: role {cells[role]!r}; use interviewer or participant")
    return value
