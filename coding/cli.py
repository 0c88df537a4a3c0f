"""The `coding` command line: a few lines per command over the library."""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .charts import poll_chart
from .codebook import check_codebook
from . import polls
from .errors import InputError
from .evaluation import evaluate as evaluate_store
from .output import Format, render
from .pipeline import TagResult, tag as tag_paths
from .store import Store
from .tables import audit as audit_table
from .tables import matrix as matrix_table
from .tables import needs_table

app = typer.Typer(help="Deductive coding of group interviews against a codebook of needs.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
codebook_app = typer.Typer(help="Work with the codebook.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")
poll_app = typer.Typer(help="Poll tables: regenerate and check published poll figures.", no_args_is_help=True)
app.add_typer(poll_app, name="poll")

err = Console(stderr=True)

DB = typer.Option(Path("coding.db"), "--db", help="The SQLite store.")
CODEBOOK = typer.Option(Path("codebook.yaml"), "--codebook", help="The codebook YAML file.")
FORMAT = typer.Option(Format.md, "--format", help="Output format.")
MODEL = typer.Option(None, "--model", help="An installed spaCy model to use instead of the blank pipeline.")
MIN_GROUPS = typer.Option(None, "--min-groups", min=1,
                          help="Groups needed for 'generally shared' (default: the codebook's shared_min_groups).")


def user_errors(command):
    """Turn an InputError into one line on stderr and exit status 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    return wrapper


@contextmanager
def _open(db: Path):
    store = Store.open(db)
    try:
        yield store
    finally:
        store.close()


def _tag_with_progress(paths: list[Path], codebook: Path, db: Path, model: str | None) -> TagResult:
    if not err.is_terminal:
        return tag_paths(paths, codebook, db, model)
    columns = (TextColumn("tagging"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("", total=None)
        return tag_paths(paths, codebook, db, model, progress=lambda path, total: bar.update(
            task, advance=1, total=total, description=path))


def _report(result: TagResult, db: Path) -> None:
    removed = f", {len(result.removed)} gone from disk" if result.removed else ""
    err.print(f"tagged {len(result.tagged)} transcripts ({len(result.unchanged)} unchanged{removed}), "
              f"{result.codings} auto codings, into {db} (run {result.run_id})", highlight=False)


def _print(text: str) -> None:
    sys.stdout.write(text)


def _table_footer(table) -> str:
    counts = table["class"].value_counts()
    return (f"{counts.get('generally shared', 0)} generally shared, "
            f"{counts.get('context-specific', 0)} context-specific, "
            f"{counts.get('not identified', 0)} not identified")


@app.command()
@user_errors
def run(transcripts: Path = typer.Option(Path("transcripts"), "--transcripts", help="Transcript folder."),
        codebook: Path = CODEBOOK, db: Path = DB, fmt: Format = FORMAT,
        min_groups: Optional[int] = MIN_GROUPS, model: Optional[str] = MODEL):
    """Tag the transcripts with the codebook into the store, then print the needs table."""
    _report(_tag_with_progress([transcripts], codebook, db, model), db)
    with _open(db) as store:
        table = needs_table(store, min_groups)
    _print(render(table, fmt, title="Needs", footer=_table_footer(table)))


@app.command()
@user_errors
def tag(paths: List[Path] = typer.Argument(None, help="Transcript files or folders [default: transcripts]."),
        codebook: Path = CODEBOOK, db: Path = DB, model: Optional[str] = MODEL):
    """Auto-code transcripts into the store; unchanged transcripts are skipped."""
    _report(_tag_with_progress(paths or [Path("transcripts")], codebook, db, model), db)


@app.command()
@user_errors
def table(db: Path = DB, fmt: Format = FORMAT, min_groups: Optional[int] = MIN_GROUPS):
    """The needs table: in how many groups each need was raised, and its class."""
    with _open(db) as store:
        needs = needs_table(store, min_groups)
    _print(render(needs, fmt, title="Needs", footer=_table_footer(needs)))


@app.command()
@user_errors
def matrix(db: Path = DB, fmt: Format = FORMAT):
    """Group x code: counted codings per group, with the groups' attributes."""
    with _open(db) as store:
        _print(render(matrix_table(store), fmt, title="Codings per group"))


@app.command()
@user_errors
def audit(need: Optional[str] = typer.Argument(None, help="A code id, such as legal_support."),
          group: Optional[str] = typer.Option(None, "--group", help="Only this group."),
          all_codings: bool = typer.Option(False, "--all", help="Also show codings that do not count "
                                           "(interviewer turns, rejected)."),
          db: Path = DB, fmt: Format = FORMAT):
    """The quotes behind the counts: who said what, where, and which rule fired."""
    if need is None and group is None:
        raise InputError(None, None, "name a NEED, a --group, or both")
    with _open(db) as store:
        rows = audit_table(store, need, group, include_uncounted=all_codings)
    title = " / ".join(x for x in (need, group) if x)
    groups = rows["group"].nunique()
    _print(render(rows, fmt, title=f"Audit: {title}", footer=f"{len(rows)} codings in {groups} groups"))


@app.command()
@user_errors
def evaluate(gold: Path = typer.Option(..., "--gold", help="CSV with columns group,code,present."),
             db: Path = DB, fmt: Format = FORMAT):
    """Precision, recall, F1 and Cohen's kappa against gold group-level labels."""
    with _open(db) as store:
        _print(render(evaluate_store(store, gold), fmt, title="Agreement with gold (group level)"))


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


CHART = typer.Option(None, "--chart", help="Also draw a stacked bar chart to FILE.png or FILE.svg.")
POLL_FILE = typer.Argument(..., help="A poll file (YAML), such as polls/validation.yaml.")


def _chart(poll, chart: Optional[Path]) -> None:
    if chart is not None:
        err.print(f"chart written to {poll_chart(poll, chart)}", highlight=False)


@poll_app.command("likert")
@user_errors
def poll_likert(file: Path = POLL_FILE, fmt: Format = FORMAT, chart: Optional[Path] = CHART):
    """Per need: counts and shares per level, agreement rate, mean, sd, valid votes."""
    poll = polls.load_poll(file, "likert")
    table = polls.likert_table(poll).round(2)
    _chart(poll, chart)
    _print(render(table, fmt, title=poll.title, footer=f"{poll.rounds[0].respondents} respondents; "
                  "shares and agreement in percent of respondents; mean and sd over votes with a value"))


@poll_app.command("rounds")
@user_errors
def poll_rounds(file: Path = POLL_FILE, fmt: Format = FORMAT, chart: Optional[Path] = CHART):
    """Per need and answer: counts and shares per round, change (round 1 minus last), ranking."""
    poll = polls.load_poll(file, "rounds")
    _chart(poll, chart)
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
