"""Readers of real transcript formats: captions (Zoom and Teams WebVTT, SRT), Word, turn
sheets and survey sheets, each against the Markdown version of the same (synthetic)
interview in tests/formats/; metadata from sidecars and groups.csv; places in the
original; bad files."""

import csv
import hashlib
import shutil
from contextlib import closing
from pathlib import Path

import docx
import openpyxl
import pytest

from coding.cli import app
from coding.read import ReaderOptions, find_transcripts, read_transcript, source_hash
from coding.read.speakers import Speakers, label_key
from coding.report.evaluation import evaluate
from coding.report.tables import audit
from coding.store import Store
from coding.tagging import tag

from .conftest import CODEBOOK, ROOT, SHARED

FORMATS = ROOT / "tests" / "formats"
INTERVIEW = FORMATS / "interview.md"
SAME_INTERVIEW = ["zoom.vtt", "teams.vtt", "subtitles.srt", "word.docx", "turns.csv", "turns.xlsx"]
NHS = SHARED / "benchmarks" / "nhs-fft" / "train.csv"


def turns_of(transcript):
    return [(t.speaker, t.role, transcript.turn_text(t)) for t in transcript.turns]


def cli(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, *fragments):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def formats_db(tmp_path_factory) -> Path:
    """Every fixture in tests/formats tagged once into one store."""
    db = tmp_path_factory.mktemp("formats") / "coding.db"
    tag([FORMATS], CODEBOOK, db)
    return db


def codings_of(db: Path, name: str) -> set:
    with closing(Store.open(db)) as store:
        rows = store.codings()
    rows = rows[rows["transcript"] == (FORMATS / name).as_posix()]
    return {(r.group, r.speaker, r.role, r.code, r.quote, r.matched_text, r.method) for r in rows.itertuples()}


# -- one interview, every format ---------------------------------------------------------


def test_the_folder_holds_each_format_and_leaves_sidecars_and_groups_csv_alone():
    names = [p.name for p in find_transcripts([FORMATS])]
    assert names == ["interview.md", "subtitles.srt", "survey-S01.md", "survey-S02.md", "survey.csv",
                     "teams.vtt", "turns.csv", "turns.xlsx", "word.docx", "zoom.vtt"]


@pytest.mark.parametrize("name", SAME_INTERVIEW)
def test_each_format_gives_the_turns_group_and_attributes_of_the_markdown_version(name):
    markdown, other = read_transcript(INTERVIEW), read_transcript(FORMATS / name)
    assert len(other.turns) == 10
    assert turns_of(other) == turns_of(markdown)
    assert (other.group, other.language, other.attributes) == ("F01", "en", {"region": "Region Test"})
    assert other.speakers == markdown.speakers
    # the rendering: one `Speaker: text` line per turn, offsets into it
    for turn in other.turns:
        line = other.text.split("\n")[turn.line - 1]
        assert line == f"{turn.speaker}: {other.turn_text(turn)}"


@pytest.mark.parametrize("name", SAME_INTERVIEW)
def test_each_format_gives_the_codings_of_the_markdown_version(formats_db, name):
    expected = codings_of(formats_db, "interview.md")
    assert len(expected) == 7 and {c[3] for c in expected} >= {"knowledge", "skills", "legal_support",
                                                                 "coordination"}
    assert codings_of(formats_db, name) == expected


def test_zoom_captions_with_crlf_and_unlabelled_continuation_cues():
    raw = (FORMATS / "zoom.vtt").read_bytes()
    assert raw.count(b"\r\n") > 50 and b"\n\n" not in raw.replace(b"\r\n", b"")
    transcript = read_transcript(FORMATS / "zoom.vtt")
    ana = transcript.turns[1]
    # cues 2, 3 and 4 are one turn; each keeps its number and start time
    inside = [place for start, place in transcript.places if ana.start <= start < ana.end]
    assert inside == ["cue 2 00:00:05.600", "cue 3 00:00:09.100", "cue 4 00:00:13.420"]
    assert transcript.place_of(transcript.text.index("lessons learned")) == "cue 4 00:00:13.420"
    # 'Ben:' twice in a row (cues 7 and 9) is still one turn
    ben = transcript.turns[4]
    assert transcript.place_of(ben.end - 1) == "cue 9 00:00:31.020"
    assert transcript.warnings == []


