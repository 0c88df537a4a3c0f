"""Commands: contexts (coding.report.contexts: needs by region, hub type or any group
attribute) and polls per context (coding.polls.polls: counts per value, share polls)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import (DB, FORMAT, REVIEWED_ONLY, RULE, _chart, _open, _print, app, err, poll_app, user_errors)
from ..polls import polls
from ..report import contexts, tables
from ..report.output import Format, render

BY = typer.Option(..., "--by", help="A group attribute, such as region or hub_type; "
                  "give two for combinations. Groups without it are counted under '(none)'.")


@app.command()
@user_errors
def crosstab(by: List[str] = BY, db: Path = DB, fmt: Format = FORMAT,
             chart: Optional[Path] = typer.Option(None, "--chart", help="Also draw a heat map of needs x values "
                                                  "to FILE.png or FILE.svg."),
             reviewed_only: bool = REVIEWED_ONLY, rule: str = RULE):
    """Per need and attribute value: groups that raised it, groups with the value, share."""
    with _open(db) as store:
        table = contexts.crosstab(store, by, reviewed_only, rule)
        wide = contexts.crosstab_wide(store, table, by, reviewed_only, rule) if fmt is Format.md else table
        footer = tables.counted_footer(store, reviewed_only, rule)
    if chart is not None:
        err.print(f"chart written to {contexts.crosstab_chart(table, by, chart)}", highlight=False)
    if fmt is Format.md:
        footer = f"cells: groups that raised the need / groups with the value (share); {footer}"
    _print(render(wide, fmt, title=f"Needs by {' and '.join(by)}", footer=footer))


def table_by(db: Path, by: List[str], fmt: Format, min_groups: Optional[int], min_groups_in: List[str],
             reviewed_only: bool, rule: str) -> None:
    """`coding table --by`: the shared / context-specific split within each value, and
    where each context-specific need was raised."""
    thresholds = contexts.parse_thresholds(min_groups_in)
    with _open(db) as store:
        table = contexts.needs_by(store, by, min_groups, thresholds, reviewed_only, rule)
        base = min_groups if min_groups is not None else store.shared_min_groups()
        counted = tables.counted_footer(store, reviewed_only, rule)
    if fmt is not Format.md:
        _print(render(table, fmt))
        return
    everyone = int(table.drop_duplicates(by)["groups"].sum())
    rule_text = (f"min_groups: ceil({base} x groups / {everyone}), at least 1"
                 + (", or as given by --min-groups-in" if thresholds else ""))
    _print(render(contexts.split_by_context(table, by), fmt, title=f"Needs within each {' / '.join(by)}",
                  footer=f"a need is generally shared within a value when raised in min_groups of its groups; "
                         f"{rule_text}; (n): groups of the value that raised it; {counted}"))
    _print("\n" + render(contexts.where_raised(table, by), fmt,
                         title="Context-specific needs (overall) and where they were raised",
                         footer="raised in: groups that raised it / groups with the value; "
                                f"context-specific: raised in fewer than {base} of all {everyone} groups"))


# -- polls per context ---------------------------------------------------------------------------

def _heading(poll, by: str, value: str) -> str:
    return f"{poll.title}: all respondents" if value == polls.ALL else f"{poll.title}, {by}: {value}"


def poll_likert_by(poll, by: str, fmt: Format) -> None:
    """`coding poll likert --by`: the Likert table overall and per value (stacked in csv/json)."""
    table = lambda part: polls.likert_table(part).round(2)  # noqa: E731
    if fmt is not Format.md:
        _print(render(polls.by_context(poll, by, table), fmt))
        return
    for index, (value, part) in enumerate(polls.per_context(poll, by)):
        _print(("\n" if index else "") + render(
            table(part), fmt, title=_heading(poll, by, value),
            footer=f"{part.rounds[0].respondents} respondents; shares and agreement in percent of respondents; "
                   "mean and sd over votes with a value"))


def poll_rounds_by(poll, by: str, fmt: Format) -> None:
    """`coding poll rounds --by`: the report's layout and ranking overall and per value."""
    if fmt is not Format.md:
        _print(render(polls.by_context(poll, by, lambda part: polls.rounds_table(part).round(2)), fmt))
        return
    for index, (value, part) in enumerate(polls.per_context(poll, by)):
        respondents = ", ".join(f"round {r.number}: {r.respondents}" for r in part.rounds)
        _print(("\n" if index else "") + render(polls.report_layout(part), fmt, title=_heading(poll, by, value),
                                                footer=f"respondents: {respondents}"))
        _print("\n" + render(polls.ranking(part).round(1), fmt, title=f"Ranking by {poll.rank_by} share"))


@poll_app.command("share")
@user_errors
def poll_share(file: Path = typer.Argument(..., help="A share poll file (YAML), such as polls/feedback.yaml."),
               by: Optional[str] = typer.Option(None, "--by", help="Also per value of this attribute "
                                                "(the file gives counts per value)."),
               fmt: Format = FORMAT,
               chart: Optional[Path] = typer.Option(None, "--chart", help="Also draw a stacked bar chart "
                                                    "to FILE.png or FILE.svg.")):
    """One question: respondents of all invited (response rate), and each answer's share."""
    poll = polls.load_poll(file, "share")
    _chart(poll, chart, by)
    table = polls.share_table(poll, by).round(2)
    inferred = "; counts inferred from the published percentages" if poll.rounds[0].inferred else ""
    _print(render(table, fmt, title=poll.title, footer="response_rate: respondents / invited, in percent; "
                  f"shares in percent of respondents{inferred}"))
