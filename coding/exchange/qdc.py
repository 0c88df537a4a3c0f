"""The codebook as a REFI-QDA codebook (`.qdc`), both ways.

Export: every code of `codebook.yaml` as a `Code` with name = label, its
description ending with `coding id: <id>`, and a GUID derived from the id
(`refi.code_guid`), so exporting twice gives the same bytes.

Import: a `.qdc` (or the codebook inside a `.qdpx` / `project.qde`) becomes a new
`codebook.yaml`. REFI-QDA codes nest; ours do not, so the tree is flattened in
document order, each code's parents named in its description. Ids come from the
`coding id:` line when there is one, else from the name (`refi.slug`, made unique
with `_2`, `_3`). Each code gets its own name as its one term: a starting point
to edit, since other tools have no terms.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from ..codebook import load_codebook
from ..errors import InputError
from . import refi, xml
from .safezip import is_zip, read_file

CONTAINERS = {"Codes": "Code", "Sets": "Set", "Users": "User", "Sources": "a source", "Cases": "Case",
              "Variables": "Variable", "Notes": "Note", "Links": "Link", "Graphs": "Graph"}


@dataclass(frozen=True)
class CodeEntry:
    """One code as another tool wrote it; `parents` are the names of the codes above it."""

    guid: str | None
    name: str
    description: str
    parents: tuple[str, ...] = ()
    codable: bool = True

    @property
    def our_id(self) -> str | None:
        """The id written by `coding export`, if this code came from us."""
        return refi.split_description(self.description)[1]


@dataclass
class CodebookImport:
    output: Path
    origin: str
    codes: list[tuple[str, CodeEntry]] = field(default_factory=list)  # (our id, code)
    warnings: list[str] = field(default_factory=list)

    @property
    def nested(self) -> int:
        return sum(1 for _, code in self.codes if code.parents)


# -- export ---------------------------------------------------------------------


def codes_element(parent: Element, codes) -> Element:
    """`<Codes>` with one `<Code>` per (id, label, description), under `parent`."""
    element = SubElement(parent, "Codes")
    for code_id, label, description in codes:
        code = SubElement(element, "Code", {"guid": refi.code_guid(code_id), "name": refi.xml_text(label),
                                            "isCodable": "true"})
        SubElement(code, "Description").text = refi.xml_text(refi.code_description(code_id, description))
    return element


def xml_bytes(root: Element) -> bytes:
    indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def codebook_xml(codes) -> bytes:
    """The `.qdc` document for (id, label, description) triples."""
    codes = list(codes)
    if not codes:
        raise InputError(None, None, "no codes to export: a REFI-QDA codebook needs at least one")
    root = Element("CodeBook", {"xmlns": refi.CODEBOOK_NS, "origin": refi.ORIGIN})
    codes_element(root, codes)
    return xml_bytes(root)


def export_codebook(codebook: str | Path, output: str | Path) -> int:
    """Write the codebook file's codes to `output` (.qdc); returns how many."""
    book = load_codebook(codebook)
    refi.write_atomically(output, codebook_xml((c.id, c.label, c.description) for c in book.codes))
    return len(book.codes)


# -- reading another tool's codes --------------------------------------------------


def read_codes(codes: Element | None, warnings: list[str]) -> list[CodeEntry]:
    """Every `<Code>` under `<Codes>`, depth first in document order (parents first)."""
    found: list[CodeEntry] = []
    if codes is None:
        return found
    stack = [(child, ()) for child in reversed(list(xml.kids(codes, "Code")))]
    nameless = 0
    while stack:
        element, parents = stack.pop()
        name = (element.get("name") or "").strip()
        if not name:
            nameless += 1
            name = f"code {len(found) + 1}"
        entry = CodeEntry(guid=refi.same_guid(element.get("guid")), name=name,
                          description=xml.text_of(xml.kid(element, "Description")),
                          parents=parents, codable=(element.get("isCodable") or "true").strip() != "false")
        found.append(entry)
        stack.extend((child, parents + (name,)) for child in reversed(list(xml.kids(element, "Code"))))
    if nameless:
        warnings.append(f"{nameless} codes have no name (the standard requires one): named 'code N'")
    return found


