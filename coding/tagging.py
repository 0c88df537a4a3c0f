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

from contextlib import closing
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Iterator

from . import __version__, engines
from .codebook import Codebook, load_codebook
from .errors import InputError
from .autocode.segments import Piece, fitting, segment
from .store import Store
from .read import ReaderOptions, Transcript, find_transcripts, source_hash

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
        model: str | None = None, progress: Progress | None = None, jobs: int = 1,
        options: ReaderOptions | None = None, auto_coder: str = "auto", engine: str = "local",
        scheduler: str | None = None) -> TagResult:
    """Tag transcript files (or folders of them) into the store at `db`; `options`
    say how to read sheets (group, id and text columns). `auto_coder` says who
    suggests: `learned` (the store's latest trained model), `rules`, `keywords`
    (plain keyword search, a baseline), or `auto` (learned if trained, else rules).
    `engine` says where coding runs (`coding.engines`): `local` (`jobs` processes)
    or `dask` (the cluster at `scheduler`, else a local one)."""
    engines.check_engine(engine, scheduler)
    if auto_coder not in AUTO_CODERS:
        raise InputError(None, None, f"--auto-coder {auto_coder!r}: use one of {', '.join(AUTO_CODERS)}")
    if jobs < 1:
        raise InputError(None, None, "--jobs must be 1 or more")
    book = load_codebook(codebook, validated=Store.codebooks_used(db))
    files = find_transcripts([Path(p) for p in paths], options)
    _check_unique_paths(files)
    created = not Path(db).exists()
    store = Store.open(db, create=True)
    try:
        with closing(store):
            book = _suggester(store, book, auto_coder)
            return _tag_into(store, book, files, paths, model, progress, jobs, options, engine, scheduler)
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


def _tag_into(store: Store, book: "Suggester", files: list[Path], paths, model, progress: Progress | None,
              jobs: int, options: ReaderOptions | None = None, engine: str = "local",
              scheduler: str | None = None) -> TagResult:
    stored = store.stored_hashes()
    present = {path.as_posix() for path in files}
    with store.atomic():
        missing = {row["path"] for folder in _folders(paths)
                   for row in store.missing_transcripts(folder, present) if not row["gone"]}
        run_id = store.start_run(__version__, book.codebook, pipeline_name(book.language, model))
        store.set_run_model(run_id, book.model_id)
        result = TagResult(run_id)
        pending: list[Path] = []
        languages: set[str] = set()  # of the transcripts coded: each said once if it is coded with less
        for path in files:  # the cheap pass: which files changed? (read again to parse: memory stays flat)
            known = stored.get(path.as_posix())
            if known is not None and (known[0], known[2]) == (source_hash(path, options), book.key):
                result.unchanged.append(path.as_posix())
                if progress:
                    progress(path.as_posix(), len(files))
            else:
                pending.append(path)
        for transcript, codings in _coded(pending, book, model, jobs, stored, options, engine, scheduler):
            result.warnings += transcript.warnings
            if codings is None:  # same text, only the bytes differ (line endings, BOM)
                store.set_file_hash(transcript.path, transcript.file_hash)
                result.unchanged.append(transcript.path)
            else:
                if transcript.path not in stored:
                    _take_over_renamed(store, transcript, missing, result)
                store.replace_transcript(run_id, transcript, book.key, codings)
                result.tagged.append(transcript.path)
                languages.add(transcript.language)
                result.codings += sum(not c.veto for c in codings)
            if progress:
                progress(transcript.path, len(files))
        for path in sorted(missing - set(result.renamed.values())):
            store.forget(path)
            result.removed.append(path)
        if languages:
            from .autocode.nlp import language_warnings
            result.warnings += language_warnings(languages, model, book.codebook)
        result.warnings += _codes_outside(store, book.codebook)
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

def _make_coder(book: "Suggester", language: str, model: str | None):
    """spaCy is imported here, the first time something needs coding. The rule coder
    takes the fast path; the learned coder and keyword search read every turn."""
    from .autocode.candidates import Candidates
    from .autocode.nlp import make_nlp
    from .autocode.rules import AutoCoder

    rules = AutoCoder(book.codebook, make_nlp(language, model))
    if book.kind == "keywords":
        from .autocode.keywords import KeywordCoder
        return KeywordCoder(book.codebook, rules.nlp), None
    if book.learned is not None:
        from .autocode.learned import LearnedCoder
        return LearnedCoder(rules, book.learned, book.model_id), None
    return rules, Candidates(rules)


AUTO_CODERS = ("auto", "learned", "rules", "keywords")


@dataclass
class Suggester:
    """Who suggests codings in a run: the codebook, and the learned model if one is used.
    `key` is stored with each transcript: a new codebook or a new model re-tags."""

    codebook: Codebook
    kind: str = "rules"
    model_id: int | None = None
    learned: object = None

    @property
    def key(self) -> str:
        if self.kind == "keywords":
            return f"{self.codebook.content_hash}+keywords"
        return self.codebook.content_hash + (f"+model:{self.model_id}" if self.model_id else "")

    @property
    def language(self) -> str:
        return self.codebook.language


def _suggester(store: Store, book: Codebook, auto_coder: str) -> Suggester:
    if auto_coder in ("rules", "keywords"):
        return Suggester(book, auto_coder)
    from .training import load_model

    found = load_model(store)
    if found is None:
        if auto_coder == "learned":
            raise InputError(None, None, "no trained model in the store: run 'coding train' first")
        return Suggester(book, "rules")
    model_id, model = found
    missing = set(model.codes) ^ set(book.ids)
    if missing:
        if auto_coder == "learned":
            raise InputError(None, None, f"the trained model {model_id} was trained on other codes "
                             f"({', '.join(sorted(missing))}); run 'coding train' again")
        return Suggester(book, "rules")
    return Suggester(book, "learned", model_id, model)


def _coded(pending: list[Path], book: "Suggester", model, jobs: int, stored: dict,
           options: ReaderOptions | None = None, engine: str = "local",
           scheduler: str | None = None) -> Iterator[tuple[Transcript, list | None]]:
    """The files read and coded, in their order: here, in `jobs` processes or on dask
    (the worker functions are in `coding.engines`)."""
    return engines.coded(pending, book, model, stored, options, engine=engine, jobs=jobs, scheduler=scheduler)


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
