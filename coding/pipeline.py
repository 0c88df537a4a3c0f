"""Tagging, end to end: read transcripts, segment, auto-code, store.

Every input is read and checked before the store is opened, and all writes
happen in one transaction, so a bad file never leaves a half-tagged store.
A transcript whose text and codebook are unchanged since it was last tagged
is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__
from .candidates import Candidates
from .codebook import Codebook, load_codebook
from .codings import AutoCoder
from .errors import InputError
from .nlp import make_nlp, pipeline_name
from .segments import Piece, segment
from .store import Store
from .transcripts import Transcript, find_transcripts, read_transcript

Progress = Callable[[str, int], None]  # called with (path done, number of transcripts)


@dataclass
class TagResult:
    run_id: int
    tagged: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    codings: int = 0


def tag(paths: list[str | Path], codebook: str | Path = "codebook.yaml", db: str | Path = "coding.db",
        model: str | None = None, progress: Progress | None = None) -> TagResult:
    """Tag transcript files (or folders of them) into the store at `db`."""
    book = load_codebook(codebook)
    files = find_transcripts([Path(p) for p in paths])
    transcripts = [read_transcript(f) for f in files]
    _check_unique_paths(transcripts)
    store = Store.open(db, create=True)
    try:
        return _tag_into(store, book, transcripts, paths, model, progress)
    finally:
        store.close()


def _check_unique_paths(transcripts: list[Transcript]) -> None:
    seen: set[str] = set()
    for transcript in transcripts:
        if transcript.path in seen:
            raise InputError(transcript.path, None, "transcript given twice")
        seen.add(transcript.path)


def _tag_into(store: Store, book: Codebook, transcripts: list[Transcript], paths, model,
              progress: Progress | None) -> TagResult:
    pipeline = pipeline_name(book.language, model)
    coders: dict[str, tuple[AutoCoder, Candidates]] = {}
    with store.transaction() as db:
        run_id = store.start_run(db, __version__, book, pipeline)
        result = TagResult(run_id)
        for transcript in transcripts:
            if store.is_current(transcript.path, transcript.content_hash, book.content_hash):
                result.unchanged.append(transcript.path)
            else:
                if transcript.language not in coders:
                    coder = AutoCoder(book, make_nlp(transcript.language, model))
                    coders[transcript.language] = (coder, Candidates(coder))
                codings = code_transcript(transcript, *coders[transcript.language])
                store.replace_transcript(db, run_id, transcript, book.content_hash, codings)
                result.tagged.append(transcript.path)
                result.codings += len(codings)
            if progress:
                progress(transcript.path, len(transcripts))
        present = {t.path for t in transcripts}
        for folder in (Path(p) for p in paths):
            if folder.is_dir():
                result.removed += store.drop_missing(db, folder.as_posix().rstrip("/") + "/", present)
        store.finish_run(db, run_id, len(result.tagged), len(result.unchanged))
    return result


def code_transcript(transcript: Transcript, coder: AutoCoder, candidates: Candidates | None = None):
    """The auto codings of one transcript. With `candidates`, only the pieces where a
    match is possible go through spaCy (the fast path); without, every turn in full
    (the reference path). Both give the same codings."""
    if candidates is None:
        pieces = [Piece.whole(transcript, turn) for turn in transcript.turns]
    else:
        pieces = candidates.pieces(transcript)
    docs = list(coder.nlp.pipe(piece.text for piece in pieces))
    return coder.code(transcript, pieces, segment(transcript, pieces, docs), docs)
