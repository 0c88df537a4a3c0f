"""The whole project as a REFI-QDA project (`.qdpx`), both ways.

Export (`export_project`): a zip of `project.qde` and `sources/<GUID>.txt`:

- Users: one per coder in the store. A machine coder (`auto`, `auto:<model>`) is
  the user `<coder> (unreviewed suggestion)` with id `<coder>`.
- CodeBook: the store's codes (`qdc.codes_element`).
- Sources: every transcript as a `TextSource` whose plain text is the transcript's
  normalised text (the whole file, front matter included: the text our offsets count).
- Every coding that stands and counts (`report.tables.counted_codings`, under the
  rule given) is a `PlainTextSelection` [start, end) in code points with one
  `Coding`; both are created by the decision's coder at its time. An unreviewed
  suggestion is created by the machine user and its selection's description says
  "Unreviewed machine suggestion"; rejected, disputed and interviewer codings are
  not exported (they do not count).
- Variables: group, title, date, language and every front-matter attribute, as
  Text variables on each source; Cases: one per group, with the group's attributes,
  its transcripts, and the selections of turns that name their own group.

Import (`import_project`): every coding a person made in the file becomes a coding
of `--coder` (`review.decisions.passage` and `code_by_hand`, one per speaker turn,
logged `import`), all in one transaction; the coder has read those transcripts for
the file's codes, unless the file still holds our machine's suggestions there. A source is
matched to a stored transcript by its text: the same normalised text (hash), else
the stored transcript that holds its text exactly once (the positions shift by
where). Codes are matched by our GUID, the `coding id:` line, or name = label / id.
The machine user's codings in the file are nobody's decision and are not taken.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement

import pandas as pd

from ..coders import is_machine
from ..errors import InputError
from ..read import content_hash, normalise, read_transcript
from ..report.tables import counted_codings
from ..review import decisions
from ..review.standing import DEFAULT_RULE, current, latest_per_coder
from ..store import Store
from . import refi
from .newtranscripts import PREFIX, label_headings
from .project import ProjectFile, Selection, TextSource, read_project
from .qdc import codes_element, xml_bytes
from .safezip import zip_bytes

FIXED_VARIABLES = ("group", "title", "date", "language")
MACHINE_NOTE = "Unreviewed machine suggestion by {coder} ({method}; {rule}): no person has checked it."


# -- finding a transcript's text ---------------------------------------------------


def transcript_file(store: Store, path: str) -> Path | None:
    """Where a stored transcript's file is: its path as tagged (from here), else beside the store."""
    stored = Path(path)
    for candidate in ([stored] if stored.is_absolute() else [stored, Path(store.path).parent / stored]):
        if candidate.is_file():
            return candidate
    return None


def stored_transcript(store: Store, path: str, digest: str):
    """The normalised text a stored transcript's offsets count, read again from its file
    (the store keeps turns, not the whole text) and checked against its hash."""
    found = transcript_file(store, path)
    if found is None:
        raise InputError(path, None, "the transcript file is not there; its text is needed "
                         "(run this where 'coding tag' ran, or tag again)")
    transcript = read_transcript(found)
    if transcript.content_hash != digest:
        raise InputError(path, None, "the file reads differently from when it was tagged (changed, or a "
                         "sheet read with options): run 'coding tag' first, so the codings' positions fit its text")
    return transcript


# -- export ------------------------------------------------------------------------


@dataclass
class ProjectExport:
    path: Path
    users: int
    codes: int
    sources: int
    accepted: int
    suggested: int
    variables: int
    cases: int


def user_guid(coder: str) -> str:
    return refi.guid("user", coder)


def user_name(coder: str) -> str:
    return f"{coder}{refi.MACHINE_USER_SUFFIX}" if is_machine(coder) else coder


def source_guid(path: str) -> str:
    return refi.guid("source", path)


def unit_key(path: str, start: int, end: int, code: str) -> tuple:
    return (path, int(start), int(end), code)


