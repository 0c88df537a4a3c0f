"""Poll tables: a Likert validation poll, a multi-round must-have poll, a share poll.

A poll file (YAML, see `polls/`) holds the raw counts per need and round,
the scale, the respondents per round and, optionally, the figures a report
published. Every figure here is derived from the counts; `check` compares
them with the published ones and never bends a formula to match.

Rounding rule (the report's): shares, agreement rates and changes in whole
percent, means to two decimals. A published figure agrees when it lies
within half a unit of its last digit of the exact value, so it agrees under
either round-half-up or round-half-even. Changes between rounds are taken
from the exact shares, then rounded.

Contexts: a round (or a share poll) may also give its counts per value of an
attribute (`by: {region: {Region East: {respondents: ..., needs: ...}}}`), each
value a block of the same shape as the round. `context_poll` turns one value
into a poll of its own, so every table, chart and check works per value; the
overall counts are either given (and `check` compares them with the sums of the
values) or left out and summed from the values of the first attribute.

A share poll (`kind: share`) is one question: `invited`, `respondents` and per
answer either `counts` or `percent` (of respondents; counts are then inferred
as the nearest whole number and `check` says whether the percentages can come
from whole counts). Its figures: response_rate = respondents / invited, and
each answer's share of the respondents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..yamlfile import line_of, read_yaml

KINDS = ("likert", "rounds", "share")
COMMON_KEYS = {"kind", "title", "question", "source", "scale", "allow_count_mismatch"}
ROUNDS_KEYS = {"agree_levels", "rank_by", "rounds", "published_change"}  # likert and rounds polls
SHARE_KEYS = {"invited", "respondents", "counts", "percent", "published", "by"}  # share polls (and their values)
POLL_KEYS = COMMON_KEYS | ROUNDS_KEYS | SHARE_KEYS
ROUND_KEYS = {"round", "respondents", "needs", "by"}
VALUE_KEYS = {"respondents", "needs"}  # a value's block in a round's `by`
QUESTION = "question"  # the one "need" of a share poll
ALL = "(all)"  # the overall counts, beside the values of an attribute
SUM = "(sum of values)"  # check rows comparing the overall counts with the values' sums
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
    by: dict[str, dict[str, "Round"]] = field(default_factory=dict)  # attribute -> value -> counts
    invited: int | None = None  # share polls: everyone asked
    inferred: bool = False  # counts inferred from published percentages
    derived: bool = False  # overall counts summed from the values of an attribute
    line: int | None = None


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

    @property
    def attributes(self) -> list[str]:
        return list(self.rounds[0].by)


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
        raise InputError(path, line_of(tree, "kind") or 1, "kind must be 'likert' or 'rounds' (or 'share' for "
                         f"one question), not {poll_kind!r}")
    if kind is not None and poll_kind != kind:
        raise InputError(path, line_of(tree, "kind"), f"this is a {poll_kind} poll; use 'coding poll {poll_kind}'")
    other = SHARE_KEYS if poll_kind != "share" else ROUNDS_KEYS
    for key in tree:
        if key in other:
            raise InputError(path, line_of(tree, key), f"{key!r} is not a key of a {poll_kind} poll")
    if poll_kind == "share":
        return _load_share(tree, path)
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
        _known_keys(item, ROUND_KEYS, "a round", path)
        number = int(item.get("round", index + 1))
        parse = lambda block, at: _round_block(block, number, ids, path, allow_mismatch, at, VALUE_KEYS)  # noqa: E731
        per_value = _contexts(item, parse, path, line)
        if per_value and "needs" not in item and "respondents" not in item:
            round_ = _summed(per_value, number, line)
        else:
            round_ = _round_block(item, number, ids, path, allow_mismatch, line)
            round_.by = per_value
        if rounds and set(round_.counts) != set(rounds[0].counts):
            missing = sorted(set(rounds[0].counts) ^ set(round_.counts))
            raise InputError(path, line, f"round {round_.number} does not have the same needs as round "
                             f"{rounds[0].number}: {', '.join(missing)}")
        _same_contexts(round_, rounds[0] if rounds else round_, path)
        rounds.append(round_)
    return rounds


def _known_keys(block, known: set[str], what: str, path) -> None:
    for key in block:
        if key not in known:
            raise InputError(path, line_of(block, key), f"unknown key {key!r} in {what} "
                             f"(expected one of {', '.join(sorted(known))})")


def _round_block(item, number: int, ids, path, allow_mismatch, line, keys: set[str] | None = None) -> Round:
    """A round's (or one value's) respondents and counts per need."""
    if not isinstance(item, dict):
        raise InputError(path, line, "expected a mapping with 'respondents' and 'needs'")
    if keys is not None:
        _known_keys(item, keys, "the counts of a value", path)
    respondents = _respondents(item, path, line)
    needs = item.get("needs")
    if not isinstance(needs, dict) or not needs:
        raise InputError(path, line_of(item, "needs") or line, "a round needs 'needs': need -> counts")
    round_ = Round(number=number, respondents=respondents, counts={}, published={}, line=line)
    for need, entry in needs.items():
        need_line = line_of(needs, need)
        round_.lines[str(need)] = need_line
        round_.counts[str(need)] = _counts(entry, ids, path, need, need_line, respondents, allow_mismatch)
        round_.published[str(need)] = _published(entry, path, need, need_line)
    return round_


def _respondents(item, path, line) -> int:
    respondents = item.get("respondents")
    if not _count(respondents) or respondents == 0:
        raise InputError(path, line_of(item, "respondents") or line,
                         f"respondents must be a positive whole number, not {respondents!r}")
    return respondents


def _contexts(item, parse, path, line) -> dict[str, dict[str, Round]]:
    """`by: {attribute: {value: block}}` -> attribute -> value -> Round (each block parsed by `parse`)."""
    raw = item.get("by")
    if raw is None:
        return {}
    by_line = line_of(item, "by") or line
    if not isinstance(raw, dict) or not raw:
        raise InputError(path, by_line, "'by' maps an attribute (such as region) to its values, "
                         "each with counts of its own")
    contexts: dict[str, dict[str, Round]] = {}
    for attribute, values in raw.items():
        attribute_line = line_of(raw, attribute) or by_line
        if not isinstance(values, dict) or not values:
            raise InputError(path, attribute_line, f"'by: {attribute}' maps each value to its counts")
        contexts[str(attribute)] = {str(value): parse(block, line_of(values, value) or attribute_line)
                                    for value, block in values.items()}
    return contexts


def _summed(contexts: dict[str, dict[str, Round]], number: int, line) -> Round:
    """The overall counts of a round that gives only counts per value: the sums over the
    values of its first attribute."""
    blocks = list(next(iter(contexts.values())).values())
    first = blocks[0]
    counts = {need: {level: sum(b.counts.get(need, {}).get(level, 0) for b in blocks) for level in levels}
              for need, levels in first.counts.items()}
    invited = sum(b.invited for b in blocks) if all(b.invited is not None for b in blocks) else None
    return Round(number=number, respondents=sum(b.respondents for b in blocks), counts=counts,
                 published={need: {} for need in counts}, lines=dict(first.lines), by=contexts,
                 invited=invited, inferred=any(b.inferred for b in blocks), derived=True, line=line)


def _same_contexts(round_: Round, first: Round, path) -> None:
    """Every value gives the round's needs, and every round the same attributes and values."""
    for attribute, values in round_.by.items():
        for value, block in values.items():
            if set(block.counts) != set(round_.counts):
                differ = sorted(set(block.counts) ^ set(round_.counts))
                raise InputError(path, block.line, f"{attribute} {value!r} does not have the same needs as "
                                 f"the round: {', '.join(differ)}")
    shape = {a: list(v) for a, v in round_.by.items()}
    expected = {a: list(v) for a, v in first.by.items()}
    if {a: sorted(v) for a, v in shape.items()} != {a: sorted(v) for a, v in expected.items()}:
        raise InputError(path, round_.line, f"round {round_.number} does not give counts for the same "
                         f"attributes and values as round {first.number}")


