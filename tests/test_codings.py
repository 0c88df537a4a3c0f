"""The auto-coder on small, hand-made sentences with known answers."""
import pytest

from coding.codebook import load_codebook
from coding.autocode.rules import AutoCoder
from coding.autocode.nlp import make_nlp
from coding.tagging import code_transcript
from coding.read import read_transcript

from .conftest import CODEBOOK, write_transcript


@pytest.fixture(scope="module")
def coder():
    return AutoCoder(load_codebook(CODEBOOK), make_nlp("en"))


def codings_of(tmp_path, coder, body):
    transcript = read_transcript(write_transcript(tmp_path, "t.md", body))
    return [c for c in code_transcript(transcript, coder) if not c.veto]


def found(codings):
    return [(c.code, c.matched_text, c.method) for c in codings]


def test_methods_lower_lemma_fuzzy_pattern(tmp_path, coder):
    codings = codings_of(tmp_path, coder,
                         "Ana: Trainings would help us.\n"
                         "Ben: We want legal advice.\n"
                         "Ana: Honestly the knowlege is scattered.\n"
                         "Ben: Someone should coach volunteers here.\n")
    assert found(codings) == [
        ("skills", "Trainings", "lemma"),
        ("legal_support", "legal advice", "lower"),
        ("knowledge", "knowlege", "fuzzy"),
        ("skills", "coach volunteers", "pattern"),
    ]
    fuzzy = codings[2]
    assert fuzzy.score == pytest.approx(94.1, abs=0.1)
    assert fuzzy.rule == "term: knowledge"


def test_evidence_points_at_the_exact_characters(tmp_path, coder):
    [coding] = codings_of(tmp_path, coder, "Ana: First sentence.\nBen: Yes. We need a lawyer soon.\n")
    transcript = read_transcript(tmp_path / "t.md")
    assert transcript.text[coding.match_start:coding.match_end] == "lawyer"
    assert transcript.text[coding.segment_start:coding.segment_end] == "We need a lawyer soon."
    assert coding.quote == "We need a lawyer soon."
    assert (coding.line, coding.speaker, coding.role) == (13, "Ben", "participant")


@pytest.mark.parametrize("sentence", [
    "We do not need legal advice at all.",
    "Honestly, we don't need a lawyer.",
    "Legal advice is not a priority for us.",
    "There is no need for a lawyer here.",
])
def test_negated_mentions_are_not_coded(tmp_path, coder, sentence):
    assert codings_of(tmp_path, coder, f"Ana: {sentence}\n") == []


@pytest.mark.parametrize("sentence", [
    "We have no lawyer and that hurts.",
    "We do not need more meetings, but we need a lawyer.",
    "It is not that we lack ideas; we need legal advice.",
])
def test_need_stated_despite_a_negation_word_is_coded(tmp_path, coder, sentence):
    assert [c.code for c in codings_of(tmp_path, coder, f"Ana: {sentence}\n")] == ["legal_support"]


def test_negation_window_is_limited(tmp_path, coder):
    far = "We do not need to repeat every single thing that was said earlier about a lawyer."
    assert [c.code for c in codings_of(tmp_path, coder, f"Ana: {far}\n")] == ["legal_support"]


def test_exclude_vetoes_in_the_same_sentence_only(tmp_path, coder):
    codings = codings_of(tmp_path, coder, "Ana: We build the knowledge graph. Knowledge must travel.\n")
    assert [(c.code, c.quote) for c in codings] == [("knowledge", "Knowledge must travel.")]


def test_interviewer_turns_are_coded_with_their_role(tmp_path, coder):
    codings = codings_of(tmp_path, coder, "Interviewer: Do you need legal advice?\nAna: Maybe.\n")
    assert [(c.code, c.role) for c in codings] == [("legal_support", "interviewer")]


def test_one_coding_per_segment_and_code_keeps_the_best_evidence(tmp_path, coder):
    codings = codings_of(tmp_path, coder, "Ana: Trainings, training and more training.\n")
    assert found(codings) == [("skills", "training", "lower")]


def test_real_words_are_not_taken_for_typos(tmp_path, coder):
    # "trailing" is one edit away from "training" but is an English word
    assert codings_of(tmp_path, coder, "Ana: We are trailing behind.\n") == []


def test_offsets_survive_emoji_rtl_accents_and_crlf(tmp_path, coder):
    body = "Ana: 🌍🏳️‍🌈 Café مرحبا — we need a lawyer.\r\nBen: Ça va.\r\n"
    path = write_transcript(tmp_path, "t.md", "")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n") + body.encode("utf-8"))
    transcript = read_transcript(path)
    [coding] = code_transcript(transcript, coder)
    assert transcript.text[coding.match_start:coding.match_end] == "lawyer"
    assert coding.quote.startswith("🌍🏳️‍🌈 Café مرحبا")
    assert coding.line == 12