def test_caption_names_with_pronouns_and_escaped_text(tmp_path):
    (tmp_path / "c.vtt").write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna Lima (she/her): Tom &amp; Jerry &lt;3\n\n"
                                    "2\n00:00:02.000 --> 00:00:03.000\n<v Ben &amp; Co>We need mentoring.</v>\n")
    (tmp_path / "c.yaml").write_text("group: G1\nspeakers:\n  Ana Lima: participant\n  Ben & Co: participant\n")
    transcript = read_transcript(tmp_path / "c.vtt")
    assert turns_of(transcript) == [("Ana Lima", "participant", "Tom & Jerry <3"),
                                    ("Ben & Co", "participant", "We need mentoring.")]
    assert transcript.warnings == []


def test_teams_voices_without_declared_speakers_take_roles_by_name_with_one_warning():
    transcript = read_transcript(FORMATS / "teams.vtt")
    assert transcript.speakers == {"Interviewer": "interviewer", "Ana": "participant", "Ben": "participant"}
    [warning] = transcript.warnings
    assert "teams.vtt" in warning and "Interviewer as interviewer; Ana, Ben as participants" in warning


def test_srt_labels_written_otherwise_map_to_the_declared_speaker():
    transcript = read_transcript(FORMATS / "subtitles.srt")
    assert [t.speaker for t in transcript.turns][:4] == ["Interviewer", "Ana", "Ben", "Interviewer"]
    assert transcript.places[0] == (13, "cue 1 00:00:01,040")
    assert transcript.warnings == []


def test_word_paragraphs_and_places():
    transcript = read_transcript(FORMATS / "word.docx")
    # paragraph 1 is the heading (left out); Ana's turn is paragraphs 3 and 4
    assert transcript.place_of(transcript.turns[0].start) == "paragraph 2"
    assert transcript.place_of(transcript.text.index("Every time")) == "paragraph 4"


def test_turn_sheets_put_row_n_on_line_n():
    for name in ("turns.csv", "turns.xlsx"):
        transcript = read_transcript(FORMATS / name)
        assert [t.line for t in transcript.turns] == list(range(2, 12))
        assert transcript.place_of(transcript.turns[4].start) == "row 6 00:00:24"


def test_audit_has_the_place_in_the_original_file(formats_db):
    with closing(Store.open(formats_db)) as store:
        rows = audit(store, "legal_support")
    places = dict(zip(rows["file:line"].str.rsplit("/", n=1).str[-1], rows["place"]))
    assert places == {"interview.md:22": "", "zoom.vtt:5": "cue 9 00:00:31.020",
                      "teams.vtt:5": "cue 7 00:00:31.020", "subtitles.srt:5": "cue 7 00:00:31,020",
                      "word.docx:5": "paragraph 7", "turns.csv:6": "row 6 00:00:24",
                      "turns.xlsx:6": "row 6 00:00:24", "survey-S02.md:9": "", "survey.csv:5": "row 5 (answer)"}
    assert list(rows.columns[:4]) == ["group", "code", "file:line", "place"]


# -- survey sheets ----------------------------------------------------------------------------


