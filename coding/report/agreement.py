"""Inter-coder reliability over nominal data: percent agreement, Cohen's kappa,
Krippendorff's alpha and Fleiss' kappa, per code and pooled.

Percent agreement with three or more coders is the average pairwise percent
agreement: per pair of coders, the share of the units both rated on which
they agree, averaged over the pairs. It so covers every unit rated by at least
two coders, the units the table counts. Fleiss' kappa, whose formula needs
the same number of raters per unit, uses the units every coder rated.

A statistic that is undefined for the data (no units coded twice, or no
variation to agree on) is None rather than 0 or NaN, because a table showing
"n/a" is more honest than a made-up number.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Hashable, Sequence

import krippendorff
import numpy as np
import pandas as pd

ALL = "(all)"
STATISTICS = ["percent", "cohen", "alpha", "fleiss"]
TABLE_COLUMNS = ["code", "units", *STATISTICS]


def is_missing(value) -> bool:
    """None, NaN or pd.NA: the coder did not rate this unit."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _rectangular(ratings: Sequence[Sequence]) -> list[list]:
    rows = [list(row) for row in ratings]
    if len({len(row) for row in rows}) > 1:
        raise ValueError("every coder needs one rating (or None) per unit")
    return rows


def _units(rows: list[list]) -> list[list]:
    """Transpose ratings[coder][unit] into ratings[unit][coder]."""
    return [list(unit) for unit in zip(*rows)]


def _rated(unit: list) -> list:
    return [value for value in unit if not is_missing(value)]


def _paired(a: Sequence, b: Sequence) -> list[tuple]:
    if len(a) != len(b):
        raise ValueError(f"the two coders rated different numbers of units ({len(a)} and {len(b)})")
    return [(x, y) for x, y in zip(a, b) if not (is_missing(x) or is_missing(y))]


def percent_agreement(a: Sequence, b: Sequence) -> float | None:
    """Share of the units rated by both coders on which they agree."""
    pairs = _paired(a, b)
    if not pairs:
        return None
    return sum(x == y for x, y in pairs) / len(pairs)


def cohen_kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's kappa over the units rated by both coders."""
    pairs = _paired(a, b)
    if not pairs:
        return None
    n = len(pairs)
    agreed = sum(x == y for x, y in pairs)
    first, second = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    chance = sum(first[label] * second[label] for label in first)
    # Kept in whole counts, (n*agreed - chance) / (n*n - chance) is (po - pe) / (1 - pe)
    # with a single rounding, so textbook values such as 0.4 come out exact.
    if chance == n * n:
        return None
    return (n * agreed - chance) / (n * n - chance)


def _label_codes(units: list[list]) -> dict[Hashable, int]:
    codes: dict[Hashable, int] = {}
    for unit in units:
        for value in _rated(unit):
            codes.setdefault(value, len(codes))
    return codes


def krippendorff_alpha(ratings: Sequence[Sequence]) -> float | None:
    """Krippendorff's alpha (nominal) of ratings[coder][unit]; missing ratings are allowed."""
    # A unit rated once adds nothing to alpha, so dropping it changes no value but
    # lets "one value only" be checked on exactly the data alpha is computed from.
    pairable = [unit for unit in _units(_rectangular(ratings)) if len(_rated(unit)) >= 2]
    codes = _label_codes(pairable)
    # With one value there is no disagreement to expect; the package raises
    # (or, if unpaired units carry a second value, returns NaN).
    if len(codes) < 2:
        return None
    data = np.array(
        [[np.nan if is_missing(value) else codes[value] for value in unit] for unit in pairable],
        dtype=float,
    ).T
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def fleiss_kappa_from_counts(counts) -> float | None:
    """Fleiss' kappa of counts[unit][category] = raters putting the unit in that category."""
    table = np.asarray(counts, dtype=float)
    if table.size == 0:
        return None
    if table.ndim != 2:
        raise ValueError("counts must be a table: one row per unit, one column per category")
    raters = table.sum(axis=1)
    n = raters[0]
    if not (raters == n).all() or n < 2:
        raise ValueError("every unit needs the same number of raters, at least two")
    category_share = table.sum(axis=0) / table.sum()
    expected = float((category_share**2).sum())
    if expected == 1:
        return None
    observed = _unit_agreement(table, n).mean()
    return float((observed - expected) / (1 - expected))


def _unit_agreement(table: np.ndarray, n: float) -> np.ndarray:
    """Per unit, the share of rater pairs that agree."""
    return ((table**2).sum(axis=1) - n) / (n * (n - 1))


