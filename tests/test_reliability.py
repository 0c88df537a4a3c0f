"""Agreement between coders over the store, checked against independent computations."""

import krippendorff
import numpy as np
import pandas as pd
import pytest

from coding.review import decisions
from coding.errors import InputError
from coding.report.evaluation import evaluate, scores
from coding.report.reliability import agreement_report, disagreements, judgements


def suggestions(store, code, group):
    rows = store.codings()
    rows = rows[(rows["code"] == code) & (rows["group"] == group) & (rows["coder"] == "auto")
                & (rows["role"] == "participant")]
    return [int(i) for i in rows["coding_id"]]


@pytest.fixture
def two_coders(store):
    """mira and jon review G07's legal and G06's conflict suggestions; jon also adds one code."""
    legal, conflict = suggestions(store, "legal_support", "G07"), suggestions(store, "conflict_resolution", "G06")
    assert (len(legal), len(conflict)) == (3, 4)
    mira = ["accept", "accept", "reject", "accept", "accept", "reject", "reject"]
    jon = ["accept", "reject", "reject", "accept", "reject", "reject", "accept"]
    for coding_id, a, b in zip(legal + conflict, mira, jon):
        decisions.decide(store, coding_id, a, "mira")
        decisions.decide(store, coding_id, b, "jon")
    decisions.add(store, "G07", "funding", "jon", lines="64")
    with store.atomic():  # mira read all of G07 for every code (as a bulk import records)
        store.cover("mira", decisions.find_transcript(store, "G07"), "*", "import")
    # mira: 1,1,0 | 1,1,0,0 | funding 0 (she covered G07 for every code, so no mark there is absent)
    # jon:  1,0,0 | 1,0,0,1 | funding 1
    return [1, 1, 0, 1, 1, 0, 0, 0], [1, 0, 0, 1, 0, 0, 1, 1]


def test_segment_agreement_matches_scikit_learn_and_krippendorff(store, two_coders):
    sklearn = pytest.importorskip("sklearn.metrics")
    mira, jon = two_coders
    report = agreement_report(store, ["mira", "jon"]).set_index("code")
    overall = report.loc["(all)"]
    assert overall["units"] == 8
    assert overall["percent"] == pytest.approx(4 / 8, abs=1e-3)
    assert overall["cohen"] == pytest.approx(sklearn.cohen_kappa_score(mira, jon), abs=1e-3)
    alpha = krippendorff.alpha(reliability_data=np.array([mira, jon], dtype=float),
                               level_of_measurement="nominal")
    assert overall["alpha"] == pytest.approx(alpha, abs=1e-3)
    assert report.loc["legal_support", "units"] == 3
    assert report.loc["legal_support", "percent"] == pytest.approx(2 / 3, abs=1e-3)
    assert report.loc["funding", "units"] == 1
    assert report.loc["funding", "cohen"] == sklearn.cohen_kappa_score([0], [1]) == 0.0


def test_group_level_units_are_the_groups_and_codes_each_coder_covered(store, two_coders):
    rows = judgements(store, ["mira", "jon"], level="group")
    assert set(rows["unit"]) == {"G06", "G07"}
    # mira: G07 x 10 codes ('*') and G06 conflict; jon: G07 legal and funding, G06 conflict
    assert len(rows) == 10 + 1 + 2 + 1
    funding = rows[(rows["code"] == "funding") & (rows["unit"] == "G07")].set_index("coder")["value"]
    assert (funding["mira"], funding["jon"]) == (False, True)
    report = agreement_report(store, ["mira", "jon"], level="group").set_index("code")
    assert report.loc["(all)", "units"] == 3  # G07 legal, G07 funding, G06 conflict
    assert report.loc["(all)", "percent"] == pytest.approx(2 / 3, abs=1e-3)
    assert report.loc["skills", "units"] == 0  # only mira covered skills in G07


