import pandas as pd
import pytest

from coding.report.evaluation import evaluate

from .conftest import ROOT


def test_group_kappa_matches_scikit_learn(bundled_store, tmp_path):
    sklearn = pytest.importorskip("sklearn.metrics")
    gold = pd.read_csv(ROOT / "tests" / "bundled_gold.csv")
    gold.loc[gold.index[::7], "present"] = 1 - gold.loc[gold.index[::7], "present"]  # a worse gold
    path = tmp_path / "gold.csv"
    gold.to_csv(path, index=False)
    result = evaluate(bundled_store, path).set_index("code").loc["overall"]
    predicted = gold.merge(evaluate_pairs_expected(bundled_store), on=["group", "code"], how="left")
    expected = sklearn.cohen_kappa_score(predicted["present"], predicted["predicted"].fillna(0))
    assert result["kappa"] == pytest.approx(expected, abs=1e-3)


def evaluate_pairs_expected(store):
    """Independently of evaluation.py: groups with a counted participant coding per code."""
    codings = store.codings()
    auto = codings[(codings["coder"] == "auto") & (codings["role"] == "participant")]
    return auto[["group", "code"]].drop_duplicates().assign(predicted=1)


def test_bundled_gold_finds_only_the_paraphrases_missed(bundled_store):
    result = evaluate(bundled_store, ROOT / "tests" / "bundled_gold.csv").set_index("code")
    overall = result.loc["overall"]
    # 55 explicit mentions found; 4 needs voiced only by paraphrase are missed
    assert (overall["tp"], overall["fp"], overall["fn"], overall["tn"]) == (55, 0, 4, 111)
    assert overall["precision"] == 1.0 and overall["recall"] == pytest.approx(55 / 59, abs=1e-3)
    assert result.loc["staff_support", "fn"] == 2
    assert result.loc["funding", "precision"] is None or pd.isna(result.loc["funding", "precision"])
