"""Render a table as Markdown (a rich table in a terminal), CSV or JSON."""

from __future__ import annotations

import json
import sys
from enum import Enum

import pandas as pd
from rich.console import Console
from rich.table import Table


class Format(str, Enum):
    md = "md"
    csv = "csv"
    json = "json"


def _flat(value):
    return "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else value


def render(frame: pd.DataFrame, fmt: Format | str = Format.md, title: str | None = None,
           footer: str | None = None, terminal: bool | None = None) -> str:
    """The text to print; lists (such as group_ids) become '; '-joined cells except in JSON."""
    fmt = Format(fmt)
    if fmt is Format.json:
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    flat = frame.apply(lambda column: column.map(_flat)) if not frame.empty else frame
    if fmt is Format.csv:
        return flat.to_csv(index=False, lineterminator="\n")
    flat = flat.astype(object).where(flat.notna(), "")  # an undefined value shows as an empty cell
    terminal = sys.stdout.isatty() if terminal is None else terminal
    if terminal:
        return _rich(flat, title, footer)
    parts = [f"## {title}\n"] if title else []
    parts.append(flat.to_markdown(index=False) if not flat.empty else "(no rows)")
    if footer:
        parts.append(f"\n{footer}")
    return "\n".join(parts) + "\n"


def _rich(frame: pd.DataFrame, title: str | None, footer: str | None) -> str:
    table = Table(title=title, caption=footer, show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    console = Console(record=True)
    with console.capture() as capture:
        console.print(table)
    return capture.get()
