"""Charts of the needs table, drawn to be read without hunting for a legend.

- `needs_figure`: one horizontal bar per need, the number of groups that raised
  it, longest on top, coloured by class, the number written at the end of each
  bar, and the shared threshold drawn as a labelled line between the classes.
- `matrix_figure`: a heat map of groups x needs, each cell the number of counted
  quotes (blank where the group did not raise the need).

Matplotlib is imported inside the functions (Agg canvas, no display, no global
pyplot state), so importing this module is cheap. `save` writes PNG, SVG or PDF;
an SVG keeps its text as text and carries no date, so the same table gives the
same file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..review.standing import DEFAULT_RULE
from . import frames
from .tables import CONTEXT, NOT_IDENTIFIED, SHARED

SUFFIXES = (".png", ".svg", ".pdf")
# Colour-blind safe (Okabe-Ito blue and orange) and grey for what no group raised.
CLASS_COLOURS = {SHARED: "#0072B2", CONTEXT: "#E69F00", NOT_IDENTIFIED: "#999999"}
HEAT_MAP = "Blues"


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def needs_figure(table: pd.DataFrame, min_groups: int, total_groups: int | None = None,
                 title: str = "In how many groups each need was raised"):
    """Bars of `table` (the needs table: label, groups, class), most groups on top."""
    ordered = table.sort_values("groups", ascending=False, kind="stable").reset_index(drop=True)
    figure = _figure(9, 0.42 * len(ordered) + 1.9)
    axes = figure.add_subplot()
    positions = list(range(len(ordered)))
    colours = [CLASS_COLOURS.get(c, CLASS_COLOURS[NOT_IDENTIFIED]) for c in ordered["class"]]
    axes.barh(positions, ordered["groups"], color=colours, height=0.7)
    axes.set_yticks(positions, [str(label) for label in ordered["label"]], fontsize=11)
    axes.invert_yaxis()
    most = max([int(ordered["groups"].max()) if len(ordered) else 0, min_groups, total_groups or 0])
    axes.set_xlim(0, most + 2.2)  # room for the value labels past the longest bar
    for position, (groups, kind) in enumerate(zip(ordered["groups"], ordered["class"])):
        text = f"{groups}" if kind != NOT_IDENTIFIED else "0  (not identified)"
        axes.text(groups + 0.15, position, text, va="center", fontsize=10, color="#222222")
    border = min_groups - 0.5  # between the last context-specific count and the first shared one
    axes.axvline(border, color="#333333", linestyle="--", linewidth=1.2)
    axes.text(border + 0.15, -0.75, f"shared: {min_groups}+ groups", fontsize=10, color="#333333",
              va="bottom", ha="left")
    axes.set_ylim(len(ordered) - 0.5, -1.1)  # a line of space above the top bar for the threshold's label
    of = f" (of {total_groups})" if total_groups else ""
    axes.set_xlabel(f"groups that raised the need{of}", fontsize=11)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_title(title, fontsize=13, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    _class_key(axes, ordered["class"])
    return figure


def _class_key(axes, classes: pd.Series) -> None:
    """The colours named once, in the empty corner under the short bars."""
    from matplotlib.patches import Patch

    present = [kind for kind in (SHARED, CONTEXT, NOT_IDENTIFIED) if kind in set(classes)]
    needs = classes.value_counts()
    handles = [Patch(color=CLASS_COLOURS[kind], label=f"{kind} ({needs[kind]} {'need' if needs[kind] == 1 else 'needs'})")
               for kind in present]
    axes.legend(handles=handles, loc="lower right", frameon=False, fontsize=10)


def matrix_figure(counts: pd.DataFrame, labels: dict[str, str] | None = None,
                  title: str = "Counted quotes per group and need"):
    """Heat map of `counts` (rows: needs, columns: groups, values: counted quotes)."""
    labels = labels or {}
    figure = _figure(max(8.0, 0.5 * counts.shape[1] + 3.6), 0.45 * counts.shape[0] + 2.0)
    axes = figure.add_subplot()
    values = counts.to_numpy()
    highest = max(int(values.max()) if values.size else 0, 1)
    shown = values.astype(float)
    shown[shown == 0] = float("nan")  # an absent need stays white, not the palest blue
    from matplotlib import colormaps

    axes.imshow(shown, cmap=colormaps[HEAT_MAP].with_extremes(bad="white"), vmin=0, vmax=highest, aspect="auto")
    groups = [str(g) for g in counts.columns]
    upright = max(map(len, groups), default=0) <= 4  # ids such as G01 fit a cell without turning
    axes.set_xticks(range(counts.shape[1]), groups, fontsize=10, rotation=0 if upright else 90)
    raised = (counts > 0).sum(axis=1)
    axes.set_yticks(range(counts.shape[0]), [f"{labels.get(code, str(code))} ({raised[code]})"
                                             for code in counts.index], fontsize=11)
    axes.xaxis.tick_top()
    axes.tick_params(length=0)
    axes.set_xlabel("group", fontsize=11)
    axes.xaxis.set_label_position("top")
    for row in range(counts.shape[0]):
        for column in range(counts.shape[1]):
            value = int(values[row, column])
            if value:
                dark = value > highest * 0.55
                axes.text(column, row, str(value), ha="center", va="center", fontsize=9,
                          color="white" if dark else "#111111")
    axes.set_xticks([x - 0.5 for x in range(1, counts.shape[1])], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, counts.shape[0])], minor=True)
    axes.grid(which="minor", color="#dddddd", linewidth=0.6)
    axes.tick_params(which="minor", length=0)
    axes.spines[:].set_visible(False)
    # Over the whole figure, from its left edge: the long key line then fits above the need labels.
    figure.suptitle(title + "\nblank: the group did not raise the need; in brackets: the groups that did",
                    x=0.01, ha="left", fontsize=12)
    return figure


def matrix_counts(matrix: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The matrix (groups x codes with attributes) as needs x groups counts, needs in the
    needs table's order, groups by id."""
    codes = [code for code in table["code"] if code in matrix.columns]
    counts = matrix.set_index("group")[codes].T
    return counts.reindex(columns=sorted(counts.columns, key=str))


