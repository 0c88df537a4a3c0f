"""The rule classes of the auto-coder, each with concrete outcomes (issue: precise rules)."""

import csv
import io

import pytest

from coding.autocode.nlp import make_nlp
from coding.autocode.rules import AutoCoder
from coding.autocode.terms import forms
from coding.cli import app
from coding.codebook import load_codebook
from coding.read import read_transcript
from coding.tagging import code_transcript

from .conftest import write_transcript

CODEBOOK = """\
version: 1
shared_min_groups: 2
codes:
  - id: training
    label: Training
    terms: [train, capacity building, know-how]
    fuzzy: 85
  - id: staffing
    label: Staffing
    terms: [staffing, paid person]
  - id: praise
    label: Praise
    terms: [good]
  - id: legal
    label: Legal
    terms: [lawyer, legal advice]
    fuzzy: 85
  - id: money
    label: Money
    terms: [foundation money, funding]
  - id: calendar
    label: Calendar
    terms: [shared calendar]
    roles: [participant]
  - id: collaborate
    label: Collaborate
    terms: [collaborate]
    fuzzy: 85
"""


@pytest.fixture(scope="module")
def coder(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return AutoCoder(load_codebook(path), make_nlp("en"))


def coded(tmp_path, coder, body):
    transcript = read_transcript(write_transcript(tmp_path, "t.md", body))
    return code_transcript(transcript, coder)


def standing(tmp_path, coder, body):
    return {(c.code, c.matched_text) for c in coded(tmp_path, coder, body) if not c.veto}


def vetoes(tmp_path, coder, body):
    return {(c.code, c.veto) for c in coded(tmp_path, coder, body) if c.veto}


def test_a_term_matches_its_own_inflections_only():
    assert {"train", "trains", "trained", "training"} <= forms("train", "en")
    assert forms("training", "en") == {"training", "trainings"}
    assert "staff" not in forms("staffing", "en")
    assert {"better", "best"}.isdisjoint(forms("good", "en"))
    assert "care" not in forms("caring", "en")


@pytest.mark.parametrize("sentence, found", [
    ("We trained twelve volunteers.", {("training", "trained")}),
    ("Trainings in our language would change everything.", set()),  # "trainings" is not a form of "train"
    ("Our staff need a place to sit.", set()),                        # "staff" is not "staffing"
    ("Staffing is what we lack.", {("staffing", "Staffing")}),
    ("The venue could be better.", set()),                            # "better" is not "good"
    ("Good people, good vibes.", {("praise", "Good")}),
])
def test_inflections_in_text(tmp_path, coder, sentence, found):
    assert standing(tmp_path, coder, f"Ana: {sentence}\n") == found


@pytest.mark.parametrize("written", ["capacity-building", "capacity building", "capacitybuilding",
                                     "Capacity-Building", "capacity\u2011building"])
def test_hyphenated_spaced_and_closed_forms_match_alike(tmp_path, coder, written):
    assert {code for code, _ in standing(tmp_path, coder, f"Ana: We want {written} for editors.\n")} == {"training"}


def test_a_hyphenated_term_matches_the_spaced_form(tmp_path, coder):
    assert ("training", "know how") in standing(tmp_path, coder, "Ana: We lack the know how to run it.\n")


def test_real_words_are_never_typos(tmp_path, coder):
    text = "Ana: It went relatively well, we collaborated, it was collaborative.\n"
    assert standing(tmp_path, coder, text) == {("collaborate", "collaborated")}
    assert coder.correct_typos.correction("relatively") is None
    assert coder.correct_typos.correction("collaborative") is None
    assert coder.correct_typos.correction("lawyerr") == ("lawyer", pytest.approx(92.3, abs=0.1))


@pytest.mark.parametrize("sentence, code, reason", [
    ("A lawyer, no, not really.", "legal", "refused: no, not really"),
    ("No lawyer, god no.", "legal", "refused: god no"),
    ("Legal advice isn't the bottleneck.", "legal", "refused: isn't the bottleneck"),
    ("The last thing we want is a lawyer.", "legal", "refused: last thing we want"),
    ("Nobody here needs legal advice.", "legal", "refused: Nobody here needs"),
    ("I wouldn't say we need a lawyer.", "legal", "refused: wouldn't say we need"),
    ("A paid person would feel weird.", "staffing", "hypothetical: would feel weird"),
    ("We have a lawyer on retainer.", "legal", "already met: on retainer"),
    ("The foundation money covers us.", "money", "already met: covers us"),
    ("The legal advice, we do that ourselves.", "legal", "already met: we do that ourselves"),
    ("We do not need a lawyer.", "legal", "denied: do not need"),
])
def test_each_veto_class_with_its_reason(tmp_path, coder, sentence, code, reason):
    body = f"Ana: {sentence}\n"
    assert {c for c, _ in standing(tmp_path, coder, body)} == set()
    assert vetoes(tmp_path, coder, body) == {(code, reason)}


@pytest.mark.parametrize("sentence", [
    "We have no lawyer and it hurts.",             # "no" alone states a need
    "We have no lawyer, and we need one.",
    "Funding is not our only worry, but we need funding.",
])
def test_needs_stated_with_negative_words_still_count(tmp_path, coder, sentence):
    assert standing(tmp_path, coder, f"Ana: {sentence}\n")


def test_assent_to_a_question_naming_one_need_is_coded_from_the_question(tmp_path, coder):
    body = ("Interviewer: Would a shared calendar of events help you?\n\n"
            "Ana: Yes, exactly, that would help.\n\n"
            "Interviewer: And a lawyer?\n\n"
            "Ben: No, not really.\n")
    rows = [c for c in coded(tmp_path, coder, body) if not c.veto]
    assent = [c for c in rows if c.method == "assent"]
    assert [(c.code, c.speaker, c.quote, c.matched_text) for c in assent] == [
        ("calendar", "Ana", "Yes, exactly, that would help.", "Yes, exactly, that would help.")]
    assert assent[0].rule == "assent to: Would a shared calendar of events help you?"
    assert not any(c.speaker == "Ben" for c in rows)


@pytest.mark.parametrize("answer", ["Yes, but not now.", "Not really.", "Sure, " + "word " * 20 + "."])
def test_no_assent_when_hedged_refused_or_long(tmp_path, coder, answer):
    body = f"Interviewer: Would a shared calendar help?\n\nAna: {answer}\n"
    assert not [c for c in coded(tmp_path, coder, body) if c.method == "assent"]


def test_a_code_limited_to_roles_is_vetoed_in_other_turns(tmp_path, coder):
    body = "Interviewer: We could set up a shared calendar, what do you think about it.\n"
    assert vetoes(tmp_path, coder, body) == {("calendar", "role: calendar applies to participant turns only")}
    assert standing(tmp_path, coder, "Ana: A shared calendar, please.\n") == {("calendar", "shared calendar")}


def test_audit_all_lists_vetoed_mentions_with_the_reason(tmp_path, runner):
    book = tmp_path / "codebook.yaml"
    book.write_text(CODEBOOK, encoding="utf-8")
    folder = tmp_path / "t"
    folder.mkdir()
    write_transcript(folder, "a.md", "Ana: We have a lawyer on retainer.\n\nBen: We need legal advice.\n")
    db = tmp_path / "c.db"
    assert runner.invoke(app, ["tag", str(folder), "--codebook", str(book), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["audit", "legal", "--all", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["speaker"], r["status"], r["counted"], r["veto"]) for r in rows] == [
        ("Ana", "vetoed", "False", "already met: on retainer"),
        ("Ben", "suggested", "True", "")]
    counted = runner.invoke(app, ["audit", "legal", "--db", str(db), "--format", "csv"])
    assert [r["speaker"] for r in csv.DictReader(io.StringIO(counted.stdout))] == ["Ben"]
