"""Tables over the store: the needs table, the group x code matrix, the audit.

Every figure is a pandas pivot of tidy coding rows; nothing is counted by
hand. The unit counted is the group: a group that raises a need ten times
counts once.
"""

from __future__ import annotations

import pandas as pd

from ..errors import InputError
from ..store import Store

SHARED = "generally shared"
CONTEXT = "context-specific"
NOT_IDENTIFIED = "not identified"
CLASS_ORDER = {SHARED: 0, CONTEXT: 1, NOT_IDENTIFIED: 2}
UNIT = ["transcript", "segment_start", "segment_end", "code"]


def current(codings: pd.DataFrame) -> pd.DataFrame:
    """Where each (segment, code) stands now: the latest person's decision on it,
    else the auto coder's suggestion. Removed and orphaned codings never stand."""
    live = codings[(codings["status"] != "removed") & ~codings["orphaned"]]
    ordered = live.assign(_human=live["coder"] != "auto").sort_values(["_human", "coding_id"])
    return ordered.drop_duplicates(UNIT, keep="last").drop(columns="_human").sort_index()


def counted(codings: pd.DataFrame, reviewed_only: bool = False) -> pd.DataFrame:
    """The codings that count toward a group: participants' words, accepted by a
    person or (unless `reviewed_only`) suggested and not yet reviewed.

    Interviewer turns are coded and kept for the audit, but a question that
    names a need is not the group raising it.
    """
    standing = current(codings)
    statuses = ("accepted",) if reviewed_only else ("suggested", "accepted")
    return standing[(standing["role"] == "participant") & standing["status"].isin(statuses)]


def counted_footer(codings: pd.DataFrame, reviewed_only: bool = False) -> str:
    """What a table counted: how many accepted codings and unreviewed suggestions."""
    used = counted(codings, reviewed_only)["status"].value_counts()
    rejected = (current(codings)["status"] == "rejected").sum()
    parts = [f"{used.get('accepted', 0)} accepted codings"]
    if not reviewed_only:
        parts.append(f"{used.get('suggested', 0)} unreviewed suggestions")
    return f"counted {' + '.join(parts)}; {rejected} rejected (never counted)"


def classify(groups: int, min_groups: int) -> str:
    if groups == 0:
        return NOT_IDENTIFIED
    return SHARED if groups >= min_groups else CONTEXT


def needs_table(store: Store, min_groups: int | None = None, reviewed_only: bool = False) -> pd.DataFrame:
    """One row per code: in how many groups it was raised, and its class."""
    threshold = min_groups if min_groups is not None else store.shared_min_groups()
    codes = store.codes()
    raised = counted(store.codings(), reviewed_only).groupby("code")["group"].agg(lambda g: sorted(set(g)))
    table = codes.assign(group_ids=codes["code"].map(raised).apply(lambda g: g if isinstance(g, list) else []))
    table["groups"] = table["group_ids"].str.len()
    table["class"] = table["groups"].apply(classify, min_groups=threshold)
    table = table.assign(_order=table["class"].map(CLASS_ORDER), _position=range(len(table)))
    table = table.sort_values(["_order", "groups", "_position"], ascending=[True, False, True])
    return table[["code", "label", "description", "groups", "class", "group_ids"]].reset_index(drop=True)


def matrix(store: Store, reviewed_only: bool = False) -> pd.DataFrame:
    """Group x code: how many counted codings each group has for each code."""
    rows = counted(store.codings(), reviewed_only)
    groups = store.groups()
    codes = list(store.codes()["code"])
    counts = pd.crosstab(rows["group"], rows["code"]) if not rows.empty else pd.DataFrame()
    counts = counts.reindex(index=groups["group"], columns=codes, fill_value=0).fillna(0).astype(int)
    counts.index.name = "group"
    counts.columns.name = None
    table = groups.merge(counts.reset_index(), on="group", how="left")
    return table.sort_values("group").reset_index(drop=True)


AUDIT_COLUMNS = ["group", "code", "transcript", "line", "speaker", "role", "quote", "matched_text",
                 "method", "score", "rule", "coder", "status", "counted"]


def audit(store: Store, code: str | None = None, group: str | None = None,
          include_uncounted: bool = False) -> pd.DataFrame:
    """The quotes behind the counts, for one need, one group, or both."""
    everything, groups = store.codings(), store.groups()
    codings = current(everything)
    codings = codings.assign(counted=codings.index.isin(counted(everything).index))
    if code is not None:
        _require(code, store.codes()["code"], "code")
        codings = codings[codings["code"] == code]
    if group is not None:
        _require(group, groups["group"], "group")
        codings = codings[codings["group"] == group]
    if not include_uncounted:
        codings = codings[codings["counted"]]
    table = codings.merge(groups, on="group", how="left")
    extra = [c for c in groups.columns if c != "group"]
    table["file:line"] = table["transcript"] + ":" + table["line"].astype(str)
    columns = ["group", "code", "file:line",
               *[c for c in AUDIT_COLUMNS if c not in ("group", "code", "transcript", "line")], *extra]
    ordered = table.sort_values(["group", "code", "transcript", "line"])
    return ordered[columns].reset_index(drop=True)


def _require(value: str, known: pd.Series, what: str) -> None:
    if value not in set(known):
        listed = ", ".join(sorted(known)) or "none"
        raise InputError(None, None, f"unknown {what} {value!r} (known: {listed})")


STATUS_COLUMNS = ["unreviewed", "accepted", "rejected", "manual", "orphaned"]


def status(store: Store) -> pd.DataFrame:
    """Per transcript and code: suggestions still unreviewed, accepted, rejected,
    added by hand (manual), and people's codings orphaned by a changed transcript.
    Participants' turns only, as only they count."""
    codings = store.codings()
    codings = codings[codings["role"] == "participant"]
    standing = current(codings)
    kind = standing["status"].map({"suggested": "unreviewed", "accepted": "accepted",
                                   "rejected": "rejected"})
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


def orphaned(store: Store) -> pd.DataFrame:
    """People's codings whose quote is no longer in their transcript: kept, listed, not counted."""
    codings = store.codings()
    rows = codings[codings["orphaned"] & (codings["status"] != "removed")]
    return rows[["coding_id", "group", "transcript", "line", "code", "coder", "status", "quote",
                 "note"]].reset_index(drop=True)
