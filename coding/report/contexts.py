"""Needs by context: how many groups of each region, hub type or other group attribute
raised each need, and which needs are shared or context-specific within each context.

The study asks which needs are generally shared and which are context-specific; a
"context" here is the value of a group attribute (front matter, sidecar or groups.csv:
whatever `Store.groups()` gives), or a combination of values of several attributes.
Every figure is a pandas groupby of the tidy counted codings reduced to one
(group, code) pair per group that raised a need: the unit is the group, as in
`tables.needs_table`.

A group without the attribute is counted under NO_VALUE ("(none)"), so every group
is in exactly one context and the contexts' group counts add up to all groups.

Threshold within a context (`needs_by`): a need is generally shared in a context
when it was raised in at least ceil(min_groups * groups_in_context / all_groups)
of its groups (at least 1), where min_groups is the overall threshold (the
codebook's shared_min_groups, or --min-groups); a threshold may also be given per
context. With 17 groups and 6, a region of 4 groups needs 2 (6 x 4 / 17 = 1.4).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..review.standing import DEFAULT_RULE
from ..store import Store
from .tables import CONTEXT, NOT_IDENTIFIED, SHARED, classify, counted_codings, needs_table

NO_VALUE = "(none)"
ALL = "(all)"
JOIN = " / "  # between the values of a combination: "Region East / regional"
CHART_SUFFIXES = {".png", ".svg", ".pdf"}


# -- contexts of the groups ---------------------------------------------------------------------

def group_contexts(store: Store, by: list[str], counted: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per group with its value of each attribute in `by` (NO_VALUE when missing),
    and its context: the values joined by JOIN."""
    by = _check_by(by)
    groups = store.groups()
    known = [c for c in groups.columns if c != "group"]
    for attribute in by:
        if attribute not in known:
            listed = ", ".join(known) or "none"
            raise InputError(None, None, f"no group has the attribute {attribute!r} (known: {listed})")
    frame = groups[["group", *by]].copy()
    if counted is not None:  # a counted group the store lists no attributes for still counts
        missing = sorted(set(counted["group"]) - set(frame["group"]))
        frame = pd.concat([frame, pd.DataFrame({"group": missing})], ignore_index=True)
    for attribute in by:
        frame[attribute] = frame[attribute].map(_value).astype(object)
    frame["context"] = frame[by].agg(JOIN.join, axis=1) if len(frame) else pd.Series(dtype=object)
    return frame.reset_index(drop=True)


def _check_by(by) -> list[str]:
    by = [str(b) for b in (by or [])]
    if not by:
        raise InputError(None, None, "name a group attribute with --by, such as --by region")
    repeated = sorted({b for b in by if by.count(b) > 1})
    if repeated:
        raise InputError(None, None, f"--by {repeated[0]} is given twice")
    if "group" in by:
        raise InputError(None, None, "--by takes a group attribute (such as region), not 'group'")
    return by


def _value(value) -> str:
    """An attribute value as text; missing or empty is NO_VALUE; a list is one value."""
    if isinstance(value, (list, tuple)):
        value = "; ".join(map(str, value))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    text = str(value).strip()
    return text or NO_VALUE


# -- crosstab -----------------------------------------------------------------------------------

