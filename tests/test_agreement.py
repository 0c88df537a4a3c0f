import math
from collections import Counter
from itertools import permutations

import numpy as np
import pandas as pd
import pytest

from coding.report.agreement import (
    Agreement,
    agreement,
    agreement_table,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_from_counts,
    krippendorff_alpha,
    percent_agreement,
)

T, F = True, False


def nominal_alpha_by_hand(ratings):
    """Krippendorff's textbook form, 1 - Do/De over the coincidence matrix, without the package."""
    coincidences = Counter()
    for unit in zip(*ratings):
        values = [v for v in unit if v is not None]
        if len(values) < 2:
            continue
        for c, k in permutations(values, 2):
            coincidences[c, k] += 1 / (len(values) - 1)
    totals = Counter()
    for (c, _), o in coincidences.items():
        totals[c] += o
    n = sum(totals.values())
    observed = sum(o for (c, k), o in coincidences.items() if c != k) / n
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k) / (n * (n - 1))
    return 1 - observed / expected


# --- Cohen's kappa and percent agreement -------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("labels", [[0, 1], [0, 1, 2], ["low", "mid", "high"]])
def test_cohen_kappa_equals_scikit_learn(seed, labels):
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    a = [labels[i] for i in rng.integers(len(labels), size=40)]
    # b copies a on about half the units so kappa is well away from 0
    b = [x if rng.random() < 0.5 else labels[rng.integers(len(labels))] for x in a]
    assert cohen_kappa(a, b) == pytest.approx(sklearn.cohen_kappa_score(a, b), abs=1e-12)


def wikipedia_cohen_example():
    # Wikipedia "Cohen's kappa": 50 grant proposals read by A and B.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    return [a for a, _ in pairs], [b for _, b in pairs]


def test_cohen_kappa_wikipedia_example():
    a, b = wikipedia_cohen_example()
    assert percent_agreement(a, b) == 0.7  # po
    # pe = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = (0.7 - 0.5) / (1 - 0.5)
    assert cohen_kappa(a, b) == 0.4


def test_missing_ratings_are_left_out_of_cohen_and_percent():
    sklearn = pytest.importorskip("sklearn.metrics")
    a = [T, F, None, T, F, T, float("nan"), F]
    b = [T, T, F, None, F, T, T, F]
    both_a, both_b = [T, F, F, T, F], [T, T, F, T, F]
    assert percent_agreement(a, b) == 4 / 5
    assert cohen_kappa(a, b) == pytest.approx(sklearn.cohen_kappa_score(both_a, both_b))
    # n=5, agreed 4, A has 2 T 3 F, B has 3 T 2 F: (5*4 - 12) / (25 - 12)
    assert cohen_kappa(a, b) == pytest.approx(8 / 13)


def test_unequal_numbers_of_units_are_an_error():
    with pytest.raises(ValueError):
        cohen_kappa([T, F], [T])
    with pytest.raises(ValueError):
        krippendorff_alpha([[T, F], [T]])


# --- Fleiss' kappa -----------------------------------------------------------------------

WIKIPEDIA_FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_wikipedia_example():
    assert round(fleiss_kappa_from_counts(WIKIPEDIA_FLEISS_COUNTS), 3) == 0.210


def test_fleiss_kappa_from_ratings_builds_the_same_counts():
    # ratings[rater][subject]: hand the 14 ratings of each subject out to raters 0..13
    by_subject = [[category for category, n in enumerate(row) for _ in range(n)] for row in WIKIPEDIA_FLEISS_COUNTS]
    ratings = [list(rater) for rater in zip(*by_subject)]
    assert len(ratings) == 14
    assert fleiss_kappa(ratings) == pytest.approx(fleiss_kappa_from_counts(WIKIPEDIA_FLEISS_COUNTS))


def test_fleiss_kappa_needs_the_same_number_of_raters_per_unit():
    with pytest.raises(ValueError):
        fleiss_kappa_from_counts([[2, 1], [1, 1]])
    with pytest.raises(ValueError):
        fleiss_kappa_from_counts([[1, 0], [0, 1]])  # one rater is no agreement at all


def test_fleiss_kappa_is_none_without_units_or_variation():
    assert fleiss_kappa_from_counts([]) is None
    assert fleiss_kappa_from_counts([[3, 0], [3, 0]]) is None
    assert fleiss_kappa([[T, T], [T, T], [T, T]]) is None
    assert fleiss_kappa([[T, None], [None, F], [T, F]]) is None  # no unit rated by all three


# Three coders on four units; C did not rate the last unit.
THREE_CODERS = [
    [T, T, F, T],
    [T, T, F, F],
    [T, F, F, None],
]


def test_fleiss_kappa_ignores_units_not_rated_by_every_coder():
    # counts (T, F) of the first three units: [3,0], [2,1], [0,3]
    # pe = (5/9)^2 + (4/9)^2 = 41/81, mean P_i = (1 + 1/3 + 1) / 3 = 63/81
    assert fleiss_kappa(THREE_CODERS) == pytest.approx((63 - 41) / (81 - 41))  # 0.55
    assert fleiss_kappa(THREE_CODERS) == pytest.approx(fleiss_kappa([row[:3] for row in THREE_CODERS]))