def test_survey_sheet_one_turn_per_respondent_with_its_own_group_and_attributes():
    transcript = read_transcript(FORMATS / "survey.csv")
    assert transcript.group == "" and transcript.title == "Synthetic open-ended survey"
    assert [(t.speaker, t.role, t.group, t.line, t.attributes) for t in transcript.turns] == [
        ("r01", "participant", "S01", 2, {"age_band": "18-29"}),
        ("r02", "participant", "S01", 3, {"age_band": "30-44"}),
        ("r04", "participant", "S02", 5, {"age_band": "30-44"}),
        ("r05", "participant", "S02", 6, {"age_band": "60+"}),
        ("r06", "participant", "S02", 7, {"age_band": "18-29"})]
    lines = transcript.text.split("\n")
    assert lines[0] == "respondent_id: answer"
    assert lines[2] == "r02: Nothing really. Thanks for asking."  # a line break in a cell is a space
    assert lines[3] == ""  # r03 left the answer empty
    assert transcript.place_of(transcript.turns[2].start) == "row 5 (answer)"


def test_survey_gives_the_codings_of_its_markdown_version_group_by_group(formats_db):
    survey = codings_of(formats_db, "survey.csv")
    markdown = codings_of(formats_db, "survey-S01.md") | codings_of(formats_db, "survey-S02.md")
    assert survey == markdown
    assert {(c[0], c[3]) for c in survey} >= {("S01", "skills"), ("S02", "legal_support"), ("S02", "knowledge")}
    with closing(Store.open(formats_db)) as store:
        assert {"S01", "S02", "F01"} <= set(store.groups()["group"])