def _complete_units(ratings: Sequence[Sequence]) -> list[list]:
    return [unit for unit in _units(_rectangular(ratings)) if len(_rated(unit)) == len(unit)]


def _counts(units: list[list]) -> np.ndarray:
    codes = _label_codes(units)
    table = np.zeros((len(units), len(codes)), dtype=int)
    for row, unit in enumerate(units):
        for value in unit:
            table[row, codes[value]] += 1
    return table


def fleiss_kappa(ratings: Sequence[Sequence]) -> float | None:
    """Fleiss' kappa of ratings[coder][unit], over the units every coder rated."""
    # Fleiss' formula assumes the same number of raters on every unit.
    units = _complete_units(ratings)
    if not units:
        return None
    return fleiss_kappa_from_counts(_counts(units))


def mean_pairwise_agreement(ratings: Sequence[Sequence]) -> float | None:
    """Average pairwise percent agreement: the mean, over the pairs of coders who rated
    at least one unit in common, of their percent agreement on those units.

    So every unit rated by at least two coders counts (the units an `Agreement`
    reports), not only the units every coder rated; with complete ratings this is
    the share of agreeing coder pairs over all units.
    """
    shares = [percent_agreement(a, b) for a, b in combinations(_rectangular(ratings), 2)]
    shares = [share for share in shares if share is not None]
    return sum(shares) / len(shares) if shares else None


@dataclass(frozen=True)
class Agreement:
    """One row of an agreement report."""

    units: int  # units rated by at least two coders
    percent: float | None  # with three or more coders, the mean over pairs of coders
    cohen: float | None  # only with exactly two coders
    alpha: float | None
    fleiss: float | None  # only with more than two coders


def agreement(ratings: Sequence[Sequence]) -> Agreement:
    """The statistics that suit the number of coders, for ratings[coder][unit]."""
    rows = _rectangular(ratings)
    if len(rows) < 2:
        raise ValueError(f"agreement needs at least two coders, not {len(rows)}")
    units = sum(len(_rated(unit)) >= 2 for unit in _units(rows))
    alpha = krippendorff_alpha(rows)
    if len(rows) == 2:
        return Agreement(units, percent_agreement(*rows), cohen_kappa(*rows), alpha, None)
    return Agreement(units, mean_pairwise_agreement(rows), None, alpha, fleiss_kappa(rows))


def _ratings(judgements: pd.DataFrame, coders: list) -> list[list]:
    """ratings[coder][unit] for the (code, unit) pairs in `judgements`; no row means missing."""
    keys = zip(judgements["code"], judgements["unit"], judgements["coder"])
    value = dict(zip(keys, judgements["value"]))
    units = list(dict.fromkeys(zip(judgements["code"], judgements["unit"])))
    return [[value.get((code, unit, coder)) for code, unit in units] for coder in coders]


def _row(code, result: Agreement) -> dict:
    def rounded(value):
        return None if value is None else round(value, 3)

    return {
        "code": code,
        "units": result.units,
        "percent": rounded(result.percent),
        "cohen": rounded(result.cohen),
        "alpha": rounded(result.alpha),
        "fleiss": rounded(result.fleiss),
    }


def agreement_table(judgements: pd.DataFrame, coders: Sequence[str]) -> pd.DataFrame:
    """One row of agreement per code, then "(all)" over every (code, unit) pooled.

    `judgements` has columns code, unit, coder, value (bool: the code is present
    in the unit according to that coder).
    """
    coders = list(dict.fromkeys(coders))
    if len(coders) < 2:
        raise ValueError(f"agreement needs at least two coders, not {len(coders)}")
    judgements = judgements[judgements["coder"].isin(coders)]
    duplicated = judgements.duplicated(["code", "unit", "coder"])
    if duplicated.any():
        first = judgements[duplicated].iloc[0]
        raise ValueError(f"{first['coder']} judged code {first['code']!r} in unit {first['unit']!r} more than once")
    rows = [
        _row(code, agreement(_ratings(group, coders)))
        for code, group in judgements.groupby("code", sort=False)
    ]
    rows.append(_row(ALL, agreement(_ratings(judgements, coders))))
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    # pandas would turn None into NaN in some columns and not in others; keep
    # every statistic column the same: numbers, or None where undefined.
    for column in STATISTICS:
        table[column] = pd.Series([row[column] for row in rows], dtype=object)
    return table
