"""A coder that learns from people: import codings, train, tag with the model, evaluate."""

import csv
import io
import random
from contextlib import closing

import pytest

from coding.cli import app
from coding.report.evaluation import compare, evaluate
from coding.review.decisions import review_queue
from coding.store import Store

CODEBOOK = """\
version: 1
shared_min_groups: 2
codes:
  - id: parking
    label: Parking
    terms: [car park]
    examples: ["There was nowhere to leave the car."]
  - id: kindness
    label: Kindness
    terms: [kind]
    examples: ["The nurse was so gentle with my mother."]
"""

PARKING = ["nowhere to leave the car", "the car park was full", "parking cost a fortune",
           "we drove round for ages looking for a space", "no spaces for the car near the door"]
KINDNESS = ["the nurse was kind", "staff were gentle and caring", "the doctor was lovely to us",
            "everyone was warm and friendly", "they treated my dad with real warmth"]
OTHER = ["the food was cold", "the ward was noisy at night", "the letter came late",
         "I waited two hours", "the signs were confusing"]


def answers(seed: int, count: int) -> tuple[list[str], list[set[str]]]:
    """Synthetic survey answers: one or two of three topics each, with their true codes."""
    rng = random.Random(seed)
    texts, truth = [], []
    for _ in range(count):
        topics = rng.sample(["parking", "kindness", "other"], rng.choice([1, 2]))
        said = {"parking": PARKING, "kindness": KINDNESS, "other": OTHER}
        texts.append(" and ".join(rng.choice(said[t]) for t in topics).capitalize() + ".")
        truth.append({t for t in topics if t != "other"})
    return texts, truth


def write_survey(folder, name, texts):
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "site", "answer"])
        for i, text in enumerate(texts):
            writer.writerow([f"R{i}", f"S{i % 4}", text])
    return path


def write_gold(path, transcript, truth):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript", "lines", "code"])
        for i, codes in enumerate(truth):
            for code in sorted(codes):
                writer.writerow([transcript, i + 2, code])  # row i+2: the header is row 1
    return path


@pytest.fixture
def project(tmp_path, runner):
    book = tmp_path / "codebook.yaml"
    book.write_text(CODEBOOK, encoding="utf-8")
    train_texts, train_truth = answers(1, 160)
    test_texts, test_truth = answers(2, 60)
    train_sheet = write_survey(tmp_path, "train.csv", train_texts)
    test_sheet = write_survey(tmp_path, "test.csv", test_texts)
    db = tmp_path / "c.db"
    result = runner.invoke(app, ["tag", str(train_sheet), str(test_sheet), "--group-column", "site",
                                 "--codebook", str(book), "--db", str(db)])
    assert result.exit_code == 0, result.output
    stored = Store.open(db)
    names = {p.rsplit("/", 1)[-1]: p for p in stored.transcripts()["path"]}
    stored.close()
    return dict(book=book, db=db, tmp=tmp_path,
                train_gold=write_gold(tmp_path / "train_gold.csv", names["train.csv"], train_truth),
                test_gold=write_gold(tmp_path / "test_gold.csv", names["test.csv"], test_truth),
                train_truth=train_truth)


def invoke(runner, *args):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def test_import_codings_is_all_or_nothing_with_file_line_errors(project, runner):
    bad = project["tmp"] / "bad.csv"
    good = project["train_gold"].read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join(good[:3] + ["train.csv,2,nosuchcode", "train.csv,999,parking"]) + "\n")
    result = invoke(runner, "import", "codings", bad, "--coder", "ana", "--db", project["db"])
    assert result.exit_code == 1
    assert f"{bad}:4: unknown code 'nosuchcode'" in result.stderr
    assert f"{bad}:5: lines 999-999: the last line with speech is 161" in result.stderr
    with closing(Store.open(project["db"])) as store:
        assert not (store.codings()["coder"] == "ana").any()
        assert store.coverage().empty