def standard_warnings(root: Element, expected_ns: str) -> list[str]:
    """What the schema would refuse that we can read anyway: another namespace, empty
    containers, GUIDs of the wrong form or used twice."""
    warnings = []
    if xml.namespace(root) != expected_ns:
        warnings.append(f"the namespace is {xml.namespace(root) or 'missing'!r}, not {expected_ns!r}")
    empty = sorted({xml.local(e.tag) for e in root.iter() if xml.local(e.tag) in CONTAINERS and len(e) == 0})
    for name in empty:
        warnings.append(f"empty <{name}> (the standard needs at least one {CONTAINERS[name]} in it)")
    guids = [e.get("guid") for e in root.iter() if e.get("guid") is not None]
    bad = sum(1 for g in guids if refi.same_guid(g) is None)
    if bad:
        warnings.append(f"{bad} GUIDs are not of the form the standard requires")
    normal = [refi.same_guid(g) for g in guids if refi.same_guid(g)]
    twice = len(normal) - len(set(normal))
    if twice:
        warnings.append(f"{twice} GUIDs are used more than once")
    return warnings


def read_codebook(path: str | Path) -> tuple[str, list[CodeEntry], list[str]]:
    """(origin, codes, warnings) of a `.qdc`, or of the codebook in a `.qdpx` / `.qde`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "no such file")
    if is_zip(path):
        from .project import read_project

        project = read_project(path)
        return project.origin, project.codes, project.warnings
    root = xml.parse(read_file(path), path, "the codebook")
    if xml.local(root.tag) == "Project":
        from .project import read_project

        project = read_project(path)
        return project.origin, project.codes, project.warnings
    if xml.local(root.tag) != "CodeBook":
        raise InputError(path, None, f"not a REFI-QDA codebook: the root element is <{xml.local(root.tag)}>, "
                         "not <CodeBook>")
    warnings = standard_warnings(root, refi.CODEBOOK_NS)
    codes = read_codes(xml.kid(root, "Codes"), warnings)
    return root.get("origin") or "", codes, warnings


# -- import: a new codebook.yaml -----------------------------------------------------


def assign_ids(codes: list[CodeEntry]) -> list[tuple[str, CodeEntry]]:
    """Our id for each code: its `coding id:` line if it has one and it is free, else a
    slug of its name, made unique."""
    taken: set[str] = set()
    marked = {}
    for index, code in enumerate(codes):
        if code.our_id and code.our_id not in taken:
            taken.add(code.our_id)
            marked[index] = code.our_id
    return [(marked.get(i) or refi.unique(refi.slug(code.name), taken), code) for i, code in enumerate(codes)]


# YAML 1.2 cannot hold these raw even in a quoted string (or reads them as line breaks).
_YAML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (JSON's escapes are YAML's), readable in any script."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def codebook_yaml(codes: list[tuple[str, CodeEntry]], source: Path, origin: str) -> str:
    lines = [f"# Imported by 'coding import qdc' from {source.name}" + (f" ({origin})" if origin else "") + ".",
             "# REFI-QDA codebooks have no terms: each code's name is its one term for now.",
             "# Add terms, patterns and exclude phrases before tagging; check with 'coding codebook check'.",
             "version: 1",
             "shared_min_groups: 6",
             "codes:"]
    for code_id, code in codes:
        description, _ = refi.split_description(code.description)
        if code.parents:
            under = "Under " + " > ".join(code.parents) + "."
            description = f"{description} ({under})" if description else under
        lines += [f"  - id: {code_id}",
                  f"    label: {yaml_string(code.name)}",
                  f"    description: {yaml_string(' '.join(description.split()))}",
                  f"    terms: [{yaml_string(' '.join(code.name.split()))}]"]
    return "\n".join(lines) + "\n"


def import_codebook(source: str | Path, output: str | Path = "codebook.yaml") -> CodebookImport:
    """Write the codes of a REFI-QDA codebook (or project) to a new codebook YAML file."""
    source, output = Path(source), Path(output)
    if output.exists():
        raise InputError(output, None, "already exists; give --output a new file name "
                         "(importing over it would drop its terms and rules)")
    origin, codes, warnings = read_codebook(source)
    if not codes:
        raise InputError(source, None, "the codebook has no codes")
    named = assign_ids(codes)
    text = codebook_yaml(named, source, origin)
    data = text.encode("utf-8")
    # our own output must load before it takes the name (no patterns written: spaCy not needed)
    refi.write_atomically(output, data, check=lambda temporary: load_codebook(
        temporary, validated={hashlib.sha256(data).hexdigest()}))
    report = CodebookImport(output, origin, named, warnings)
    uncodable = sum(1 for code in codes if not code.codable)
    if uncodable:
        report.warnings.append(f"{uncodable} codes are marked not codable (categories): imported as codes")
    return report
