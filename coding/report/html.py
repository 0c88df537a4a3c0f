"""The HTML report: one self-contained page to publish or send.

`needs_report` writes a single file holding the needs table, the charts (as
SVG images inside the page, `data:` URLs), per need the groups that raised it
with their quotes (speaker, transcript, line) in collapsible `<details>`, the
codebook and the provenance of the figures. It needs no network: the styles
are inline, there is no script at all, and a Content-Security-Policy forbids
scripts and any load but inline images and styles, as a second guard.

All text from transcripts, the codebook and the store goes through Jinja2's
autoescape, with control characters shown as visible escapes
(`coding.escape.terminal_safe`), so a quote holding `<script>` shows as text.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..escape import terminal_safe
from ..review.standing import DEFAULT_RULE
from ..store import Store
from . import frames, tables
from .tables import CONTEXT, NOT_IDENTIFIED, SHARED

TEMPLATES = Path(__file__).parent / "templates"
CLASS_STYLES = {SHARED: "shared", CONTEXT: "context", NOT_IDENTIFIED: "none"}


def needs_report(store: Store, path: str | Path, codebook: str | Path | None = None,
                 min_groups: int | None = None, reviewed_only: bool = False,
                 rule: str = DEFAULT_RULE) -> Path:
    """Write the report page to `path`. `codebook`: the codebook file, whose terms are shown
    when it is the one the store was last tagged with (else only the stored codes are)."""
    page = render_report(store, codebook, min_groups, reviewed_only, rule)
    with frames.replacing(path) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return Path(path)


def render_report(store: Store, codebook: str | Path | None = None, min_groups: int | None = None,
                  reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> str:
    """The report page as text."""
    from . import charts

    table = frames.needs(store, min_groups, reviewed_only, rule)
    threshold = min_groups if min_groups is not None else store.shared_min_groups()
    groups = store.groups()
    quotes = frames.quotes(store, reviewed_only, rule, table)
    needs_chart = charts.needs_figure(table, threshold, total_groups=len(groups))
    counts = charts.matrix_counts(frames.matrix(store, reviewed_only, rule), table)
    matrix_chart = charts.matrix_figure(counts, dict(zip(table["code"], table["label"])))
    context = {
        "title": "Needs raised in the group interviews",
        "threshold": threshold,
        "total_groups": len(groups),
        "footer": tables.counted_footer(store, reviewed_only, rule),
        "needs": _needs(table, quotes, groups),
        "needs_chart": _svg_url(charts.svg_text(needs_chart)),
        "matrix_chart": _svg_url(charts.svg_text(matrix_chart)),
        "codebook": codebook_rows(store, codebook),
        "provenance": frames.provenance(store, min_groups, reviewed_only, rule).to_dict("records"),
    }
    return _environment().get_template("report.html").render(**context)


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              finalize=_visible)


def _visible(value):
    """Every value printed into the page: control characters as visible escapes (autoescape
    then takes care of <, >, & and quotes)."""
    return terminal_safe(value) if isinstance(value, str) else value


def _svg_url(svg: str) -> str:
    """An SVG as a data: URL for an <img>: it shows as a picture and nothing in it can run."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _needs(table: pd.DataFrame, quotes: pd.DataFrame, groups: pd.DataFrame) -> list[dict]:
    """Per need, in table order: its row and its groups, each with their quotes."""
    attributes = groups.set_index("group") if "group" in groups else pd.DataFrame()
    by_need = {code: rows for code, rows in quotes.groupby("code", sort=False)}
    needs = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        rows = by_need.get(row["code"], quotes.iloc[0:0])
        needs.append({**row, "group_ids": list(row["group_ids"]), "anchor": f"need-{number}",
                      "style": CLASS_STYLES.get(row["class"], "none"),
                      "raised": [{"group": group, "about": _about(attributes, group),
                                  "quotes": quoted.to_dict("records")}
                                 for group, quoted in rows.groupby("group", sort=True)]})
    return needs


def _about(attributes: pd.DataFrame, group: str) -> str:
    """A group's attributes (region, hub type, ...) as one line."""
    if group not in attributes.index:
        return ""
    values = attributes.loc[group].dropna()
    return ", ".join(f"{key}: {values[key]}" for key in sorted(values.index) if str(values[key]) != "")


def codebook_rows(store: Store, path: str | Path | None) -> dict:
    """The codes as tagged (from the store), with terms, patterns and excludes from the
    codebook file when it is the one the store was tagged with."""
    codes = store.codes().to_dict("records")
    note, details = _codebook_file(store, path)
    for code in codes:
        found = details.get(code["code"])
        code["terms"] = ", ".join(found.terms) if found else ""
        code["patterns"] = "; ".join(json.dumps(p, ensure_ascii=False) for p in found.patterns) if found else ""
        code["exclude"] = ", ".join(found.exclude) if found else ""
    return {"codes": codes, "note": note, "with_terms": bool(details)}


def _codebook_file(store: Store, path: str | Path | None) -> tuple[str, dict]:
    """(a note for the reader, code id -> Code) from the codebook file, if it is the one used."""
    from ..codebook import load_codebook

    run = frames.last_run(store)
    if path is None or not Path(path).is_file():
        return "codes as stored by the last tagging run (no codebook file given)", {}
    used = {run["codebook_hash"]} if run else set()
    try:
        codebook = load_codebook(path, validated=used)  # a hash seen before needs no spaCy check
    except InputError as error:
        return f"codes as stored; the codebook file could not be read ({error})", {}
    if codebook.content_hash != run.get("codebook_hash"):
        return (f"codes as stored by the last tagging run; {path} has changed since, "
                "so its terms are not shown"), {}
    return f"{path} (sha256 {codebook.content_hash}), the codebook of the last tagging run", \
        {code.id: code for code in codebook.codes}