def export_project(store: Store, output: str | Path, rule: str = DEFAULT_RULE,
                   reviewed_only: bool = False) -> ProjectExport:
    """Write the store as a REFI-QDA project to `output` (.qdpx)."""
    stored = store.transcripts()
    transcripts = {row.path: stored_transcript(store, row.path, row.content_hash) for row in stored.itertuples()}
    codings = counted_codings(store, reviewed_only, rule)
    codings = codings[codings["transcript"].isin(list(transcripts))].sort_values(
        ["transcript", "segment_start", "segment_end", "code"])
    codes = store.codes()
    coders = sorted(set(store.codings()["coder"]))
    variables = _variables(transcripts.values())

    root = Element("Project", {"xmlns": refi.PROJECT_NS, "name": refi.xml_text(Path(store.path).stem),
                               "origin": refi.ORIGIN})
    if coders:
        users = SubElement(root, "Users")
        for coder in coders:
            SubElement(users, "User", {"guid": user_guid(coder), "name": refi.xml_text(user_name(coder)),
                                       "id": refi.xml_text(coder)})
    if not codes.empty:
        codes_element(SubElement(root, "CodeBook"), zip(codes["code"], codes["label"], codes["description"]))
    if variables:
        holder = SubElement(root, "Variables")
        for name in variables:
            SubElement(holder, "Variable", {"guid": refi.guid("variable", name), "name": refi.xml_text(name),
                                            "typeOfVariable": "Text"})
    cases = _cases(root, store, transcripts, codings, variables)
    members = []
    if transcripts:
        sources = SubElement(root, "Sources")
        for path, transcript in transcripts.items():
            members.append(_source(sources, path, transcript, codings[codings["transcript"] == path], variables))
    accepted = int((codings["status"] == "accepted").sum())
    suggested = int((codings["status"] == "suggested").sum())
    SubElement(root, "Description").text = refi.xml_text(
        f"Exported by {refi.ORIGIN} from {Path(store.path).name}: {accepted} codings accepted by a person and "
        f"{suggested} unreviewed machine suggestions, the codings that count under the rule '{rule}'"
        f"{' (reviewed only)' if reviewed_only else ''}. Machine suggestions are created by users named "
        f"'<coder>{refi.MACHINE_USER_SUFFIX}' and no person has checked them.")
    archive = zip_bytes([("project.qde", xml_bytes(root)), *members])
    refi.write_atomically(output, archive)
    return ProjectExport(Path(output), len(coders), len(codes), len(transcripts), accepted, suggested,
                         len(variables), cases)


def _values(transcript) -> dict[str, str]:
    values = {"group": transcript.group, "title": transcript.title, "date": transcript.date,
              "language": transcript.language, **transcript.attributes}
    return {name: str(value) for name, value in values.items() if str(value or "").strip()}


def _variables(transcripts) -> list[str]:
    names: dict[str, None] = {}
    for transcript in transcripts:
        for name in _values(transcript):
            names.setdefault(name, None)
    return list(names)


def _variable_values(parent: Element, values: dict[str, str], variables: list[str]) -> None:
    for name in variables:
        if name in values:
            value = SubElement(parent, "VariableValue")
            SubElement(value, "VariableRef", {"targetGUID": refi.guid("variable", name)})
            SubElement(value, "TextValue").text = refi.xml_text(values[name])


def _cases(root: Element, store: Store, transcripts: dict, codings: pd.DataFrame, variables: list[str]) -> int:
    """One Case per group: its attributes, its transcripts, and selections in turns of that
    group inside another group's transcript (a survey sheet of many groups)."""
    own_group = {path: t.group for path, t in transcripts.items()}
    groups = sorted(set(own_group.values()) | set(codings["group"]))
    if not groups:
        return 0
    attributes = {row["group"]: {k: str(v) for k, v in row.items() if k != "group" and pd.notna(v) and str(v)}
                  for row in store.groups().to_dict("records")}
    holder = SubElement(root, "Cases")
    for group in groups:
        case = SubElement(holder, "Case", {"guid": refi.guid("case", group), "name": refi.xml_text(group)})
        _variable_values(case, {"group": group, **attributes.get(group, {})}, variables)
        for path in (p for p, g in own_group.items() if g == group):
            SubElement(case, "SourceRef", {"targetGUID": source_guid(path)})
        elsewhere = codings[(codings["group"] == group) & (codings["transcript"].map(own_group) != group)]
        for row in elsewhere.itertuples():
            SubElement(case, "SelectionRef", {"targetGUID": refi.guid(
                "selection", *unit_key(row.transcript, row.segment_start, row.segment_end, row.code))})
    return len(groups)


def _source(sources: Element, path: str, transcript, codings: pd.DataFrame, variables: list[str]):
    guid = source_guid(path)
    source = SubElement(sources, "TextSource", {"guid": guid, "name": refi.xml_text(Path(path).name),
                                                "plainTextPath": f"internal://{guid}.txt"})
    if transcript.title:
        SubElement(source, "Description").text = refi.xml_text(transcript.title)
    for row in codings.itertuples():
        _selection(source, path, transcript.text, row)
    _variable_values(source, _values(transcript), variables)
    return f"sources/{guid}.txt", transcript.text.encode("utf-8")


