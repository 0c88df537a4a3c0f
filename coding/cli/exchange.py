"""Commands: REFI-QDA exchange (`coding.exchange`): export and import codebooks (.qdc)
and whole projects (.qdpx) to and from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..coders import person_name
from ..errors import InputError
from . import CODEBOOK, CODER, DB, REVIEWED_ONLY, RULE, _open, err, export_app, import_app, user_errors

LISTED = 20  # problem lines shown before "... and N more"


def _say(line: str) -> None:
    err.print(line, highlight=False, soft_wrap=True, markup=False)


def _listed(prefix: str, lines: list[str]) -> None:
    for line in lines[:LISTED]:
        _say(f"{prefix}{line}")
    if len(lines) > LISTED:
        _say(f"{prefix}... and {len(lines) - LISTED} more")


@export_app.command("qdc")
@user_errors
def export_qdc(file: Path = typer.Argument(..., help="The REFI-QDA codebook to write (.qdc)."),
               codebook: Path = CODEBOOK):
    """The codebook as a REFI-QDA codebook, for NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette."""
    from ..exchange.qdc import export_codebook

    _say(f"wrote {file}: {export_codebook(codebook, file)} codes")


@export_app.command("qdpx")
@user_errors
def export_qdpx(file: Path = typer.Argument(..., help="The REFI-QDA project to write (.qdpx)."),
                db: Path = DB, rule: str = RULE, reviewed_only: bool = REVIEWED_ONLY):
    """The project as a REFI-QDA project: coders, codebook, transcripts, the codings that count, attributes."""
    from ..exchange.qdpx import export_project

    with _open(db) as store:
        done = export_project(store, file, rule, reviewed_only)
    _say(f"wrote {file}: {done.users} users, {done.codes} codes, {done.sources} text sources, "
         f"{done.accepted + done.suggested} codings ({done.accepted} accepted, {done.suggested} unreviewed "
         f"suggestions), {done.variables} variables, {done.cases} cases")


@import_app.command("qdc")
@user_errors
def import_qdc(file: Path = typer.Argument(..., help="A REFI-QDA codebook (.qdc), or a project (.qdpx, .qde) "
                                           "whose codebook to take."),
               output: Path = typer.Option(Path("codebook.yaml"), "--output", "-o",
                                           help="The codebook YAML to create (never overwritten).")):
    """A REFI-QDA codebook as a new codebook.yaml: ids from the names, each name its first term."""
    from ..exchange.qdc import import_codebook

    done = import_codebook(file, output)
    for warning in done.warnings:
        _say(f"warning: {file}: {warning}; read leniently")
    nested = f" ({done.nested} were nested: flattened, their parents named in the description)" if done.nested else ""
    _say(f"wrote {output}: {len(done.codes)} codes from {file}{f' ({done.origin})' if done.origin else ''}"
         f"{nested}; each code's name is its one term: add terms before tagging")
    _listed("  ", [f"{code_id}: {code.name}" for code_id, code in done.codes])


@import_app.command("qdpx")
@user_errors
def import_qdpx(file: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx, or a bare project.qde)."),
                coder: Optional[str] = CODER, db: Path = DB,
                transcripts: Optional[Path] = typer.Option(None, "--transcripts", help="Write the text sources "
                                                           "no stored transcript has as new transcripts here.")):
    """Another tool's codings as your decisions, matched to the stored transcripts by their text."""
    from ..exchange.qdpx import import_project

    name = person_name(coder)
    if not db.exists() and transcripts is None:
        raise InputError(db, None, "no coding store here; run 'coding tag' first, or give --transcripts "
                         "FOLDER to write the project's sources as transcripts")
    if db.exists():
        with _open(db) as store:
            done = import_project(store, file, name, transcripts)
    else:
        done = import_project(None, file, name, transcripts)
    _report(done, file, db, transcripts)


def _report(done, file: Path, db: Path, transcripts: Optional[Path]) -> None:
    project = done.project
    others = sum(project.other_sources.values())
    _say(f"read {file}{f' ({project.origin})' if project.origin else ''}: {len(project.users)} users, "
         f"{len(project.codes)} codes, {len(project.sources)} text sources with {project.selections} selections "
         f"and {project.codings} codings" + (f"; {others} other sources (pictures, PDF, audio, video: "
                                               "not imported)" if others else ""))
    for warning in project.warnings:
        _say(f"warning: {file}: {warning}; read leniently")
    if not db.exists():
        _say(f"no store at {db}: no source was matched and no coding imported")
    else:
        how = {h: sum(1 for p in done.matched.values() if p.how == h) for h in ("identical", "inside")}
        _say(f"matched {len(done.matched)} of {len(project.sources)} text sources to stored transcripts "
             f"({how['identical']} with the same text, {how['inside']} found inside a transcript)")
        _listed("  not matched: ", [f"{done.labels[index]}: {why}" for index, why in done.unmatched.items()])
        _say(f"imported {done.imported} codings into {db} as {done.coder}; {done.already} already coded by "
             f"{done.coder}; {done.machine} unreviewed machine suggestions in the file not taken as decisions")
        _listed("  not imported: ", done.problems)
        if done.undecided:
            _say(f"{done.undecided} machine suggestions in the matched transcripts are not in the file: still "
                 f"unreviewed ('coding review --coder {done.coder}')")
    _listed("  ", done.notes)
    if done.written:
        _say(f"wrote {len(done.written)} new transcripts to {transcripts}: tag them ('coding tag {transcripts}') "
             "and import again to bring their codings in")
