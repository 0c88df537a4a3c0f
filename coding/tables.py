"""Tables over the store: the needs table, the group x code matrix, the audit.

Every figure is a pandas pivot of tidy coding rows; nothing is counted by
hand. The unit counted is the group: a group that raises a need ten times
counts once.
"""

from __future__ import annotations

import pandas as pd

from .errors import InputError
from .store import Store

SHARED = "generally shared"
CONTEXT = "context-specific"
NOT_IDENTIFIED = "not identified"
CLASS_ORDER = {SHARED: 0, CONTEXT: 1, NOT_IDENTIFIED: 2}
COUNTED_STATUSES = ("suggested", "accepted")


def counted(codings: pd.DataFrame) -> pd.DataFrame:
    """The codings that count toward a group: participants' words, not rejected.

    Interviewer turns are coded and kept for the audit, but a question that
    names a need is not the group raising it.
    """
    return codings[(codings["role"] == "participant") & codings["status"].isin(COUNTED_STATUSES)]


def classify(groups: int, min_groups: int) -> str:
    if groups == 0:
        return NOT_IDENTIFIED
    return SHARED if groups >= min_groups else CONTEXT


def needs_table(store: Store, min_groups: int | None = None) -> pd.DataFrame:
    """One row per code: in how many groups it was raised, and its class."""
    threshold = min_groups if min_groups is not None else store.shared_min_groups()
    codes = store.codes()
    raised = counted(store.codings()).groupby("code")["group"].agg(lambda g: sorted(set(g)))
    table = codes.assign(group_ids=codes["code"].map(raised).apply(lambda g: g if isinstance(g, list) else []))
    table["groups"] = table["group_ids"].str.len()
    table["class"] = table["groups"].apply(classify, min_groups=threshold)
    table = table.assign(_order=table["class"].map(CLASS_ORDER), _position=range(len(table)))
    table = table.sort_values(["_order", "groups", "_position"], ascending=[True, False, True])
    return table[["code", "label", "description", "groups", "class", "group_ids"]].reset_index(drop=True)


def matrix(store: Store) -> pd.DataFrame:
    """Group x code: how many counted codings each group has for each code."""
    rows = counted(store.codings())
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
    codings, groups = store.codings(), store.groups()
    codings = codings.assign(counted=codings.index.isin(counted(codings).index))
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
