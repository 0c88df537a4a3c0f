"""Agreement between people coding the same transcripts.

Each coder's judgement on a unit comes from their own latest live decisions
(accepted = present, rejected = absent). A coder who made any decision in a
transcript is taken to have read all of it, so a unit they did not mark
there counts as absent; in a transcript they never touched it is missing.

Units are, at the segment level, each (segment, code) that any of the coders
decided on; at the group level, each (group, code) for every code of the
codebook in the groups the coders worked on.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from .agreement import agreement_table
from ..errors import InputError
from ..store import Store
from .tables import UNIT

LEVELS = ("segment", "group")


def _decisions(store: Store, coders: Sequence[str]) -> pd.DataFrame:
    """Each coder's latest live decision per (segment, code)."""
    codings = store.codings()
    known = set(codings["coder"]) - {"auto"}
    unknown = [c for c in coders if c not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none yet"
        raise InputError(None, None, f"no decisions by {', '.join(map(repr, unknown))} (coders: {listed})")
    people = codings[codings["coder"].isin(coders) & (codings["status"] != "removed") & ~codings["orphaned"]]
    latest = people.sort_values("coding_id").drop_duplicates([*UNIT, "coder"], keep="last")
    return latest.assign(value=latest["status"] == "accepted")


def _fill_absent(judged: pd.DataFrame, units: pd.DataFrame, covered: pd.DataFrame, key: str,
                 coders: Sequence[str]) -> pd.DataFrame:
    """Every (unit, coder) where the coder covered the unit's `key`: explicit value, else absent."""
    grid = units.merge(pd.DataFrame({"coder": list(coders)}), how="cross")
    grid = grid.merge(covered, on=[key, "coder"], how="inner")
    merged = grid.merge(judged, on=[*units.columns, "coder"], how="left")
    return merged.assign(value=merged["value"].fillna(False).astype(bool))


def judgements(store: Store, coders: Sequence[str], level: str = "segment") -> pd.DataFrame:
    """Tidy judgements (code, unit, coder, value) for `coding.agreement.agreement_table`."""
    if level not in LEVELS:
        raise InputError(None, None, f"level {level!r}: use segment or group")
    decisions = _decisions(store, coders)
    key = "transcript" if level == "segment" else "group"
    covered = decisions[[key, "coder"]].drop_duplicates()
    if level == "segment":
        judged = decisions[[*UNIT, "coder", "value"]]
        units = judged[UNIT].drop_duplicates()
        rows = _fill_absent(judged, units, covered, key, coders)
        rows["unit"] = rows["transcript"] + ":" + rows["segment_start"].astype(str) + "-" + \
            rows["segment_end"].astype(str)
    else:
        judged = decisions.groupby(["group", "code", "coder"], as_index=False)["value"].any()
        codes = store.codes()[["code"]]
        units = covered[["group"]].drop_duplicates().merge(codes, how="cross")
        rows = _fill_absent(judged, units, covered, key, coders)
        rows["unit"] = rows["group"]
    order = {code: i for i, code in enumerate(store.codes()["code"])}
    rows = rows.sort_values(["code", "unit", "coder"], key=lambda s: s.map(order) if s.name == "code" else s)
    return rows[["code", "unit", "coder", "value"]].reset_index(drop=True)


def _distinct(coders: Sequence[str]) -> list[str]:
    distinct = list(dict.fromkeys(coders))
    if len(distinct) < 2:
        raise InputError(None, None, "name at least two different coders: --coder A --coder B")
    return distinct


def agreement_report(store: Store, coders: Sequence[str], level: str = "segment") -> pd.DataFrame:
    """Per code and overall: units, percent agreement, Cohen's kappa (two coders),
    Krippendorff's alpha, Fleiss' kappa (three or more)."""
    coders = _distinct(coders)
    rows = judgements(store, coders, level)
    if rows.empty:
        raise InputError(None, None, f"{' and '.join(coders)} have no transcript in common to compare")
    return agreement_table(rows, coders)


def disagreements(store: Store, coders: Sequence[str], code: str | None = None,
                  level: str = "segment") -> pd.DataFrame:
    """Every unit the coders judged differently, with the quote to talk about."""
    coders = _distinct(coders)
    rows = judgements(store, coders, level)
    if code is not None:
        rows = rows[rows["code"] == code]
    wide = rows.pivot_table(index=["code", "unit"], columns="coder", values="value", aggfunc="first")
    wide = wide.reindex(columns=coders)
    judged_twice = wide.notna().sum(axis=1) >= 2
    differ = wide.nunique(axis=1, dropna=True) > 1
    found = wide[judged_twice & differ].reset_index()
    for coder in coders:
        found[coder] = found[coder].map({True: "present", False: "absent"}).fillna("(not coded)")
    return found.merge(_evidence(store, level), on=["code", "unit"], how="left").fillna("")


def _evidence(store: Store, level: str) -> pd.DataFrame:
    """Where each unit is and what was said there (for a group: every coded quote's place)."""
    codings = store.codings()
    if level == "segment":
        codings = codings.assign(unit=codings["transcript"] + ":" + codings["segment_start"].astype(str)
                                 + "-" + codings["segment_end"].astype(str))
        first = codings.drop_duplicates(["code", "unit"])
        first = first.assign(where=first["transcript"] + ":" + first["line"].astype(str))
        return first[["code", "unit", "where", "speaker", "quote"]]
    codings = codings[codings["status"].isin(["accepted", "suggested"]) & (codings["coder"] != "auto")]
    places = codings.assign(where=codings["transcript"] + ":" + codings["line"].astype(str))
    joined = places.groupby(["group", "code"])["where"].agg(lambda w: "; ".join(sorted(set(w))))
    return joined.reset_index().rename(columns={"group": "unit", "where": "accepted at"})
