"""Reading a user's CSV (gold files, codings to import): rows with their line numbers."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from .errors import InputError


def csv_rows(path: str | Path, required: list[str], optional: tuple[str, ...] = (),
             what: str = "CSV file") -> Iterator[tuple[int, dict]]:
    """(line, row) for each row after the header, values stripped. The header must be the
    required columns, in order, then any of the optional ones; a row the csv module cannot
    read is an InputError at its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, None, f"{what} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, None, f"cannot read {what}: {error}") from None
    reader = csv.DictReader(text.splitlines())
    try:
        header = [f.strip() for f in reader.fieldnames or []]
        extra = header[len(required):]
        if header[:len(required)] != required or any(c not in optional for c in extra) \
                or len(set(extra)) != len(extra):
            wanted = ",".join(required) + "".join(f"[,{c}]" for c in optional)
            raise InputError(path, 1, f"header must be {wanted}")
        reader.fieldnames = header
        line = reader.line_num + 1
        for row in reader:
            yield line, {key: str(value or "").strip() for key, value in row.items() if key is not None}
            line = reader.line_num + 1
    except csv.Error as error:  # the DictReader's own line_num lags a row behind
        raise InputError(path, reader.reader.line_num, f"not a valid CSV row: {error}") from None
