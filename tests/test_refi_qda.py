"""REFI-QDA exchange: codebooks (.qdc) and projects (.qdpx) out and in.

Every export is validated against the official schemas in ../shared/refi-qda/ with
xmlschema, and checked for what a schema cannot say (unique GUIDs, every reference
resolves, offsets cut out exactly the stored quote). Real files from ATLAS.ti, NVivo
and Taguette are imported; hostile files are refused in one line with nothing written.
"""
import hashlib
import re
import shutil
import stat
import unicodedata
import uuid
import zipfile
from contextlib import closing
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema

from coding.cli import app
from coding.codebook import load_codebook
from coding.errors import InputError
from coding.exchange import refi, safezip
from coding.exchange.newtranscripts import file_name
from coding.exchange.project import TextSource, read_project
from coding.exchange.qdc import export_codebook, import_codebook, read_codebook
from coding.exchange.qdpx import export_project, import_project
from coding.read import content_hash
from coding.report.tables import counted_codings
from coding.review import decisions
from coding.store import Store
from coding.tagging import tag

from .conftest import CODEBOOK, SHARED, write_transcript

REFI = SHARED / "refi-qda"
EXAMPLES = REFI / "examples"
P = "{urn:QDA-XML:project:1.0}"


@pytest.fixture(scope="module")
def project_schema():
    return xmlschema.XMLSchema(str(REFI / "Project-mrt2019.xsd"))


