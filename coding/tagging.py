"""Tagging, end to end: read transcripts, segment, auto-code, store.

All writes of a run happen in one transaction: a bad file anywhere rolls the
whole run back (and removes a store the run created), so a store is never
half-tagged. Transcripts stream through one at a time, so memory stays flat
however large the corpus.

A transcript is skipped without being parsed when its file hash and the
codebook are unchanged since it was last tagged; spaCy is not even imported
when nothing needs coding. With `jobs` > 1, worker processes code
transcripts and send back only the transcript and its codings; the main
process writes them in order, so the result is the same as with one process.
"""

from __future__ import annotations

import multiprocessing
from contextlib import closing
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Iterator

from . import __version__
from .codebook import Codebook, load_codebook
from .errors import InputError
from .autocode.segments import Piece, fitting, segment
from .store import Store
from .read import Transcript, file_hash, find_transcripts, read_bytes, read_transcript

Progress = Callable[[str, int], None]  # called with (path done, number of transcripts)


@dataclass
class TagResult:
    run_id: int
    tagged: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # new path -> old path
    warnings: list[str] = field(default_factory=list)
    codings: int = 0


def pipeline_name(lang: str = "en", model: str | None = None) -> str:
    """A short description of the pipeline, stored with every run."""
    return f"{model or f'blank:{lang}'}+sentencizer+lowercase_lookup_lemmatizer (spaCy {version('spacy')})"


def tag(paths: list[str | Path], codebook: str | Path = "codebook.yaml", db: str | Path = "coding.db",
        model: str | None = None, progress: Progress | None = None, jobs: int = 1) -> TagResult:
    """Tag transcript files (or folders of them) into the store at `db`."""
    if jobs < 1:
        raise InputError(None, None, "--jobs must be 1 or more")
    book = load_codebook(codebook, validated=Store.codebooks_used(db))
    files = find_transcripts([Path(p) for p in paths])
    _check_unique_paths(files)
    created = not Path(db).exists()
    store = Store.open(db, create=True)
    try:
        with closing(store):
            return _tag_into(store, book, files, paths, model, progress, jobs)
    except BaseException:
        if created:  # the run was rolled back: leave no empty store behind
            Path(db).unlink(missing_ok=True)
        raise


def _check_unique_paths(files: list[Path]) -> None:
    seen: set[str] = set()
    for path in files:
        if path.as_posix() in seen:
            raise InputError(path, None, "transcript given twice")
        seen.add(path.as_posix())


def _tag_into(store: Store, book: Codebook, files: list[Path], paths, model, progress: Progress | None,
              jobs: int) -> TagResult:
    stored = store.stored_hashes()
    present = {path.as_posix() for path in files}
    with store.atomic():
        missing = {row["path"] for folder in _folders(paths)
                   for row in store.missing_transcripts(folder, present) if not row["gone"]}
        run_id = store.start_run(__version__, book, pipeline_name(book.language, model))
        result = TagResult(run_id)
        pending: list[Path] = []
        for path in files:  # the cheap pass: which files changed? (read again to parse: memory stays flat)
            known = stored.get(path.as_posix())
            if known is not None and (known[0], known[2]) == (file_hash(read_bytes(path)), book.content_hash):
                result.unchanged.append(path.as_posix())
                if progress:
                    progress(path.as_posix(), len(files))
            else:
                pending.append(path)
        for transcript, codings in _coded(pending, book, model, jobs, stored):
            if codings is None:  # same text, only the bytes differ (line endings, BOM)
                store.set_file_hash(transcript.path, transcript.file_hash)
                result.unchanged.append(transcript.path)
            else:
                if transcript.path not in stored:
                    _take_over_renamed(store, transcript, missing, result)
                store.replace_transcript(run_id, transcript, book.content_hash, codings)
                result.tagged.append(transcript.path)
                result.codings += len(codings)
            if progress:
                progress(transcript.path, len(files))
        for path in sorted(missing - set(result.renamed.values())):
            store.forget(path)
            result.removed.append(path)
        result.warnings += _codes_outside(store, book)
        store.finish_run(run_id, len(result.tagged), len(result.unchanged))
    return result


def _folders(paths) -> list[str]:
    return [Path(p).as_posix().rstrip("/") + "/" for p in paths if Path(p).is_dir()]


def _take_over_renamed(store: Store, transcript: Transcript, missing: set[str], result: TagResult) -> None:
    """A new file whose text is that of a stored transcript whose file is gone (now or
    earlier) is that transcript renamed: it takes over its codings."""
    old = store.gone_with_content(transcript.content_hash, missing - set(result.renamed.values()),
                                  transcript.path)
    if old is not None:
        store.move_transcript(old, transcript.path)
        result.renamed[transcript.path] = old


def _codes_outside(store: Store, book: Codebook) -> list[str]:
    """Say so when people decided on codes this codebook lacks: their rows are kept (and
    listed by `coding status`) but no table shows them."""
    outside = store.decided_codes_outside(book.ids)
    return [f"the codebook has no code {row.code!r}, on which people made {row.codings} decisions: "
            "they are kept but not counted (see 'coding status'; 'coding codebook rename' moves them)"
            for row in outside.itertuples()]


# -- coding, in this process or in workers ----------------------------------------

_worker: dict = {}


def _start_worker(book: Codebook, model: str | None, stored: dict) -> None:
    _worker.update(book=book, model=model, stored=stored, coders={})


def _code_file(path: Path) -> tuple[Transcript, list | None]:
    """Parse and code one file; codings None when its text is as stored (nothing to code)."""
    transcript = read_transcript(path)
    book, coders = _worker["book"], _worker["coders"]
    known = _worker["stored"].get(transcript.path)
    if known is not None and (known[1], known[2]) == (transcript.content_hash, book.content_hash):
        return transcript, None
    if transcript.language not in coders:
        coders[transcript.language] = _make_coder(book, transcript.language, _worker["model"])
    return transcript, code_transcript(transcript, *coders[transcript.language])


def _make_coder(book: Codebook, language: str, model: str | None):
    """spaCy is imported here, the first time something needs coding."""
    from .autocode.candidates import Candidates
    from .autocode.nlp import make_nlp
    from .autocode.rules import AutoCoder

    coder = AutoCoder(book, make_nlp(language, model))
    return coder, Candidates(coder)


def _coded(pending: list[Path], book: Codebook, model, jobs: int,
           stored: dict) -> Iterator[tuple[Transcript, list | None]]:
    if jobs == 1 or len(pending) < 2:
        _start_worker(book, model, stored)
        yield from map(_code_file, pending)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    with context.Pool(jobs, initializer=_start_worker, initargs=(book, model, stored)) as pool:
        yield from pool.imap(_code_file, pending, chunksize=4)


def code_transcript(transcript: Transcript, coder, candidates=None) -> list:
    """The auto codings of one transcript. With `candidates`, only the pieces where a
    match is possible go through spaCy (the fast path); without, every turn in full
    (the reference path). Both give the same codings."""
    if candidates is None:
        pieces = [Piece.whole(transcript, turn) for turn in transcript.turns]
    else:
        pieces = candidates.pieces(transcript)
    pieces = fitting(pieces, coder.nlp)  # a huge turn: coded in pieces, not refused by spaCy
    docs = list(coder.nlp.pipe(piece.text for piece in pieces))
    return coder.code(transcript, pieces, segment(transcript, pieces, docs), docs)
