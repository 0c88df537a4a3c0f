"""The tables a report hands on, as pandas DataFrames, and writing them to files.

Each view is a function of the store and the counting options (`rule`,
`reviewed_only`), so a notebook gets exactly what `coding export` writes:

    from coding.store import Store
    from coding.report import frames
    needs = frames.needs(Store.open("coding.db"))

- `needs`: one row per code, in how many groups it was raised, its class;
- `matrix`: group x code, the counted codings, with the groups' attributes;
- `codings`: the review sheet of `coding export codings`;
- `quotes`: every counted coding (the quotes behind the table), in table order;
- `provenance`: what the figures were made from (tool, inputs' hashes, rule, share reviewed).

`write` puts a frame in a CSV, xlsx or Parquet file; `replacing` makes any
writer leave the target untouched unless the whole file was written.
"""

from __future__ import annotations

import io
import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

from .. import __version__
from ..errors import InputError
from ..review import sheets
from ..review.standing import DEFAULT_RULE, RULE_TEXT, check_rule, counting, current
from ..store import Store
from . import tables
from .output import render

FORMATS = ("csv", "xlsx", "parquet")
QUOTE_COLUMNS = ["code", "label", "group", "transcript", "line", "speaker", "quote", "status", "coder",
                 "method", "rule", "coding_id"]


# -- the views ----------------------------------------------------------------