def _load_share(tree, path) -> Poll:
    """A share poll: one question, its answers (the scale) and per answer counts or percentages."""
    scale = _scale(tree, path) if tree.get("scale") is not None else []
    ids = [level.id for level in scale]
    allow = bool(tree.get("allow_count_mismatch", False))
    parse = lambda block, at: _share_block(block, ids, path, allow, at, SHARE_KEYS - {"by"})  # noqa: E731
    per_value = _contexts(tree, parse, path, 1)
    if per_value and "respondents" not in tree:
        for key in ("counts", "percent", "invited"):
            if key in tree:
                raise InputError(path, line_of(tree, key), f"{key!r} needs 'respondents' beside it")
        round_ = _summed(per_value, 1, 1)
    else:
        round_ = _share_block(tree, ids, path, allow, 1)
        round_.by = per_value
    _same_contexts(round_, round_, path)
    return Poll(path=Path(path).as_posix(), kind="share", title=str(tree.get("title") or ""), scale=scale,
                rounds=[round_], agree_levels=[], rank_by=ids[0] if ids else "", published_change={})


def _share_block(block, ids, path, allow_mismatch, line, keys: set[str] | None = None) -> Round:
    if not isinstance(block, dict):
        raise InputError(path, line, "expected a mapping with 'respondents' and 'counts' or 'percent'")
    if keys is not None:
        _known_keys(block, keys, "the counts of a value", path)
    respondents = _respondents(block, path, line)
    invited = block.get("invited")
    if invited is not None and (not _count(invited) or invited < respondents):
        raise InputError(path, line_of(block, "invited"), f"invited must be a whole number of at least the "
                         f"{respondents} respondents, not {invited!r}")
    if "counts" in block and "percent" in block:
        raise InputError(path, line_of(block, "percent"), "give 'counts' or 'percent' per answer, not both")
    published = _published(block, path, QUESTION, line)
    inferred = "percent" in block
    if inferred:
        counts = _inferred_counts(block, ids, path, line, respondents)
        published.update({f"{level}_share": float(block["percent"][level]) for level in ids})
    elif ids or "counts" in block:
        counts = _counts(block, ids, path, QUESTION, line, respondents, allow_mismatch)
    else:
        counts = {}
    return Round(number=1, respondents=respondents, counts={QUESTION: counts}, published={QUESTION: published},
                 lines={QUESTION: line}, invited=invited, inferred=inferred, line=line)


