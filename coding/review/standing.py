"""Where each unit stands: the one rule, used by every table, export and queue.

A unit is a (transcript, segment, code). Machines suggest; people decide.
What stands on a unit depends on the counting rule:

- `latest`: the latest live decision by any person, else the machine's
  suggestion. A later reviewer silently overrides an earlier one.
- `consensus`: each person's latest live decision; if they all agree, that;
  if they disagree the unit is `disputed` (it does not count until settled).
- `adjudicated` (the default): an adjudicator's latest decision on the unit,
  else the consensus. With one coder all three rules agree.

Removed and orphaned codings never stand.
"""

from __future__ import annotations

import pandas as pd

from ..coders import machine_mask
from ..errors import InputError

UNIT = ["transcript", "segment_start", "segment_end", "code"]
RULES = ("adjudicated", "consensus", "latest")
DEFAULT_RULE = "adjudicated"
DISPUTED = "disputed"
RULE_TEXT = {
    "latest": "the latest person's decision stands",
    "consensus": "what all coders agree on stands",
    "adjudicated": "an adjudicator's decision, else what all coders agree on",
}


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise InputError(None, None, f"rule {rule!r}: use one of {', '.join(RULES)}")
    return rule


def live(codings: pd.DataFrame) -> pd.DataFrame:
    return codings[(codings["status"] != "removed") & ~codings["orphaned"]]


def latest_per_coder(codings: pd.DataFrame) -> pd.DataFrame:
    """Each person's latest live decision per unit."""
    rows = live(codings)
    people = rows[~machine_mask(rows["coder"])]
    return people.sort_values("coding_id").drop_duplicates([*UNIT, "coder"], keep="last")


def current(codings: pd.DataFrame, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """One row per unit: the row that stands, under `rule`; a unit people disagree on
    (consensus, adjudicated) stands as its latest decision with status 'disputed'."""
    check_rule(rule)
    rows = live(codings)
    machines = rows[machine_mask(rows["coder"])]
    if rule == "latest":
        people = rows[~machine_mask(rows["coder"])]
        decided = people.sort_values("coding_id").drop_duplicates(UNIT, keep="last")
    else:
        decided = _agreed(latest_per_coder(codings), adjudicate=rule == "adjudicated")
    suggested = machines.sort_values("coding_id").drop_duplicates(UNIT, keep="last")
    if not decided.empty:
        taken = suggested.set_index(UNIT).index.isin(decided.set_index(UNIT).index)
        suggested = suggested[~taken]
    return pd.concat([decided, suggested]).sort_index()


def _agreed(latest: pd.DataFrame, adjudicate: bool) -> pd.DataFrame:
    if latest.empty:
        return latest
    parts = []
    if adjudicate:
        rulings = latest[latest["adjudicated"]].sort_values("coding_id").drop_duplicates(UNIT, keep="last")
        parts.append(rulings)
        if not rulings.empty:
            latest = latest[~latest.set_index(UNIT).index.isin(rulings.set_index(UNIT).index)]
    verdicts = latest.groupby(UNIT)["status"].transform("nunique")
    last = latest.sort_values("coding_id").drop_duplicates(UNIT, keep="last")
    disputed = verdicts.loc[last.index] > 1
    parts.append(last.assign(status=last["status"].where(~disputed, DISPUTED)))
    return pd.concat(parts)


def counted(codings: pd.DataFrame, codes=None, reviewed_only: bool = False,
            rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """The codings that count toward a group: participants' words, accepted by a person
    or (unless `reviewed_only`) suggested and not yet decided; only codes in `codes`
    (the codebook's), so a footer never counts what its table does not show.

    Interviewer turns are coded and kept for the audit, but a question that
    names a need is not the group raising it.
    """
    return counting(current(codings, rule), codes, reviewed_only)


def counting(standing: pd.DataFrame, codes=None, reviewed_only: bool = False) -> pd.DataFrame:
    """`counted`, for units whose standing is already known."""
    statuses = ("accepted",) if reviewed_only else ("suggested", "accepted")
    keep = (standing["role"] == "participant") & standing["status"].isin(statuses)
    if codes is not None:
        keep &= standing["code"].isin(list(codes))
    return standing[keep]


def status_of(codings: pd.DataFrame, rule: str = DEFAULT_RULE) -> str:
    """Where one unit's codings leave it: 'accepted', 'rejected', 'suggested', 'disputed' or ''."""
    standing = current(codings, rule)
    return str(standing["status"].iloc[0]) if not standing.empty else ""
