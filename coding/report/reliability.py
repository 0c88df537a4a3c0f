"""Agreement between people coding the same transcripts.

Each coder's judgement comes from their own latest live decisions
(accepted = present, rejected = absent).

Coverage is per (transcript, code). A coder covered a transcript for a code
when they made a live decision on that code there (accept, reject, add; a
recode covers both codes, as it writes a rejection of the old code and an
acceptance of the new one), or when `store.coverage()` records that they read
it for that code or for '*' (every code). Where a coder covered the
(transcript, code), a unit they did not mark is absent; elsewhere their
judgement is missing (not judged), never absent: someone who reviewed only
code X in a transcript says nothing about code Y there. At the group level a
coder covered (group, code) when they covered the code in any transcript of
the group.

Units at the segment level are elementary intervals, so that codings of
different extent meet: per (transcript, code), the text is cut at every
boundary of every coding of that code by the compared coders and by the
machines (whose suggestions carry the sentence boundaries). A coder's
judgement on an interval is that of their latest decision covering it. An
interval coded by none of the compared coders is not a unit, nor is one whose
text holds no letter or digit (the space between two sentences). A unit is
named `transcript:start-end`. At the group level units are (group, code) for
the codebook's codes that at least one of the coders covered.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from .agreement import agreement_table
from ..coders import machine_mask
from ..errors import InputError
from ..store import Store
from ..review.standing import latest_per_coder, live

LEVELS = ("segment", "group")
EVERY_CODE = "*"
INTERVAL = ["transcript", "code", "start", "end"]


def _decisions(codings: pd.DataFrame, recorded: pd.DataFrame, coders: Sequence[str]) -> pd.DataFrame:
    """Each coder's latest live decision per unit, with `value` (present or absent). A coder
    with no decision but recorded coverage is known: they read and found nothing."""
    latest = latest_per_coder(codings)
    known = set(latest["coder"]) | set(recorded["coder"])
    unknown = [c for c in coders if c not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none yet"
        raise InputError(None, None, f"no decisions by {', '.join(map(repr, unknown))} (coders: {listed})")
    mine = latest[latest["coder"].isin(coders)]
    return mine.assign(value=mine["status"] == "accepted")


def _covered(recorded: pd.DataFrame, decisions: pd.DataFrame, codebook: pd.Series,
             coders: Sequence[str]) -> pd.DataFrame:
    """(coder, transcript, code) each coder read: their decisions plus recorded coverage,
    with '*' spelt out as every code (of the codebook or decided on)."""
    recorded = recorded[recorded["coder"].isin(coders)][["coder", "transcript", "code"]]
    codes = pd.DataFrame({"code": pd.unique(pd.concat([codebook, decisions["code"]]))})
    every = recorded[recorded["code"] == EVERY_CODE].drop(columns="code").merge(codes, how="cross")
    named = recorded[recorded["code"] != EVERY_CODE]
    covered = pd.concat([decisions[["coder", "transcript", "code"]], named, every])
    return covered.drop_duplicates().reset_index(drop=True)


def _fill_absent(judged: pd.DataFrame, units: pd.DataFrame, covered: pd.DataFrame, key: list[str],
                 coders: Sequence[str]) -> pd.DataFrame:
    """Every (unit, coder) where the coder covered the unit's `key`: their value, else absent."""
    grid = units.merge(pd.DataFrame({"coder": list(coders)}), how="cross")
    grid = grid.merge(covered[[*key, "coder"]].drop_duplicates(), on=[*key, "coder"], how="inner")
    merged = grid.merge(judged, on=[*units.columns, "coder"], how="left")
    return merged.assign(value=merged["value"].fillna(False).astype(bool))


# -- segment level: elementary intervals ------------------------------------------------


def _intervals(codings: pd.DataFrame) -> pd.DataFrame:
    """Per (transcript, code), the pieces between consecutive boundaries of its codings."""
    cuts = pd.concat([codings[["transcript", "code", "segment_start"]].rename(columns={"segment_start": "start"}),
                      codings[["transcript", "code", "segment_end"]].rename(columns={"segment_end": "start"})])
    cuts = cuts.drop_duplicates().sort_values(["transcript", "code", "start"])
    cuts["end"] = cuts.groupby(["transcript", "code"])["start"].shift(-1)
    return cuts.dropna(subset=["end"]).astype({"start": int, "end": int})[INTERVAL]


