"""Commands: a coder that learns from people (import codings, train)."""

from __future__ import annotations

from pathlib import Path

import typer

from . import CODEBOOK, DB, FORMAT, _open, _print, app, err, import_app, user_errors
from ..coders import person_name
from ..report.output import Format, render


@import_app.command("codings")
@user_errors
def import_codings(file: Path = typer.Argument(..., help="CSV: transcript,lines,code[,note] (a segment gold file)."),
                   coder: str = typer.Option(..., "--coder", help="The person who made these codings."),
                   db: Path = DB):
    """Bulk manual codings from a spreadsheet or another tool, all or nothing."""
    from ..review.imports import import_codings as run_import

    with _open(db) as store:
        result = run_import(store, file, person_name(coder))
    err.print(f"imported {result.added} codings by {coder} into {db} ({result.already} already there); "
              f"{len(result.transcripts)} transcripts now count as read by {coder}", highlight=False)


@app.command()
@user_errors
def train(codebook: Path = CODEBOOK, db: Path = DB, fmt: Format = FORMAT,
          folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds for the estimate.")):
    """Learn a coder from people's decisions; print its cross-validated estimate per code."""
    from ..training import train as run_training

    with _open(db) as store:
        result = run_training(store, str(codebook), folds)
    _print(render(result.estimate, fmt, title=f"Cross-validated estimate ({folds} folds)",
                  footer=f"model {result.model_id}: trained on {result.passages} passages; suggests at "
                         f"p >= {result.threshold:.2f}. Run 'coding tag' to suggest with it."))
