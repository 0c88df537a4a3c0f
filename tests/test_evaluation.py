import pandas as pd
import pytest

from coding.evaluation import cohen_kappa, evaluate

from .conftest import ROOT


@pytest.mark.parametrize("a, b, expected", [
    # sklearn.metrics.cohen_kappa_score gives these values for the same ratings
    ([1, 1, 0, 0, 1, 0, 1, 1, 0, 1], [1, 0, 0, 0, 1, 1, 1, 1, 0, 1], 0.5833333),
    ([1, 1, 1, 0], [1, 1, 1, 0], 1.0),
    ([1, 0, 1, 0], [0, 1, 0, 1], -1.0),
    ([1, 1, 1, 1], [1, 1, 1, 1], 1.0),
])
def test_cohen_kappa(a, b, expected):
    assert cohen_kappa(pd.Series(a), pd.Series(b)) == pytest.approx(expected, abs=1e-6)


def test_cohen_kappa_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.metrics")
    a = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0]
    b = [1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0]
    assert cohen_kappa(pd.Series(a), pd.Series(b)) == pytest.approx(sklearn.cohen_kappa_score(a, b))


def test_bundled_gold_finds_only_the_paraphrases_missed(bundled_store):
    result = evaluate(bundled_store, ROOT / "tests" / "bundled_gold.csv").set_index("code")
    overall = result.loc["overall"]
    # 55 explicit mentions found; 4 needs voiced only by paraphrase are missed
    assert (overall["tp"], overall["fp"], overall["fn"], overall["tn"]) == (55, 0, 4, 111)
    assert overall["precision"] == 1.0 and overall["recall"] == pytest.approx(55 / 59, abs=1e-3)
    assert result.loc["staff_support", "fn"] == 2
    assert result.loc["funding", "precision"] is None or pd.isna(result.loc["funding", "precision"])
