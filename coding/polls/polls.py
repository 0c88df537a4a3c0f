"""Poll tables: a Likert validation poll and a multi-round must-have poll.

A poll file (YAML, see `polls/`) holds the raw counts per need and round,
the scale, the respondents per round and, optionally, the figures a report
published. Every figure here is derived from the counts; `check` compares
them with the published ones and never bends a formula to match.

Rounding rule (the report's): shares, agreement rates and changes in whole
percent, means to two decimals. A published figure agrees when it lies
within half a unit of its last digit of the exact value, so it agrees under
either round-half-up or round-half-even. Changes between rounds are taken
from the exact shares, then rounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..yamlfile import line_of, read_yaml

KINDS = ("likert", "rounds")
POLL_KEYS = {"kind", "title", "question", "source", "scale", "agree_levels", "rank_by",
             "allow_count_mismatch", "rounds", "published_change"}
DECIMALS = {"mean": 2, "sd": 2}  # everything else is a percentage: 0 decimals


@dataclass(frozen=True)
class Level:
    id: str
    label: str
    value: float | None  # None: not on the scale ("not sure"), left out of means


@dataclass
class Round:
    number: int
    respondents: int
    counts: dict[str, dict[str, int]]  # need -> level -> votes
    published: dict[str, dict[str, float]]  # need -> figure -> value
    lines: dict[str, int] = field(default_factory=dict)  # need -> line in the file


@dataclass
class Poll:
    path: str
    kind: str
    title: str
    scale: list[Level]
    rounds: list[Round]
    agree_levels: list[str]
    rank_by: str
    published_change: dict[str, dict[str, float]]

    @property
    def needs(self) -> list[str]:
        return list(self.rounds[0].counts)

    @property
    def level_ids(self) -> list[str]:
        return [level.id for level in self.scale]


def round_half_up(value: float, decimals: int = 0) -> float:
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return float(exact)


# -- reading ---------------------------------------------------------------------------------

def load_poll(path: str | Path, kind: str | None = None) -> Poll:
    tree = read_yaml(path, "poll file")
    if not isinstance(tree, dict):
        raise InputError(path, 1, "a poll file is a mapping with 'kind', 'scale' and 'rounds'")
    for key in tree:
        if key not in POLL_KEYS:
            raise InputError(path, line_of(tree, key), f"unknown key {key!r} (expected one of {', '.join(sorted(POLL_KEYS))})")
    poll_kind = tree.get("kind")
    if poll_kind not in KINDS:
        raise InputError(path, line_of(tree, "kind") or 1, f"kind must be 'likert' or 'rounds', not {poll_kind!r}")
    if kind is not None and poll_kind != kind:
        raise InputError(path, line_of(tree, "kind"), f"this is a {poll_kind} poll; use 'coding poll {poll_kind}'")
    scale = _scale(tree, path)
    ids = [level.id for level in scale]
    rounds = _rounds(tree, ids, path, allow_mismatch=bool(tree.get("allow_count_mismatch", False)))
    if poll_kind == "likert" and len(rounds) != 1:
        raise InputError(path, line_of(tree, "rounds"), "a likert poll has exactly one round")
    agree = [str(a) for a in tree.get("agree_levels") or ids[:2]]
    rank_by = str(tree.get("rank_by") or ids[0])
    for level in [*agree, rank_by]:
        if level not in ids:
            raise InputError(path, line_of(tree, "agree_levels") or line_of(tree, "rank_by"),
                             f"level {level!r} is not in the scale ({', '.join(ids)})")
    if poll_kind == "likert" and not any(level.value is not None for level in scale):
        raise InputError(path, line_of(tree, "scale"), "a likert scale needs levels with a 'value'")
    return Poll(path=Path(path).as_posix(), kind=poll_kind, title=str(tree.get("title") or ""),
                scale=scale, rounds=rounds, agree_levels=agree, rank_by=rank_by,
                published_change=_published_change(tree, rounds, ids, path))


def _scale(tree, path) -> list[Level]:
    raw = tree.get("scale")
    if not isinstance(raw, list) or not raw:
        raise InputError(path, line_of(tree, "scale") or 1, "'scale' must be a list of levels")
    levels = []
    for index, item in enumerate(raw):
        line = line_of(raw, index)
        if not isinstance(item, dict) or not item.get("id"):
            raise InputError(path, line, "each scale level needs an 'id'")
        value = item.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputError(path, line, f"value of level {item['id']!r} must be a number")
        if item["id"] in [level.id for level in levels]:
            raise InputError(path, line, f"level {item['id']!r} appears twice in the scale")
        levels.append(Level(str(item["id"]), str(item.get("label") or item["id"]), value))
    return levels


def _rounds(tree, ids: list[str], path, allow_mismatch: bool) -> list[Round]:
    raw = tree.get("rounds")
    if not isinstance(raw, list) or not raw:
        raise InputError(path, line_of(tree, "rounds") or 1, "'rounds' must be a list of rounds")
    rounds: list[Round] = []
    for index, item in enumerate(raw):
        line = line_of(raw, index)
        if not isinstance(item, dict):
            raise InputError(path, line, "each round is a mapping with 'round', 'respondents' and 'needs'")
        respondents = item.get("respondents")
        if not _count(respondents) or respondents == 0:
            raise InputError(path, line_of(item, "respondents") or line,
                             f"respondents must be a positive whole number, not {respondents!r}")
        needs = item.get("needs")
        if not isinstance(needs, dict) or not needs:
            raise InputError(path, line_of(item, "needs") or line, "a round needs 'needs': need -> counts")
        round_ = Round(number=int(item.get("round", index + 1)), respondents=respondents, counts={}, published={})
        for need, entry in needs.items():
            need_line = line_of(needs, need)
            round_.lines[str(need)] = need_line
            round_.counts[str(need)] = _counts(entry, ids, path, need, need_line, respondents, allow_mismatch)
            round_.published[str(need)] = _published(entry, path, need, need_line)
        if rounds and set(round_.counts) != set(rounds[0].counts):
            missing = sorted(set(rounds[0].counts) ^ set(round_.counts))
            raise InputError(path, line, f"round {round_.number} does not have the same needs as round "
                             f"{rounds[0].number}: {', '.join(missing)}")
        rounds.append(round_)
    return rounds


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _counts(entry, ids, path, need, line, respondents, allow_mismatch) -> dict[str, int]:
    counts = entry.get("counts") if isinstance(entry, dict) else None
    if not isinstance(counts, dict):
        raise InputError(path, line, f"need {need!r} has no 'counts' mapping of level -> votes")
    for level, votes in counts.items():
        level_line = line_of(counts, level) or line
        if level not in ids:
            raise InputError(path, level_line, f"need {need!r}: level {level!r} is not in the scale ({', '.join(ids)})")
        if not _count(votes):
            raise InputError(path, level_line, f"need {need!r}: votes for {level!r} must be a whole number >= 0, not {votes!r}")
    missing = [level for level in ids if level not in counts]
    if missing:
        raise InputError(path, line, f"need {need!r} has no count for level {', '.join(map(repr, missing))}")
    total = sum(counts.values())
    if total > respondents and not allow_mismatch:
        raise InputError(path, line, f"need {need!r} has {total} votes but the round has {respondents} "
                         "respondents (set allow_count_mismatch: true to compute anyway)")
    return {level: counts[level] for level in ids}


def _published(entry, path, need, line) -> dict[str, float]:
    published = entry.get("published") or {}
    if not isinstance(published, dict):
        raise InputError(path, line, f"published figures of {need!r} must be a mapping of figure -> value")
    for figure, value in published.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(path, line_of(published, figure) or line, f"published {figure} of {need!r} must be a number")
    return {str(k): float(v) for k, v in published.items()}


def _published_change(tree, rounds, ids, path) -> dict[str, dict[str, float]]:
    raw = tree.get("published_change") or {}
    if raw and len(rounds) < 2:
        raise InputError(path, line_of(tree, "published_change"), "published_change needs two rounds")
    changes = {}
    for need, levels in raw.items():
        if need not in rounds[0].counts:
            raise InputError(path, line_of(raw, need), f"published_change names unknown need {need!r}")
        for level in levels:
            if level not in ids:
                raise InputError(path, line_of(levels, level), f"level {level!r} is not in the scale")
        changes[str(need)] = {str(k): float(v) for k, v in levels.items()}
    return changes


# -- tables ----------------------------------------------------------------------------------

def likert_table(poll: Poll) -> pd.DataFrame:
    """Per need: counts and shares per level, agreement, mean, sd, valid votes."""
    round_ = poll.rounds[0]
    rows = []
    for need, counts in round_.counts.items():
        row = {"need": need, "respondents": round_.respondents}
        for level in poll.scale:
            row[level.id] = counts[level.id]
            row[f"{level.id}_share"] = _percent(counts[level.id], round_.respondents)
        row.update({k: round(v, 4) for k, v in likert_figures(poll, counts, round_.respondents).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def likert_figures(poll: Poll, counts: dict[str, int], respondents: int) -> dict[str, float]:
    """Exact (unrounded) agreement rate, mean, standard deviation and valid votes."""
    valued = [(level.value, counts[level.id]) for level in poll.scale if level.value is not None]
    valid = sum(votes for _, votes in valued)
    agree = sum(counts[level] for level in poll.agree_levels)
    mean = sum(value * votes for value, votes in valued) / valid if valid else math.nan
    # sample standard deviation of the individual votes (n - 1)
    variance = (sum(votes * (value - mean) ** 2 for value, votes in valued) / (valid - 1)
                if valid > 1 else math.nan)
    return {"agreement": 100 * agree / respondents, "mean": mean, "sd": math.sqrt(variance), "valid": valid}


def _percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 4) if whole else math.nan


def rounds_table(poll: Poll) -> pd.DataFrame:
    """Per need and answer: counts and shares per round, change (first minus last round), rank."""
    first, last = poll.rounds[0], poll.rounds[-1]
    ranks = {r.number: _ranks(poll, r) for r in poll.rounds}
    rows = []
    for need in poll.needs:
        for level in poll.scale:
            row = {"need": need, "answer": level.id}
            for r in poll.rounds:
                row[f"round{r.number}_count"] = r.counts[need][level.id]
                row[f"round{r.number}_share"] = _percent(r.counts[need][level.id], r.respondents)
            if len(poll.rounds) > 1:
                row["change_pp"] = round(share(first, need, level.id) - share(last, need, level.id), 4)
            for number, rank in ranks.items():
                row[f"round{number}_rank"] = rank[need]
            rows.append(row)
    return pd.DataFrame(rows)


def share(round_: Round, need: str, level: str) -> float:
    """Exact share of a need's votes for a level, in percent of the round's respondents."""
    return 100 * round_.counts[need][level] / round_.respondents


def _ranks(poll: Poll, round_: Round) -> dict[str, int]:
    """Rank of each need by its share of `rank_by` answers (1 = highest; ties share a rank)."""
    shares = pd.Series({need: share(round_, need, poll.rank_by) for need in poll.needs})
    return shares.rank(ascending=False, method="min").astype(int).to_dict()


def ranking(poll: Poll) -> pd.DataFrame:
    """Needs ordered by their `rank_by` share, per round."""
    rows = [{"round": r.number, "rank": rank, "need": need,
             f"{poll.rank_by}_share": round(share(r, need, poll.rank_by), 4)}
            for r in poll.rounds for need, rank in _ranks(poll, r).items()]
    return pd.DataFrame(rows).sort_values(["round", "rank", "need"]).reset_index(drop=True)


# -- checking published figures ---------------------------------------------------------------

def check(poll: Poll) -> pd.DataFrame:
    """One row per published figure (and per count total): published vs recomputed."""
    rows = []
    single = len(poll.rounds) == 1
    for r in poll.rounds:
        label = None if single else r.number
        for need in poll.needs:
            exact = _exact_figures(poll, r, need)
            rows.append(_compare_total(need, label, r.respondents, sum(r.counts[need].values())))
            for figure, published in r.published[need].items():
                if figure not in exact:
                    raise InputError(poll.path, r.lines[need], f"unknown published figure {figure!r} for "
                                     f"{need!r} (known: {', '.join(sorted(exact))})")
                rows.append(_compare(need, label, figure, published, exact[figure]))
    for need, levels in poll.published_change.items():
        for level, published in levels.items():
            exact = share(poll.rounds[0], need, level) - share(poll.rounds[-1], need, level)
            label = f"{poll.rounds[0].number}-{poll.rounds[-1].number}"
            rows.append(_compare(need, label, f"{level}_change", published, exact))
    return pd.DataFrame(rows, columns=["need", "round", "figure", "published", "recomputed", "agrees", "exact"])


def _exact_figures(poll: Poll, round_: Round, need: str) -> dict[str, float]:
    counts = round_.counts[need]
    figures = {f"{level}_share": share(round_, need, level) for level in poll.level_ids}
    figures.update({f"{level}_count": counts[level] for level in poll.level_ids})
    if poll.kind == "likert":
        figures.update(likert_figures(poll, counts, round_.respondents))
    return figures


def _compare_total(need, round_label, respondents: int, votes: int) -> dict:
    """The stated respondents against the sum of the votes: they must be equal."""
    return {"need": need, "round": round_label, "figure": "count_total", "published": respondents,
            "recomputed": votes, "agrees": respondents == votes, "exact": votes}


def _compare(need, round_label, figure, published, exact) -> dict:
    decimals = DECIMALS.get(figure, 0)
    recomputed = round_half_up(exact, decimals)
    agrees = abs(published - exact) <= 0.5 * 10 ** -decimals + 1e-9
    return {"need": need, "round": round_label, "figure": figure, "published": published,
            "recomputed": recomputed, "agrees": bool(agrees), "exact": round(exact, 4)}


def report_layout(poll: Poll) -> pd.DataFrame:
    """The report's layout: need x round rows, 'count (share%)' cells, then change rows."""
    rows = []
    for need in poll.needs:
        for r in poll.rounds:
            row = {"need": need, "round": str(r.number)}
            for level in poll.scale:
                percent = round_half_up(share(r, need, level.id))
                row[level.label] = f"{r.counts[need][level.id]} ({percent:.0f}%)"
            rows.append(row)
        if len(poll.rounds) > 1:
            first, last = poll.rounds[0], poll.rounds[-1]
            change = {level.label: f"{round_half_up(share(first, need, level.id) - share(last, need, level.id)):+.0f} pp"
                      for level in poll.scale}
            rows.append({"need": need, "round": f"change {first.number}-{last.number}", **change})
    return pd.DataFrame(rows)