def _selection(source: Element, path: str, text: str, row) -> None:
    start, end = int(row.segment_start), int(row.segment_end)
    if text[start:end] != row.quote:
        raise InputError(path, int(row.line), f"coding {row.coding_id}: its quote is not at {start}-{end} "
                         "of the text; run 'coding tag' so the store fits the file")
    key = unit_key(path, start, end, row.code)
    who = {"creatingUser": user_guid(row.coder)}
    when = refi.xml_time(row.created)
    if when:
        who["creationDateTime"] = when
    quote = " ".join(row.quote.split())
    name = quote if len(quote) <= 100 else quote[:99] + "…"
    selection = SubElement(source, "PlainTextSelection", {
        "guid": refi.guid("selection", *key), "name": refi.xml_text(name),
        "startPosition": str(start), "endPosition": str(end), **who})
    if row.status == "suggested":
        note = MACHINE_NOTE.format(coder=row.coder, method=row.method or "rule", rule=row.rule or "no rule")
    else:
        note = row.note or ""
    if note:
        SubElement(selection, "Description").text = refi.xml_text(note)
    coding = SubElement(selection, "Coding", {"guid": refi.guid("coding", *key), **who})
    SubElement(coding, "CodeRef", {"targetGUID": refi.code_guid(row.code)})


# -- import --------------------------------------------------------------------------


@dataclass
class Placement:
    """Where a matched source's text lies in a stored transcript, and how its positions
    (code points of the text as the other tool wrote it) map onto ours."""

    path: str
    raw: str
    text: str  # normalised
    shift: int  # where `text` starts in the stored transcript's text
    how: str  # "identical" or "inside"
    labels: list[int] = field(default_factory=list)  # offsets in `text` where a speaker label went in

    def __post_init__(self):
        self._crlf = [m.start() for m in re.finditer("\r\n", self.raw)]  # each becomes one "\n"

    def place(self, start: int, end: int) -> tuple[int, int] | str:
        """Our [start, end) for the other tool's, or why there is none."""
        if not 0 <= start < end <= len(self.raw):
            return f"positions {start}-{end} lie outside its text ({len(self.raw)} characters)"
        low, high = (start - bisect.bisect_left(self._crlf, start), end - bisect.bisect_left(self._crlf, end))
        quote = _normalised(self.raw[start:end]) or ""
        if self.text[low:high] != quote:  # NFC changed a length before it: find the quote itself
            found = [i for i in _occurrences(self.text, quote)]
            if not found:
                return f"the text at {start}-{end} is not in the normalised text"
            low = min(found, key=lambda i: abs(i - low))
            high = low + len(quote)
        width = len(PREFIX)
        low += width * bisect.bisect_right(self.labels, low)
        high += width * bisect.bisect_left(self.labels, high)
        return low + self.shift, high + self.shift


def _occurrences(text: str, part: str):
    index = text.find(part)
    while part and index >= 0:
        yield index
        index = text.find(part, index + 1)


def _normalised(text: str) -> str | None:
    try:
        return normalise(text.encode("utf-8"), "<source>")
    except InputError:
        return None


@dataclass
class ProjectImport:
    project: ProjectFile
    coder: str
    labels: list[str] = field(default_factory=list)  # each text source's name, by its index
    matched: dict[int, Placement] = field(default_factory=dict)  # source index -> placement
    unmatched: dict[int, str] = field(default_factory=dict)  # source index -> why
    imported: int = 0
    already: int = 0
    machine: int = 0  # the machine user's codings: nobody's decision, not taken
    problems: list[str] = field(default_factory=list)  # codings not imported, one line each
    undecided: int = 0  # machine suggestions of matched transcripts the file does not hold
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def source_label(source: TextSource, index: int) -> str:
    return source.name or source.guid or f"source {index + 1}"