def test_a_segment_gold_file_names_sheet_rows_as_lines(formats_db, tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text("transcript,lines,code\nsurvey.csv,5,legal_support\nsurvey.csv,2,skills\n")
    with closing(Store.open(formats_db)) as store:
        scores = evaluate(store, gold, "segment").set_index("code")
    assert scores.loc["legal_support", "tp"] == 1 and scores.loc["skills", "tp"] == 1
    assert scores.loc["overall", "fn"] == 0


def test_several_answer_columns_take_one_line_each_in_order(tmp_path):
    sheet = tmp_path / "two.csv"
    sheet.write_text("id,site,q1,q2\na,X,We need training.,\nb,Y,,Legal advice please.\n")
    transcript = read_transcript(sheet, options=ReaderOptions(group_column="site", text_columns=("q1", "q2")))
    # row N, j-th of k answer columns: line (N - 2) * k + j + 1
    assert [(t.speaker, t.group, t.line) for t in transcript.turns] == [("a", "X", 2), ("b", "Y", 5)]
    assert transcript.text.split("\n")[:5] == ["id: q1 / q2", "a: We need training.", "", "", "b: Legal advice please."]
    assert transcript.place_of(transcript.turns[1].start) == "row 3 (q2)"


def test_command_line_options_win_over_the_sidecar(tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("respondent,site,region,comment\nr1,A,North,We need training.\n")
    (tmp_path / "s.yaml").write_text("group_column: region\n")
    assert read_transcript(sheet).turns[0].group == "North"
    assert read_transcript(sheet, options=ReaderOptions(group_column="site")).turns[0].group == "A"
    assert source_hash(sheet) != source_hash(sheet, ReaderOptions(group_column="site"))


def test_nhs_survey_sheet_reads_with_service_as_group():
    transcript = read_transcript(NHS, options=ReaderOptions(group_column="service"))
    assert len(transcript.turns) == 3727
    with open(NHS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    row_57 = rows[57 - 2]  # sheet row 57 (the header is row 1)
    turn = next(t for t in transcript.turns if t.line == 57)
    assert (turn.speaker, turn.group, transcript.turn_text(turn)) == (
        row_57["comment_id"], row_57["service"], " ".join(row_57["answer"].split()))
    assert turn.attributes == {"trust": row_57["trust"], "question": row_57["question"], "codes": row_57["codes"]}
    assert transcript.place_of(turn.start) == "row 57 (answer)"
    assert len({t.group for t in transcript.turns}) == 8


def test_tag_a_survey_sheet_from_the_command_line(runner, tmp_path):
    """The NHS sheet's first 40 rows (tmp copy; the whole sheet works the same, slower)."""
    sample = tmp_path / "train.csv"
    sample.write_text("".join(NHS.read_text(encoding="utf-8").splitlines(keepends=True)[:41]), encoding="utf-8")
    db = tmp_path / "nhs.db"
    result = cli(runner, "tag", sample, "--group-by", "service", "--answer-column", "answer",
                 "--codebook", CODEBOOK, "--db", db)
    assert result.exit_code == 0, result.output
    assert "tagged 1 transcripts" in result.stderr
    with closing(Store.open(db)) as store:
        turns = store.turns()
        assert len(turns) == 40 and set(turns["group"]) == {"111"}
    again = cli(runner, "tag", sample, "--group-column", "service", "--codebook", CODEBOOK, "--db", db)
    assert "0 transcripts (1 unchanged)" in again.stderr


# -- metadata: sidecars and groups.csv ---------------------------------------------------------------


def caption_folder(tmp_path: Path, groups: str | None = None, sidecar: str | None = None) -> Path:
    shutil.copy(FORMATS / "zoom.vtt", tmp_path / "zoom.vtt")
    if groups is not None:
        (tmp_path / "groups.csv").write_text(groups, encoding="utf-8")
    if sidecar is not None:
        (tmp_path / "zoom.yaml").write_text(sidecar, encoding="utf-8")
    return tmp_path / "zoom.vtt"


def test_groups_csv_gives_group_and_group_rows_give_attributes(tmp_path):
    path = caption_folder(tmp_path, "file,group,region,hub_type\nzoom.vtt,G9,,\n,G9,East,regional\n,G8,West,\n")
    transcript = read_transcript(path)
    assert (transcript.group, transcript.attributes) == ("G9", {"region": "East", "hub_type": "regional"})


def test_the_same_attribute_twice_with_different_values_names_both_places(runner, tmp_path):
    path = caption_folder(tmp_path, "group,region\nG9,West\n", "group: G9\nregion: East\n")
    result = cli(runner, "tag", path, "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    line = one_line_error(result, "zoom.vtt: 'region' is 'East' in ", "zoom.yaml:2 but 'West' in ", "groups.csv:2")
    assert not (tmp_path / "c.db").exists(), line


def test_a_sidecar_change_retags_the_transcript(tmp_path):
    path = caption_folder(tmp_path, sidecar="group: G1\n")
    db = tmp_path / "c.db"
    tag([path], CODEBOOK, db)
    (tmp_path / "zoom.yaml").write_text("group: G2\n")
    result = tag([path], CODEBOOK, db)
    assert result.tagged == [path.as_posix()]
    with closing(Store.open(db)) as store:
        assert set(store.codings()["group"]) == {"G2"}


def test_markdown_takes_groups_csv_too_and_without_it_hashes_as_before(tmp_path):
    shutil.copy(INTERVIEW, tmp_path / "interview.md")
    path = tmp_path / "interview.md"
    assert source_hash(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_transcript(path).content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    (tmp_path / "groups.csv").write_text("group,hub_type\nF01,thematic\n")
    assert read_transcript(path).attributes == {"region": "Region Test", "hub_type": "thematic"}
    assert source_hash(path) != hashlib.sha256(path.read_bytes()).hexdigest()


def test_markdown_labels_written_otherwise_map_to_declared_speakers(tmp_path):
    text = INTERVIEW.read_text().replace("Interviewer: Anything else?", "INTERVIEWER (J.): Anything else?")
    text = text.replace("Interviewer: Would", "Int.: Would").replace("Ben: Thank you", "Benn: Thank you")
    (tmp_path / "interview.md").write_text(text)
    transcript = read_transcript(tmp_path / "interview.md")
    assert turns_of(transcript) == turns_of(read_transcript(INTERVIEW))
    assert transcript.warnings == [f"{(tmp_path / 'interview.md').as_posix()}: speaker label 'Benn' taken as "
                                   "'Ben' (a near match, 86)"]


@pytest.mark.parametrize("label, expected", [
    ("Interviewer", "Interviewer"), ("INTERVIEWER (J.)", "Interviewer"), ("Int.", "Interviewer"),
    ("interviewer:", "Interviewer"), ("ANA", "Ana"), ("Carla", None), ("An", None)])
def test_speaker_labels_resolve(label, expected):
    speakers = Speakers({"Interviewer": "interviewer", "Ana": "participant"}, "f.vtt")
    assert speakers.resolve(label) == expected
    assert speakers.warnings == []
    assert label_key("INTERVIEWER (J.):") == "interviewer"


def test_undeclared_speakers_are_interviewers_by_name_else_participants():
    speakers = Speakers({"Ana": "participant"}, "f.vtt", "f.yaml")
    assert [speakers.role(speakers.speaker(x)) for x in ("Moderator", "Carla", "CARLA (C.)", "Q")] == [
        "interviewer", "participant", "participant", "interviewer"]
    assert speakers.resolve("CARLA (C.)") == "Carla"
    assert speakers.warnings == ["f.vtt: speakers not declared in f.yaml, taken by name: Moderator, Q as "
                                 "interviewers; Carla as participant"]


# -- Word as transcription services write it ---------------------------------------------------------


def test_word_with_labels_on_their_own_line_and_timestamps(tmp_path):
    document = docx.Document()
    for text in ("Hub interview", "Wed, 3/2 10:05AM • 45:30", "Interviewer  0:03", "What do you need?",
                 "Ana Lopez  0:10", "Training for new organisers.", "More of it, please.",
                 "Speaker 2 (00:01:05):", "We need legal advice.", "Transcribed by https://otter.ai"):
        document.add_paragraph(text)
    document.save(tmp_path / "otter.docx")
    (tmp_path / "otter.yaml").write_text("group: G1\nspeakers:\n  Interviewer: interviewer\n  Ana Lopez: participant\n")
    transcript = read_transcript(tmp_path / "otter.docx")
    assert turns_of(transcript) == [("Interviewer", "interviewer", "What do you need?"),
                                    ("Ana Lopez", "participant", "Training for new organisers. More of it, please."),
                                    ("Speaker 2", "participant", "We need legal advice.")]
    assert [place for _, place in transcript.places] == ["paragraph 4 0:03", "paragraph 6 0:10", "paragraph 7",
                                                         "paragraph 9 00:01:05"]
    assert transcript.warnings[0].endswith("paragraphs 1-2 come before the first speaker label: left out")
    assert "Speaker 2 as participant" in transcript.warnings[1]


def word_file(tmp_path: Path, paragraphs: list, sidecar: str = "group: G1\n") -> Path:
    """A .docx of paragraphs: a string, or a list of parts ('**x' a bold run, '\n' a line break)."""
    document = docx.Document()
    for paragraph in paragraphs:
        if isinstance(paragraph, str):
            document.add_paragraph(paragraph)
            continue
        added = document.add_paragraph()
        for part in paragraph:
            if part == "\n":
                added.add_run().add_break()
            else:
                added.add_run(part.lstrip("*")).bold = part.startswith("**")
    document.save(tmp_path / "w.docx")
    (tmp_path / "w.yaml").write_text(sidecar)
    return tmp_path / "w.docx"


@pytest.mark.parametrize("paragraphs, expected", [
    # Otter: the name and time, a line break, the text, in one paragraph
    ([["Jane Doe  0:03", "\n", "What do you need?"], ["Speaker 2  0:10", "\n", "Mentoring."]],
     [("Jane Doe", "What do you need?"), ("Speaker 2", "Mentoring.")]),
    # Teams (older): a timing line, the name, the text
    (["0:0:0.0 --> 0:0:3.600", "Jane Doe", "What do you need?", "0:0:3.600 --> 0:0:5.0", "John Smith", "Training."],
     [("Jane Doe", "What do you need?"), ("John Smith", "Training.")]),
    # Rev: bold 'Speaker 1 (00:00:05):'; 'Speaker 2' is not a near match of 'Speaker 1'; once labels
    # are bold, a plain 'And:' or 'Result:' is text
    ([["**Speaker 1 (00:00:05):"], "What do you need?", ["**Speaker 2 (00:00:09):"], "Legal advice.",
      "And: more things.", "Result: we need more."],
     [("Speaker 1", "What do you need?"), ("Speaker 2", "Legal advice. And: more things. Result: we need more.")]),
    # Descript: a leading time, then 'Name: text'
    (["[00:00:05] Jane Doe: Hello.", "[00:00:09] John Smith: We need mentoring.", "It was fine."],
     [("Jane Doe", "Hello."), ("John Smith", "We need mentoring. It was fine.")]),
])
def test_word_as_transcription_services_write_it(tmp_path, paragraphs, expected):
    transcript = read_transcript(word_file(tmp_path, paragraphs))
    assert [(t.speaker, transcript.turn_text(t)) for t in transcript.turns] == expected
    assert all(t.role == "participant" for t in transcript.turns)


def test_qualtrics_and_surveymonkey_header_rows_give_no_turns(tmp_path):
    qualtrics = tmp_path / "q.csv"
    qualtrics.write_text('ResponseId,Q1,Q2_TEXT\nResponse ID,Age,What would help?\n'
                         '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}"\n'
                         "R_1,30,We need training.\n")
    monkey = tmp_path / "m.csv"
    monkey.write_text("Respondent ID,Collector ID,What would help?\n,,Open-Ended Response\n11401,4301,Mentoring.\n")
    (tmp_path / "groups.csv").write_text("file,group\nq.csv,Q\nm.csv,M\n")
    first = read_transcript(qualtrics, options=ReaderOptions(text_columns=("Q2_TEXT",)))
    assert [(t.speaker, t.line, t.attributes) for t in first.turns] == [("R_1", 4, {"Q1": "30"})]
    second = read_transcript(monkey, options=ReaderOptions(text_columns=("What would help?",)))
    assert [(t.speaker, t.line) for t in second.turns] == [("11401", 3)]


def test_word_table_of_speaker_and_text(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, [("Time", "Speaker", "Text"), ("00:00:01", "Interviewer", "What do you need?"),
                                       ("00:00:04", "Ana", "Mentoring for organisers.")]):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    document.save(tmp_path / "t.docx")
    (tmp_path / "t.yaml").write_text("group: G1\n")
    transcript = read_transcript(tmp_path / "t.docx")
    assert turns_of(transcript) == [("Interviewer", "interviewer", "What do you need?"),
                                    ("Ana", "participant", "Mentoring for organisers.")]
    assert [place for _, place in transcript.places] == ["table 1 row 2 00:00:01", "table 1 row 3 00:00:04"]


# -- bad files ------------------------------------------------------------------------------------------


def cut(path: Path, end: bytes) -> bytes:
    """A file cut off just after `end` (its first occurrence)."""
    raw = path.read_bytes()
    return raw[:raw.index(end) + len(end)]


def _xlsx(path: Path, rows: list) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


BAD_FILES = [
    ("cut.vtt", lambda: cut(FORMATS / "zoom.vtt", b"00:00:17.300 --> 00:00:2"), "malformed or truncated cue timing"),
    ("cut2.vtt", lambda: (FORMATS / "zoom.vtt").read_bytes()[:600], "an incomplete cue '7 00:00:'"),
    ("cut3.vtt", lambda: b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: hi\n\n2\n00:00:02.000 --> 00:00:03.000\n",
     "the last cue (2, 00:00:02.000) has no text"),
    ("plain.vtt", lambda: b"Ana: hello\n", "not a WebVTT file"),
    ("cut.srt", lambda: cut(FORMATS / "subtitles.srt", b"00:00:17,300 --> 00:0"), "malformed or truncated SubRip block"),
    ("cut2.srt", lambda: cut(FORMATS / "subtitles.srt", b"00:00:17,300 --> 00:00:21,760\n"), "the last cue (4, 00:00:17,300)"),
    ("binary.srt", lambda: b"1\n\x00\x01\x02", "binary file"),
    ("fake.docx", lambda: b"not a zip at all", "not a Word .docx file (not a zip package"),
    ("sheet.docx", lambda: (FORMATS / "turns.xlsx").read_bytes(), "not a readable Word .docx file"),
    ("empty.csv", lambda: b"", "empty sheet: no header row"),
    ("header.csv", lambda: b"id,answer\n", "no rows under the header"),
    ("latin.csv", lambda: b"id,answer\n1,caf\xe9\n", "not UTF-8 text (byte 0xe9)"),
    ("nocolumn.csv", lambda: b"id,site,comment\n1,A,hi\n", "no column 'service' (--group-column)"),
    ("nogroup.csv", lambda: b"id,comment\n1,hi\n", "no group: give --group-column"),
    ("empty.xlsx", None, "empty sheet: no header row"),
    ("fake.xlsx", lambda: b"PK\x03\x04 not really", "not an .xlsx workbook"),
]


@pytest.mark.parametrize("name, content, problem", BAD_FILES)
def test_a_bad_file_is_one_line_naming_it_and_the_problem(runner, tmp_path, name, content, problem):
    path = tmp_path / name
    if content is None:
        _xlsx(path, [])
    else:
        path.write_bytes(content())
    if path.suffix in (".vtt", ".srt", ".docx"):
        (tmp_path / (path.stem + ".yaml")).write_text("group: G1\n")
    options = ["--group-column", "service"] if name == "nocolumn.csv" else []
    result = cli(runner, "tag", path, *options, "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    one_line_error(result, name, problem)
    assert not (tmp_path / "c.db").exists()


def test_a_caption_without_a_group_is_an_error_naming_it(runner, tmp_path):
    shutil.copy(FORMATS / "zoom.vtt", tmp_path / "talk.vtt")
    result = cli(runner, "tag", tmp_path / "talk.vtt", "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    one_line_error(result, "talk.vtt: no group", "talk.yaml", "groups.csv")


def test_a_folder_with_one_bad_file_changes_nothing_in_the_store(runner, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(FORMATS, folder)
    db = tmp_path / "c.db"
    assert cli(runner, "tag", folder, "--codebook", CODEBOOK, "--db", db).exit_code == 0
    before = db.read_bytes()
    (folder / "zoom.vtt").write_bytes((FORMATS / "zoom.vtt").read_bytes().replace(b"Ana: For me", b"Ana: Now me"))
    (folder / "broken.docx").write_bytes(b"not a zip")
    (folder / "groups.csv").write_text((FORMATS / "groups.csv").read_text() + "broken.docx,F02,\n")
    result = cli(runner, "tag", folder, "--codebook", CODEBOOK, "--db", db)
    one_line_error(result, "broken.docx", "not a zip package")
    assert db.read_bytes() == before


def test_a_gold_file_in_a_folder_is_not_a_transcript_but_a_named_one_is_checked(runner, tmp_path):
    (tmp_path / "gold.csv").write_text("transcript,lines,code\nx.md,1,skills\n")
    shutil.copy(INTERVIEW, tmp_path / "interview.md")
    assert [p.name for p in find_transcripts([tmp_path])] == ["interview.md"]
    result = cli(runner, "tag", tmp_path / "gold.csv", "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    one_line_error(result, "gold.csv:1: no text column")


def test_tag_reports_reader_warnings(runner, tmp_path):
    shutil.copy(FORMATS / "teams.vtt", tmp_path / "teams.vtt")
    (tmp_path / "teams.yaml").write_text("group: G1\n")
    result = cli(runner, "tag", tmp_path / "teams.vtt", "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    assert result.exit_code == 0, result.output
    assert "speakers not declared (no sidecar with speakers), taken by name" in result.stderr
    with closing(Store.open(tmp_path / "c.db")) as store:
        places = store.places()
    assert len(places) == 12 and places["place"].iloc[0] == "cue 1 00:00:01.040"
    assert list(places["start"])[:2] == [13, 81]
