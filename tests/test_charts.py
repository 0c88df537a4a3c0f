"""Charts of the needs table: sorted bars coloured by class with the shared threshold,
and the group x need heat map; PNG and SVG files, the same bytes for the same data."""
import pandas as pd
from matplotlib.colors import to_hex

from coding.cli import app
from coding.report import charts, frames
from coding.report.tables import CONTEXT, NOT_IDENTIFIED, SHARED

CLASS_COLOURS_HEX = {kind: colour.lower() for kind, colour in charts.CLASS_COLOURS.items()}


def invoke(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def bars(figure):
    axes = figure.axes[0]
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    return axes, [(label, patch.get_width(), to_hex(patch.get_facecolor()))
                  for label, patch in zip(labels, axes.patches)]


def test_needs_bars_are_sorted_coloured_by_class_and_labelled(bundled_store):
    table = frames.needs(bundled_store)
    axes, drawn = bars(charts.needs_chart_figure(bundled_store))
    expected = table.sort_values("groups", ascending=False, kind="stable")
    assert [label for label, _, _ in drawn] == list(expected["label"])
    assert [width for _, width, _ in drawn] == list(expected["groups"])
    assert [width for _, width, _ in drawn] == sorted((w for _, w, _ in drawn), reverse=True)
    colour = dict((label, c) for label, _, c in drawn)
    assert colour["Knowledge"] == CLASS_COLOURS_HEX[SHARED]
    assert colour["Legal support"] == CLASS_COLOURS_HEX[CONTEXT]
    assert colour["Funding"] == CLASS_COLOURS_HEX[NOT_IDENTIFIED]
    texts = [text.get_text() for text in axes.texts]
    assert "shared: 6+ groups" in texts
    assert [t for t in texts if t != "shared: 6+ groups"] == \
        [str(g) if g else "0  (not identified)" for g in expected["groups"]]
    threshold = [line for line in axes.lines if line.get_linestyle() == "--"]
    assert [list(line.get_xdata()) for line in threshold] == [[5.5, 5.5]]
    assert axes.get_xlabel() == "groups that raised the need (of 17)"
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend[0] == f"generally shared ({(table['class'] == SHARED).sum()} needs)"


def test_min_groups_moves_the_threshold_and_the_colours(bundled_store):
    axes, drawn = bars(charts.needs_chart_figure(bundled_store, min_groups=5))
    assert "shared: 5+ groups" in [text.get_text() for text in axes.texts]
    assert dict((label, c) for label, _, c in drawn)["Technical infrastructure"] == CLASS_COLOURS_HEX[SHARED]


def test_heat_map_counts_quotes_per_group_and_need(bundled_store):
    figure = charts.matrix_chart_figure(bundled_store)
    axes = figure.axes[0]
    table = frames.needs(bundled_store)
    counts = charts.matrix_counts(frames.matrix(bundled_store), table)
    assert counts.shape == (10, 17) and list(counts.columns) == sorted(counts.columns)
    assert counts.loc["legal_support", "G07"] == 3 and counts.loc["funding"].sum() == 0
    rows = [tick.get_text() for tick in axes.get_yticklabels()]
    assert rows == [f"{label} ({groups})" for label, groups in zip(table["label"], table["groups"])]
    assert rows[-1] == "Funding (0)"
    assert [tick.get_text() for tick in axes.get_xticklabels()][:2] == ["G01", "G02"]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in axes.texts}
    legal, g07 = list(counts.index).index("legal_support"), list(counts.columns).index("G07")
    assert cells[(legal, g07)] == "3"
    assert len(cells) == int((counts > 0).sum().sum())  # a number in every raised cell, none in blanks


def test_matrix_counts_ignore_attribute_columns():
    matrix = pd.DataFrame({"group": ["B", "A"], "region": ["x", "y"], "one": [1, 0], "two": [0, 2]})
    table = pd.DataFrame({"code": ["two", "one"]})
    counts = charts.matrix_counts(matrix, table)
    assert counts.to_dict() == {"A": {"two": 2, "one": 0}, "B": {"two": 0, "one": 1}}
    assert list(counts.index) == ["two", "one"]


def test_chart_commands_write_png_and_svg_the_same_each_time(runner, bundled_db, tmp_path):
    png, svg, again = tmp_path / "needs.png", tmp_path / "needs.svg", tmp_path / "again.svg"
    for out in (png, svg, again):
        result = invoke(runner, "chart", "needs", out, "--db", bundled_db)
        assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text(encoding="utf-8")
    assert "shared: 6+ groups" in text and "Technical infrastructure" in text and "<dc:date>" not in text
    assert svg.read_bytes() == again.read_bytes()
    heat = tmp_path / "matrix.svg"
    result = invoke(runner, "chart", "matrix", heat, "--reviewed-only", "--rule", "consensus", "--db", bundled_db)
    assert result.exit_code == 0, result.output
    assert "Funding (0)" in heat.read_text(encoding="utf-8")


def test_chart_refuses_an_unknown_suffix_and_writes_nothing(runner, bundled_db, tmp_path):
    result = invoke(runner, "chart", "needs", tmp_path / "needs.gif", "--db", bundled_db)
    assert result.exit_code == 1 and "must end in .png, .svg, .pdf" in result.output
    result = invoke(runner, "chart", "matrix", tmp_path / "none" / "m.png", "--db", bundled_db)
    assert result.exit_code == 1 and "does not exist" in result.output
    assert list(tmp_path.iterdir()) == []


def test_nothing_reviewed_draws_every_need_as_not_identified(bundled_store):
    axes, drawn = bars(charts.needs_chart_figure(bundled_store, reviewed_only=True))
    assert {width for _, width, _ in drawn} == {0}
    assert {colour for _, _, colour in drawn} == {CLASS_COLOURS_HEX[NOT_IDENTIFIED]}
