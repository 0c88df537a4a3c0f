"""Reading a REFI-QDA project into plain records, leniently.

A project is a `.qdpx` zip holding `project.qde` (the XML) and a `sources/`
folder, or a bare `project.qde` whose `internal://` files are not with it. What
the standard requires and the file lacks (an empty `<Sets/>`, a GUID of the wrong
form) is a warning; what cannot be read at all (not a zip, not XML, not a
`<Project>`, a DTD, an unsafe archive) is one `InputError`. Only text sources
are read in full: pictures, PDFs, audio and video are counted, not imported.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import InputError
from . import refi, xml
from .qdc import CodeEntry, read_codes, standard_warnings
from .safezip import Archive, is_zip, read_file

OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
VALUES = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")


@dataclass(frozen=True)
class User:
    guid: str
    name: str
    id: str = ""

    @property
    def label(self) -> str:
        return self.name or self.id or self.guid


@dataclass(frozen=True)
class Coding:
    guid: str | None
    code: str | None  # the code's GUID
    user: str | None  # the creating user's GUID
    created: str = ""


@dataclass
class Selection:
    """A `PlainTextSelection`: code points [start, end) of its source's plain text."""

    guid: str | None
    name: str
    start: int
    end: int
    user: str | None
    created: str
    description: str
    codings: list[Coding] = field(default_factory=list)


@dataclass
class TextSource:
    guid: str | None
    name: str
    text: str | None  # the plain text as decoded (positions count its code points); None: not in the file
    missing: str = ""  # why `text` is None
    selections: list[Selection] = field(default_factory=list)
    whole_codings: int = 0  # codings of the whole source, not of a passage
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class Case:
    guid: str | None
    name: str
    sources: list[str]
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class ProjectFile:
    path: Path
    origin: str
    name: str
    users: dict[str, User]
    codes: list[CodeEntry]
    sources: list[TextSource]
    other_sources: dict[str, int]
    other_codings: int
    cases: list[Case]
    warnings: list[str]

    @property
    def selections(self) -> int:
        return sum(len(source.selections) for source in self.sources)

    @property
    def codings(self) -> int:
        return sum(len(s.codings) for source in self.sources for s in source.selections)


def read_project(path: str | Path) -> ProjectFile:
    """Read a `.qdpx` (zip) or a bare `.qde` (XML); hostile or foreign files are refused."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "no such file")
    if is_zip(path):
        with Archive(path) as archive:
            member = _project_member(archive)
            root = xml.parse(archive.read(member), path, member)
            return _project(root, path, archive)
    data = read_file(path)
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise InputError(path, None, "not a REFI-QDA project: neither a .qdpx zip archive nor project XML")
    return _project(xml.parse(data, path, "the project"), path, None)


def _project_member(archive: Archive) -> str:
    found = archive.find("project.qde")
    if found:
        return found
    others = [name for name in archive.names if "/" not in name and name.lower().endswith(".qde")]
    if len(others) == 1:
        return others[0]
    raise InputError(archive.path, None, "not a REFI-QDA project: the archive has no project.qde")


def _project(root: Element, path: Path, archive: Archive | None) -> ProjectFile:
    if xml.local(root.tag) != "Project":
        raise InputError(path, None, f"not a REFI-QDA project: the root element is <{xml.local(root.tag)}>, "
                         "not <Project>")
    warnings = standard_warnings(root, refi.PROJECT_NS)
    users = {}
    for element in _all(root, "Users", "User"):
        key = refi.same_guid(element.get("guid"))
        if key:
            users[key] = User(key, (element.get("name") or "").strip(), (element.get("id") or "").strip())
    codebook = xml.kid(root, "CodeBook")
    codes = read_codes(xml.kid(codebook, "Codes") if codebook is not None else None, warnings)
    variables = {refi.same_guid(v.get("guid")): (v.get("name") or "").strip()
                 for v in _all(root, "Variables", "Variable")}
    sources_element = xml.kid(root, "Sources")
    sources, others, other_codings = [], {}, 0
    reader = _SourceReader(path, archive, variables, warnings)
    for element in (list(sources_element) if sources_element is not None else []):
        kind = xml.local(element.tag)
        if kind == "TextSource":
            sources.append(reader.text_source(element))
        elif kind in OTHER_SOURCES:
            others[kind] = others.get(kind, 0) + 1
            other_codings += sum(1 for e in element.iter() if xml.local(e.tag) == "Coding")
    reader.report()
    cases = [Case(refi.same_guid(c.get("guid")), (c.get("name") or "").strip(),
                  [refi.same_guid(r.get("targetGUID")) for r in xml.kids(c, "SourceRef")],
                  _values(c, variables)) for c in _all(root, "Cases", "Case")]
    known = {code.guid for code in codes}
    dangling = sum(1 for s in sources for sel in s.selections for c in sel.codings if c.code not in known)
    if dangling:
        warnings.append(f"{dangling} codings refer to a code the file's codebook does not have")
    return ProjectFile(path, root.get("origin") or "", root.get("name") or "", users, codes, sources, others,
                       other_codings, cases, warnings)


def _all(root: Element, container: str, name: str) -> list[Element]:
    holder = xml.kid(root, container)
    return list(xml.kids(holder, name)) if holder is not None else []


def _values(element: Element, variables: dict) -> dict[str, str]:
    """{variable name: value as text} of an element's `<VariableValue>`s."""
    values = {}
    for value in xml.kids(element, "VariableValue"):
        ref = xml.kid(value, "VariableRef")
        name = variables.get(refi.same_guid(ref.get("targetGUID")) if ref is not None else None)
        held = next((child for child in value if xml.local(child.tag) in VALUES), None)
        if name and held is not None:
            values[name] = xml.text_of(held).strip()
    return values