def code_map(project: ProjectFile, codes: pd.DataFrame) -> dict[str, str]:
    """The file's code GUID -> our code id, for the codes we have."""
    ours = list(codes["code"])
    by_guid = {refi.code_guid(code): code for code in ours}
    by_name = {}
    for code, label in zip(codes["code"], codes["label"]):
        by_name.setdefault(code.casefold(), code)
        by_name.setdefault(" ".join(str(label).split()).casefold(), code)
    mapped = {}
    for entry in project.codes:
        found = (by_guid.get(entry.guid) or (entry.our_id if entry.our_id in ours else None)
                 or by_name.get(" ".join(entry.name.split()).casefold()) or by_name.get(refi.slug(entry.name)))
        if found and entry.guid:
            mapped[entry.guid] = found
    return mapped


def machine_users(project: ProjectFile) -> set[str]:
    """Users that stand for a machine coder: ours (named '<coder> (unreviewed suggestion)')."""
    return {key for key, user in project.users.items()
            if is_machine(user.id) or user.name.endswith(refi.MACHINE_USER_SUFFIX)}


class _Matcher:
    """Finds the stored transcript a source's text belongs to."""

    def __init__(self, store: Store | None):
        self.store = store
        self.stored = store.transcripts() if store is not None else pd.DataFrame(columns=["path", "content_hash"])
        self.by_hash: dict[str, str] = {}
        for row in self.stored.itertuples():
            self.by_hash.setdefault(row.content_hash, row.path)
        self._texts: dict[str, str] | None = None
        self.unreadable = 0

    def texts(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = {}
            for row in self.stored.itertuples():
                try:
                    self._texts[row.path] = stored_transcript(self.store, row.path, row.content_hash).text
                except InputError:
                    self.unreadable += 1
        return self._texts

    def match(self, source: TextSource) -> Placement | str:
        if source.text is None:
            return source.missing
        text = _normalised(source.text)
        if text is None:
            return "its text holds a NUL character: not text"
        if not text.strip():
            return "its text is empty"
        if self.store is None:
            return "there is no store to match it in"
        digest = content_hash(text)
        if digest in self.by_hash:
            return Placement(self.by_hash[digest], source.text, text, 0, "identical")
        body = text.strip()
        lead = len(text) - len(text.lstrip("\n"))
        labelled, inserted = label_headings(text.strip("\n"))  # as `--transcripts` wrote it
        for part, labels, start in ((body, [], text.index(body)),
                                    (labelled, [lead + i for i in inserted], lead)):
            holders = [(path, full) for path, full in self.texts().items() if full.count(part) == 1]
            if len(holders) == 1:
                path, full = holders[0]
                return Placement(path, source.text, text, full.index(part) - start, "inside", labels)
            if len(holders) > 1:
                return f"its text is in {len(holders)} stored transcripts ({', '.join(p for p, _ in holders[:3])})"
            if not inserted:
                break
        unread = f" ({self.unreadable} stored transcripts could not be read to compare)" if self.unreadable else ""
        return "no stored transcript has this text" + unread


def import_project(store: Store | None, source: str | Path, coder: str,
                   transcripts: str | Path | None = None) -> ProjectImport:
    """Bring the codings of a REFI-QDA project into the store as `coder`'s decisions (one
    transaction); with `transcripts`, write the text sources no stored transcript has as
    new Markdown transcripts there. `store` may be None when only writing transcripts."""
    from .newtranscripts import plan_transcripts, write_transcripts

    project = read_project(source)
    report = ProjectImport(project, coder)
    matcher = _Matcher(store)
    for index, text_source in enumerate(project.sources):
        found = matcher.match(text_source)
        report.labels.append(source_label(text_source, index))
        if isinstance(found, Placement):
            report.matched[index] = found
        else:
            report.unmatched[index] = found
    planned = []
    if transcripts is not None:
        unmatched = [project.sources[index] for index in report.unmatched]
        planned, notes = plan_transcripts(project, unmatched, Path(transcripts))
        report.notes.extend(notes)
    if store is not None:
        with store.atomic():
            _import_codings(store, project, report)
    if planned:
        report.written = write_transcripts(Path(transcripts), planned)
    return report


class _Decisions:
    """Writes one coder's codings through `review.decisions` (one piece per speaker turn,
    logged as `import`), skipping what the coder already coded."""

    def __init__(self, store: Store, coder: str):
        self.store, self.coder = store, coder
        codings = store.codings()
        mine = latest_per_coder(codings)
        mine = mine[(mine["coder"] == coder) & (mine["status"] == "accepted")]
        self.have = set(zip(mine["transcript"], mine["segment_start"], mine["segment_end"], mine["code"]))
        standing = current(codings)  # where each unit stood before the import, for the log
        self.before = dict(zip(zip(standing["transcript"], standing["segment_start"], standing["segment_end"],
                                   standing["code"]), standing["status"]))
        self.turns: dict[str, pd.DataFrame] = {}

    def add(self, path: str, start: int, end: int, code: str, note: str) -> int:
        """Code [start, end) of a stored transcript; returns how many codings were new
        (0: the coder had them all). A range outside the speech or taking in an
        interviewer's turn is an InputError, as for `coding add`."""
        if path not in self.turns:
            self.turns[path] = self.store.turns(path)
        pieces = decisions.passage(path, self.turns[path], chars=f"{start}-{end}")
        added = 0
        for turn, low, high in pieces:
            unit = unit_key(path, low, high, code)
            if unit in self.have:
                continue
            decisions.code_by_hand(self.store, path, turn, low, high, code, self.coder, note, action="import",
                                   before=self.before.get(unit, ""))
            self.have.add(unit)
            added += 1
        return added


def _import_codings(store: Store, project: ProjectFile, report: ProjectImport) -> None:
    codes = code_map(project, store.codes())
    names = {entry.guid: entry.name for entry in project.codes}
    machines = machine_users(project)
    writer = _Decisions(store, report.coder)
    in_file: set[tuple] = set()
    skipped: Counter = Counter()
    for index, text_source in enumerate(project.sources):
        label = report.labels[index]
        placement = report.matched.get(index)
        if placement is None:
            held = sum(len(s.codings) for s in text_source.selections)
            if held:
                skipped[(label, "its source is not matched")] += held
            continue
        if text_source.whole_codings:
            skipped[(label, "codes the whole source, not a passage: not imported")] += text_source.whole_codings
        by_machine = False
        for selection in text_source.selections:
            for coding in selection.codings:
                placed = placement.place(selection.start, selection.end)
                if (coding.user or selection.user) in machines:
                    by_machine = True
                    report.machine += 1
                    if coding.code in codes and not isinstance(placed, str):
                        in_file.add(unit_key(placement.path, *placed, codes[coding.code]))
                elif coding.code not in codes:
                    name = names.get(coding.code)
                    skipped[(label, f"code {name!r} is not in the store's codebook" if name
                             else "its code is not in the file's codebook")] += 1
                elif isinstance(placed, str):
                    skipped[(label, placed)] += 1
                else:
                    in_file.add(unit_key(placement.path, *placed, codes[coding.code]))
                    _add_one(writer, project, report, placement.path, placed, selection, coding,
                             codes[coding.code], label)
        if not by_machine:
            # people coded this source in the other tool with these codes: what they left
            # uncoded is their "not coded" (as for `coding import codings`)
            for code in sorted(set(codes.values())):
                store.cover(report.coder, placement.path, code, f"import {project.path.name}")
    report.problems.extend(f"{label}: {n} coding{'s' if n > 1 else ''}: {why}" for (label, why), n in skipped.items())
    report.undecided = _undecided(store, report, set(codes.values()), in_file)


def _note(project: ProjectFile, selection: Selection, coding) -> str:
    note = f"imported from {project.path.name}" + (f" ({project.origin})" if project.origin else "")
    user = project.users.get(coding.user or selection.user)
    who = " ".join(x for x in ((user.label if user else ""), coding.created or selection.created) if x)
    if who:
        note += f": coded by {who}"
    if selection.description:
        note += f"; note: {' '.join(selection.description.split())[:500]}"
    return note


def _add_one(writer: _Decisions, project, report, path: str, placed: tuple[int, int], selection: Selection,
             coding, code: str, label: str) -> None:
    try:
        added = writer.add(path, *placed, code, _note(project, selection, coding))
    except InputError as error:
        report.problems.append(f"{label} {selection.start}-{selection.end} ({code}): {error.problem}")
        return
    if added:
        report.imported += added
    else:
        report.already += 1


def _undecided(store: Store, report: ProjectImport, codes: set[str], in_file: set) -> int:
    """Machine suggestions still standing in the matched transcripts for the file's codes
    that the file does not hold: nobody decided them in the other tool."""
    paths = {placement.path for placement in report.matched.values()}
    if not paths or not codes:
        return 0
    standing = current(store.codings())
    open_ = standing[(standing["status"] == "suggested") & (standing["role"] == "participant")
                     & standing["transcript"].isin(paths) & standing["code"].isin(codes)]
    return sum(1 for row in open_.itertuples()
               if unit_key(row.transcript, row.segment_start, row.segment_end, row.code) not in in_file)
