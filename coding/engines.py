"""Where transcripts get coded: in this process, in worker processes, or as tasks
on a dask.distributed cluster.

Every engine yields (transcript, codings) for the files to code, in their order,
and `tagging` writes them in its one transaction: the store is the same whichever
engine coded. Codings are None when a file's text is as stored (only its bytes
changed: line endings, a BOM). The engines differ in where `code_transcript` runs:

- `local`: here, or with `jobs` > 1 in worker processes that each read and code
  whole files (they see the same disk); a big transcript is coded chunk by chunk
  (below), which keeps memory and the learned coder's cost per chunk;
- `dask`: tasks on a dask.distributed cluster, the one at `scheduler`, else a
  LocalCluster of worker processes on this machine. This process reads each file,
  so workers need the `coding` package and nothing else (no files, no codebook
  path); it cuts each transcript into chunks of whole turns, submits one task per
  chunk, and joins each file's chunks again in order, so one survey sheet of
  100,000 respondents spreads over the cluster like many small files. What every
  task needs (the suggester: codebook and learned model) is scattered to the
  workers once; each worker process builds its coder once per run.

Coding a chunk gives exactly the codings of its turns, because the coders work
turn by turn; the one exception, an assent coded from the interviewer's question
just before it, is kept whole by never starting a chunk right after an interviewer
turn. A chunk is a small transcript of its own, from the line where its first turn
starts: the codings it gives count offsets and lines from there and are moved back
(`Chunk.rebase`).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from .errors import InputError
from .read import ReaderOptions, Transcript, read_transcript

ENGINES = ("local", "dask")
# Text per chunk (a dask task). Big enough that a task's overhead (a few ms) is small next
# to its coding (about 1 s for 100,000 characters of survey answers, measured on the NHS-
# shaped benchmark), small enough that a survey sheet of a few MB makes many tasks.
CHUNK_CHARS = 100_000
LOCAL_CLUSTER_WORKERS = 2
# Tasks queued per worker thread: enough to keep every worker busy while this process
# reads the next file, few enough to keep memory flat however many files there are.
IN_FLIGHT_PER_THREAD = 4
CONNECT_TIMEOUT = 20  # seconds to reach a scheduler and see a worker

Coded = Iterator[tuple[Transcript, "list | None"]]


def check_engine(engine: str, scheduler: str | None) -> None:
    if engine not in ENGINES:
        raise InputError(None, None, f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise InputError(None, None, "--scheduler is the address of a dask scheduler: give --engine dask too")


def coded(pending: list[Path], book, model: str | None, stored: dict, options: ReaderOptions | None = None,
          engine: str = "local", jobs: int = 1, scheduler: str | None = None) -> Coded:
    """The files of `pending` read and coded by `book` (a `tagging.Suggester`), in order."""
    check_engine(engine, scheduler)
    run = Run(book, model)
    if engine == "dask":
        return _dask_coded(pending, run, stored, options, scheduler, jobs)
    return _local_coded(pending, run, stored, options, jobs)


@dataclass
class Run:
    """What a worker needs to code, sent to each once: who suggests, which spaCy model.
    `token` tells one run from the next in a long-lived worker."""

    book: object  # tagging.Suggester
    model: str | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def is_stored(transcript: Transcript, run: Run, stored: dict) -> bool:
    """Its text and suggester are as stored: nothing to code (only the bytes changed)."""
    known = stored.get(transcript.path)
    return known is not None and (known[1], known[2]) == (transcript.content_hash, run.book.key)


# -- a worker's coders (this process, a pool process, a dask worker) ------------------------

_coders: dict = {"token": None, "by_language": {}}


def _coder(run: Run, language: str):
    """The (coder, candidates) of this run for a language, built once per process."""
    from .tagging import _make_coder  # spaCy is imported there, once something needs coding

    if _coders["token"] != run.token:  # a new run: another codebook or model, perhaps
        _coders.update(token=run.token, by_language={})
    by_language = _coders["by_language"]
    if language not in by_language:
        by_language[language] = _make_coder(run.book, language, run.model)
    return by_language[language]


def _code(transcript: Transcript, run: Run) -> list:
    """The codings of a transcript, coded chunk by chunk when it is big (a survey sheet):
    the same codings, with the spaCy docs of one chunk in memory at a time, and what a
    coder does per transcript bounded by a chunk (the learned coder matches each passage
    against every coding of its transcript, so its cost grows with the square of that)."""
    from .tagging import code_transcript

    coder = _coder(run, transcript.language)
    parts = chunks(transcript)
    if len(parts) < 2:
        return code_transcript(transcript, *coder)
    return [coding for part in parts for coding in part.rebase(code_transcript(part.transcript, *coder))]


# -- local: this process, or a pool of processes that read and code whole files ------------

_worker: dict = {}


def _start_worker(run: Run, stored: dict, options: ReaderOptions | None = None) -> None:
    _worker.update(run=run, stored=stored, options=options)


def _code_file(path: Path) -> tuple[Transcript, list | None]:
    """Parse and code one file; codings None when its text is as stored (nothing to code)."""
    transcript = read_transcript(path, options=_worker["options"])
    if is_stored(transcript, _worker["run"], _worker["stored"]):
        return transcript, None
    return transcript, _code(transcript, _worker["run"])


def _local_coded(pending: list[Path], run: Run, stored: dict, options: ReaderOptions | None, jobs: int) -> Coded:
    if jobs == 1 or len(pending) < 2:
        _start_worker(run, stored, options)
        yield from map(_code_file, pending)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    with context.Pool(jobs, initializer=_start_worker, initargs=(run, stored, options)) as pool:
        yield from pool.imap(_code_file, pending, chunksize=4)


# -- chunks: a stretch of whole turns as a transcript of its own ------------------------------


@dataclass
class Chunk:
    """Turns of a transcript as a small transcript whose text starts at `offset` of the
    whole text, `lines_before` lines into it."""

    transcript: Transcript
    offset: int
    lines_before: int

    def rebase(self, codings: list) -> list:
        """Codings of the chunk with the offsets and lines of the whole transcript."""
        at, lines = self.offset, self.lines_before
        return [replace(c, segment_start=c.segment_start + at, segment_end=c.segment_end + at,
                        match_start=c.match_start + at, match_end=c.match_end + at, line=c.line + lines)
                for c in codings]


def chunks(transcript: Transcript, size: int | None = None) -> list[Chunk]:
    """The transcript cut into chunks of whole turns of about `size` characters of text
    (CHUNK_CHARS), never right after an interviewer turn (see the module docstring)."""
    size = CHUNK_CHARS if size is None else size
    found, current, length = [], [], 0
    for turn in transcript.turns:
        if current and length >= size and current[-1].role != "interviewer":
            found.append(_chunk(transcript, current))
            current, length = [], 0
        current.append(turn)
        length += turn.end - turn.start
    if current:
        found.append(_chunk(transcript, current))
    return found


def _chunk(whole: Transcript, turns: list) -> Chunk:
    first_line = whole.line_of(turns[0].start)
    offset, end = whole.line_starts[first_line - 1], turns[-1].end
    lines_before = first_line - 1
    line_starts = [start - offset for start in whole.line_starts[lines_before:whole.line_of(end)]]
    # turn attributes (a survey row's other columns) and places are not needed to code
    moved = [replace(t, start=t.start - offset, end=t.end - offset, line=t.line - lines_before, attributes={})
             for t in turns]
    part = Transcript(path=whole.path, group=whole.group, text=whole.text[offset:end],
                      content_hash=whole.content_hash, language=whole.language, speakers=whole.speakers,
                      turns=moved, line_starts=line_starts)
    return Chunk(part, offset, lines_before)


# A dask worker started with several threads codes one chunk at a time: the coders keep
# caches that are not made for threads, and pure-Python coding gains nothing from them.
_one_at_a_time = threading.Lock()


def code_chunk(run: Run, chunk: Chunk) -> list:
    """A dask task: the codings of a chunk's turns, placed in the whole transcript."""
    from .tagging import code_transcript

    with _one_at_a_time:
        codings = code_transcript(chunk.transcript, *_coder(run, chunk.transcript.language))
    return chunk.rebase(codings)