class _SourceReader:
    """Reads text sources, their plain text and their selections; counts what it skips."""

    def __init__(self, path: Path, archive: Archive | None, variables: dict, warnings: list[str]):
        self.path, self.archive, self.variables, self.warnings = path, archive, variables, warnings
        self.bad_selections = 0
        self.bad_codings = 0

    def text_source(self, element: Element) -> TextSource:
        text, missing = self._text(element)
        source = TextSource(refi.same_guid(element.get("guid")), (element.get("name") or "").strip(), text, missing,
                            variables=_values(element, self.variables))
        for selection in xml.kids(element, "PlainTextSelection"):
            read = self._selection(selection)
            if read is not None:
                source.selections.append(read)
        source.whole_codings = sum(1 for _ in xml.kids(element, "Coding"))
        return source

    def _text(self, element: Element) -> tuple[str | None, str]:
        content = xml.kid(element, "PlainTextContent")
        if content is not None:
            return xml.text_of(content), ""
        where = (element.get("plainTextPath") or "").strip()
        if not where:
            return None, "the source has neither plain text nor a plainTextPath"
        if not where.lower().startswith("internal://"):
            return None, f"its text is outside the project ({where}); only internal:// files are read"
        name = posixpath.normpath(where[len("internal://"):].lstrip("/"))
        if name.startswith("..") or name.startswith("/"):
            return None, f"refused the path {where!r}, which climbs out of the project"
        if self.archive is None:
            return None, f"its text ({where}) is not in a bare .qde; export a .qdpx, which carries it"
        member = self.archive.find(f"sources/{name}")
        if member is None:
            return None, f"the archive has no sources/{name}"
        data = self.archive.read(member)
        try:
            return data.decode("utf-8-sig"), ""
        except UnicodeDecodeError:
            return None, f"sources/{name} is not UTF-8 text"

    def _selection(self, element: Element) -> Selection | None:
        try:
            start, end = int(element.get("startPosition", "")), int(element.get("endPosition", ""))
        except ValueError:
            self.bad_selections += 1
            return None
        codings = []
        for coding in xml.kids(element, "Coding"):
            ref = xml.kid(coding, "CodeRef")
            code = refi.same_guid(ref.get("targetGUID")) if ref is not None else None
            if code is None:
                self.bad_codings += 1
                continue
            codings.append(Coding(refi.same_guid(coding.get("guid")), code,
                                  refi.same_guid(coding.get("creatingUser") or element.get("creatingUser")),
                                  coding.get("creationDateTime") or ""))
        return Selection(refi.same_guid(element.get("guid")), (element.get("name") or "").strip(), start, end,
                         refi.same_guid(element.get("creatingUser")), element.get("creationDateTime") or "",
                         xml.text_of(xml.kid(element, "Description")).strip(), codings)

    def report(self) -> None:
        if self.bad_selections:
            self.warnings.append(f"{self.bad_selections} text selections have no whole-number start and end: skipped")
        if self.bad_codings:
            self.warnings.append(f"{self.bad_codings} codings have no CodeRef to a code GUID: skipped")