def save(figure, path: str | Path) -> Path:
    """Write `figure` to `path` (.png, .svg or .pdf); the file appears only when complete."""
    path = chart_path(path)
    kind = path.suffix.lower()
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "coding"}):
        with frames.replacing(path) as temporary:
            figure.savefig(temporary, format=kind.lstrip("."), dpi=150 if kind == ".png" else None,
                           metadata=_no_dates(kind), facecolor="white")
    return path


def chart_path(path: str | Path) -> Path:
    """`path`, if it names a kind of chart file `save` writes."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(path, None, f"a chart file must end in {', '.join(SUFFIXES)}")
    return path


def _no_dates(kind: str) -> dict | None:
    """Metadata that keeps a chart the same bytes for the same data (no creation date)."""
    if kind == ".svg":
        return {"Date": None}
    if kind == ".pdf":
        return {"CreationDate": None, "ModDate": None}
    return None


def svg_text(figure) -> str:
    """The figure as SVG text (for embedding in a page)."""
    import io

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "coding"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    return buffer.getvalue()


# -- from the store -------------------------------------------------------------


def needs_chart(store, path: str | Path, min_groups: int | None = None, reviewed_only: bool = False,
                rule: str = DEFAULT_RULE) -> Path:
    """`coding chart needs`: the needs table as bars, written to `path`."""
    chart_path(path)  # before the work of drawing
    return save(needs_chart_figure(store, min_groups, reviewed_only, rule), path)


def needs_chart_figure(store, min_groups: int | None = None, reviewed_only: bool = False,
                       rule: str = DEFAULT_RULE):
    table = frames.needs(store, min_groups, reviewed_only, rule)
    threshold = min_groups if min_groups is not None else store.shared_min_groups()
    return needs_figure(table, threshold, total_groups=len(store.groups()))


def matrix_chart(store, path: str | Path, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> Path:
    """`coding chart matrix`: the group x need heat map, written to `path`."""
    chart_path(path)
    return save(matrix_chart_figure(store, reviewed_only, rule), path)


def matrix_chart_figure(store, reviewed_only: bool = False, rule: str = DEFAULT_RULE):
    table = frames.needs(store, None, reviewed_only, rule)
    counts = matrix_counts(frames.matrix(store, reviewed_only, rule), table)
    return matrix_figure(counts, dict(zip(table["code"], table["label"])))