# -- dask: tasks on a cluster, results written here in order ----------------------------------


def _dask_coded(pending: list[Path], run: Run, stored: dict, options: ReaderOptions | None,
                scheduler: str | None, jobs: int) -> Coded:
    if not pending:  # nothing changed: no cluster to start
        return
    with _client(scheduler, jobs) as client:
        shared = client.scatter(run, broadcast=True, hash=False)
        limit = IN_FLIGHT_PER_THREAD * max(1, sum(client.nthreads().values()))
        waiting: deque = deque()  # (transcript, its chunks' futures or None), in file order
        in_flight = 0
        for path in pending:
            transcript = read_transcript(path, options=options)
            futures = None if is_stored(transcript, run, stored) else \
                [client.submit(code_chunk, shared, chunk, pure=False) for chunk in chunks(transcript)]
            waiting.append((transcript, futures))
            in_flight += len(futures or ())
            while waiting and (in_flight > limit or _done(waiting[0][1])):
                transcript, futures = waiting.popleft()
                in_flight -= len(futures or ())
                yield transcript, _joined(client, futures)
        while waiting:
            transcript, futures = waiting.popleft()
            yield transcript, _joined(client, futures)


def _done(futures) -> bool:
    return futures is None or all(f.done() for f in futures)


def _joined(client, futures) -> list | None:
    if futures is None:
        return None
    return [coding for part in client.gather(futures) for coding in part]


@contextmanager
def _client(scheduler: str | None, jobs: int):
    """A dask client of the scheduler at `scheduler`, else of a LocalCluster of worker
    processes (`jobs` of them when more than 1, else LOCAL_CLUSTER_WORKERS), closed after."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        client = _connect(Client, scheduler)
        with client:
            _check_workers(client, scheduler)
            yield client
        return
    workers = jobs if jobs > 1 else LOCAL_CLUSTER_WORKERS
    # dask's sampling profiler (for its dashboard, which we do not start) costs the workers
    # about a tenth of their time (measured on the survey benchmark): off
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        yield client


def _connect(Client, scheduler: str):
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(None, None, f"--scheduler {scheduler}: no dask scheduler answers there "
                         f"({type(error).__name__}: {error})") from None


def _check_workers(client, scheduler: str) -> None:
    """Workers of a real cluster must have this `coding`: say so plainly, not in a traceback."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        raise InputError(None, None, f"--scheduler {scheduler}: no worker joined within {CONNECT_TIMEOUT} s "
                         "(start some with 'dask worker ADDRESS')") from None
    try:
        found = client.run(_package_version)
    except Exception as error:  # a worker that cannot even unpickle the call lacks the package
        raise InputError(None, None, f"--scheduler {scheduler}: a worker cannot run coding "
                         f"({type(error).__name__}: {error}); install this coding package on every worker") from None
    ours = _package_version()
    other = {worker: theirs for worker, theirs in found.items() if theirs != ours}
    if other:
        listed = ", ".join(f"{worker} has {theirs}" for worker, theirs in sorted(other.items()))
        raise InputError(None, None, f"--scheduler {scheduler}: workers run another coding than {ours} "
                         f"({listed}); install the same version on every worker")


def _package_version() -> str:
    from . import __version__

    return __version__
