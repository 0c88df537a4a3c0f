"""Commands: exports of the tables (CSV, xlsx, Parquet, the workbook), charts and the
HTML report, each a few lines over `coding.report.frames`, `workbook`, `charts` and
`html`. The libraries (openpyxl, pyarrow, matplotlib, jinja2) load inside them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional

import typer

from . import CODEBOOK, DB, MIN_GROUPS, REVIEWED_ONLY, RULE, _open, app, err, export_app, user_errors
from ..errors import InputError

chart_app = typer.Typer(help="Charts of the needs table: PNG, SVG or PDF.", no_args_is_help=True)
app.add_typer(chart_app, name="chart")

EXPORT_FORMAT = typer.Option(None, "--format", help="csv, xlsx or parquet [default: from the --output "
                             "file's suffix, else csv].")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to FILE, not stdout.")
CHART_FILE = typer.Argument(..., help="The chart file: .png, .svg or .pdf.")


def _export(make: Callable, fmt: Optional[str], output: Optional[Path], sheet: str, db: Path,
            reviewed_only: bool, rule: str, min_groups: Optional[int] = None) -> None:
    """Write the frame `make(store)` returns; xlsx and Parquet carry the provenance too."""
    from ..report import frames

    fmt = frames.format_of(output, fmt)
    if output is None and fmt != "csv" and sys.stdout.isatty():
        raise InputError(None, None, f"{fmt} is binary: redirect to a file (> {sheet}.{fmt}) or give --output")
    with _open(db) as store:
        frame = make(store)
        about = None if fmt == "csv" else frames.provenance(store, min_groups, reviewed_only, rule)
    if output is not None:
        frames.write(frame, output, fmt, sheet, about)
        err.print(f"{len(frame)} rows written to {output}", highlight=False)
    else:
        sys.stdout.buffer.write(frames.to_bytes(frame, fmt, sheet, about))
        sys.stdout.flush()


@export_app.command("table")
@user_errors
def export_table(fmt: Optional[str] = EXPORT_FORMAT, output: Optional[Path] = OUTPUT,
                 min_groups: Optional[int] = MIN_GROUPS, reviewed_only: bool = REVIEWED_ONLY,
                 rule: str = RULE, db: Path = DB):
    """The needs table as CSV, xlsx (with a provenance sheet) or Parquet."""
    from ..report import frames

    _export(lambda store: frames.needs(store, min_groups, reviewed_only, rule), fmt, output, "table", db,
            reviewed_only, rule, min_groups)


@export_app.command("matrix")
@user_errors
def export_matrix(fmt: Optional[str] = EXPORT_FORMAT, output: Optional[Path] = OUTPUT,
                  reviewed_only: bool = REVIEWED_ONLY, rule: str = RULE, db: Path = DB):
    """The group x code matrix as CSV, xlsx (with a provenance sheet) or Parquet."""
    from ..report import frames

    _export(lambda store: frames.matrix(store, reviewed_only, rule), fmt, output, "matrix", db,
            reviewed_only, rule)


@export_app.command("workbook")
@user_errors
def export_workbook(file: Path = typer.Argument(..., help="The workbook to write (.xlsx)."),
                    min_groups: Optional[int] = MIN_GROUPS, reviewed_only: bool = REVIEWED_ONLY,
                    rule: str = RULE, db: Path = DB):
    """An Excel workbook: sheets table, matrix, quotes and provenance."""
    from ..report.workbook import SHEETS, needs_workbook

    if file.suffix.lower() != ".xlsx":
        raise InputError(file, None, "a workbook file must end in .xlsx")
    with _open(db) as store:
        needs_workbook(store, file, min_groups, reviewed_only, rule)
    err.print(f"workbook written to {file} (sheets: {', '.join(SHEETS)})", highlight=False)


@chart_app.command("needs")
@user_errors
def chart_needs(file: Path = CHART_FILE, min_groups: Optional[int] = MIN_GROUPS,
                reviewed_only: bool = REVIEWED_ONLY, rule: str = RULE, db: Path = DB):
    """Groups per need as sorted bars coloured by class, with the shared threshold."""
    from ..report.charts import needs_chart

    with _open(db) as store:
        needs_chart(store, file, min_groups, reviewed_only, rule)
    err.print(f"chart written to {file}", highlight=False)


@chart_app.command("matrix")
@user_errors
def chart_matrix(file: Path = CHART_FILE, reviewed_only: bool = REVIEWED_ONLY, rule: str = RULE, db: Path = DB):
    """A group x need heat map of counted quotes."""
    from ..report.charts import matrix_chart

    with _open(db) as store:
        matrix_chart(store, file, reviewed_only, rule)
    err.print(f"chart written to {file}", highlight=False)


@app.command("report")
@user_errors
def report(file: Path = typer.Argument(..., help="The page to write (.html)."), codebook: Path = CODEBOOK,
           min_groups: Optional[int] = MIN_GROUPS, reviewed_only: bool = REVIEWED_ONLY,
           rule: str = RULE, db: Path = DB):
    """One self-contained HTML page: needs table, charts, quotes per need, codebook, provenance."""
    from ..report.html import needs_report

    if file.suffix.lower() not in (".html", ".htm"):
        raise InputError(file, None, "a report file must end in .html")
    with _open(db) as store:
        needs_report(store, file, codebook, min_groups, reviewed_only, rule)
    err.print(f"report written to {file}", highlight=False)