def crosstab(store: Store, by: list[str], reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """One row per need and context: `raised` (groups of the context that raised the need),
    `groups` (groups in the context), `share` (raised / groups, percent) and `group_ids`.
    Needs in the order of the needs table; contexts alphabetically, NO_VALUE last."""
    counted = counted_codings(store, reviewed_only, rule)
    contexts = group_contexts(store, by, counted)
    by = _check_by(by)
    pairs = counted[["group", "code"]].drop_duplicates().merge(contexts, on="group")
    sizes = contexts.groupby([*by, "context"]).size().rename("groups").reset_index()
    raised = (pairs.groupby(["code", "context"])["group"]
              .agg(raised="nunique", group_ids=lambda g: sorted(set(g))).reset_index())
    needs = needs_table(store, reviewed_only=reviewed_only, rule=rule)[["code", "label"]]
    needs = needs.assign(_need=range(len(needs)))
    grid = needs.merge(sizes, how="cross").merge(raised, on=["code", "context"], how="left")
    grid["raised"] = grid["raised"].fillna(0).astype(int)
    grid["group_ids"] = grid["group_ids"].apply(lambda g: g if isinstance(g, list) else [])
    grid["share"] = (100 * grid["raised"] / grid["groups"]).round(1)
    keys = ["_need"]
    for attribute in by:  # each attribute's values alphabetically, NO_VALUE last
        grid[f"_{attribute}_none"] = grid[attribute] == NO_VALUE
        keys += [f"_{attribute}_none", attribute]
    ordered = grid.sort_values(keys, kind="stable")
    return ordered[["code", "label", *by, "raised", "groups", "share", "group_ids"]].reset_index(drop=True)


def _context_of(table: pd.DataFrame, by: list[str]) -> pd.Series:
    return table[by].agg(JOIN.join, axis=1)


def _percent(part: int, whole: int) -> str:
    """Whole percent, half up (as the report rounds)."""
    return f"{math.floor(100 * part / whole + 0.5)}%"


def crosstab_wide(store: Store, table: pd.DataFrame, by: list[str], reviewed_only: bool = False,
                  rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """The crosstab to read: a row per need, a column per context and one for all groups,
    each cell 'raised/groups (share)'."""
    cells = table.assign(context=_context_of(table, by),
                         cell=[f"{r}/{g} ({_percent(r, g)})" for r, g in zip(table["raised"], table["groups"])])
    contexts = list(dict.fromkeys(cells["context"]))
    wide = cells.pivot(index="code", columns="context", values="cell").reindex(columns=contexts)
    overall = needs_table(store, reviewed_only=reviewed_only, rule=rule)
    everyone = int(table.drop_duplicates(by)["groups"].sum())
    wide[ALL] = pd.Series([f"{g}/{everyone} ({_percent(g, everyone)})" for g in overall["groups"]],
                          index=overall["code"])
    labels = table.drop_duplicates("code").set_index("code")["label"]
    wide = wide.reindex(labels.index)
    wide.insert(0, "need", labels)
    wide.columns.name = None
    return wide.reset_index(drop=True)


# -- the needs table within each context --------------------------------------------------------

def scaled_threshold(min_groups: int, groups_in_context: int, all_groups: int) -> int:
    """ceil(min_groups x groups_in_context / all_groups), at least 1 (integer arithmetic)."""
    if all_groups <= 0:
        return max(1, min_groups)
    return max(1, -(-min_groups * groups_in_context // all_groups))


def parse_thresholds(items: list[str] | None) -> dict[str, int]:
    """'VALUE=N' items (a combination as 'Region East / regional=2') -> {context: N}."""
    thresholds: dict[str, int] = {}
    for item in items or []:
        context, sep, number = str(item).rpartition("=")
        context = context.strip()
        if not sep or not context or not number.strip().isdigit() or int(number) < 1:
            raise InputError(None, None, f"--min-groups-in {item!r}: use VALUE=N with N a whole number >= 1, "
                             "such as 'Region East=2'")
        if context in thresholds:
            raise InputError(None, None, f"--min-groups-in gives {context!r} twice")
        thresholds[context] = int(number)
    return thresholds


def needs_by(store: Store, by: list[str], min_groups: int | None = None,
             thresholds: dict[str, int] | None = None, reviewed_only: bool = False,
             rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """One row per context and need: the crosstab with the context's threshold
    (`min_groups`), the class within the context, and the need's overall groups and class."""
    by = _check_by(by)
    table = crosstab(store, by, reviewed_only, rule)
    base = min_groups if min_groups is not None else store.shared_min_groups()
    table["context"] = _context_of(table, by)
    everyone = int(table.drop_duplicates("context")["groups"].sum())
    given = thresholds or {}
    unknown = sorted(set(given) - set(table["context"]))
    if unknown:
        known = ", ".join(dict.fromkeys(table["context"]))
        raise InputError(None, None, f"--min-groups-in names {unknown[0]!r}, which is no context here (known: {known})")
    table["min_groups"] = [given.get(c, scaled_threshold(base, n, everyone))
                           for c, n in zip(table["context"], table["groups"])]
    table["class"] = [classify(r, m) for r, m in zip(table["raised"], table["min_groups"])]
    overall = needs_table(store, base, reviewed_only, rule)[["code", "groups", "class"]]
    table = table.merge(overall.rename(columns={"groups": "overall_groups", "class": "overall_class"}), on="code")
    return table[[*by, "groups", "min_groups", "code", "label", "raised", "share", "class",
                  "overall_groups", "overall_class", "group_ids"]]


def split_by_context(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per context: its groups and threshold, and its needs per class
    ('knowledge (3)': raised in 3 of its groups)."""
    items = table.assign(item=[code if raised == 0 else f"{code} ({raised})"
                               for code, raised in zip(table["code"], table["raised"])])
    keys = [*by, "groups", "min_groups"]
    lists = items.groupby(keys, sort=False).apply(
        lambda rows: pd.Series({c: list(rows.loc[rows["class"] == c, "item"])
                                for c in (SHARED, CONTEXT, NOT_IDENTIFIED)}), include_groups=False)
    return lists.reset_index()


def where_raised(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Each need that is context-specific overall, with the contexts it was raised in
    ('Region East 2/4': 2 of the region's 4 groups) and how many of all contexts that is."""
    specific = table[table["overall_class"] == CONTEXT]
    contexts = len(table[by].drop_duplicates())
    raised = specific[specific["raised"] > 0]
    cells = raised.assign(where=_context_of(raised, by) + " " + raised["raised"].astype(str) + "/"
                          + raised["groups"].astype(str))
    listed = cells.groupby("code", sort=False)["where"].agg(list)
    needs = specific.drop_duplicates("code")[["code", "label", "overall_groups"]]
    needs = needs.rename(columns={"overall_groups": "groups"})
    needs["contexts"] = needs["code"].map(listed).apply(lambda w: w if isinstance(w, list) else [])
    needs["raised_in"] = needs["contexts"].apply(lambda w: f"{len(w)} of {contexts}")
    return needs.reset_index(drop=True)


# -- chart --------------------------------------------------------------------------------------

def crosstab_chart(table: pd.DataFrame, by: list[str], path: str | Path, title: str = "") -> Path:
    """A heat map of needs x contexts: colour is the share of the context's groups that raised
    the need, and each cell is labelled 'raised/groups'."""
    path = Path(path)
    if path.suffix.lower() not in CHART_SUFFIXES:
        raise InputError(path, None, f"chart must end in {', '.join(sorted(CHART_SUFFIXES))}")
    import matplotlib

    matplotlib.use("Agg")  # files only; no display is needed or wanted
    import matplotlib.pyplot as plt

    framed = table.assign(context=_context_of(table, by))
    contexts = list(dict.fromkeys(framed["context"]))
    needs = list(dict.fromkeys(framed["label"]))
    share = framed.pivot(index="label", columns="context", values="share").reindex(index=needs, columns=contexts)
    raised = framed.pivot(index="label", columns="context", values="raised").reindex(index=needs, columns=contexts)
    groups = framed.drop_duplicates("context").set_index("context")["groups"].reindex(contexts)
    width = max(6.0, 2.4 + 1.15 * len(contexts))
    figure, axes = plt.subplots(figsize=(width, 1.4 + 0.42 * len(needs)))
    image = axes.imshow(share.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=100, aspect="auto")
    for row in range(len(needs)):
        for column in range(len(contexts)):
            value = share.iat[row, column]
            axes.text(column, row, f"{raised.iat[row, column]}/{groups.iat[column]}", ha="center", va="center",
                      fontsize=9, color="white" if value >= 60 else "black")
    axes.set_xticks(range(len(contexts)))
    axes.set_xticklabels([c.replace(JOIN, "\n") for c in contexts], fontsize=9,
                         rotation=30 if len(contexts) > 6 else 0, ha="right" if len(contexts) > 6 else "center")
    axes.set_yticks(range(len(needs)))
    axes.set_yticklabels(needs, fontsize=9)
    axes.set_xlabel(" x ".join(by))
    axes.set_title(title or f"Groups that raised each need, by {' and '.join(by)}", fontsize=11)
    colour_bar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02)
    colour_bar.set_label("share of the context's groups (%)", fontsize=9)
    figure.tight_layout()
    from ..polls.charts import save_figure

    return save_figure(figure, path, plt)