# --- Krippendorff's alpha ----------------------------------------------------------------

KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_krippendorff_alpha_on_krippendorffs_example_with_missing_data():
    assert round(krippendorff_alpha(KRIPPENDORFF_2011), 3) == 0.743
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(nominal_alpha_by_hand(KRIPPENDORFF_2011))


def test_krippendorff_alpha_takes_any_labels():
    letters = [[None if v is None else "abcde"[v - 1] for v in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(letters) == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011))
    # NaN is missing too, not a sixth value
    with_nan = [[float("nan") if v is None else v for v in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(with_nan) == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011))


def test_alpha_is_close_to_but_not_cohens_kappa_for_two_complete_coders():
    a = [1, 1, 0, 0, 1, 0, 1, 1, 0, 1]
    b = [1, 0, 0, 0, 1, 1, 1, 1, 0, 1]
    # coincidences: o11 = 10, o00 = 6, o10 = o01 = 2; n1 = 12, n0 = 8, n = 20
    # Do = 4/20, De = 2*12*8 / (20*19), alpha = 1 - Do/De = 29/48
    assert nominal_alpha_by_hand([a, b]) == pytest.approx(29 / 48)
    alpha, kappa = krippendorff_alpha([a, b]), cohen_kappa(a, b)
    assert alpha == pytest.approx(29 / 48)
    assert kappa == pytest.approx(28 / 48)
    assert alpha != pytest.approx(kappa)
    assert abs(alpha - kappa) < 0.05


def test_alpha_keeps_units_with_missing_ratings():
    # The last unit has two of three ratings (T, F): alpha counts it, Fleiss cannot.
    # coincidences: oTT = 3 + 1 = 4, oFF = 3, oTF = oFT = 1 + 1 = 2; nT = 6, nF = 5, n = 11
    # Do = 4/11, De = 2*6*5 / (11*10) = 6/11, alpha = 1/3
    assert krippendorff_alpha(THREE_CODERS) == pytest.approx(1 / 3)
    # without that unit: Do = 2/9, De = 2*5*4 / (9*8) = 5/9, alpha = 0.6
    assert krippendorff_alpha([row[:3] for row in THREE_CODERS]) == pytest.approx(0.6)


def test_alpha_is_none_when_only_one_value_is_pairable():
    # the F is the only rating of its unit, so there is nothing to disagree on
    assert krippendorff_alpha([[T, T, F], [T, T, None]]) is None
    assert krippendorff_alpha([[T, None], [None, F]]) is None  # no unit rated twice


# --- agreement: the statistics for a number of coders ------------------------------------


def test_no_units_means_no_statistics():
    assert agreement([[], []]) == Agreement(units=0, percent=None, cohen=None, alpha=None, fleiss=None)
    assert agreement([[], [], []]) == Agreement(units=0, percent=None, cohen=None, alpha=None, fleiss=None)
    assert percent_agreement([], []) is None
    assert cohen_kappa([], []) is None
    assert krippendorff_alpha([]) is None
    assert fleiss_kappa([]) is None


def test_one_category_only_agrees_fully_but_kappa_and_alpha_are_undefined():
    assert agreement([[T] * 5, [T] * 5]) == Agreement(units=5, percent=1.0, cohen=None, alpha=None, fleiss=None)
    assert agreement([[T] * 5] * 3) == Agreement(units=5, percent=1.0, cohen=None, alpha=None, fleiss=None)


def test_perfect_agreement_on_two_categories():
    assert agreement([[T, F, T, F], [T, F, T, F]]) == Agreement(4, 1.0, 1.0, 1.0, None)
    assert agreement([[T, F, T, F]] * 3) == Agreement(4, 1.0, None, 1.0, 1.0)


def test_agreement_of_two_coders():
    a, b = wikipedia_cohen_example()
    result = agreement([a, b])
    assert (result.units, result.percent, result.cohen, result.fleiss) == (50, 0.7, 0.4, None)
    assert result.alpha == pytest.approx(nominal_alpha_by_hand([a, b]))


def test_agreement_of_three_coders():
    result = agreement(THREE_CODERS)
    assert result.units == 4
    # mean pairwise percent agreement over every unit a pair rated: A-B 3/4 (all four units),
    # A-C 2/3, B-C 2/3 (C did not rate the last unit)
    assert result.percent == pytest.approx((3 / 4 + 2 / 3 + 2 / 3) / 3)  # 25/36
    assert result.cohen is None
    assert result.alpha == pytest.approx(1 / 3)
    assert result.fleiss == pytest.approx(0.55)


