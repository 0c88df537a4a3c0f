"""Reading transcripts: a registry of readers by file suffix.

Each reader turns one file into a `Transcript` (the normalised text, its
speaker turns and offsets); nothing downstream knows which format a
transcript came from. To add a format, write a module with `SUFFIXES` and
`read(path, raw, options)` and add it to `READERS`.

Markdown keeps its own text; every other format is rendered as `Speaker: text`
lines (`rendering`), with `places` pointing back into the original file, and
takes what it cannot say itself from a sidecar YAML or groups.csv (`metadata`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from . import captions, markdown, sheets, word
from .metadata import ReaderOptions, source_hash as _source_hash
from .transcript import Transcript, Turn, content_hash, file_hash, normalise, read_bytes

READERS = {suffix: module.read for module in (markdown, captions, word, sheets) for suffix in module.SUFFIXES}


def is_transcript_file(path: Path, options: ReaderOptions | None = None) -> bool:
    """Files a reader knows, in a transcript folder, except a README describing the folder,
    and sheets that hold no turns or answers (groups.csv, a gold file)."""
    if not (path.is_file() and path.suffix.lower() in READERS
            and not path.name.startswith(".") and path.stem.upper() != "README"):
        return False
    return path.suffix.lower() not in sheets.SUFFIXES or sheets.is_transcript_sheet(path, options)


def find_transcripts(paths: list[Path], options: ReaderOptions | None = None) -> list[Path]:
    """Expand folders into their transcript files, sorted for determinism."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if is_transcript_file(p, options)))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(path, None, "no such transcript file or folder")
    if not found:
        kinds = ", ".join("*" + suffix for suffix in READERS)
        raise InputError(paths[0] if paths else None, None, f"no transcript files ({kinds}) found")
    return found


def read_transcript(path: str | Path, raw: bytes | None = None,
                    options: ReaderOptions | None = None) -> Transcript:
    """Read one transcript file with the reader for its suffix (Markdown for any other)."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower(), markdown.read)
    return reader(path, read_bytes(path) if raw is None else raw, options)


def source_hash(path: str | Path, options: ReaderOptions | None = None) -> str:
    """The hash a transcript read from `path` would have as `file_hash`, without parsing:
    its bytes, and its sidecar, groups.csv and (for sheets) reader options."""
    path = Path(path)
    key = (options or ReaderOptions()).key() if path.suffix.lower() in sheets.SUFFIXES else ""
    return _source_hash(path, read_bytes(path), key)


__all__ = ["READERS", "ReaderOptions", "Transcript", "Turn", "content_hash", "file_hash", "find_transcripts",
           "is_transcript_file", "normalise", "read_bytes", "read_transcript", "source_hash"]
