"""The needs table as an Excel workbook for co-authors: one sheet per view.

`needs_workbook` writes the sheets `table` (the needs table), `matrix` (group x
code), `quotes` (every counted coding) and `provenance` (tool, inputs' hashes,
counting rule, share reviewed, date). Every sheet has a bold header row that
stays in view (frozen), a filter, and columns as wide as their text (up to a
limit; longer text wraps).

Text is written as text cells, never formulas, with the control characters an
xlsx file cannot hold shown as visible escapes (`coding.escape.xlsx_safe`), as
`coding export codings` does.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..escape import xlsx_safe
from ..review.standing import DEFAULT_RULE
from ..store import Store
from . import frames

WIDEST = 80  # characters; a wider column (a quote) wraps instead
SHEETS = ("table", "matrix", "quotes", "provenance")


def needs_views(store: Store, min_groups: int | None = None, reviewed_only: bool = False,
                rule: str = DEFAULT_RULE) -> dict[str, pd.DataFrame]:
    """The workbook's sheets as DataFrames, by sheet name."""
    table = frames.needs(store, min_groups, reviewed_only, rule)
    return {"table": table,
            "matrix": frames.matrix(store, reviewed_only, rule),
            "quotes": frames.quotes(store, reviewed_only, rule, table),
            "provenance": frames.provenance(store, min_groups, reviewed_only, rule)}


def needs_workbook(store: Store, path: str | Path, min_groups: int | None = None,
                   reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> Path:
    """Write the workbook of the needs table to `path` (.xlsx)."""
    data = workbook_bytes(needs_views(store, min_groups, reviewed_only, rule))
    with frames.replacing(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def workbook_bytes(views: dict[str, pd.DataFrame]) -> bytes:
    """An xlsx file with one formatted sheet per (name, frame)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, frame in views.items():
        _sheet(book.create_sheet(name), frame)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet(sheet, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.append([xlsx_safe(str(column)) for column in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([_cell(value) for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl takes text starting with "=" for a formula
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, column in enumerate(sheet.iter_cols(), start=1):
        longest = max((_width(cell.value) for cell in column), default=0)
        sheet.column_dimensions[get_column_letter(number)].width = min(longest, WIDEST) + 2
        if longest > WIDEST:
            for cell in column[1:]:
                cell.alignment = wrap


def _cell(value):
    """A value openpyxl can store: lists joined with '; ', missing values empty, numpy
    numbers as Python numbers, text with illegal characters escaped."""
    if isinstance(value, (list, tuple)):
        value = "; ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return xlsx_safe(value) if isinstance(value, str) else value


def _width(value) -> int:
    """Characters the widest line of a cell takes."""
    if value is None:
        return 0
    return max(len(line) for line in str(value).splitlines() or [""])