def _inferred_counts(block, ids, path, line, respondents) -> dict[str, int]:
    """Counts from percentages of respondents: the nearest whole number of votes."""
    percent = block["percent"]
    if not isinstance(percent, dict):
        raise InputError(path, line_of(block, "percent") or line, "'percent' maps each answer to a percentage")
    for level, value in percent.items():
        level_line = line_of(percent, level) or line
        if level not in ids:
            raise InputError(path, level_line, f"answer {level!r} is not in the scale ({', '.join(ids)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise InputError(path, level_line, f"percent of {level!r} must be a number from 0 to 100, not {value!r}")
    missing = [level for level in ids if level not in percent]
    if missing:
        raise InputError(path, line_of(block, "percent"), f"no percent for answer {', '.join(map(repr, missing))}")
    return {level: int(round_half_up(percent[level] * respondents / 100)) for level in ids}


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

CHECK_COLUMNS = ["need", "round", "figure", "published", "recomputed", "agrees", "exact"]


def check(poll: Poll) -> pd.DataFrame:
    """One row per published figure (and per count total): published vs recomputed.

    A poll with counts per value adds columns `attribute` and `value`: the overall rows
    (value ALL), each value's rows, and rows comparing given overall counts with the sums
    of the values (value SUM)."""
    rows = _check_rows(poll)
    if not poll.attributes:
        return pd.DataFrame(rows, columns=CHECK_COLUMNS)
    rows = [{"attribute": None, "value": ALL, **row} for row in rows]
    for attribute in poll.attributes:
        for value in contexts(poll, attribute):
            rows += [{"attribute": attribute, "value": value, **row}
                     for row in _check_rows(context_poll(poll, attribute, value))]
        rows += [{"attribute": attribute, "value": SUM, **row} for row in _sum_rows(poll, attribute)]
    return pd.DataFrame(rows, columns=["attribute", "value", *CHECK_COLUMNS])


def _check_rows(poll: Poll) -> list[dict]:
    rows = []
    single = len(poll.rounds) == 1
    for r in poll.rounds:
        label = None if single else r.number
        for need in poll.needs:
            exact = _exact_figures(poll, r, need)
            if poll.kind != "share" or (poll.scale and not r.inferred):
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
    return rows


def _sum_rows(poll: Poll, attribute: str) -> list[dict]:
    """Given overall counts (and respondents, invited) against the sums over the values:
    they must be equal (a respondent without a value belongs in a value such as '(none)')."""
    rows = []
    single = len(poll.rounds) == 1
    for r in poll.rounds:
        if r.derived:
            continue  # summed from the values: equal by construction
        label = None if single else r.number
        blocks = list(r.by[attribute].values())
        totals = [("respondents", r.respondents, sum(b.respondents for b in blocks))]
        if r.invited is not None and all(b.invited is not None for b in blocks):
            totals.append(("invited", r.invited, sum(b.invited for b in blocks)))
        for figure, given, summed in totals:
            rows.append({"need": None, "round": label, "figure": figure, "published": given,
                         "recomputed": summed, "agrees": given == summed, "exact": summed})
        for need in poll.needs:
            for level in poll.level_ids:
                given, summed = r.counts[need][level], sum(b.counts[need][level] for b in blocks)
                rows.append({"need": need, "round": label, "figure": f"{level}_count", "published": given,
                             "recomputed": summed, "agrees": given == summed, "exact": summed})
    return rows


def _exact_figures(poll: Poll, round_: Round, need: str) -> dict[str, float]:
    counts = round_.counts[need]
    figures = {f"{level}_share": share(round_, need, level) for level in poll.level_ids}
    figures.update({f"{level}_count": counts[level] for level in poll.level_ids})
    if poll.kind == "likert":
        figures.update(likert_figures(poll, counts, round_.respondents))
    if round_.invited:
        figures["response_rate"] = 100 * round_.respondents / round_.invited
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


# -- contexts (counts per value of an attribute) ----------------------------------------------

def contexts(poll: Poll, attribute: str) -> list[str]:
    """The values the poll gives counts for, in file order; an error if it gives none."""
    if attribute not in poll.attributes:
        given = ", ".join(poll.attributes) or "none"
        raise InputError(poll.path, None, f"this poll gives no counts per {attribute!r} (it gives per: {given})")
    return list(poll.rounds[0].by[attribute])


def context_poll(poll: Poll, attribute: str, value: str) -> Poll:
    """One value's counts as a poll of its own (its published figures; no change rows)."""
    rounds = [r.by[attribute][value] for r in poll.rounds]
    return replace(poll, title=f"{poll.title or Path(poll.path).stem}, {attribute}: {value}", rounds=rounds,
                   published_change={})


def per_context(poll: Poll, attribute: str | None) -> list[tuple[str, Poll]]:
    """(ALL, the poll), then (value, its poll) for each value of `attribute`."""
    if attribute is None:
        return [(ALL, poll)]
    return [(ALL, poll), *((value, context_poll(poll, attribute, value)) for value in contexts(poll, attribute))]


def by_context(poll: Poll, attribute: str, table) -> pd.DataFrame:
    """`table(poll)` overall and per value, stacked, with the value in a first column."""
    frames = [table(p).assign(**{attribute: value}) for value, p in per_context(poll, attribute)]
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[[attribute, *[c for c in stacked.columns if c != attribute]]]


def share_table(poll: Poll, attribute: str | None = None) -> pd.DataFrame:
    """A share poll, one row overall (and one per value of `attribute`): invited, respondents,
    response rate, and per answer its count and share of the respondents."""
    rows = []
    for value, p in per_context(poll, attribute):
        r = p.rounds[0]
        row = {attribute or "context": value, "invited": r.invited, "respondents": r.respondents,
               "response_rate": _percent(r.respondents, r.invited) if r.invited else math.nan}
        for level in p.scale:
            row[level.id] = r.counts[QUESTION][level.id]
            row[f"{level.id}_share"] = _percent(r.counts[QUESTION][level.id], r.respondents)
        rows.append(row)
    return pd.DataFrame(rows)
