"""Render a table as Markdown (a rich table in a terminal), CSV or JSON."""

from __future__ import annotations

import json
import sys
from enum import Enum

import pandas as pd
from rich.console import Console
from rich.highlighter import ReprHighlighter
from rich.table import Table
from rich.text import Text

from ..escape import markdown_cell, spreadsheet_cell, terminal_safe


class Format(str, Enum):
    md = "md"
    csv = "csv"
    json = "json"


def _flat(value):
    return "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else value


def render(frame: pd.DataFrame, fmt: Format | str = Format.md, title: str | None = None,
           footer: str | None = None, terminal: bool | None = None) -> str:
    """The text to print; lists (such as group_ids) become '; '-joined cells except in JSON.

    Cells keep their text as written in JSON; in CSV a text cell that a spreadsheet would
    take as a formula gets a leading `'`; in Markdown and on a terminal control characters
    show as visible escapes (coding.escape)."""
    fmt = Format(fmt)
    if fmt is Format.json:
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    flat = frame.apply(lambda column: column.map(_flat)) if not frame.empty else frame
    if fmt is Format.csv:
        return flat.map(spreadsheet_cell).to_csv(index=False, lineterminator="\n")
    flat = flat.astype(object).where(flat.notna(), "")  # an undefined value shows as an empty cell
    title, footer = (terminal_safe(text) if text else text for text in (title, footer))
    terminal = sys.stdout.isatty() if terminal is None else terminal
    if terminal:
        return _rich(flat, title, footer)
    # Text cells: control characters escaped, and `|` as `\|` and newlines as `<br>`
    # (markdown_cell) so that each row stays one row of the table.
    cells = flat.map(lambda v: markdown_cell(terminal_safe(v)) if isinstance(v, str) else v)
    cells.columns = [markdown_cell(terminal_safe(str(c))) for c in flat.columns]
    parts = [f"## {title}\n"] if title else []
    parts.append(cells.to_markdown(index=False) if not cells.empty else "(no rows)")
    if footer:
        parts.append(f"\n{footer}")
    return "\n".join(parts) + "\n"


_highlight = ReprHighlighter()  # the colours rich gives str cells by default


def _cell(value) -> Text:
    """A cell for rich as Text, not str: control characters escaped, and no markup, so a
    quote holding "[/bold]" or "[link=...]" is shown as written, never interpreted."""
    return _highlight(Text(terminal_safe(str(value))))


def _rich(frame: pd.DataFrame, title: str | None, footer: str | None) -> str:
    table = Table(title=Text(title, style="table.title") if title else None,
                  caption=Text(footer, style="table.caption") if footer else None, show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(_cell(column), justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(Text("") if pd.isna(v) else _cell(v) for v in row))
    console = Console(record=True)
    with console.capture() as capture:
        console.print(table)
    return capture.get()
