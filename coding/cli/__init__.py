"""The `coding` command line: a few lines per command over the library."""

from __future__ import annotations

import functools
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import __version__
from ..polls import polls
from ..report import reliability, tables
from ..coders import CODER_VARIABLE, person_name
from ..review import decisions, sheets
from ..review.standing import DEFAULT_RULE, RULES
from ..polls.charts import poll_chart
from ..codebook import check_codebook
from ..errors import InputError, InputErrors
from ..escape import terminal_safe
from ..report.evaluation import evaluate as evaluate_store
from ..report.output import Format, render
from ..tagging import TagResult, tag as tag_paths
from ..read import ReaderOptions
from ..review.terminal import review as review_session
from ..store import Store
from ..report.tables import audit as audit_table
from ..report.tables import matrix as matrix_table
from ..report.tables import needs_table

app = typer.Typer(help="Deductive coding of group interviews against a codebook of needs.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
codebook_app = typer.Typer(help="Work with the codebook.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")
poll_app = typer.Typer(help="Poll tables: regenerate and check published poll figures.", no_args_is_help=True)
app.add_typer(poll_app, name="poll")
export_app = typer.Typer(help="Export from the store for review elsewhere.", no_args_is_help=True)
app.add_typer(export_app, name="export")
import_app = typer.Typer(help="Import people's decisions, codings and projects into the store.", no_args_is_help=True)
app.add_typer(import_app, name="import")

err = Console(stderr=True)

DB = typer.Option(Path("coding.db"), "--db", help="The SQLite store.")
CODEBOOK = typer.Option(Path("codebook.yaml"), "--codebook", help="The codebook YAML file.")
FORMAT = typer.Option(Format.md, "--format", help="Output format.")
MODEL = typer.Option(None, "--model", help="An installed spaCy model to use instead of the blank pipeline.")
JOBS = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes for coding (the result is the same).")
CODER = typer.Option(None, "--coder", help="Who is deciding (default: $CODING_CODER); 'auto' is reserved for machine coders.")
REVIEWED_ONLY = typer.Option(False, "--reviewed-only",
                             help="Count only codings a person accepted, not unreviewed suggestions.")
RULE = typer.Option(DEFAULT_RULE, "--rule", help=f"What stands when coders differ: {', '.join(RULES)} "
                    "(latest: the latest person's decision; consensus: what all coders agree on, "
                    "disputed units not counted; adjudicated: an adjudicator's decision, else consensus).")
MIN_GROUPS = typer.Option(None, "--min-groups", min=1,
                          help="Groups needed for 'generally shared' (default: the codebook's shared_min_groups).")


def user_errors(command):
    """Turn an InputError into one line on stderr and exit status 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputErrors as errors:
            for error in errors.errors:
                _error_line(error)
            err.print(f"{len(errors.errors)} problems; nothing was changed", highlight=False)
            raise typer.Exit(1) from None
        except InputError as error:
            _error_line(error)
            raise typer.Exit(1) from None
    return wrapper


def _error_line(error: InputError) -> None:
    """An error names the user's files and text: shown as text, never as markup or control codes."""
    err.print(Text.assemble(("error:", "red"), " ", terminal_safe(str(error))), highlight=False, soft_wrap=True)


@contextmanager
def _open(db: Path):
    store = Store.open(db)
    try:
        yield store
    finally:
        store.close()


GROUP_COLUMN = typer.Option(None, "--group-column", "--group-by", help="Sheets: the column holding each "
                            "row's group (a survey's site or service).")
ID_COLUMN = typer.Option(None, "--id-column", help="Survey sheets: the respondent id column "
                         "(default: id, respondent, comment_id, ... found by name).")
TEXT_COLUMN = typer.Option(None, "--text-column", "--answer-column", help="Sheets: an answer (text) column; "
                           "repeat for several questions (default: answer, response, comment, text, ...).")
SPEAKER_COLUMN = typer.Option(None, "--speaker-column", help="Turn sheets: the speaker column "
                              "(default: speaker, who, ... found by name).")
ONLY_CODE = typer.Option(None, "--code", help="Only this code.")
ONLY_GROUP = typer.Option(None, "--group", help="Only this group.")
ONLY_TRANSCRIPT = typer.Option(None, "--transcript", help="Only this transcript.")
AUTO_CODER = typer.Option("auto", "--auto-coder", help="Who suggests: learned (the model 'coding train' "
                          "made), rules, keywords (plain keyword search, a baseline), or auto (learned "
                          "when a model is trained, else rules).")
ENGINE = typer.Option("local", "--engine", help="Where coding runs: local (this process, or --jobs "
                      "processes) or dask (tasks on the dask cluster at --scheduler, else on a local "
                      "cluster of --jobs worker processes, 2 by default). The codings are the same.")
SCHEDULER = typer.Option(None, "--scheduler", metavar="ADDRESS", help="With --engine dask: the address of "
                         "a running dask scheduler, e.g. tcp://HOST:8786.")


def _reader_options(group_column, id_column, text_column, speaker_column) -> ReaderOptions:
    return ReaderOptions(group_column=group_column, id_column=id_column, text_columns=tuple(text_column or ()),
                         speaker_column=speaker_column)


def _tag_with_progress(paths: list[Path], codebook: Path, db: Path, model: str | None,
                       jobs: int = 1, options: ReaderOptions | None = None, auto_coder: str = "auto",
                       engine: str = "local", scheduler: str | None = None) -> TagResult:
    if not err.is_terminal:
        return tag_paths(paths, codebook, db, model, jobs=jobs, options=options, auto_coder=auto_coder,
                         engine=engine, scheduler=scheduler)
    columns = (TextColumn("tagging"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("", total=None)
        return tag_paths(paths, codebook, db, model, jobs=jobs, options=options, auto_coder=auto_coder,
                         engine=engine, scheduler=scheduler,
                         progress=lambda path, total: bar.update(task, advance=1, total=total, description=path))


def _report(result: TagResult, db: Path) -> None:
    for new, old in result.renamed.items():
        err.print(f"{new}: the same text as {old}, whose file is gone: took over its codings", highlight=False)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    removed = f", {len(result.removed)} gone from disk" if result.removed else ""
    err.print(f"tagged {len(result.tagged)} transcripts ({len(result.unchanged)} unchanged{removed}), "
              f"{result.codings} auto codings, into {db} (run {result.run_id})", highlight=False)


def _print(text: str) -> None:
    sys.stdout.write(text)


def _table_footer(table, store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> str:
    counts = table["class"].value_counts()
    return (f"{counts.get('generally shared', 0)} generally shared, "
            f"{counts.get('context-specific', 0)} context-specific, "
            f"{counts.get('not identified', 0)} not identified; "
            f"{tables.counted_footer(store, reviewed_only, rule)}")


@app.command()
@user_errors
def run(transcripts: Path = typer.Option(Path("transcripts"), "--transcripts", help="Transcript folder."),
        codebook: Path = CODEBOOK, db: Path = DB, fmt: Format = FORMAT,
        min_groups: Optional[int] = MIN_GROUPS, model: Optional[str] = MODEL, jobs: int = JOBS,
        rule: str = RULE, group_column: Optional[str] = GROUP_COLUMN, id_column: Optional[str] = ID_COLUMN,
        text_column: List[str] = TEXT_COLUMN, speaker_column: Optional[str] = SPEAKER_COLUMN,
        auto_coder: str = AUTO_CODER, engine: str = ENGINE, scheduler: Optional[str] = SCHEDULER):
    """Tag the transcripts with the codebook into the store, then print the needs table."""
    options = _reader_options(group_column, id_column, text_column, speaker_column)
    _report(_tag_with_progress([transcripts], codebook, db, model, jobs, options, auto_coder, engine, scheduler), db)
    with _open(db) as store:
        table = needs_table(store, min_groups, rule=rule)
        footer = _table_footer(table, store, rule=rule)
    _print(render(table, fmt, title="Needs", footer=footer))


@app.command()
@user_errors
def tag(paths: List[Path] = typer.Argument(None, help="Transcript files or folders [default: transcripts]."),
        codebook: Path = CODEBOOK, db: Path = DB, model: Optional[str] = MODEL, jobs: int = JOBS,
        group_column: Optional[str] = GROUP_COLUMN, id_column: Optional[str] = ID_COLUMN,
        text_column: List[str] = TEXT_COLUMN, speaker_column: Optional[str] = SPEAKER_COLUMN,
        auto_coder: str = AUTO_CODER, engine: str = ENGINE, scheduler: Optional[str] = SCHEDULER):
    """Auto-code transcripts into the store; unchanged transcripts are skipped."""
    options = _reader_options(group_column, id_column, text_column, speaker_column)
    _report(_tag_with_progress(paths or [Path("transcripts")], codebook, db, model, jobs, options, auto_coder,
                               engine, scheduler), db)


@app.command()
@user_errors
def table(db: Path = DB, fmt: Format = FORMAT, min_groups: Optional[int] = MIN_GROUPS,
          reviewed_only: bool = REVIEWED_ONLY, rule: str = RULE,
          by: List[str] = typer.Option(None, "--by", help="Split within each value of a group attribute "
                                       "(such as region; two for combinations), threshold scaled to its groups."),
          min_groups_in: List[str] = typer.Option(None, "--min-groups-in", help="With --by: the threshold of "
                                                  "one value, as VALUE=N (such as 'Region East=2'); repeatable.")):
    """The needs table: in how many groups each need was raised, and its class."""
    if by or min_groups_in:
        if not by:
            raise InputError(None, None, "--min-groups-in needs --by")
        return contexts.table_by(db, by, fmt, min_groups, min_groups_in, reviewed_only, rule)
    with _open(db) as store:
        needs = needs_table(store, min_groups, reviewed_only, rule)
        footer = _table_footer(needs, store, reviewed_only, rule)
    _print(render(needs, fmt, title="Needs", footer=footer))


@app.command()
@user_errors
def matrix(db: Path = DB, fmt: Format = FORMAT, reviewed_only: bool = REVIEWED_ONLY, rule: str = RULE):
    """Group x code: counted codings per group, with the groups' attributes."""
    with _open(db) as store:
        _print(render(matrix_table(store, reviewed_only, rule), fmt, title="Codings per group",
                      footer=f"rule: {rule}"))


@app.command()
@user_errors
def audit(need: Optional[str] = typer.Argument(None, help="A code id, such as legal_support."),
          group: Optional[str] = ONLY_GROUP,
          all_codings: bool = typer.Option(False, "--all", help="Also show codings that do not count "
                                           "(interviewer turns, rejected)."),
          db: Path = DB, fmt: Format = FORMAT, rule: str = RULE):
    """The quotes behind the counts: who said what, where, and which rule fired."""
    if need is None and group is None:
        raise InputError(None, None, "name a NEED, a --group, or both")
    with _open(db) as store:
        rows = audit_table(store, need, group, include_uncounted=all_codings, rule=rule)
    title = " / ".join(x for x in (need, group) if x)
    groups = rows["group"].nunique()
    _print(render(rows, fmt, title=f"Audit: {title}", footer=f"{len(rows)} codings in {groups} groups"))


@app.command()
@user_errors
def evaluate(gold: Path = typer.Option(..., "--gold", help="CSV: group,code,present (group level) or "
                                       "transcript,lines,code (segment level)."),
             level: str = typer.Option("group", "--level", help="group or segment."),
             db: Path = DB, fmt: Format = FORMAT,
             compare: Optional[Path] = typer.Option(None, "--compare", help="Another store (B) to weigh "
                                                    "against this one (A): a paired bootstrap.")):
    """Precision, recall, F1 and Cohen's kappa of the counted codes against gold, with a
    bootstrap 95% interval (documents resampled); --compare: how likely B beats A."""
    from ..report.evaluation import compare as compare_stores

    with _open(db) as store:
        _print(render(evaluate_store(store, gold, level), fmt, title=f"Agreement with gold ({level} level)"))
        if compare is not None:
            if not compare.exists():
                raise InputError(compare, None, "no such store")
            with _open(compare) as other:
                table = compare_stores(store, other, gold, level)
            _print(render(table, fmt, title=f"Paired bootstrap: A = {db}, B = {compare}",
                          footer=f"B beats A in {table['p_better'].iloc[-1]:.1%} of the resamples"))


# -- people coding ---------------------------------------------------------------


@app.command()
@user_errors
def review(code: Optional[str] = ONLY_CODE,
           group: Optional[str] = ONLY_GROUP,
           transcript: Optional[str] = ONLY_TRANSCRIPT,
           coder: Optional[str] = CODER, db: Path = DB,
           order: str = typer.Option("transcript", "--order", help="transcript (in reading order) or "
                                     "uncertain (the learned coder's least certain suggestions first).")):
    """Walk your unreviewed suggestions one key at a time: accept, reject, recode, skip, note, undo, quit."""
    name = person_name(coder)
    with _open(db) as store:
        review_session(store, name, code, group, transcript, order)


@export_app.command("codings")
@user_errors
def export_codings(status: Optional[str] = typer.Option(None, "--status", help="suggested, accepted or rejected."),
                   code: Optional[str] = ONLY_CODE,
                   group: Optional[str] = ONLY_GROUP,
                   fmt: str = typer.Option("csv", "--format", help="csv, xlsx or parquet."),
                   output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to FILE, not stdout."),
                   coder: Optional[str] = typer.Option(None, "--coder", help="With --blind: the coder the sheet is for."),
                   blind: bool = typer.Option(False, "--blind", help="Only the machine suggestions --coder has not "
                                              "decided, without anyone else's decisions (double coding)."),
                   reviewed_only: bool = typer.Option(False, "--reviewed-only", help="Only codings a person "
                                                      "decided, not unreviewed suggestions."),
                   rule: str = RULE, db: Path = DB):
    """One row per coding with its id, quote and context, and an empty decision column."""
    from ..report import frames

    name = person_name(coder) if blind else None
    with _open(db) as store:
        sheet = frames.codings(store, status, code, group, reviewed_only, rule, name, blind)
        data = frames.to_bytes(sheet, fmt) if fmt == "parquet" else sheets.to_bytes(sheet, fmt)
    if output is not None:
        with frames.replacing(output) as temporary:
            temporary.write_bytes(data)
    elif fmt != "csv" and sys.stdout.isatty():
        raise InputError(None, None, f"{fmt} is binary: redirect to a file (> codings.{fmt}) or give --output")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@import_app.command("decisions")
@user_errors
def import_decisions(file: Path = typer.Argument(..., help="A filled-in export (.csv or .xlsx)."),
                     coder: Optional[str] = CODER,
                     partial: bool = typer.Option(False, "--partial", help="Apply the good rows even if some are bad."),
                     adjudicate: bool = typer.Option(False, "--adjudicate", help="The decisions are an adjudicator's: "
                                                     "they settle disputed units under --rule adjudicated."),
                     db: Path = DB):
    """Apply the accept / reject / recode rows of an exported sheet, all or nothing."""
    name = person_name(coder)
    with _open(db) as store:
        result = sheets.import_decisions(store, file, name, partial, adjudicate)
    for problem in result.problems:
        err.print(f"skipped: {problem}", highlight=False, soft_wrap=True)
    applied = ", ".join(f"{n} {d}" for d, n in sorted(result.applied.items())) or "none"
    err.print(f"applied {sum(result.applied.values())} decisions ({applied}) as {name}; "
              f"{result.skipped_blank} rows without a decision", highlight=False)


@app.command()
@user_errors
def add(transcript: str = typer.Option(..., "--transcript", help="Path, file name, or group id of a tagged transcript."),
        code: str = typer.Option(..., "--code", help="The code to apply."),
        lines: Optional[str] = typer.Option(None, "--lines", help="Line range, such as 12-14."),
        chars: Optional[str] = typer.Option(None, "--chars", help="Character range START-END (offsets into the text)."),
        note: str = typer.Option("", "--note", help="Why."),
        coder: Optional[str] = CODER, db: Path = DB):
    """Code a passage by hand: what the auto coder missed."""
    name = person_name(coder)
    with _open(db) as store:
        ids = decisions.add(store, transcript, code, name, lines, chars, note)
    err.print(f"added {len(ids)} coding(s): {', '.join(map(str, ids))}", highlight=False)


@app.command()
@user_errors
def remove(coding_id: int = typer.Argument(..., help="The coding's id (see export, audit --all, status)."),
           note: str = typer.Option("", "--note", help="Why."),
           coder: Optional[str] = CODER, db: Path = DB):
    """Withdraw a coding: marked removed (a suggestion: rejected), never deleted."""
    name = person_name(coder)
    with _open(db) as store:
        row = decisions.remove(store, coding_id, name, note)
    if row == coding_id:
        err.print(f"coding {coding_id} removed by {name}", highlight=False)
    else:
        err.print(f"coding {coding_id} is not {name}'s: recorded {name}'s rejection of it (coding {row})",
                  highlight=False)


@app.command()
@user_errors
def adjudicate(coding_id: int = typer.Argument(..., help="A coding of the disputed unit (see 'coding status')."),
               decision: str = typer.Argument(..., help="accept, reject or recode."),
               new_code: Optional[str] = typer.Option(None, "--new-code", help="With recode: the code to apply."),
               note: str = typer.Option("", "--note", help="Why."),
               coder: Optional[str] = CODER, db: Path = DB):
    """Settle a unit the coders disagree on: the adjudicator's decision stands under --rule adjudicated."""
    name = person_name(coder)
    with _open(db) as store:
        ids = decisions.decide(store, coding_id, decision, name, new_code, note, adjudicate=True)
    err.print(f"adjudicated by {name}: coding(s) {', '.join(map(str, ids))}", highlight=False)


@app.command()
@user_errors
def status(db: Path = DB, fmt: Format = FORMAT, rule: str = RULE):
    """Per transcript and per code: unreviewed, accepted, rejected, manual, orphaned, disputed;
    then every person's coding that is kept but not counted, and why."""
    with _open(db) as store:
        counts, codes = tables.status(store, rule), list(store.codes()["code"])
        listed = [(tables.orphaned(store), "Orphaned: the quote is not where it was",
                   "kept, not counted; re-code them with 'coding add' and 'coding remove'"),
                  (tables.outside_codebook(store), "Decisions on codes the codebook no longer has",
                   "kept, not counted; 'coding codebook rename OLD NEW' moves them to a code"),
                  (tables.in_interviewer_turns(store), "Accepted codings now in an interviewer's turn",
                   "kept, not counted: a speaker was relabelled or a role changed"),
                  (tables.disputed(store, rule), f"Disputed units (rule: {rule})",
                   "not counted until settled: 'coding adjudicate CODING_ID accept|reject'")]
    if fmt is not Format.md:
        _print(render(counts, fmt))
        return
    _print(render(tables.status_by(counts, "transcript"), fmt, title="Review status per transcript"))
    _print("\n" + render(tables.status_by(counts, "code", codes), fmt, title="Review status per code"))
    for rows, title, footer in listed:
        if not rows.empty:
            _print("\n" + render(rows, fmt, title=title, footer=footer))


CODERS = typer.Option(..., "--coder", help="A coder to compare; give two or more.")
LEVEL = typer.Option("segment", "--level", help="segment or group.")


@app.command()
@user_errors
def agreement(coder: List[str] = CODERS, level: str = LEVEL, db: Path = DB, fmt: Format = FORMAT):
    """Inter-coder agreement per code: percent, Cohen's kappa, Krippendorff's alpha, Fleiss' kappa."""
    with _open(db) as store:
        report = reliability.agreement_report(store, coder, level)
    _print(render(report, fmt, title=f"Agreement of {', '.join(coder)} ({level} level)",
                  footer="units: judged by at least two coders (a coder judges what they read for that code); "
                         "percent: mean pairwise agreement; empty: undefined for these data"))


@app.command()
@user_errors
def disagreements(coder: List[str] = CODERS, code: Optional[str] = ONLY_CODE,
                  level: str = LEVEL, db: Path = DB, fmt: Format = FORMAT):
    """Every unit the coders judged differently, with the quote, to settle together."""
    with _open(db) as store:
        rows = reliability.disagreements(store, coder, code, level)
    _print(render(rows, fmt, title=f"Disagreements of {', '.join(coder)} ({level} level)",
                  footer=f"{len(rows)} units"))


@app.command()
@user_errors
def log(coder: Optional[str] = typer.Option(None, "--coder", help="Only this coder's changes."),
        transcript: Optional[str] = ONLY_TRANSCRIPT,
        code: Optional[str] = ONLY_CODE,
        coding_id: Optional[int] = typer.Option(None, "--coding", help="The history of this coding and of "
                                                "every decision about it."),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the last N entries."),
        db: Path = DB, fmt: Format = FORMAT):
    """Every change to the store, oldest first: who, when, what, before, after."""
    with _open(db) as store:
        entries = store.log_entries() if coding_id is None else store.history(coding_id)
    for column, value in (("coder", coder), ("transcript", transcript), ("code", code)):
        if value is not None:
            entries = entries[entries[column] == value]
    if limit:
        entries = entries.tail(limit)
    _print(render(entries, fmt, title="Log", footer=f"{len(entries)} entries"))


@codebook_app.command("check")
@user_errors
def codebook_check(file: Path = typer.Argument(Path("codebook.yaml"), help="The codebook to check.")):
    """Validate a codebook and list every problem with its line."""
    problems = check_codebook(file)
    for problem in problems:
        where = f"{file}:{problem.line}" if problem.line else str(file)
        err.print(f"{where}: {problem.message}", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    err.print(f"{file}: ok", highlight=False)


@codebook_app.command("rename")
@user_errors
def codebook_rename(old: str = typer.Argument(..., help="The code id now."),
                    new: str = typer.Argument(..., help="The code id it becomes."),
                    codebook: Path = CODEBOOK, coder: Optional[str] = typer.Option(None, "--coder", help="Who renames "
                                                                                  "(default: $CODING_CODER)."),
                    db: Path = DB):
    """Rename a code in the codebook and move every coding and decision on it (logged)."""
    name = person_name(coder) if coder or os.environ.get(CODER_VARIABLE) else "codebook"
    with _open(db) as store:
        moved = decisions.rename_code(store, codebook, old, new, name)
    err.print(f"renamed {old} to {new}: {moved} codings moved; run 'coding tag' to re-code with the codebook",
              highlight=False)


CHART = typer.Option(None, "--chart", help="Also draw a stacked bar chart to FILE.png or FILE.svg.")
POLL_FILE = typer.Argument(..., help="A poll file (YAML), such as polls/validation.yaml.")


def _chart(poll, chart: Optional[Path], by: Optional[str] = None) -> None:
    if chart is not None:
        err.print(f"chart written to {poll_chart(poll, chart, by)}", highlight=False)


POLL_BY = typer.Option(None, "--by", help="Also per value of this attribute, such as region "
                       "(the poll file gives counts per value).")


@poll_app.command("likert")
@user_errors
def poll_likert(file: Path = POLL_FILE, fmt: Format = FORMAT, chart: Optional[Path] = CHART,
                by: Optional[str] = POLL_BY):
    """Per need: counts and shares per level, agreement rate, mean, sd, valid votes."""
    poll = polls.load_poll(file, "likert")
    _chart(poll, chart, by)
    if by is not None:
        return contexts.poll_likert_by(poll, by, fmt)
    table = polls.likert_table(poll).round(2)
    _print(render(table, fmt, title=poll.title, footer=f"{poll.rounds[0].respondents} respondents; "
                  "shares and agreement in percent of respondents; mean and sd over votes with a value"))


@poll_app.command("rounds")
@user_errors
def poll_rounds(file: Path = POLL_FILE, fmt: Format = FORMAT, chart: Optional[Path] = CHART,
                by: Optional[str] = POLL_BY):
    """Per need and answer: counts and shares per round, change (round 1 minus last), ranking."""
    poll = polls.load_poll(file, "rounds")
    _chart(poll, chart, by)
    if by is not None:
        return contexts.poll_rounds_by(poll, by, fmt)
    if fmt is Format.md:
        respondents = ", ".join(f"round {r.number}: {r.respondents}" for r in poll.rounds)
        _print(render(polls.report_layout(poll), fmt, title=poll.title, footer=f"respondents: {respondents}"))
        _print("\n" + render(polls.ranking(poll).round(1), fmt, title=f"Ranking by {poll.rank_by} share"))
    else:
        _print(render(polls.rounds_table(poll).round(2), fmt))


@poll_app.command("check")
@user_errors
def poll_check(file: Path = POLL_FILE, fmt: Format = FORMAT):
    """Recompute every published figure from the counts; exit 1 if any disagrees."""
    poll = polls.load_poll(file)
    rows = polls.check(poll)
    disagreeing = int((~rows["agrees"]).sum())
    table = rows.drop(columns="exact") if fmt is Format.json else rows
    _print(render(table, fmt, title=f"Published figures of {poll.title or file}",
                  footer=f"{len(rows) - disagreeing} agree, {disagreeing} disagree"))
    if disagreeing:
        raise typer.Exit(1)


def version_callback(value: bool):
    if value:
        print(f"coding {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                      help="Show the version and exit.")):
    """Deductive coding of group interviews against a codebook of needs."""


# Each further area's commands live in a module of their own and register on
# `app` (or its sub-apps) when imported; heavy libraries load inside commands.
from . import learning, exchange, reports, contexts, serve  # noqa: E402,F401