def test_percent_of_three_coders_counts_a_unit_only_two_of_them_rated():
    # u1: all three T; u2: only A (T) and B (F); u3: all three F
    ratings = [[T, T, F], [T, F, F], [T, None, F]]
    result = agreement(ratings)
    assert result.units == 3
    # A-B agree on u1 and u3, not u2: 2/3; A-C 2/2; B-C 2/2: mean (2/3 + 1 + 1) / 3 = 8/9
    # (over only the units all three rated it would be 1.0)
    assert result.percent == pytest.approx(8 / 9)
    rows = [("c", f"u{unit}", coder, value) for coder, row in zip("ABC", ratings)
            for unit, value in enumerate(row, start=1) if value is not None]
    table = agreement_table(judgements(rows), ["A", "B", "C"])
    assert (table.loc[0, "units"], table.loc[0, "percent"]) == (3, 0.889)


def test_agreement_needs_two_coders():
    with pytest.raises(ValueError):
        agreement([[T, F]])


# --- agreement_table ---------------------------------------------------------------------


def judgements(rows):
    return pd.DataFrame(rows, columns=["code", "unit", "coder", "value"])


def as_rows(table):
    return [
        {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def test_agreement_table_with_two_coders():
    table = agreement_table(judgements([
        ("cost", "g1", "A", T), ("cost", "g1", "B", T),
        ("cost", "g2", "A", T), ("cost", "g2", "B", F),
        ("cost", "g3", "A", F), ("cost", "g3", "B", F),
        ("cost", "g4", "A", F), ("cost", "g4", "B", F),
        ("cost", "g1", "C", F),  # not one of the coders asked for,
        ("place", "g1", "C", T),  # so neither this nor its code is in the table
        ("trust", "g1", "A", T), ("trust", "g1", "B", T),
        ("trust", "g2", "A", T), ("trust", "g2", "B", F),
        ("trust", "g3", "B", T),  # A did not judge trust in g3
        ("trust", "g4", "A", T),  # nor B in g4
    ]), ["A", "B"])
    assert list(table.columns) == ["code", "units", "percent", "cohen", "alpha", "fleiss"]
    assert as_rows(table) == [
        # cohen: (4*3 - 8) / (16 - 8); alpha: Do = 2/8, De = 2*3*5 / (8*7), 1 - Do/De = 16/30
        {"code": "cost", "units": 4, "percent": 0.75, "cohen": 0.5, "alpha": 0.533, "fleiss": None},
        # only g1 and g2 are judged by both: one agreement, and no more than chance
        {"code": "trust", "units": 2, "percent": 0.5, "cohen": 0.0, "alpha": 0.0, "fleiss": None},
        # six pairs: T/T twice, T/F twice, F/F twice; cohen (6*4 - 16) / (36 - 16);
        # alpha: Do = 4/12, De = 2*6*6 / (12*11), 1 - Do/De = 7/18
        {"code": "(all)", "units": 6, "percent": 0.667, "cohen": 0.4, "alpha": 0.389, "fleiss": None},
    ]


def test_agreement_table_with_three_coders():
    rows = []
    for unit, values in zip(["g1", "g2", "g3", "g4"], zip(*THREE_CODERS)):
        rows += [("cost", unit, coder, v) for coder, v in zip("ABC", values) if v is not None]
    rows += [("trust", "g1", coder, T) for coder in "ABC"]
    rows += [("trust", "g2", coder, F) for coder in "ABC"]
    table = agreement_table(judgements(rows), ["A", "B", "C"])
    assert list(table.columns) == ["code", "units", "percent", "cohen", "alpha", "fleiss"]
    assert as_rows(table) == [
        # percent (3/4 + 2/3 + 2/3) / 3 = 25/36, as in test_agreement_of_three_coders
        {"code": "cost", "units": 4, "percent": 0.694, "cohen": None, "alpha": 0.333, "fleiss": 0.55},
        {"code": "trust", "units": 2, "percent": 1.0, "cohen": None, "alpha": 1.0, "fleiss": 1.0},
        # complete units: counts (T, F) [3,0] [2,1] [0,3] [3,0] [0,3]
        # pe = (8/15)^2 + (7/15)^2 = 113/225, mean P_i = (1 + 1/3 + 1 + 1 + 1) / 5 = 13/15,
        # fleiss (195 - 113) / (225 - 113); alpha: oTT = 7, oFF = 6, oTF = oFT = 2,
        # Do = 4/17, De = 2*9*8 / (17*16), 1 - Do/De = 5/9;
        # percent over the pairs: A-B 5/6 (all six units), A-C 4/5, B-C 4/5: mean 73/90
        {"code": "(all)", "units": 6, "percent": 0.811, "cohen": None, "alpha": 0.556, "fleiss": 0.732},
    ]


def test_agreement_table_keeps_codes_in_order_of_first_appearance():
    table = agreement_table(judgements([
        ("zeta", "g1", "A", T), ("zeta", "g1", "B", T),
        ("alpha", "g1", "A", T), ("alpha", "g1", "B", F),
    ]), ["A", "B"])
    assert list(table["code"]) == ["zeta", "alpha", "(all)"]


def test_agreement_table_needs_two_coders():
    rows = judgements([("cost", "g1", "A", T), ("cost", "g1", "B", T)])
    with pytest.raises(ValueError):
        agreement_table(rows, ["A"])
    with pytest.raises(ValueError):
        agreement_table(rows, ["A", "A"])
