"""The fast path (only candidate pieces through spaCy) codes exactly like the
reference path (every turn in full), on the bundled transcripts, the dev set,
the benchmark's generated transcripts, and hand-made edge cases."""
import importlib.util
import random

import pytest

from coding.autocode.candidates import Candidates, trigger_words
from coding.codebook import load_codebook
from coding.autocode.rules import AutoCoder
from coding.autocode.nlp import make_nlp
from coding.tagging import code_transcript
from coding.read import find_transcripts, read_transcript

from .conftest import CODEBOOK, DEVSET, ROOT, TRANSCRIPTS, write_transcript


@pytest.fixture(scope="module")
def coder():
    return AutoCoder(load_codebook(CODEBOOK), make_nlp("en"))


def assert_same(paths, coder):
    candidates = Candidates(coder)
    total = 0
    for path in paths:
        transcript = read_transcript(path)
        reference = code_transcript(transcript, coder)
        fast = code_transcript(transcript, coder, candidates)
        assert fast == reference, path
        total += len(reference)
    return total


def test_bundled_and_dev_set(coder):
    assert assert_same(find_transcripts([TRANSCRIPTS, DEVSET]), coder) > 300


def bench_module():
    spec = importlib.util.spec_from_file_location("tag_bench", ROOT / "bench" / "tag_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_sample(coder, tmp_path):
    bench = bench_module()
    rng = random.Random(7)
    paths = []
    for index in range(12):
        path = tmp_path / f"B{index}.md"
        path.write_text(bench.transcript(index, 2000, rng), encoding="utf-8")
        paths.append(path)
    assert assert_same(paths, coder) > 100


EDGE_CASES = """Ana: Dr. Training said so. Mr. Lawyer agrees. We need e.g. training now. A. Training.
Ben: U.S. lawyers are expensive. "We need training." And then "quotes." Next, legal advice!
Ana: Lines
that break. Training here.
Next line, no need for training. We do not need a lawyer. But knowledge sharing matters... really.
Ben: Knowlege?! Trainig. Colaboration; coordination: yes. Pay coordinators. We train volunteers.
Ana: Wikipedia's trainings' value (training) [mentoring] {workshop}. Training.Training. End.
Ben: 24/7 support, co-ordination, know-how, best practices.  Two  spaces.  Training.
"""


def test_edge_cases(coder, tmp_path):
    path = write_transcript(tmp_path, "edge.md", EDGE_CASES)
    assert assert_same([path], coder) >= 10


def test_turns_without_a_trigger_are_skipped(coder, tmp_path):
    path = write_transcript(tmp_path, "quiet.md", "Ana: We met on Tuesday.\nBen: Yes. We need training.\n")
    pieces = Candidates(coder).pieces(read_transcript(path))
    assert [piece.text for piece in pieces] == ["We need training."]


def test_triggers_cover_inflections_and_pattern_words(coder):
    rules = trigger_words(coder.codebook, coder.nlp)
    single = set().union(*(required[0] for required in rules if len(required) == 1))
    # the term "training" matches "trainings", not "trained" (an inflection of "train")
    assert {"trainings", "lawyers"} <= single and not {"trained", "tuesday"} & single
    share_knowledge = next(r for r in rules if len(r) == 2 and "knowledge" in r[1])
    assert {"share", "shares", "shared", "sharing"} <= share_knowledge[0]  # every word is required
    train_volunteers = next(r for r in rules if "coach" in r[0])
    assert {"train", "trained"} <= train_volunteers[0] and "newcomers" in train_volunteers[1]


def test_two_worker_processes_store_the_same_codings(tmp_path):
    from coding.tagging import tag
    from coding.store import Store

    one, two = tmp_path / "one.db", tmp_path / "two.db"
    tag([TRANSCRIPTS], CODEBOOK, one)
    result = tag([TRANSCRIPTS], CODEBOOK, two, jobs=2)
    assert len(result.tagged) == 17
    columns = ["transcript", "segment_start", "segment_end", "code", "matched_text", "method", "score", "rule"]
    first, second = Store.open(one), Store.open(two)
    assert first.codings()[columns].equals(second.codings()[columns])
    assert first.turns().equals(second.turns())
    first.close()
    second.close()