@pytest.fixture(scope="module")
def codebook_schema():
    return xmlschema.XMLSchema(str(REFI / "Codebook-mrt2019.xsd"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def project_xml(qdpx: Path) -> tuple[ElementTree.Element, zipfile.ZipFile]:
    archive = zipfile.ZipFile(qdpx)
    return ElementTree.fromstring(archive.read("project.qde")), archive


def selections(qdpx: Path) -> set[tuple]:
    """(source text hash, start, end, code GUID, made by a machine user) of every coding."""
    root, archive = project_xml(qdpx)
    machine = {u.get("guid") for u in root.iter(P + "User") if u.get("name").endswith("(unreviewed suggestion)")}
    found = set()
    for source in root.iter(P + "TextSource"):
        text = archive.read("sources/" + source.get("plainTextPath")[len("internal://"):]).decode("utf-8")
        for selection in source.iter(P + "PlainTextSelection"):
            for coding in selection.iter(P + "Coding"):
                found.add((content_hash(text), int(selection.get("startPosition")), int(selection.get("endPosition")),
                           coding.find(P + "CodeRef").get("targetGUID"), coding.get("creatingUser") in machine))
    return found


def zip_of(path: Path, members: dict) -> Path:
    """A zip of {name or ZipInfo: bytes}."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def foreign_project(sources: list[tuple[str, str, str, list[tuple[int, int, str, str]]]],
                    codes=("Legal support",), users=("Jo",), cases=()) -> bytes:
    """project.qde for (guid, name, plain text path, [(start, end, code name, user name)])."""
    code_guid = {name: str(uuid.uuid4()) for name in codes}
    user_guid = {name: str(uuid.uuid4()) for name in users}
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             '<Project xmlns="urn:QDA-XML:project:1.0" name="other" origin="OtherTool 1.0"><Users>']
    parts += [f'<User guid="{g}" name="{n}"/>' for n, g in user_guid.items()]
    parts += ["</Users><CodeBook><Codes>"]
    parts += [f'<Code guid="{g}" name="{n}" isCodable="true"/>' for n, g in code_guid.items()]
    parts += ["</Codes></CodeBook>"]
    if cases:
        parts += ["<Cases>"] + [f'<Case guid="{uuid.uuid4()}" name="{name}"><SourceRef targetGUID="{guid}"/></Case>'
                                for name, guid in cases] + ["</Cases>"]
    parts += ["<Sources>"]
    for guid, name, path, coded in sources:
        parts.append(f'<TextSource guid="{guid}" name="{name}" plainTextPath="{path}">')
        for start, end, code, user in coded:
            parts.append(f'<PlainTextSelection guid="{uuid.uuid4()}" startPosition="{start}" endPosition="{end}" '
                         f'creatingUser="{user_guid[user]}"><Coding guid="{uuid.uuid4()}" '
                         f'creatingUser="{user_guid[user]}"><CodeRef targetGUID="{code_guid[code]}"/></Coding>'
                         "</PlainTextSelection>")
        parts.append("</TextSource>")
    parts.append("</Sources></Project>")
    return "".join(parts).encode("utf-8")


# -- codebooks -------------------------------------------------------------------------


def test_codebook_export_validates_is_stable_and_keeps_our_ids(tmp_path, codebook_schema):
    first, second = tmp_path / "a.qdc", tmp_path / "b.qdc"
    assert export_codebook(CODEBOOK, first) == 10
    export_codebook(CODEBOOK, second)
    assert first.read_bytes() == second.read_bytes()
    codebook_schema.validate(str(first))
    root = ElementTree.parse(first).getroot()
    codes = root.findall("{urn:QDA-XML:codebook:1.0}Codes/{urn:QDA-XML:codebook:1.0}Code")
    legal = next(c for c in codes if c.get("name") == "Legal support")
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.qdasoftware.org/#coding")
    assert legal.get("guid") == str(uuid.uuid5(namespace, "code\x1flegal_support")).upper()
    assert legal.find("{urn:QDA-XML:codebook:1.0}Description").text == "Legal support\n\ncoding id: legal_support"
    assert len({c.get("guid") for c in codes}) == 10


def test_codebook_round_trip_gives_back_ids_labels_descriptions(tmp_path):
    export_codebook(CODEBOOK, tmp_path / "book.qdc")
    report = import_codebook(tmp_path / "book.qdc", tmp_path / "back.yaml")
    original, back = load_codebook(CODEBOOK), load_codebook(tmp_path / "back.yaml")
    assert [(c.id, c.label, c.description) for c in back.codes] == [
        (c.id, c.label, c.description) for c in original.codes]
    assert back.code("collaboration").terms == ("Facilitate collaboration",)
    assert report.warnings == [] and len(report.codes) == 10


def test_taguette_codebook_fails_the_schema_and_imports_leniently(tmp_path, codebook_schema, runner, monkeypatch):
    source = EXAMPLES / "codebook.qdc"
    assert not codebook_schema.is_valid(str(source))  # its empty <Sets/>
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["import", "qdc", str(source)])
    assert result.exit_code == 0, result.output
    assert f"warning: {source}: empty <Sets> (the standard needs at least one Set in it); read leniently" in result.output
    assert "wrote codebook.yaml: 3 codes from" in result.output and "(Taguette 1.4.1)" in result.output
    book = load_codebook(tmp_path / "codebook.yaml")
    assert [(c.id, c.label) for c in book.codes] == [
        ("xsd_element_name", "xsd:element name"), ("codebook", "CodeBook"), ("variables", "Variables")]
    again = runner.invoke(app, ["import", "qdc", str(source)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert len(again.output.strip().splitlines()) == 1


def test_nested_nvivo_codebook_is_flattened_with_unique_ids(tmp_path):
    qde = zipfile.ZipFile(EXAMPLES / "nvivo_project.qdpx").read("project.qde").decode("utf-8")
    assert qde.count("<Code ") == 262
    origin, codes, warnings = read_codebook(EXAMPLES / "nvivo_project.qdpx")
    assert origin == "NVivo for Mac 15.0.0" and len(codes) == 262 and warnings == []
    assert sum(1 for c in codes if not c.parents) == 3
    report = import_codebook(EXAMPLES / "nvivo_project.qdpx", tmp_path / "nvivo.yaml")
    book = load_codebook(tmp_path / "nvivo.yaml")
    assert len(book.codes) == 262 and report.nested == 259
    assert book.code("programming").description == "Under rq1_definition > competencies."
    assert book.code("programming_2").description == "Under rq1_definition > framings > cs_as_programming."


def test_atlas_code_names_become_ids(tmp_path):
    import_codebook(EXAMPLES / "Project.qde", tmp_path / "atlas.yaml")
    book = load_codebook(tmp_path / "atlas.yaml")
    assert book.ids == ["happiness", "feelings", "disgust", "waste_of_time", "coke_full-fat_coke", "coke_diet_coke",
                        "coke", "milk", "serene", "bacon_and_eggs", "sleepy", "breakfast_food", "cornflakes", "rushed"]
    assert book.code("coke_diet_coke").description == "non sucré"


# -- projects: export ---------------------------------------------------------------------


def decide_some(store) -> dict:
    """mira accepts three participants' suggestions (one with a note) and codes a passage by hand."""
    rows = store.codings()
    picked = rows[(rows["role"] == "participant") & (rows["coder"] == "auto")].head(3)
    for n, row in enumerate(picked.itertuples()):
        decisions.decide(store, int(row.coding_id), "accept", "mira", note="clear need" if n == 0 else "")
    added = decisions.add(store, "G03", "new_initiatives", "mira", lines="56-57", note="a paraphrase")
    return {"accepted": [int(i) for i in picked["coding_id"]], "added": added}


def test_project_export_validates_and_everything_resolves(store, tmp_path, project_schema):
    decide_some(store)
    out = tmp_path / "project.qdpx"
    summary = export_project(store, out)
    counted = counted_codings(store)
    assert (summary.accepted, summary.suggested) == ((counted["status"] == "accepted").sum(),
                                                      (counted["status"] == "suggested").sum())
    assert summary.accepted == 4 and summary.sources == 17 and summary.users == 2 and summary.codes == 10
    root, archive = project_xml(out)
    project_schema.validate(archive.read("project.qde").decode("utf-8"))
    assert archive.namelist()[0] == "project.qde"

    guids = [e.get("guid") for e in root.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))
    by_kind = {kind: {e.get("guid") for e in root.iter(P + kind)}
               for kind in ("User", "Code", "Variable", "TextSource", "PlainTextSelection")}
    for ref, kind in (("CodeRef", "Code"), ("VariableRef", "Variable"), ("SourceRef", "TextSource"),
                      ("SelectionRef", "PlainTextSelection")):
        assert {e.get("targetGUID") for e in root.iter(P + ref)} <= by_kind[kind]
    assert {e.get("creatingUser") for e in root.iter() if e.get("creatingUser")} <= by_kind["User"]
    users = {u.get("guid"): u.get("name") for u in root.iter(P + "User")}
    assert sorted(users.values()) == ["auto (unreviewed suggestion)", "mira"]

    quotes = {(Path(r.transcript).name, r.segment_start, r.segment_end, r.code): r for r in counted.itertuples()}
    codes = {c.get("guid"): re.search(r"coding id: (\S+)$", c.find(P + "Description").text)[1]
             for c in root.iter(P + "Code")}
    cut = 0
    for source in root.iter(P + "TextSource"):
        text = archive.read("sources/" + source.get("plainTextPath")[len("internal://"):]).decode("utf-8")
        for selection in source.iter(P + "PlainTextSelection"):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            coding = selection.find(P + "Coding")
            row = quotes[(source.get("name"), start, end, codes[coding.find(P + "CodeRef").get("targetGUID")])]
            assert text[start:end] == row.quote
            maker = users[coding.get("creatingUser")]
            assert maker == ("mira" if row.status == "accepted" else "auto (unreviewed suggestion)")
            assert coding.get("creationDateTime") == refi.xml_time(row.created)
            if row.status == "suggested":
                assert selection.find(P + "Description").text.startswith("Unreviewed machine suggestion by auto")
            cut += 1
    assert cut == len(counted) == 265
    noted = [s for s in root.iter(P + "PlainTextSelection") if (s.findtext(P + "Description") or "") == "clear need"]
    assert len(noted) == 1
    g07 = next(c for c in root.iter(P + "Case") if c.get("name") == "G07")
    values = {v.find(P + "VariableRef").get("targetGUID"): v.findtext(P + "TextValue") for v in g07.iter(P + "VariableValue")}
    names = {v.get("guid"): v.get("name") for v in root.iter(P + "Variable")}
    assert {names[k]: v for k, v in values.items()} == {"group": "G07", "region": "Region East", "hub_type": "regional"}


def test_exporting_twice_gives_the_same_bytes(bundled_store, tmp_path):
    export_project(bundled_store, tmp_path / "a.qdpx")
    export_project(bundled_store, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_offsets_are_code_points_of_the_normalised_text(tmp_path, project_schema):
    """An emoji (2 UTF-16 units, 4 UTF-8 bytes), a decomposed é and CRLF before the quote."""
    body = ("Interviewer: Welcome 😀 to caf\u0065\u0301 talk.\r\n\r\n"
            "Ana: I smile 😀😀. We really need legal advice we can trust.\r\n")
    write_transcript(tmp_path, "E01.md", body, group="E01")
    db = tmp_path / "e.db"
    tag([tmp_path / "E01.md"], CODEBOOK, db)
    with closing(Store.open(db)) as store:
        export_project(store, tmp_path / "e.qdpx")
        (row,) = counted_codings(store).itertuples()
    root, archive = project_xml(tmp_path / "e.qdpx")
    project_schema.validate(archive.read("project.qde").decode("utf-8"))
    text = archive.read(archive.namelist()[1]).decode("utf-8")
    assert "\r" not in text and "café" in text
    selection = next(root.iter(P + "PlainTextSelection"))
    start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
    assert text[start:end] == row.quote == "We really need legal advice we can trust."
    assert len(text[:start].encode("utf-16-le")) // 2 == start + text[:start].count("😀")
    # another tool's copy, decomposed (NFD) with CRLF: its positions map back onto ours
    theirs = unicodedata.normalize("NFD", text).replace("\n", "\r\n")
    begin = theirs.index(row.quote)
    assert begin == start + 1 + text[:start].count("\n")  # é is two code points there, each LF two
    qde = foreign_project([("3F2504E0-4F89-41D3-9A0C-0305E82C3301", "E01", "internal://e.txt",
                            [(begin, begin + len(row.quote), "Legal support", "Jo")])])
    qdpx = zip_of(tmp_path / "nfd.qdpx", {"project.qde": qde, "sources/e.txt": theirs.encode("utf-8")})
    with closing(Store.open(db)) as store:
        report = import_project(store, qdpx, "bob")
        assert (report.imported, report.problems) == (1, [])
        (bobs,) = store.codings("WHERE c.coder = 'bob'").itertuples()
    assert (bobs.segment_start, bobs.segment_end, bobs.quote) == (start, end, row.quote)


# -- projects: import ---------------------------------------------------------------------


def test_round_trip_export_import_export_gives_the_same_codings(bundled_db, tmp_path, runner):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    shutil.copy(bundled_db, first)
    shutil.copy(bundled_db, second)  # tagged, with nobody's decisions yet
    with closing(Store.open(first)) as store:
        decide_some(store)
        export_project(store, tmp_path / "a.qdpx")
    result = runner.invoke(app, ["import", "qdpx", str(tmp_path / "a.qdpx"), "--coder", "bob", "--db", str(second)])
    assert result.exit_code == 0, result.output
    assert "matched 17 of 17 text sources to stored transcripts (17 with the same text" in result.output
    assert ("imported 4 codings into" in result.output and "as bob; 0 already coded by bob; "
            "261 unreviewed machine suggestions in the file not taken as decisions" in result.output)
    with closing(Store.open(second)) as store:
        bobs = store.codings()
        bobs = bobs[bobs["coder"] == "bob"]
        assert len(bobs) == 4 and set(bobs["status"]) == {"accepted"}
        assert bobs["note"].str.startswith("imported from a.qdpx (coding ").all()
        assert (store.log_entries()["action"] == "import").sum() == 4
        export_project(store, tmp_path / "b.qdpx")
    exported, again = selections(tmp_path / "a.qdpx"), selections(tmp_path / "b.qdpx")
    assert len(exported) == 265 and sum(1 for s in exported if not s[4]) == 4
    assert again == exported
    twice = runner.invoke(app, ["import", "qdpx", str(tmp_path / "a.qdpx"), "--coder", "bob", "--db", str(second)])
    assert "imported 0 codings" in twice.output and "4 already coded by bob" in twice.output


def test_a_rejected_suggestion_stays_undecided_in_the_other_store_and_is_reported(bundled_db, tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    shutil.copy(bundled_db, first)
    shutil.copy(bundled_db, second)
    with closing(Store.open(first)) as store:
        rows = store.codings()
        rejected = rows[(rows["role"] == "participant") & (rows["code"] == "legal_support")].head(2)
        for coding_id in rejected["coding_id"]:
            decisions.decide(store, int(coding_id), "reject", "mira")
        export_project(store, tmp_path / "a.qdpx")
    with closing(Store.open(second)) as store:
        report = import_project(store, tmp_path / "a.qdpx", "bob")
    assert (report.imported, report.machine, report.undecided) == (0, 262, 2)


def test_real_atlas_project_is_read_and_its_missing_texts_reported(store, project_schema):
    source = EXAMPLES / "Project.qde"
    assert project_schema.is_valid(str(source))
    project = read_project(source)
    assert (len(project.users), len(project.codes), len(project.sources)) == (3, 14, 6)
    assert (project.selections, project.codings) == (6, 7)
    assert project.other_sources == {"PictureSource": 1, "PDFSource": 2, "AudioSource": 1, "VideoSource": 2}
    assert project.warnings == ["2 GUIDs are used more than once"]
    before = len(store.codings())
    report = import_project(store, source, "bob")
    assert report.imported == 0 and len(report.unmatched) == 6
    assert all("is not in a bare .qde" in why for why in report.unmatched.values())
    assert sorted(report.problems) == ["1994 Diet Coke-Diet Coke Break.docx: 1 coding: its source is not matched",
                                       "Mabel.txt: 3 codings: its source is not matched",
                                       "Simon.docx: 3 codings: its source is not matched"]
    assert len(store.codings()) == before


def test_real_nvivo_project_is_read(store, tmp_path, project_schema):
    source = EXAMPLES / "nvivo_project.qdpx"
    assert project_schema.is_valid(zipfile.ZipFile(source).read("project.qde").decode("utf-8"))
    project = read_project(source)
    assert [u.name for u in project.users.values()] == ["chrisp", "cp"]
    assert (len(project.codes), len(project.sources), project.selections) == (262, 2, 0)
    assert [s.text for s in project.sources] == ["\n", "\n"]
    report = import_project(store, source, "bob", tmp_path / "new")
    assert set(report.unmatched.values()) == {"its text is empty"}
    assert report.imported == 0 and report.written == [] and not (tmp_path / "new").exists()


def test_crlf_positions_of_another_tool_map_onto_our_text(store, tmp_path):
    """Another tool counted positions in its own copy of G07 with CRLF line ends."""
    path = store.transcripts().set_index("group").loc["G07", "path"]
    text = Path(path).read_text(encoding="utf-8")
    theirs = text.replace("\n", "\r\n")
    quote = "We really need legal advice we can trust"
    start = theirs.index(quote)
    assert start != text.index(quote)
    qde = foreign_project([("5E8AF3A9-59A1-4B2B-8DA3-0B0E6E2C3A11", "G07 interview", "internal://g07.txt",
                            [(start, start + len(quote), "Legal support", "Jo")])])
    qdpx = zip_of(tmp_path / "other.qdpx", {"project.qde": qde, "sources/g07.txt": theirs.encode("utf-8")})
    report = import_project(store, qdpx, "bob")
    assert report.imported == 1 and report.problems == []
    (row,) = store.codings("WHERE c.coder = 'bob'").itertuples()
    assert row.quote == quote and row.code == "legal_support" and row.segment_start == text.index(quote)
    assert row.note == "imported from other.qdpx (OtherTool 1.0): coded by Jo"
    assert set(store.coverage().query("coder == 'bob'")["code"]) == {"legal_support"}  # the file's codes only


def test_a_source_we_lack_becomes_a_transcript_to_tag_then_its_codings_come_in(tmp_path, runner):
    text = ("Interviewer: What would help your group?\n"
            "Ana: Honestly, we need legal advice we can trust.\n"
            "# a heading-like line\n"
            "Ben: And someone to call.\n")
    quote, later = "we need legal advice we can trust.", "And someone to call."
    start, after = text.index(quote), text.index(later)  # `later` comes after a line that gets a label
    source_guid = "0C7D3C2E-7B44-4F5B-9D55-2B0C1A8E4F10"
    qde = foreign_project([(source_guid, "Hub North.txt", "internal://hub.txt",
                            [(start, start + len(quote), "Legal support", "Jo"),
                             (after, after + len(later), "Legal support", "Jo")])], cases=[("N01", source_guid)])
    qdpx = zip_of(tmp_path / "other.qdpx", {"project.qde": qde, "sources/hub.txt": text.encode("utf-8")})
    db, folder = tmp_path / "coding.db", tmp_path / "new"
    result = runner.invoke(app, ["import", "qdpx", str(qdpx), "--coder", "bob", "--db", str(db),
                                 "--transcripts", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"no store at {db}: no source was matched" in result.output
    assert "Hub_North.md: declared Interviewer, Ana, Ben as participants" in result.output
    assert "1 heading-like lines got a 'Participant:' label" in result.output
    written = (folder / "Hub_North.md").read_text(encoding="utf-8")
    assert 'group: "N01"' in written and '  "Interviewer": participant' in written
    assert written.endswith("---\nInterviewer: What would help your group?\n"
                            "Ana: Honestly, we need legal advice we can trust.\n"
                            "Participant: # a heading-like line\nBen: And someone to call.\n")
    assert not db.exists()
    tag([folder], CODEBOOK, db)
    again = runner.invoke(app, ["import", "qdpx", str(qdpx), "--coder", "bob", "--db", str(db)])
    assert "matched 1 of 1 text sources to stored transcripts (0 with the same text, 1 found inside" in again.output
    assert "imported 2 codings" in again.output, again.output
    with closing(Store.open(db)) as store:
        rows = store.codings("WHERE c.coder = 'bob'")
        assert list(zip(rows["quote"], rows["speaker"], rows["group"])) == [(quote, "Ana", "N01"),
                                                                          (later, "Ben", "N01")]


def test_our_own_export_written_back_as_transcripts_is_byte_identical(bundled_store, tmp_path):
    export_project(bundled_store, tmp_path / "p.qdpx")
    report = import_project(None, tmp_path / "p.qdpx", "bob", tmp_path / "back")
    assert len(report.written) == 17 and report.notes == []
    for path in bundled_store.transcripts()["path"]:
        assert (tmp_path / "back" / Path(path).name).read_bytes() == Path(path).read_bytes()


def test_new_transcript_names_stay_inside_the_folder():
    taken = {"G01"}
    names = [file_name(TextSource(None, name, ""), taken)
             for name in ("../../etc/evil name.txt", "C:\\x\\G01.docx", "", ".hidden", "G01.txt")]
    assert names == ["evil_name.md", "G01_2.md", "source.md", "hidden.md", "G01_3.md"]


def test_codes_the_store_lacks_and_interviewer_passages_are_reported(store, tmp_path):
    path = store.transcripts().set_index("group").loc["G07", "path"]
    text = Path(path).read_text(encoding="utf-8")
    question = "To start, could each of you say a few words about yourself"
    need = "We really need legal advice we can trust"
    qde = foreign_project([("9B2E6C1D-3A4F-4E5D-8C7B-6A5F4E3D2C1B", "G07", "internal://g07.txt",
                            [(text.index(question), text.index(question) + len(question), "Legal support", "Jo"),
                             (text.index(need), text.index(need) + len(need), "Breakfast", "Jo")])],
                          codes=("Legal support", "Breakfast"))
    qdpx = zip_of(tmp_path / "other.qdpx", {"project.qde": qde, "sources/g07.txt": text.encode("utf-8")})
    report = import_project(store, qdpx, "bob")
    assert report.imported == 0
    assert "G07: 1 coding: code 'Breakfast' is not in the store's codebook" in report.problems
    assert any("include the interviewer's turn" in p for p in report.problems)


# -- hostile files -------------------------------------------------------------------------


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE CodeBook [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="5E8AF3A9-59A1-4B2B-8DA3-0B0E6E2C3A11"
 name="&secret;" isCodable="true"/></Codes></CodeBook>"""


def hostile_files(tmp_path: Path) -> dict:
    plain = foreign_project([("5E8AF3A9-59A1-4B2B-8DA3-0B0E6E2C3A11", "a", "internal://a.txt", [])])
    deep = (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            + b'<Code guid="5E8AF3A9-59A1-4B2B-8DA3-0B0E6E2C3A11" name="x" isCodable="true">' * 150
            + b"</Code>" * 150 + b"</Codes></CodeBook>")
    link = zipfile.ZipInfo("sources/a.txt")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    return {
        "traversal.qdpx": (zip_of(tmp_path / "traversal.qdpx", {"project.qde": plain, "../evil.txt": b"x"}),
                           "a path that climbs out of the archive"),
        "absolute.qdpx": (zip_of(tmp_path / "absolute.qdpx", {"project.qde": plain, "/etc/evil": b"x"}),
                          "an absolute path"),
        "laughs.qdpx": (zip_of(tmp_path / "laughs.qdpx", {"project.qde": BILLION_LAUGHS}), "declares a DTD"),
        "external.qde": (tmp_path / "external.qde", "declares a DTD"),
        "bomb.qdpx": (zip_of(tmp_path / "bomb.qdpx", {"project.qde": plain, "sources/a.txt": b"\0" * (3 * 2**20)}),
                      "a zip bomb?"),
        "notzip.qdpx": (tmp_path / "notzip.qdpx", "not a REFI-QDA project"),
        "empty.qdpx": (zip_of(tmp_path / "empty.qdpx", {"readme.txt": b"hello"}), "has no project.qde"),
        "codebook.qdpx": (zip_of(tmp_path / "codebook.qdpx", {"project.qde": EXTERNAL.split(b"]>")[1].replace(
                              b"&secret;", b"x")}),
                          "the root element is <CodeBook>"),
        "deep.qdpx": (zip_of(tmp_path / "deep.qdpx", {"project.qde": deep}), "more than 100 deep"),
        "link.qdpx": (zip_of(tmp_path / "link.qdpx", {"project.qde": plain, link: b"/etc/passwd"}),
                      "a symbolic link"),
    }


def test_hostile_projects_are_refused_in_one_line_with_nothing_written(db, tmp_path, runner):
    (tmp_path / "external.qde").write_bytes(EXTERNAL.replace(b"CodeBook", b"Project"))
    (tmp_path / "notzip.qdpx").write_bytes(b"this is not a zip archive, nor XML")
    before = digest(db)
    for name, (path, reason) in hostile_files(tmp_path).items():
        folder = tmp_path / f"out-{name}"
        result = runner.invoke(app, ["import", "qdpx", str(path), "--coder", "bob", "--db", str(db),
                                     "--transcripts", str(folder)])
        assert result.exit_code == 1, (name, result.output)
        assert reason in result.output, (name, result.output)
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
        assert not folder.exists() and digest(db) == before


def test_hostile_codebooks_are_refused_and_no_codebook_is_written(tmp_path, runner):
    (tmp_path / "external.qdc").write_bytes(EXTERNAL)
    (tmp_path / "laughs.qdc").write_bytes(BILLION_LAUGHS.replace(b"Project", b"CodeBook"))
    for name in ("external.qdc", "laughs.qdc"):
        result = runner.invoke(app, ["import", "qdc", str(tmp_path / name), "--output", str(tmp_path / "out.yaml")])
        assert result.exit_code == 1 and "refused" in result.output and "declares a DTD" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out.yaml").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_oversized_member_is_refused_even_when_its_header_lies(tmp_path, monkeypatch):
    plain = foreign_project([("5E8AF3A9-59A1-4B2B-8DA3-0B0E6E2C3A11", "a", "internal://a.txt", [])])
    qdpx = zip_of(tmp_path / "big.qdpx", {"project.qde": plain, "sources/a.txt": b"x" * 5000})
    monkeypatch.setattr(safezip, "MAX_MEMBER_BYTES", 4000)
    with pytest.raises(InputError, match="refused: the archive holds 'sources/a.txt', which unpacks to 5,000 bytes"):
        read_project(qdpx)
    monkeypatch.setattr(safezip, "MAX_MEMBER_BYTES", 10_000)
    monkeypatch.setattr(safezip, "MAX_TOTAL_BYTES", 5_100)
    with pytest.raises(InputError, match="unpack to .* bytes in all"):
        read_project(qdpx)
    # a central directory that says 10 bytes for a member of 5000: refused all the same
    monkeypatch.setattr(safezip, "MAX_TOTAL_BYTES", 2**30)
    monkeypatch.setattr(safezip, "MAX_MEMBER_BYTES", 4000)
    lying = _lie_about_size(qdpx.read_bytes(), "sources/a.txt", 10)
    (tmp_path / "lying.qdpx").write_bytes(lying)
    with pytest.raises(InputError, match="sources/a.txt"):
        with safezip.Archive(tmp_path / "lying.qdpx") as archive:
            archive.read("sources/a.txt")


def _lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size set to `size` in its central directory entry."""
    data = bytearray(data)
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        length = int.from_bytes(data[entry + 28:entry + 30], "little")
        if data[entry + 46:entry + 46 + length] == name.encode():
            data[entry + 24:entry + 28] = size.to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 4)
    return bytes(data)


# -- the commands ----------------------------------------------------------------------------


def test_export_commands_write_files_and_say_what(db, tmp_path, runner):
    book = runner.invoke(app, ["export", "qdc", str(tmp_path / "c.qdc"), "--codebook", str(CODEBOOK)])
    assert book.exit_code == 0 and book.output.strip() == f"wrote {tmp_path / 'c.qdc'}: 10 codes"
    project = runner.invoke(app, ["export", "qdpx", str(tmp_path / "p.qdpx"), "--db", str(db), "--reviewed-only",
                                  "--rule", "consensus"])
    assert project.exit_code == 0, project.output
    assert project.output.strip() == (f"wrote {tmp_path / 'p.qdpx'}: 1 users, 10 codes, 17 text sources, 0 codings "
                                      "(0 accepted, 0 unreviewed suggestions), 6 variables, 17 cases")
    missing = runner.invoke(app, ["export", "qdpx", str(tmp_path / "no" / "p.qdpx"), "--db", str(db)])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_import_without_a_store_says_what_to_do(tmp_path, runner):
    result = runner.invoke(app, ["import", "qdpx", str(EXAMPLES / "nvivo_project.qdpx"), "--coder", "bob",
                                 "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no coding store here; run 'coding tag' first" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "none.db").exists()


def test_export_refuses_a_transcript_changed_since_tagging(tmp_path, runner):
    path = write_transcript(tmp_path, "C01.md", "Ana: We need legal advice.\n", group="C01")
    db = tmp_path / "c.db"
    tag([path], CODEBOOK, db)
    path.write_text(path.read_text(encoding="utf-8") + "Ana: More.\n", encoding="utf-8")
    result = runner.invoke(app, ["export", "qdpx", str(tmp_path / "c.qdpx"), "--db", str(db)])
    assert result.exit_code == 1 and "reads differently from when it was tagged" in result.output
    assert not (tmp_path / "c.qdpx").exists()
