"""Engines: coding in chunks of turns, and on dask, gives exactly the local codings."""
import csv
import random
import shutil
from dataclasses import replace
from contextlib import closing

import pytest

from coding import engines
from coding.autocode.candidates import Candidates
from coding.autocode.nlp import make_nlp
from coding.autocode.rules import AutoCoder
from coding.codebook import load_codebook
from coding.errors import InputError
from coding.read import ReaderOptions, read_transcript
from coding.store import Store
from coding.tagging import code_transcript, tag

from .conftest import CODEBOOK, TRANSCRIPTS, write_transcript

SURVEY = ReaderOptions(group_column="service")
ANSWERS = [
    "We need legal advice we can trust.", "Nobody could tell us which form was right.",
    "More training for new volunteers would help.", "We do not need a lawyer.",
    "Knowlege sharing between hubs is what is missing.", "Paid staff, please!", "Nothing.",
    "Better coordination with the other groups.", "The servers keep falling over, hosting is a pain.",
    "Mediation when conflicts arise.", "Honestly it was fine", "We would like to work together more.",
    "Trainings and workshops.", "There is no need for funding.", "cordination is hard",
]


def survey_sheet(path, respondents: int, seed: int = 13):
    """A survey sheet like the NHS one: one row per respondent, 1 to 3 answers joined."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["comment_id", "trust", "service", "question", "answer"])
        for number in range(respondents):
            answer = " ".join(rng.choice(ANSWERS) for _ in range(rng.randint(1, 3)))
            writer.writerow([f"C{number:05d}", rng.choice(["NEAS", "NHFT"]), rng.choice(["111", "PTS", "CHS"]),
                             "How could we improve?", answer if rng.random() > 0.05 else ""])
    return path


@pytest.fixture(scope="module")
def coder():
    rules = AutoCoder(load_codebook(CODEBOOK), make_nlp("en"))
    return rules, Candidates(rules)


def chunked(transcript, coder, size, fast=True):
    parts = engines.chunks(transcript, size)
    codings = [c for part in parts for c in part.rebase(code_transcript(part.transcript, coder[0],
                                                                        coder[1] if fast else None))]
    return parts, codings


def test_a_survey_sheet_coded_in_chunks_of_respondents_gives_the_codings_of_the_whole(tmp_path, coder):
    transcript = read_transcript(survey_sheet(tmp_path / "survey.csv", 400), options=SURVEY)
    whole = code_transcript(transcript, *coder)
    parts, codings = chunked(transcript, coder, size=1_000)
    assert len(transcript.turns) == sum(len(p.transcript.turns) for p in parts) == 381  # 19 empty answers
    assert len(parts) == 24
    assert codings == whole
    assert len([c for c in whole if not c.veto]) == 528 and len([c for c in whole if c.veto]) == 89
    # each coding's offsets and line are those of the whole sheet: row N is on line N
    for c in codings:
        assert transcript.text[c.segment_start:c.segment_end] == c.quote
        assert transcript.text[c.match_start:c.match_end] == c.matched_text
        assert transcript.line_of(c.segment_start) == c.line
    # the reference path (every turn through spaCy) agrees in chunks too
    assert chunked(transcript, coder, size=5_000, fast=False)[1] == code_transcript(transcript, coder[0])


def test_the_learned_coder_in_chunks_gives_the_codings_of_the_whole(tmp_path, coder):
    import numpy as np

    from coding.autocode.learned import LearnedCoder, fit, passages_with_rules

    transcript = read_transcript(survey_sheet(tmp_path / "survey.csv", 300), options=SURVEY)
    units = passages_with_rules(transcript, coder[0])
    codes = list(coder[0].codebook.ids)
    # a person who codes what the rules find, and skills wherever training is said
    labels = np.array([[code in u.passage.rule_codes or (code == "skills" and "train" in u.passage.text.lower())
                        for code in codes] for u in units])
    learned = LearnedCoder(coder[0], fit([u.passage for u in units], labels, codes), model_id=1)
    whole = code_transcript(transcript, learned)
    parts = engines.chunks(transcript, 1_000)
    assert len(parts) == 19
    assert [c for part in parts for c in part.rebase(code_transcript(part.transcript, learned))] == whole
    assert sum(c.method == "model" for c in whole) == 384


def test_a_chunk_is_a_transcript_of_its_own_that_starts_at_a_line(tmp_path):
    transcript = read_transcript(survey_sheet(tmp_path / "survey.csv", 50), options=SURVEY)
    first, second = engines.chunks(transcript, 400)[:2]
    assert first.offset == transcript.line_starts[1] and first.lines_before == 1  # row 2, under the header
    turn = second.transcript.turns[0]
    whole = transcript.turns[turn.index]
    assert second.offset + turn.start == whole.start and turn.line + second.lines_before == whole.line
    assert second.transcript.turn_text(turn) == transcript.turn_text(whole)
    assert turn.attributes == {} and whole.attributes  # not sent to the workers


def test_a_chunk_never_starts_right_after_an_interviewer_turn(tmp_path, coder):
    body = "".join("Interviewer: Would legal advice help you?\n\nAna: Yes, exactly.\n\n"
                   "Ben: We also need training.\n\n" for _ in range(6))
    transcript = read_transcript(write_transcript(tmp_path, "T.md", body))
    parts, codings = chunked(transcript, coder, size=1)  # cut wherever allowed
    assert [len(p.transcript.turns) for p in parts] == [2, 1] * 6
    assert all(transcript.turns[p.transcript.turns[0].index - 1].role != "interviewer" for p in parts[1:])
    assert codings == code_transcript(transcript, *coder)
    assert sum(c.method == "assent" for c in codings) == 6


def test_a_transcript_without_turns_gives_no_chunks(tmp_path):
    transcript = read_transcript(write_transcript(tmp_path, "T.md", "Ana: We need training.\n"))
    assert engines.chunks(replace(transcript, turns=[])) == []
    assert len(engines.chunks(transcript)) == 1


def stored(db):
    """What a run stored, without ids, times and run ids."""
    with closing(Store.open(db)) as store:
        codings = store.codings().drop(columns=["coding_id", "created"])
        vetoes = store.vetoes()
        turns = store.turns()
    return codings.to_dict("records"), vetoes.to_dict("records"), turns.to_dict("records")


def test_dask_engine_stores_exactly_the_codings_of_the_local_engine(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(TRANSCRIPTS, corpus / "interviews")
    survey_sheet(corpus / "survey.csv", 600)
    local = tag([corpus], CODEBOOK, tmp_path / "local.db", options=SURVEY)  # each file coded whole
    monkeypatch.setattr(engines, "CHUNK_CHARS", 2_000)  # interviews and the sheet in many chunks
    in_chunks = tag([corpus], CODEBOOK, tmp_path / "chunks.db", options=SURVEY)
    spread = tag([corpus], CODEBOOK, tmp_path / "dask.db", options=SURVEY, engine="dask")
    assert spread.tagged == in_chunks.tagged == local.tagged and len(local.tagged) == 18
    assert spread.codings == in_chunks.codings == local.codings
    codings, vetoes, turns = stored(tmp_path / "dask.db")
    assert (codings, vetoes, turns) == stored(tmp_path / "local.db") == stored(tmp_path / "chunks.db")
    assert len(codings) == local.codings and len(turns) > 1_000
    assert {c["transcript"] for c in codings} >= {(corpus / "survey.csv").as_posix()}
    # unchanged inputs: nothing to code, and no cluster is started
    monkeypatch.setattr(engines, "_client", None)
    again = tag([corpus], CODEBOOK, tmp_path / "dask.db", options=SURVEY, engine="dask")
    assert again.tagged == [] and len(again.unchanged) == 18


def test_dask_engine_codes_on_a_running_cluster_given_by_its_address(tmp_path):
    from distributed import LocalCluster

    files = [TRANSCRIPTS / "G07.md", TRANSCRIPTS / "G11.md"]
    local = tag(files, CODEBOOK, tmp_path / "local.db")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        spread = tag(files, CODEBOOK, tmp_path / "dask.db", engine="dask", scheduler=cluster.scheduler_address)
    assert spread.codings == local.codings > 0
    assert stored(tmp_path / "dask.db") == stored(tmp_path / "local.db")


def test_engine_options_are_checked_before_anything_is_written(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="--engine 'spark': use one of local, dask"):
        tag([TRANSCRIPTS], CODEBOOK, tmp_path / "a.db", engine="spark")
    with pytest.raises(InputError, match="give --engine dask too"):
        tag([TRANSCRIPTS], CODEBOOK, tmp_path / "a.db", scheduler="tcp://127.0.0.1:8786")
    monkeypatch.setattr(engines, "CONNECT_TIMEOUT", 1)
    with pytest.raises(InputError, match="--scheduler tcp://127.0.0.1:9: no dask scheduler answers there"):
        tag([TRANSCRIPTS / "G01.md"], CODEBOOK, tmp_path / "a.db", engine="dask", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "a.db").exists()


def test_cli_engine_errors_are_one_line(runner, tmp_path):
    from coding.cli import app

    result = runner.invoke(app, ["tag", str(TRANSCRIPTS / "G01.md"), "--db", str(tmp_path / "a.db"),
                                 "--engine", "spark"])
    assert result.exit_code == 1
    assert "--engine 'spark': use one of local, dask" in result.output and "Traceback" not in result.output
