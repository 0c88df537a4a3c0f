"""Input is taken as written, and hostile or unusual input is a one-line error, never a
traceback: deep nesting, YAML tags, huge CSV cells, group ids that look like numbers,
code ids in any script, languages written without spaces, and huge turns."""
import csv
import json
import re

import pytest
import spacy
from spacy.tokens import Doc
from spacy.util import DummyTokenizer

from coding.autocode.candidates import Candidates
from coding.autocode.nlp import make_nlp
from coding.autocode.rules import AutoCoder
from coding.cli import app
from coding.codebook import check_codebook, load_codebook, valid_code_id
from coding.errors import InputError
from coding.read import read_transcript
from coding.report.evaluation import read_gold
from coding.review.sheets import read_sheet
from coding.tagging import code_transcript

from .conftest import CODEBOOK, write_transcript


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def transcript_file(folder, front: str, body: str = "Ana: We need training.\n", name: str = "t.md"):
    path = folder / name
    path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    return path


SPEAKERS = "speakers:\n  Ana: participant"

# -- 1. nesting deeper than the parser's recursion ------------------------------------

DEEP_LIST = "[" * 5000 + "]" * 5000
DEEP_MAP = "".join(" " * depth + "a:\n" for depth in range(3000)) + " " * 3000 + "a: 1\n"


@pytest.mark.parametrize("codes", [DEEP_LIST, "\n" + DEEP_MAP])
def test_deep_codebook_is_one_line_error_in_check_and_tag(runner, tmp_path, codes):
    book = tmp_path / "deep.yaml"
    book.write_text(f"version: 1\ncodes: {codes}\n", encoding="utf-8")
    transcript = write_transcript(tmp_path, "t.md", "Ana: We need training.\n")
    assert one_line_error(run(runner, "codebook", "check", book)) == f"error: {book}: nested too deeply"
    tagged = run(runner, "tag", transcript, "--codebook", book, "--db", tmp_path / "c.db")
    assert one_line_error(tagged) == f"error: {book}: nested too deeply"
    assert not (tmp_path / "c.db").exists()


def test_nesting_beyond_the_limit_is_refused_at_its_line(tmp_path):
    book = tmp_path / "deep.yaml"
    book.write_text("version: 1\nshared_min_groups: 1\ncodes:\n  - " + "[" * 150 + "]" * 150 + "\n")
    problems = check_codebook(book)
    assert [(p.line, p.message) for p in problems] == [(4, "nested too deeply (more than 100 levels)")]