def test_import_codings_adds_decisions_and_counts_the_transcripts_as_read(project, runner):
    expected = sum(len(codes) for codes in project["train_truth"])
    result = invoke(runner, "import", "codings", project["train_gold"], "--coder", "ana", "--db", project["db"])
    assert result.exit_code == 0, result.output
    assert f"imported {expected} codings by ana" in result.stderr
    again = invoke(runner, "import", "codings", project["train_gold"], "--coder", "ana", "--db", project["db"])
    assert f"imported 0 codings by ana into {project['db']} ({expected} already there)" in " ".join(again.stderr.split())
    with closing(Store.open(project["db"])) as store:
        mine = store.codings()
        mine = mine[mine["coder"] == "ana"]
        assert len(mine) == expected and set(mine["status"]) == {"accepted"}
        assert list(store.coverage()[["coder", "code"]].itertuples(index=False, name=None)) == [("ana", "*")]
        assert set(mine["group"]) == {"S0", "S1", "S2", "S3"}  # each respondent's own group


def test_train_refuses_when_there_is_too_little_to_learn_from(project, runner):
    result = invoke(runner, "train", "--codebook", project["book"], "--db", project["db"])
    assert result.exit_code == 1
    assert "too little to learn from" in result.stderr


def test_a_trained_model_codes_held_out_answers_well_and_beats_the_rules(project, runner, tmp_path):
    db, book = project["db"], project["book"]
    rules_only = tmp_path / "rules.db"
    rules_only.write_bytes(db.read_bytes())
    assert invoke(runner, "import", "codings", project["train_gold"], "--coder", "ana", "--db", db).exit_code == 0
    trained = invoke(runner, "train", "--codebook", book, "--db", db, "--format", "csv")
    assert trained.exit_code == 0, trained.output
    estimate = {row["code"]: row for row in csv.DictReader(io.StringIO(trained.stdout))}
    assert int(estimate["parking"]["positives"]) == sum("parking" in t for t in project["train_truth"])
    assert float(estimate["overall (learned codes)"]["f1"]) >= 0.9
    retag = invoke(runner, "tag", project["tmp"] / "train.csv", project["tmp"] / "test.csv", "--group-column", "site",
                   "--codebook", book, "--db", db)
    assert retag.exit_code == 0, retag.output
    with closing(Store.open(db)) as store:
        assert store.db.execute("SELECT model FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0] == 1
        model_rows = store.codings()[lambda f: f["method"] == "model"]
        assert model_rows["rule"].str.startswith("model 1: p=").all()
        learned = evaluate(store, project["test_gold"], "segment").set_index("code")
        assert learned.loc["overall", "f1"] >= 0.9  # the rules alone find only "car park" and "kind"
        with closing(Store.open(rules_only)) as baseline:
            rules = evaluate(baseline, project["test_gold"], "segment").set_index("code")
            assert rules.loc["overall", "f1"] < 0.6
            paired = compare(baseline, store, project["test_gold"], "segment").set_index("store")
        assert paired.loc["B - A", "p_better"] == 1.0
        assert learned.loc["overall", "f1_low"] <= learned.loc["overall", "f1"] <= learned.loc["overall", "f1_high"]


def test_a_persons_decision_wins_over_the_model_and_uncertain_comes_first(project, runner):
    db, book = project["db"], project["book"]
    invoke(runner, "import", "codings", project["train_gold"], "--coder", "ana", "--db", db)
    invoke(runner, "train", "--codebook", book, "--db", db)
    invoke(runner, "tag", project["tmp"] / "train.csv", project["tmp"] / "test.csv", "--group-column", "site",
           "--codebook", book, "--db", db)
    with closing(Store.open(db)) as store:
        codings = store.codings()
        machine = codings[(codings["coder"] == "auto") & (codings["transcript"].str.endswith("train.csv"))]
        ana = codings[codings["coder"] == "ana"]
        # every model suggestion on the training sheet sits on a passage ana decided in the same span
        spans = set(zip(ana["segment_start"], ana["segment_end"], ana["code"]))
        overlapping = machine[machine["method"] == "model"]
        assert all((r.segment_start, r.segment_end, r.code) in spans for r in overlapping.itertuples())
        queue = review_queue(store, "bob", order="uncertain")
        model = queue[queue["method"] == "model"]
        distance = (model["score"] - 0.5).abs().tolist()
        assert distance == sorted(distance) and len(distance) > 0
