"""Reading transcripts: a registry of readers by file suffix.

Each reader turns one file into a `Transcript` (the normalised text, its
speaker turns and offsets); nothing downstream knows which format a
transcript came from. To add a format, write a module with `SUFFIXES` and
`read(path, raw)` and add it to `READERS`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from . import markdown
from .transcript import Transcript, Turn, content_hash, file_hash, normalise, read_bytes

READERS = {suffix: module.read for module in (markdown,) for suffix in module.SUFFIXES}


def is_transcript_file(path: Path) -> bool:
    """Files a reader knows, in a transcript folder, except a README describing the folder."""
    return (path.is_file() and path.suffix.lower() in READERS
            and not path.name.startswith(".") and path.stem.upper() != "README")


def find_transcripts(paths: list[Path]) -> list[Path]:
    """Expand folders into their transcript files, sorted for determinism."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if is_transcript_file(p)))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(path, None, "no such transcript file or folder")
    if not found:
        kinds = ", ".join("*" + suffix for suffix in READERS)
        raise InputError(paths[0] if paths else None, None, f"no transcript files ({kinds}) found")
    return found


def read_transcript(path: str | Path, raw: bytes | None = None) -> Transcript:
    """Read one transcript file with the reader for its suffix (Markdown for any other)."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower(), markdown.read)
    return reader(path, read_bytes(path) if raw is None else raw)


__all__ = ["READERS", "Transcript", "Turn", "content_hash", "file_hash", "find_transcripts",
           "is_transcript_file", "normalise", "read_bytes", "read_transcript"]