def test_disagreements_list_each_differing_unit_with_its_quote(store, two_coders):
    rows = disagreements(store, ["mira", "jon"])
    assert sorted(rows["code"]) == ["conflict_resolution", "conflict_resolution", "funding", "legal_support"]
    legal = rows[rows["code"] == "legal_support"].iloc[0]
    assert (legal["mira"], legal["jon"]) == ("present", "absent")
    assert "lawyer" in legal["quote"]
    only_funding = disagreements(store, ["mira", "jon"], code="funding")
    assert list(only_funding["jon"]) == ["present"]


def test_three_coders_get_fleiss_and_alpha_but_no_cohen(store, two_coders):
    for coding_id in suggestions(store, "legal_support", "G07"):
        decisions.decide(store, coding_id, "accept", "ola")
    report = agreement_report(store, ["mira", "jon", "ola"]).set_index("code")
    legal = report.loc["legal_support"]
    assert legal["units"] == 3
    assert legal["cohen"] is None or np.isnan(legal["cohen"])
    # units (mira, jon, ola): (1,1,1), (1,0,1), (0,0,1): computed by hand with Fleiss' formula
    p_present = 6 / 9
    expected_agreement = p_present ** 2 + (1 - p_present) ** 2
    observed = (1 + 1 / 3 + 1 / 3) / 3
    assert legal["fleiss"] == pytest.approx((observed - expected_agreement) / (1 - expected_agreement), abs=1e-3)


def test_an_unknown_level_is_refused(store, two_coders, tmp_path):
    with pytest.raises(InputError, match="level 'turn': use segment or group"):
        agreement_report(store, ["mira", "jon"], level="turn")
    with pytest.raises(InputError, match="level 'turn': use group or segment"):
        evaluate(store, tmp_path / "gold.csv", level="turn")


def test_unknown_coder_and_a_single_coder_are_refused(store, two_coders):
    with pytest.raises(InputError, match="no decisions by 'eve'"):
        agreement_report(store, ["mira", "eve"])
    with pytest.raises(InputError, match="at least two different coders"):
        agreement_report(store, ["mira", "mira"])


def test_segment_level_evaluation_counts_lines(store, tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text("transcript,lines,code\nG07.md,62,legal_support\nG07.md,64-67,legal_support\n"
                    "G07.md,20,funding\n")
    result = evaluate(store, gold, level="segment").set_index("code")
    legal = result.loc["legal_support"]
    # coded lines 62, 64, 67; gold lines 62, 64, 65, 66, 67 (65 is not a talk line)
    assert (legal["tp"], legal["fp"], legal["fn"]) == (3, 0, 1)
    assert result.loc["funding", "fn"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("transcript,lines,code\nG07.md,62,legal_support\nG99.md,1,skills\n")
    with pytest.raises(InputError, match=r"bad.csv:3: no tagged transcript 'G99.md'"):
        evaluate(store, bad, level="segment")


@pytest.mark.parametrize("gold, predicted, expected", [
    # nothing predicted, two to find: precision undefined, recall 0, F1 = 0 / (0 + 0 + 2) = 0
    ([1, 1, 0], [0, 0, 0], (None, 0.0, 0.0)),
    # nothing to find, one predicted: precision 0, recall undefined, F1 = 0 / (0 + 1 + 0) = 0
    ([0, 0], [1, 0], (0.0, None, 0.0)),
    # nothing to find and nothing predicted: F1 undefined
    ([0, 0], [0, 0], (None, None, None)),
    # tp 1, fp 0, fn 2: 2 / (2 + 0 + 2)
    ([1, 1, 1, 0], [1, 0, 0, 0], (1.0, 0.333, 0.5)),
])
def test_f1_is_defined_whenever_there_was_something_to_find_or_predicted(gold, predicted, expected):
    result = scores(pd.DataFrame({"gold": gold, "predicted": predicted}))
    assert (result["precision"], result["recall"], result["f1"]) == expected
