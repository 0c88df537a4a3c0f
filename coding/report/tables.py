"""Tables over the store: the needs table, the group x code matrix, the audit.

Every figure is a pandas pivot of tidy coding rows; nothing is counted by
hand. The unit counted is the group: a group that raises a need ten times
counts once.
"""

from __future__ import annotations

import pandas as pd

from ..coders import RULE_CODER

from ..coders import machine_mask
from ..errors import InputError
from ..review.standing import DEFAULT_RULE, DISPUTED, RULE_TEXT, UNIT, counted, counting, current, latest_per_coder
from ..store import Store

SHARED = "generally shared"
CONTEXT = "context-specific"
NOT_IDENTIFIED = "not identified"
CLASS_ORDER = {SHARED: 0, CONTEXT: 1, NOT_IDENTIFIED: 2}


def counted_codings(store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """The codings a table counts: the one rule (`standing.counted`) over the codebook's codes."""
    return counted(store.codings(), store.codes()["code"], reviewed_only, rule)


def counted_footer(store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> str:
    """What a table counted, under which rule: accepted codings and unreviewed suggestions
    of the codes it shows, and what it did not count."""
    codes = store.codes()["code"]
    codings = store.codings()
    standing = current(codings, rule)
    used = counting(standing, codes, reviewed_only)["status"].value_counts()
    standing = standing[standing["code"].isin(codes) & (standing["role"] == "participant")]
    parts = [f"{used.get('accepted', 0)} accepted codings"]
    if not reviewed_only:
        parts.append(f"{used.get('suggested', 0)} unreviewed suggestions")
    left_out = [f"{(standing['status'] == 'rejected').sum()} rejected"]
    disputed = (standing["status"] == DISPUTED).sum()
    if disputed:
        left_out.append(f"{disputed} disputed")
    return (f"counted {' + '.join(parts)}; {', '.join(left_out)} (never counted); "
            f"rule: {rule} ({RULE_TEXT[rule]})")


def classify(groups: int, min_groups: int) -> str:
    if groups == 0:
        return NOT_IDENTIFIED
    return SHARED if groups >= min_groups else CONTEXT


def needs_table(store: Store, min_groups: int | None = None, reviewed_only: bool = False,
                rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """One row per code: in how many groups it was raised, and its class."""
    threshold = min_groups if min_groups is not None else store.shared_min_groups()
    codes = store.codes()
    raised = counted_codings(store, reviewed_only, rule).groupby("code")["group"].agg(lambda g: sorted(set(g)))
    table = codes.assign(group_ids=codes["code"].map(raised).apply(lambda g: g if isinstance(g, list) else []))
    table["groups"] = table["group_ids"].apply(len).astype(int)
    table["class"] = table["groups"].apply(classify, min_groups=threshold).astype(object)
    table = table.assign(_order=table["class"].map(CLASS_ORDER), _position=range(len(table)))
    table = table.sort_values(["_order", "groups", "_position"], ascending=[True, False, True])
    return table[["code", "label", "description", "groups", "class", "group_ids"]].reset_index(drop=True)


def matrix(store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """Group x code: how many counted codings each group has for each code."""
    rows = counted_codings(store, reviewed_only, rule)
    groups = store.groups()
    codes = list(store.codes()["code"])
    counts = pd.crosstab(rows["group"], rows["code"]) if not rows.empty else pd.DataFrame()
    counts = counts.reindex(index=groups["group"], columns=codes, fill_value=0).fillna(0).astype(int)
    counts.index.name = "group"
    counts.columns.name = None
    table = groups.merge(counts.reset_index(), on="group", how="left")
    return table.sort_values("group").reset_index(drop=True)


AUDIT_COLUMNS = ["group", "code", "transcript", "line", "speaker", "role", "quote", "matched_text",
                 "method", "score", "rule", "coder", "status", "counted", "veto"]


def audit(store: Store, code: str | None = None, group: str | None = None,
          include_uncounted: bool = False, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """The quotes behind the counts, for one need, one group, or both."""
    everything, groups = store.codings(), store.groups()
    codings = current(everything, rule)
    codings = codings.assign(counted=codings.index.isin(counted(everything, store.codes()["code"],
                                                                rule=rule).index))
    if code is not None:
        _require(code, store.codes()["code"], "code")
        codings = codings[codings["code"] == code]
    if group is not None:
        _require(group, groups["group"], "group")
        codings = codings[codings["group"] == group]
    codings = codings.assign(veto="")
    if not include_uncounted:
        codings = codings[codings["counted"]]
    else:  # with what the rules vetoed, and why
        vetoed = store.vetoes().rename(columns={"reason": "veto"}).assign(
            coder=RULE_CODER, status="vetoed", counted=False, score=None)
        if code is not None:
            vetoed = vetoed[vetoed["code"] == code]
        if group is not None:
            vetoed = vetoed[vetoed["group"] == group]
        if not vetoed.empty:
            codings = pd.concat([codings, vetoed], ignore_index=True) if not codings.empty else vetoed
    table = codings.merge(groups, on="group", how="left")
    extra = [c for c in groups.columns if c != "group"]
    table["file:line"] = table["transcript"] + ":" + table["line"].astype(str)
    table["place"] = _places(store, table)
    columns = ["group", "code", "file:line", "place",
               *[c for c in AUDIT_COLUMNS if c not in ("group", "code", "transcript", "line")], *extra]
    ordered = table.sort_values(["group", "code", "transcript", "line"])
    return ordered[columns].reset_index(drop=True)


def _places(store: Store, table: pd.DataFrame) -> pd.Series:
    """Where each row's quote begins in the original file ('cue 3 00:00:05.120', 'paragraph 7',
    'row 57 (answer)'): the last place at or before its start; '' for Markdown."""
    places = store.places()
    empty = pd.Series("", index=table.index, dtype=object)
    if places.empty or "segment_start" not in table:
        return empty
    quotes = table[["transcript", "segment_start"]].dropna().astype({"segment_start": "int64"})
    found = pd.merge_asof(quotes.reset_index().sort_values("segment_start"),
                          places.rename(columns={"start": "segment_start"}).astype({"segment_start": "int64"})
                          .sort_values("segment_start"), on="segment_start", by="transcript")
    return found.set_index("index")["place"].reindex(table.index).fillna("")


def _require(value: str, known: pd.Series, what: str) -> None:
    if value not in set(known):
        listed = ", ".join(sorted(known)) or "none"
        raise InputError(None, None, f"unknown {what} {value!r} (known: {listed})")


STATUS_COLUMNS = ["unreviewed", "accepted", "rejected", "manual", "orphaned", "disputed"]


def status(store: Store, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """Per transcript and code: suggestions still unreviewed, accepted, rejected,
    added by hand (manual), people's codings orphaned by a changed or missing
    transcript, and units the coders disagree on (disputed). Participants' turns only,
    as only they count."""
    codings = store.codings()
    codings = codings[codings["role"] == "participant"]
    standing = current(codings, rule)
    kind = standing["status"].map({"suggested": "unreviewed", "accepted": "accepted",
                                   "rejected": "rejected", DISPUTED: "disputed"})
    kind = kind.where(~((standing["status"] == "accepted") & (standing["method"] == "manual")), "manual")
    orphans = codings[codings["orphaned"] & (codings["status"] != "removed")]
    rows = pd.concat([standing[["transcript", "code"]].assign(kind=kind),
                      orphans[["transcript", "code"]].assign(kind="orphaned")])
    table = pd.crosstab([rows["transcript"], rows["code"]], rows["kind"]) if not rows.empty else None
    if table is None:
        return pd.DataFrame(columns=["transcript", "code", *STATUS_COLUMNS])
    table = table.reindex(columns=STATUS_COLUMNS, fill_value=0)
    table.columns.name = None
    return table.reset_index()


def status_by(table: pd.DataFrame, by: str, order: list[str] | None = None) -> pd.DataFrame:
    """The status table summed per transcript or per code (in `order`), with a total row."""
    summed = table.groupby(by, sort=True)[STATUS_COLUMNS].sum()
    if order is not None:
        summed = summed.reindex([o for o in order if o in summed.index])
    summed = summed.reset_index()
    total = pd.DataFrame([{by: "(all)", **summed[STATUS_COLUMNS].sum().to_dict()}])
    return pd.concat([summed, total], ignore_index=True)


def _people(codings: pd.DataFrame) -> pd.DataFrame:
    return codings[~machine_mask(codings["coder"]) & (codings["status"] != "removed")]


def orphaned(store: Store) -> pd.DataFrame:
    """People's codings whose quote is no longer where it was, and why: kept, listed, not counted."""
    codings = store.codings()
    rows = codings[codings["orphaned"] & (codings["status"] != "removed")]
    return rows[["coding_id", "group", "transcript", "line", "code", "coder", "status", "quote",
                 "orphan_reason", "note"]].rename(columns={"orphan_reason": "why"}).reset_index(drop=True)


def outside_codebook(store: Store) -> pd.DataFrame:
    """People's codings on codes the codebook no longer has: kept, listed, not counted."""
    codings = _people(store.codings())
    rows = codings[~codings["code"].isin(store.codes()["code"])]
    return rows[["coding_id", "group", "transcript", "line", "code", "coder", "status", "quote"]].reset_index(drop=True)


def in_interviewer_turns(store: Store) -> pd.DataFrame:
    """People's accepted codings that now sit in an interviewer's turn (after a speaker was
    relabelled or a role changed): kept, listed, not counted."""
    codings = _people(store.codings())
    rows = codings[(codings["role"] != "participant") & (codings["status"] == "accepted") & ~codings["orphaned"]]
    return rows[["coding_id", "group", "transcript", "line", "speaker", "role", "code", "coder",
                 "quote"]].reset_index(drop=True)


def disputed(store: Store, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """Units the coders disagree on, with each coder's latest decision: for an adjudicator
    (`coding adjudicate CODING_ID accept|reject`)."""
    codings = store.codings()
    standing = current(codings, rule)
    units = standing[standing["status"] == DISPUTED]
    if units.empty:
        return pd.DataFrame(columns=["coding_id", "group", "transcript", "line", "code", "quote", "decisions"])
    people = latest_per_coder(codings)
    said = people.assign(said=people["coder"] + ": " + people["status"]).groupby(UNIT)["said"].agg("; ".join)
    table = units.merge(said.reset_index(), on=UNIT, how="left")
    return table[["coding_id", "group", "transcript", "line", "code", "quote", "said"]].rename(
        columns={"said": "decisions"}).reset_index(drop=True)
