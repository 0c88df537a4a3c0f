"""What a transcript file cannot say about itself: group, speakers, language, attributes.

Markdown carries them in its front matter. Every other format takes them from

- a *sidecar*: a YAML file beside it with the same stem (`interview.vtt` +
  `interview.yaml` or `.yml`), holding the keys of Markdown front matter and,
  for sheets, the reader options (`group_column`, `id_column`, `text_columns`,
  `speaker_column`, `role_column`, `time_column`, `sheet`);
- a `groups.csv` in the file's folder, whose rows are either for one file
  (`file` column filled: that file's `group` and attributes) or for one group
  (`file` empty or absent: attributes of every transcript, or survey answer, of
  that `group`). Columns `title`, `date` and `language` mean what they mean in
  front matter; any other column is an attribute. Markdown files read it too.

Every value is kept with where it came from ("G07.md:5", "groups.csv:3"), so the
same key given twice with different values is an error naming both places.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..yamlfile import load_yaml
from .transcript import ROLES, normalise, read_bytes

GROUPS_FILE = "groups.csv"
SIDECAR_SUFFIXES = (".yaml", ".yml")
RESERVED_KEYS = {"group", "title", "date", "language", "speakers"}
OPTION_KEYS = ("group_column", "id_column", "text_columns", "speaker_column", "role_column",
               "time_column", "sheet")

Facts = dict  # key -> (value, where it was given)


@dataclass(frozen=True)
class ReaderOptions:
    """How to read sheets, from the command line (they win over a sidecar's keys).
    Formats that are not sheets ignore them."""

    group_column: str | None = None
    id_column: str | None = None
    text_columns: tuple[str, ...] = ()
    speaker_column: str | None = None
    role_column: str | None = None
    time_column: str | None = None
    sheet: str | None = None

    def over(self, sidecar: dict) -> "ReaderOptions":
        """These options, each unset one taken from a sidecar's keys."""
        values = {key: getattr(self, key) or sidecar.get(key) for key in OPTION_KEYS}
        values["text_columns"] = tuple(values["text_columns"] or ())
        return ReaderOptions(**values)

    def key(self) -> str:
        return repr(tuple(getattr(self, k) for k in OPTION_KEYS))


@dataclass
class Metadata:
    """Group, title, date, language, speakers and attributes of one transcript file."""

    group: str = ""
    title: str = ""
    date: str = ""
    language: str = "en"
    speakers: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # sheet options from a sidecar
    declared_in: str = ""  # where speakers were declared, for warnings
    facts: Facts = field(default_factory=dict)


def scalar(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(scalar(v) for v in value)
    return "" if value is None else str(value)


# -- front matter and sidecars -----------------------------------------------------


def mapping_facts(meta: dict, key_lines: dict[str, int], path: Path, where: str,
                  skip: tuple[str, ...] = ("speakers", *OPTION_KEYS)) -> Facts:
    """Check a front matter / sidecar mapping and return its plain keys (not `skip`) as facts."""
    for key in ("group", "language"):
        if isinstance(meta.get(key), (list, dict)):
            raise InputError(path, key_lines.get(key, 1), f"'{key}' must be a single value, not a list or mapping")
    facts: Facts = {}
    for key, value in meta.items():
        key = str(key)
        if key in skip:
            continue
        text = scalar(value).strip() if key == "group" else scalar(value)
        if key == "group" and not text:
            continue
        facts[key] = (text, f"{where}:{key_lines[key]}" if key in key_lines else where)
    return facts


def check_speakers(speakers, path: Path, line: int, required: bool) -> dict[str, str]:
    if speakers is None and not required:
        return {}
    if not isinstance(speakers, dict) or not speakers:
        raise InputError(path, line, "front matter needs 'speakers': a map of speaker label to interviewer or participant")
    for label, role in speakers.items():
        if role not in ROLES:
            raise InputError(path, line, f"speaker {label!r} has role {role!r}; use 'interviewer' or 'participant'")
    return {str(k): str(v) for k, v in speakers.items()}


def sidecar_path(path: Path) -> Path | None:
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> tuple[dict, dict[str, int], Path | None, dict]:
    """The sidecar's mapping, the line of each key, its path and its reader options
    (all empty when there is none)."""
    side = sidecar_path(path)
    if side is None:
        return {}, {}, None, {}
    text = normalise(read_bytes(side), side)
    meta = load_yaml(text, side, "base") or {}
    if not isinstance(meta, dict):
        raise InputError(side, 1, "a sidecar must be a mapping of keys to values, as front matter is")
    lines = {}
    for number, line in enumerate(text.split("\n"), start=1):
        key = line.split(":", 1)[0]
        if key in meta:
            lines.setdefault(key, number)
    options = {}
    for key in OPTION_KEYS:
        if key in meta:
            value = meta[key]
            if key == "text_columns":
                value = [value] if isinstance(value, str) else value
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise InputError(side, lines.get(key), "'text_columns' must be a column name or a list of them")
            elif not isinstance(value, str):
                raise InputError(side, lines.get(key), f"'{key}' must be a column name")
            options[key] = value
    return meta, lines, side, options


def file_metadata(path: Path, speakers_required: bool = False) -> Metadata:
    """Metadata for a file of a format without front matter: its sidecar, then groups.csv."""
    meta, lines, side, options = read_sidecar(path)
    facts = mapping_facts(meta, lines, side, side.as_posix()) if side else {}
    speakers = check_speakers(meta.get("speakers"), side or path, lines.get("speakers", 1), speakers_required)
    facts = with_groups_file(path, facts)
    result = from_facts(facts)
    result.speakers, result.options = speakers, options
    result.declared_in = side.name if side and speakers else ""
    return result


def from_facts(facts: Facts) -> Metadata:
    values = {key: value for key, (value, _) in facts.items()}
    return Metadata(
        group=values.get("group", ""),
        title=values.get("title", ""),
        date=values.get("date", ""),
        language=values.get("language", "en") or "en",
        attributes={k: v for k, v in values.items() if k not in RESERVED_KEYS},
        facts=facts,
    )


def require_group(metadata: Metadata, path: Path) -> None:
    if not metadata.group:
        raise InputError(path, None, f"no group: put 'group: ...' in {path.with_suffix('.yaml').name} beside it, "
                         f"or a row for {path.name} in {GROUPS_FILE}")


# -- groups.csv ----------------------------------------------------------------------


@dataclass
class GroupsTable:
    path: Path
    files: dict[str, Facts] = field(default_factory=dict)   # file name (as written) -> facts
    groups: dict[str, Facts] = field(default_factory=dict)  # group id -> facts


def groups_file(folder: Path) -> Path | None:
    candidate = folder / GROUPS_FILE
    return candidate if candidate.is_file() else None


def read_groups(folder: Path) -> GroupsTable | None:
    """The folder's groups.csv, checked: a `group` column, no conflicting rows."""
    path = groups_file(folder)
    if path is None:
        return None
    import pandas as pd

    text = normalise(read_bytes(path), path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise InputError(path, None, f"not a readable CSV: {str(error).strip()}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if "group" not in frame.columns:
        raise InputError(path, 1, f"{GROUPS_FILE} needs a 'group' column (and optionally 'file'); "
                         f"it has {', '.join(frame.columns)}")
    table = GroupsTable(path)
    for index, row in enumerate(frame.to_dict("records")):
        line = index + 2
        row = {k: str(v).strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        name = row.pop("file", "")
        facts = {k: (v, f"{path.as_posix()}:{line}") for k, v in row.items() if v != "" and k}
        if name:
            target = table.files.setdefault(name, {})
        elif row["group"]:
            target = table.groups.setdefault(row["group"], {})
        else:
            raise InputError(path, line, "a row needs a 'group' (or a 'file')")
        merge_into(target, facts, path)
    return table


def file_facts(table: GroupsTable, path: Path) -> Facts:
    """The groups.csv row for a file, found by its name or its path relative to the folder."""
    for name, facts in table.files.items():
        if (table.path.parent / name).resolve() == path.resolve():
            return facts
    return {}


def with_groups_file(path: Path, facts: Facts) -> Facts:
    """A file's own facts with those of groups.csv: its file row, then its group's row."""
    table = read_groups(path.parent)
    if table is None:
        return facts
    merged = dict(facts)
    merge_into(merged, file_facts(table, path), path)
    group = merged.get("group", ("", ""))[0]
    if group:
        merge_into(merged, table.groups.get(group, {}), path)
    return merged


def group_facts(table: GroupsTable | None, group: str) -> Facts:
    return dict(table.groups.get(group, {})) if table is not None else {}


def merge_into(facts: Facts, more: Facts, path: Path) -> None:
    """Add facts; the same key with a different value is an error naming both places."""
    for key, (value, where) in more.items():
        if key in facts and facts[key][0] != value:
            have, had_where = facts[key]
            raise InputError(path, None, f"{key!r} is {have!r} in {had_where} but {value!r} in {where}")
        facts.setdefault(key, (value, where))


# -- what a file's reading depends on ---------------------------------------------------


def source_hash(path: Path, raw: bytes, options_key: str = "") -> str:
    """The hash of everything a file's transcript is read from: its bytes, and its
    sidecar, groups.csv and reader options where there are any. With none, it is the
    hash of the bytes alone (as for every Markdown file without a groups.csv)."""
    digest = hashlib.sha256(raw).hexdigest()
    extra = [p for p in (sidecar_path(path), groups_file(path.parent)) if p is not None]
    if not extra and not options_key:
        return digest
    whole = hashlib.sha256(digest.encode())
    for part in extra:
        whole.update(b"\0" + part.name.encode() + b"\0" + read_bytes(part))
    whole.update(b"\0" + options_key.encode())
    return whole.hexdigest()