def test_deep_front_matter_and_poll_are_one_line_errors(runner, tmp_path):
    transcript = transcript_file(tmp_path, f"group: G1\n{SPEAKERS}\nnotes: {DEEP_LIST}")
    tagged = run(runner, "tag", transcript, "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    assert one_line_error(tagged) == f"error: {transcript}: nested too deeply in front matter"
    assert not (tmp_path / "c.db").exists()
    poll = tmp_path / "poll.yaml"
    poll.write_text(f"kind: likert\nscale:\n{DEEP_MAP}", encoding="utf-8")
    assert one_line_error(run(runner, "poll", "check", poll)) == f"error: {poll}: nested too deeply"


# -- 2. YAML tags ---------------------------------------------------------------------

BOOK = """version: 1
shared_min_groups: 1
codes:
  - id: skills
    label: {label}
    terms: [training]
"""


@pytest.mark.parametrize("label, tag", [("!!python/object:os.system echo", "!!python/object:os.system"),
                                        ("!!python/name:os.system", "!!python/name:os.system"),
                                        ("!foo Skills", "!foo"), ("!!int Skills", "!!int"),
                                        ("!!binary aGk=", "!!binary")])
def test_tags_in_a_codebook_are_refused_at_their_line(runner, tmp_path, label, tag):
    book = tmp_path / "book.yaml"
    book.write_text(BOOK.format(label=label), encoding="utf-8")
    message = f"YAML tag {tag} is not supported; write the plain value"
    assert one_line_error(run(runner, "codebook", "check", book)) == f"{book}:5: {message}"
    transcript = write_transcript(tmp_path, "t.md", "Ana: We need training.\n")
    tagged = run(runner, "tag", transcript, "--codebook", book, "--db", tmp_path / "c.db")
    assert one_line_error(tagged) == f"error: {book}:5: {message}"


def test_invalid_date_in_a_codebook_is_refused_at_its_line(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text(BOOK.format(label="Skills").replace("version: 1", "version: 2022-02-30"), encoding="utf-8")
    assert [(p.line, p.message) for p in check_codebook(book)] == [
        (1, "invalid date '2022-02-30': day is out of range for month")]


@pytest.mark.parametrize("value, tag", [("!!python/object:os.system x", "!!python/object:os.system"),
                                        ("!foo bar", "!foo"), ("!!python/name:os.system", "!!python/name:os.system")])
def test_tags_in_front_matter_are_refused_at_their_line(runner, tmp_path, value, tag):
    transcript = transcript_file(tmp_path, f"group: G1\n{SPEAKERS}\nregion: {value}")
    tagged = run(runner, "tag", transcript, "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    assert one_line_error(tagged) == f"error: {transcript}:5: YAML tag {tag} is not supported; write the plain value"
    assert not (tmp_path / "c.db").exists()


# -- 3. CSV cells beyond the csv module's default field limit ---------------------------

LONG = "x" * 200_000  # the default limit is 131072 characters


def test_long_cell_in_a_decisions_sheet_is_read(tmp_path):
    sheet = tmp_path / "decisions.csv"
    sheet.write_text(f'coding_id,revision,decision,note\n1,abc,accept,"{LONG}"\n2,def,reject,\n', encoding="utf-8")
    rows = read_sheet(sheet)
    assert [line for line, _ in rows] == [2, 3]
    assert rows[0][1]["note"] == LONG and rows[1][1]["decision"] == "reject"


def test_long_cell_in_a_gold_file_is_read(tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text(f"group,code,present\nG01,skills,1\nG01,{LONG},1\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_gold(gold, {"skills"}, {"G01"})
    assert (raised.value.path, raised.value.line) == (str(gold), 3)
    assert raised.value.problem == f"unknown code {LONG!r}"


def test_unreadable_csv_rows_are_input_errors_with_lines(tmp_path):
    sheet, gold = tmp_path / "decisions.csv", tmp_path / "gold.csv"
    sheet.write_text("coding_id,revision,decision\n1,abc,accept\n2,abc,\"accept this\"\n", encoding="utf-8")
    gold.write_text("group,code,present\nG01,skills,1\nG01,\"skills and more\",1\n", encoding="utf-8")
    before = csv.field_size_limit(10)  # any csv.Error, here: a field over a small limit
    try:
        for read in (read_sheet, lambda path: read_gold(path, {"skills"}, {"G01"})):
            path = sheet if read is read_sheet else gold
            with pytest.raises(InputError) as raised:
                read(path)
            assert (raised.value.path, raised.value.line) == (str(path), 3)
            assert raised.value.problem == "not a valid CSV row: field larger than field limit (10)"
    finally:
        csv.field_size_limit(before)


# -- 4. front matter is text as written ---------------------------------------------------

@pytest.mark.parametrize("group", ["007", "07", "0x10", "1e3", "1_000", "true", "2022-01-01", "null", "'007'"])
def test_group_ids_are_the_text_as_written(tmp_path, group):
    transcript = read_transcript(transcript_file(tmp_path, f"group: {group}\n{SPEAKERS}"))
    assert transcript.group == group.strip("'")


def test_other_front_matter_values_are_the_text_as_written(tmp_path):
    front = ("group: G1\ntitle: 1e3\ndate: 2022-01-01 10:00\nlanguage: en\nconsent: true\nbudget: 1_000\n"
             "speakers:\n  01: interviewer\n  1: participant")
    transcript = read_transcript(transcript_file(tmp_path, front, "01: What do you need?\n1: Training.\n"))
    assert (transcript.title, transcript.date, transcript.language) == ("1e3", "2022-01-01 10:00", "en")
    assert transcript.attributes == {"consent": "true", "budget": "1_000"}
    assert transcript.speakers == {"01": "interviewer", "1": "participant"}
    assert [(turn.speaker, turn.role) for turn in transcript.turns] == [("01", "interviewer"), ("1", "participant")]


@pytest.mark.parametrize("group", ["[G1, G2]", "{id: G1}", "\n  - G1"])
def test_group_as_list_or_mapping_is_an_error_at_its_line(runner, tmp_path, group):
    transcript = transcript_file(tmp_path, f"title: x\ngroup: {group}\n{SPEAKERS}")
    tagged = run(runner, "tag", transcript, "--codebook", CODEBOOK, "--db", tmp_path / "c.db")
    assert one_line_error(tagged) == f"error: {transcript}:3: 'group' must be a single value, not a list or mapping"


# -- 5. code ids in any script --------------------------------------------------------------

def test_code_ids_with_non_ascii_letters_check_tag_and_count(runner, tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text("version: 1\nshared_min_groups: 1\ncodes:\n"
                    "  - {id: wäsche_ü, label: Wäsche, terms: [laundry]}\n"
                    "  - {id: सहायता, label: Help, terms: [help]}\n", encoding="utf-8")
    checked = run(runner, "codebook", "check", book)
    assert checked.exit_code == 0 and checked.stderr.strip() == f"{book}: ok"
    transcript = write_transcript(tmp_path, "t.md", "Ana: We need laundry and help.\n")
    assert run(runner, "tag", transcript, "--codebook", book, "--db", tmp_path / "c.db").exit_code == 0
    rows = json.loads(run(runner, "table", "--db", tmp_path / "c.db", "--format", "json").stdout)
    assert {row["code"]: row["groups"] for row in rows} == {"wäsche_ü": 1, "सहायता": 1}


@pytest.mark.parametrize("code_id, valid", [("wäsche_ü", True), ("Ωmega-2.b", True), ("सहायता", True),
                                            ("skills", True), ("1abc", False), ("_a", False), ("a b", False),
                                            ("a|b", False), ("a\x07b", False), ("ab\n", False), ("", False)])
def test_code_id_rule(code_id, valid):
    assert valid_code_id(code_id) is valid


# -- 6. languages written without spaces: fast path == reference path --------------------

def assert_same(transcript, coder):
    candidates = Candidates(coder)
    reference = code_transcript(transcript, coder)
    assert code_transcript(transcript, coder, candidates) == reference
    return reference, candidates


SPACELESS_BOOK = """version: 1
shared_min_groups: 1
language: {lang}
codes:
  - {{id: legal, label: Legal, terms: [{legal}]}}
  - {{id: skills, label: Skills, terms: [{skills}]}}
"""


def spaceless_case(tmp_path, lang, legal, skills, talk, quiet):
    book = tmp_path / "book.yaml"
    book.write_text(SPACELESS_BOOK.format(lang=lang, legal=legal, skills=skills), encoding="utf-8")
    path = transcript_file(tmp_path, f"group: G1\nlanguage: {lang}\n{SPEAKERS}", f"Ana: {talk}\nAna: {quiet}\n")
    return load_codebook(book), read_transcript(path)


def test_chinese_fast_path_codes_like_the_reference_path(tmp_path):
    book, transcript = spaceless_case(tmp_path, "zh", "法律援助", "培训",
                                      "我们需要法律援助。还有培训。", "今天天气很好。")
    reference, candidates = assert_same(transcript, AutoCoder(book, make_nlp("zh")))
    assert [(c.code, c.quote, c.matched_text) for c in reference] == [
        ("legal", "我们需要法律援助。", "法律援助"), ("skills", "还有培训。", "培训")]
    assert [piece.text for piece in candidates.pieces(transcript)] == ["我们需要法律援助。还有培训。"]


def test_japanese_fast_path_codes_like_the_reference_path(tmp_path):
    pytest.importorskip("sudachipy", reason="spaCy's Japanese tokenizer needs SudachiPy")
    book, transcript = spaceless_case(tmp_path, "ja", "法律", "研修",
                                      "私たちは法律の支援が必要です。研修も欲しい。", "今日は晴れです。")
    reference, _ = assert_same(transcript, AutoCoder(book, make_nlp("ja")))
    assert [(c.code, c.matched_text) for c in reference] == [("legal", "法律"), ("skills", "研修")]


def test_thai_fast_path_codes_like_the_reference_path(tmp_path):
    pytest.importorskip("pythainlp", reason="spaCy's Thai tokenizer needs PyThaiNLP")
    book, transcript = spaceless_case(tmp_path, "th", "กฎหมาย", "การฝึกอบรม",
                                      "เราต้องการความช่วยเหลือด้านกฎหมาย", "วันนี้อากาศดี")
    reference, _ = assert_same(transcript, AutoCoder(book, make_nlp("th")))
    assert [c.code for c in reference] == ["legal"]


class WordSegmenter(DummyTokenizer):
    """A dictionary segmenter like Japanese or Thai ones: words inside runs of letters."""

    def __init__(self, vocab, words):
        self.vocab = vocab
        self.pattern = re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r"|\s+|.", re.S)

    def __call__(self, text):
        tokens = self.pattern.findall(text)
        return Doc(self.vocab, words=tokens, spaces=[False] * len(tokens))


def test_any_segmenting_tokenizer_codes_like_the_reference_path(tmp_path):
    book, transcript = spaceless_case(tmp_path, "xx", "支援", "研修",
                                      "私たちは法律の支援が必要です。研修も欲しい。", "今日は晴れです。")
    nlp = spacy.blank("xx")
    nlp.tokenizer = WordSegmenter(nlp.vocab, ["私たち", "法律", "支援", "必要", "研修", "欲しい", "今日", "晴れ"])
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lowercase_lookup_lemmatizer")
    reference, candidates = assert_same(transcript, AutoCoder(book, nlp))
    assert [(c.code, c.quote, c.matched_text) for c in reference] == [
        ("legal", "私たちは法律の支援が必要です。", "支援"), ("skills", "研修も欲しい。", "研修")]
    assert candidates.spaceless and len(candidates.pieces(transcript)) == 1


# -- 7. turns longer than spaCy's max_length --------------------------------------------

def test_a_turn_of_megabytes_is_coded_in_pieces(tmp_path):
    sentence = "Our volunteers keep saying that we really need more training in the regions. "
    count = 2_500_000 // len(sentence) + 1
    path = write_transcript(tmp_path, "long.md", "Ana: " + sentence * count + "\nBen: Legal advice, please.\n")
    transcript = read_transcript(path)
    coder = AutoCoder(load_codebook(CODEBOOK), make_nlp("en"))
    assert len(transcript.turn_text(transcript.turns[0])) > 2.5 * coder.nlp.max_length
    reference, _ = assert_same(transcript, coder)
    assert len(reference) == count + 1
    assert [c.code for c in reference[:2]] == ["skills", "skills"] and reference[-1].code == "legal_support"
    for coding in reference:
        assert transcript.text[coding.segment_start:coding.segment_end] == coding.quote
        assert transcript.text[coding.match_start:coding.match_end] == coding.matched_text
    assert {c.quote for c in reference[:-1]} == {sentence.strip()}