def _covering(intervals: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    """One row per (interval, coding covering it). No boundary falls inside an elementary
    interval, so a coding of its code either covers it whole or misses it."""
    pairs = intervals.merge(codings, on=["transcript", "code"])
    inside = (pairs["segment_start"] <= pairs["start"]) & (pairs["end"] <= pairs["segment_end"])
    return pairs[inside]


def _worded(intervals: pd.DataFrame, turns: pd.DataFrame) -> pd.Series:
    """Which intervals hold a letter or digit in their text (from the stored turns), so that
    the space between two sentences is no unit to disagree on. Unknown text is kept."""
    if intervals.empty:
        return pd.Series(True, index=intervals.index)
    turns = turns.rename(columns={"start": "turn_start", "end": "turn_end"}).sort_values("turn_start")
    placed = pd.merge_asof(intervals.reset_index().sort_values("start"),
                           turns[["transcript", "turn_start", "turn_end", "text"]],
                           left_on="start", right_on="turn_start", by="transcript").set_index("index")
    inside = placed["text"].notna() & (placed["end"] <= placed["turn_end"])
    text = [t[s - ts:e - ts] if ok else "?" for t, s, e, ts, ok in
            zip(placed["text"], placed["start"], placed["end"], placed["turn_start"], inside)]
    worded = pd.Series(text, index=placed.index).str.contains(r"[^\W_]") | ~inside
    return worded.reindex(intervals.index)


def _segment_units(store: Store, codings: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """(interval, coding) pairs for the intervals the compared coders decided on; the
    codings are theirs and the machines' live suggestions."""
    rows = live(codings)
    machines = rows[machine_mask(rows["coder"])].assign(value=pd.NA)
    decided = decisions[["transcript", "code"]].drop_duplicates()
    coded = pd.concat([decisions, machines.merge(decided, on=["transcript", "code"])])
    intervals = _intervals(coded)
    judged = _covering(intervals, decisions)[INTERVAL].drop_duplicates().reset_index(drop=True)
    judged = judged[_worded(judged, store.turns())]
    return _covering(judged, coded)


def _label(rows: pd.DataFrame) -> pd.Series:
    return rows["transcript"] + ":" + rows["start"].astype(str) + "-" + rows["end"].astype(str)


def _segment_rows(covering: pd.DataFrame, covered: pd.DataFrame, coders: Sequence[str]) -> pd.DataFrame:
    """Each coder's judgement per interval: their latest decision covering it, else absent
    where they covered the (transcript, code)."""
    theirs = covering[covering["coder"].isin(coders)].sort_values("coding_id")
    judged = theirs.drop_duplicates([*INTERVAL, "coder"], keep="last")[[*INTERVAL, "coder", "value"]]
    units = covering[INTERVAL].drop_duplicates()
    rows = _fill_absent(judged.astype({"value": bool}), units, covered, ["transcript", "code"], coders)
    return rows.assign(unit=_label(rows))


def _segment_evidence(covering: pd.DataFrame) -> pd.DataFrame:
    """Where each interval is, who spoke and its words, cut from the first coding covering
    it (a coding's quote is the text from its segment_start)."""
    first = covering.sort_values("coding_id").drop_duplicates(INTERVAL)
    offset = first["start"] - first["segment_start"]
    before = [q[:o] for q, o in zip(first["quote"], offset)]
    quote = [q[o:o + n] for q, o, n in zip(first["quote"], offset, first["end"] - first["start"])]
    line = first["line"] + pd.Series(before, index=first.index).str.count("\n")
    return pd.DataFrame({"code": first["code"], "unit": _label(first),
                         "where": first["transcript"] + ":" + line.astype(str),
                         "speaker": first["speaker"], "quote": quote})


# -- group level ----------------------------------------------------------------------------


def _groups_of(store: Store, codings: pd.DataFrame) -> pd.DataFrame:
    """transcript -> group, for codings' transcripts and every current one."""
    current = store.transcripts().rename(columns={"path": "transcript"})
    both = pd.concat([codings[["transcript", "group"]], current[["transcript", "group"]]])
    return both.drop_duplicates("transcript")


def _group_rows(groups: pd.DataFrame, decisions: pd.DataFrame, covered: pd.DataFrame, codebook: pd.Series,
                coders: Sequence[str]) -> pd.DataFrame:
    """Per (group, code) of the codebook that a coder covered in some transcript of the
    group: present if they accepted the code anywhere in the group, else absent."""
    judged = decisions.groupby(["group", "code", "coder"], as_index=False)["value"].any()
    covered = covered.merge(groups, on="transcript")[["group", "code", "coder"]]
    covered = covered[covered["code"].isin(codebook)].drop_duplicates()
    units = covered[["group", "code"]].drop_duplicates()
    rows = _fill_absent(judged, units, covered, ["group", "code"], coders)
    return rows.assign(unit=rows["group"])


# -- reports --------------------------------------------------------------------------------


def _judged(store: Store, coders: Sequence[str], level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judgements (code, unit, coder, value) in codebook order, and the evidence per unit."""
    if level not in LEVELS:
        raise InputError(None, None, f"level {level!r}: use segment or group")
    codings, recorded, codebook = store.codings(), store.coverage(), store.codes()["code"]
    decisions = _decisions(codings, recorded, coders)
    covered = _covered(recorded, decisions, codebook, coders)
    if level == "segment":
        covering = _segment_units(store, codings, decisions)
        rows, evidence = _segment_rows(covering, covered, coders), _segment_evidence(covering)
        places = ["transcript", "start", "end"]
    else:
        rows = _group_rows(_groups_of(store, codings), decisions, covered, codebook, coders)
        evidence, places = _group_evidence(decisions), ["group"]
    order = {code: i for i, code in enumerate(codebook)}
    rows = rows.assign(order=rows["code"].map(order)).sort_values(["order", *places, "coder"])
    return rows[["code", "unit", "coder", "value"]].reset_index(drop=True), evidence


def judgements(store: Store, coders: Sequence[str], level: str = "segment") -> pd.DataFrame:
    """Tidy judgements (code, unit, coder, value) for `coding.agreement.agreement_table`."""
    return _judged(store, coders, level)[0]


def _distinct(coders: Sequence[str]) -> list[str]:
    distinct = list(dict.fromkeys(coders))
    if len(distinct) < 2:
        raise InputError(None, None, "name at least two different coders: --coder A --coder B")
    return distinct


def agreement_report(store: Store, coders: Sequence[str], level: str = "segment") -> pd.DataFrame:
    """Per code and overall: units, percent agreement (mean pairwise with three or more),
    Cohen's kappa (two coders), Krippendorff's alpha, Fleiss' kappa (three or more)."""
    coders = _distinct(coders)
    rows = judgements(store, coders, level)
    if rows.empty:
        raise InputError(None, None, f"{' and '.join(coders)} have no transcript in common to compare")
    return agreement_table(rows, coders)


def disagreements(store: Store, coders: Sequence[str], code: str | None = None,
                  level: str = "segment") -> pd.DataFrame:
    """Every unit the coders judged differently, with the quote to talk about."""
    coders = _distinct(coders)
    rows, evidence = _judged(store, coders, level)
    if code is not None:
        rows = rows[rows["code"] == code]
    wide = rows.pivot_table(index=["code", "unit"], columns="coder", values="value", aggfunc="first",
                            sort=False)
    wide = wide.reindex(columns=coders)
    judged_twice = wide.notna().sum(axis=1) >= 2
    differ = wide.nunique(axis=1, dropna=True) > 1
    found = wide[judged_twice & differ].reset_index()
    found.columns.name = None
    for coder in coders:
        found[coder] = found[coder].map({True: "present", False: "absent"}).fillna("(not coded)")
    return found.merge(evidence, on=["code", "unit"], how="left").fillna("")


def _group_evidence(decisions: pd.DataFrame) -> pd.DataFrame:
    """For a (group, code): the places where the compared coders accepted it."""
    accepted = decisions[decisions["value"]]
    places = accepted.assign(where=accepted["transcript"] + ":" + accepted["line"].astype(str))
    joined = places.groupby(["group", "code"])["where"].agg(lambda w: "; ".join(sorted(set(w))))
    return joined.reset_index().rename(columns={"group": "unit", "where": "accepted at"})