def needs(store: Store, min_groups: int | None = None, reviewed_only: bool = False,
          rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """The needs table (`coding table`): code, label, description, groups, class, group_ids
    (a list of group ids), shared needs first, then by groups."""
    return tables.needs_table(store, min_groups, reviewed_only, check_rule(rule))


def matrix(store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """Group x code (`coding matrix`): counted codings per group, the groups' attributes
    between the group and the codes, rows by group id."""
    return tables.matrix(store, reviewed_only, check_rule(rule))


def codings(store: Store, status: str | None = None, code: str | None = None, group: str | None = None,
            reviewed_only: bool = False, rule: str = DEFAULT_RULE, coder: str | None = None,
            blind: bool = False) -> pd.DataFrame:
    """The review sheet (`coding export codings`): one row per standing coding with its id,
    revision, quote and context, and empty decision columns. `reviewed_only` leaves out
    the suggestions no person has decided yet; `blind`: only the machine suggestions
    `coder` has not decided (see `review.sheets.export_codings`)."""
    sheet = sheets.export_codings(store, status, code, group, coder, blind, check_rule(rule))
    if reviewed_only:
        sheet = sheet[sheet["status"] != "suggested"].reset_index(drop=True)
    return sheet


def quotes(store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE,
           table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every counted coding, one row each: the quotes behind the needs table, in the
    table's order of codes, then by group, transcript and line. `table`: the needs
    table already made with the same options (saves making it again)."""
    table = needs(store, None, reviewed_only, rule) if table is None else table
    rows = tables.counted_codings(store, reviewed_only, check_rule(rule))
    order = {code: position for position, code in enumerate(table["code"])}
    rows = rows.assign(label=rows["code"].map(dict(zip(table["code"], table["label"]))),
                       _order=rows["code"].map(order))
    rows = rows.sort_values(["_order", "group", "transcript", "line", "segment_start", "coding_id"])
    return rows[QUOTE_COLUMNS].reset_index(drop=True)


def reviewed_share(store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> tuple[int, int]:
    """(accepted by a person, counted): of the codings the table counts, how many a person
    has checked; the rest are machine suggestions nobody has decided on yet."""
    counted = counting(current(store.codings(), check_rule(rule)), store.codes()["code"], reviewed_only)
    return int((counted["status"] == "accepted").sum()), len(counted)


def provenance(store: Store, min_groups: int | None = None, reviewed_only: bool = False,
               rule: str = DEFAULT_RULE, generated: datetime | None = None) -> pd.DataFrame:
    """What the figures were made from, as (item, value) rows: this tool's version, the last
    tagging run (its tool version, pipeline, codebook and the codebook's hash), the shared
    threshold, the counting rule, the share of counted codings a person reviewed, the
    content hash of every transcript, and when this was generated (the one value that
    changes between two runs over the same inputs)."""
    check_rule(rule)
    run = last_run(store)
    accepted, counted = reviewed_share(store, reviewed_only, rule)
    share = f"{accepted / counted:.1%}" if counted else "n/a"
    threshold = min_groups if min_groups is not None else store.shared_min_groups()
    when = (generated or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    rows = [
        ("generated", when),
        ("tool", f"coding {__version__}"),
        ("store", str(store.path)),
        ("tagged by", f"coding {run.get('tool_version', '?')}, run {run.get('id', '?')} "
                      f"of {run.get('started', '?')}"),
        ("pipeline", run.get("pipeline", "")),
        ("codebook", run.get("codebook_path", "")),
        ("codebook sha256", run.get("codebook_hash", "")),
        ("shared threshold", f"{threshold}+ groups"),
        ("counting rule", f"{rule}: {RULE_TEXT[rule]}"),
        ("counts", "accepted codings only (--reviewed-only)" if reviewed_only
         else "accepted codings and unreviewed suggestions"),
        ("counted codings", str(counted)),
        ("reviewed by a person", f"{accepted} of {counted} counted codings ({share})"),
        ("counted, in detail", tables.counted_footer(store, reviewed_only, rule)),
    ]
    for transcript in store.transcripts().itertuples(index=False):
        rows.append((f"transcript {transcript.path}",
                     f"sha256 {transcript.content_hash} of the normalised text; group {transcript.group}"))
    return pd.DataFrame(rows, columns=["item", "value"])


def last_run(store: Store) -> dict:
    """The last tagging run: id, started, tool_version, codebook_path, codebook_hash, pipeline."""
    row = store.db.execute("SELECT id, started, tool_version, codebook_path, codebook_hash, pipeline "
                           "FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else {}


# -- files ----------------------------------------------------------------------


def format_of(path: Path | None, fmt: str | None) -> str:
    """The format asked for, else the one the file name ends in, else CSV."""
    if fmt is None:
        suffix = path.suffix.lower().lstrip(".") if path is not None else ""
        fmt = suffix if suffix in FORMATS else "csv"
    if fmt not in FORMATS:
        raise InputError(path, None, f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def to_bytes(frame: pd.DataFrame, fmt: str, sheet: str = "table",
             about: pd.DataFrame | None = None) -> bytes:
    """A frame as a file's bytes. CSV as `coding table --format csv` writes it (lists joined
    with '; ', formula-like text behind a `'`); xlsx one formatted sheet, plus a
    `provenance` sheet when `about` is given; Parquet with lists kept as lists and
    `about` in the file's metadata under the key `coding.provenance`."""
    if fmt == "csv":
        return render(frame, "csv").encode("utf-8")
    if fmt == "xlsx":
        from .workbook import workbook_bytes

        views = {sheet: frame}
        if about is not None:
            views["provenance"] = about
        return workbook_bytes(views)
    if fmt == "parquet":
        return _parquet(frame, about)
    raise InputError(None, None, f"format {fmt!r}: use one of {', '.join(FORMATS)}")


def _parquet(frame: pd.DataFrame, about: pd.DataFrame | None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(_arrow_ready(frame), preserve_index=False)
    if about is not None:
        described = dict(zip(about["item"], about["value"]))
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               b"coding.provenance": json.dumps(described).encode("utf-8")})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns Arrow can type: a column mixing kinds of values (a group attribute that is a
    number in one transcript's front matter and text in another's) becomes text."""
    ready = frame.copy()
    for column in ready.columns:
        values = ready[column].dropna()
        if ready[column].dtype == object and not values.empty:
            if values.map(lambda v: isinstance(v, list)).all():
                continue
            if values.map(type).nunique() > 1 or not isinstance(values.iloc[0], (str, bool, int, float)):
                ready[column] = ready[column].map(lambda v: v if v is None or v != v else str(v))
    return ready


def write(frame: pd.DataFrame, path: str | Path, fmt: str | None = None, sheet: str = "table",
          about: pd.DataFrame | None = None) -> Path:
    """Write `frame` to `path` in `fmt` (default: from the file name, else CSV)."""
    path = Path(path)
    data = to_bytes(frame, format_of(path, fmt), sheet, about)
    with replacing(path) as temporary:
        temporary.write_bytes(data)
    return path


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary file beside `path` to write to; it becomes `path` only when the block
    ends without an error, so a failed write leaves no partial file and no old file lost."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(path, None, f"the folder {path.parent} does not exist")
    # Named, not mkstemp: the file gets the usual permissions (mkstemp's are owner-only).
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise InputError(path, None, f"cannot write the file: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
