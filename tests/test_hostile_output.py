"""Hostile text in quotes, codes, group ids, speaker names and notes: stored as written,
but never a formula in a spreadsheet, never a control sequence on a terminal, never a
broken Markdown row."""
import csv
import io
import re
from contextlib import closing

import openpyxl
import pandas as pd
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rich.console import Console
from typer.testing import CliRunner

from coding.cli import app
from coding.escape import markdown_cell, spreadsheet_cell, spreadsheet_text, terminal_safe, xlsx_safe
from coding.report.output import render
from coding.review import decisions, sheets
from coding.review.terminal import Reviewer, _highlighted
from coding.store import Store
from coding.tagging import tag

from .conftest import CODEBOOK

FORMULA = "=cmd|' /C calc'!A0"
GROUP = "=1+2|G\x1b[31m99"
BEN = "\x1b[31mBen\x07"
NOTE = "=HYPERLINK(\"http://evil\")\x1b]0;pwned\x07 | [/bold]\nsecond line"
# Line 13: a speaker named like a formula; line 15: a speaker wrapped in ESC ... BEL;
# line 17: plain, coded by hand below with a hostile note. Group and region in the
# front matter use YAML escapes (\e is ESC, \a is BEL).
HOSTILE = f"""---
group: "=1+2|G\\e[31m99"
title: Hostile
language: en
region: "@SUM(A1)\\a"
speakers:
  Interviewer: interviewer
  "{FORMULA}": participant
  "\\e[31mBen\\a": participant
---
# SYNTHETIC hostile transcript.

{FORMULA}: We need legal advice {FORMULA} \x1b[31mred\x07 | pipe [/bold] [red]x\x9b2J.

{BEN}: -2+3 we need legal help now.

{FORMULA}: +SUM(1) the fees are too high\x1b[2J.
"""


@pytest.fixture
def hostile_db(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "H01.md").write_text(HOSTILE, encoding="utf-8")
    db = tmp_path / "coding.db"
    tag([folder], CODEBOOK, db)
    with closing(Store.open(db)) as store:
        decisions.add(store, "H01", "funding", "mira", lines="17-17", note=NOTE)
    return db


@pytest.fixture
def hostile(hostile_db):
    with closing(Store.open(hostile_db)) as store:
        yield store


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"CODING_CODER": ""})


# -- the escaping functions ---------------------------------------------------------


def test_terminal_safe_shows_controls_except_tab_and_newline_escaped():
    assert terminal_safe("a\x1b[31mb\x07c\td\ne\x9b2J\x7f\r\x00") == \
        "a\\x1b[31mb\\x07c\td\ne\\x9b2J\\x7f\\x0d\\x00"
    assert terminal_safe("Ünïcode – fine ‘quotes’") == "Ünïcode – fine ‘quotes’"


def test_spreadsheet_cell_prefixes_formula_text_only():
    assert [spreadsheet_cell(v) for v in ("=1+1", "+1", "-x", "@A1", "\tx", "\rx", "ok", "a=b", "")] == \
        ["'=1+1", "'+1", "'-x", "'@A1", "'\tx", "'\rx", "ok", "a=b", ""]
    assert spreadsheet_cell(-2.5) == -2.5 and spreadsheet_cell(-3) == -3
    assert spreadsheet_text("'=1+1") == "=1+1" and spreadsheet_text("'-x") == "-x"
    assert spreadsheet_text("'tis") == "'tis" and spreadsheet_text("=x") == "=x"  # only the protective one


def test_xlsx_safe_covers_everything_openpyxl_refuses():
    assert xlsx_safe("a\x1bb\x07c\td\ne\rf") == "a\\x1bb\\x07c\td\ne\rf"
    assert xlsx_safe(-1.5) == -1.5
    refused = [chr(i) for i in range(0x10000) if ILLEGAL_CHARACTERS_RE.search(chr(i))]
    assert len(refused) == 29
    assert all(not ILLEGAL_CHARACTERS_RE.search(xlsx_safe(c)) for c in refused)
    cell = openpyxl.Workbook().active["A1"]
    cell.value = xlsx_safe("".join(refused))  # no IllegalCharacterError
    assert cell.value.startswith("\\x00\\x01")


def test_markdown_cell_keeps_one_cell_of_one_row():
    assert markdown_cell("a|b\nc\r\nd") == "a\\|b<br>c<br>d"
    assert markdown_cell("a\\|b") == "a\\\\\\|b"  # the cell's own backslash cannot undo the escape


# -- spreadsheets -------------------------------------------------------------------


def test_csv_export_prefixes_formula_text_but_not_numbers(hostile):
    data = sheets.to_bytes(sheets.export_codings(hostile), "csv").decode("utf-8")
    rows = {r["line"]: r for r in csv.DictReader(io.StringIO(data))}
    assert set(rows) == {"13", "15", "17"}
    assert rows["13"]["speaker"] == "'" + FORMULA and rows["13"]["group"] == "'" + GROUP
    assert rows["15"]["speaker"] == BEN  # starts with ESC: data, kept as written
    assert rows["15"]["quote"] == "'-2+3 we need legal help now."
    assert rows["15"]["score"] == "100.0"
    frame = pd.DataFrame({"score": [-0.5], "quote": ["-0.5"], "note": ["@x"]})
    assert sheets.to_bytes(frame, "csv") == b"score,quote,note\n-0.5,'-0.5,'@x\n"


def test_xlsx_export_has_no_formula_and_keeps_the_text(hostile):
    data = sheets.to_bytes(sheets.export_codings(hostile), "xlsx")  # no IllegalCharacterError
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[header.index("line")]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[13]["speaker"] == FORMULA  # the text exactly, no prefix
    assert rows[13]["group"] == "=1+2|G\\x1b[31m99"  # ESC as the 4 characters \x1b
    assert rows[15]["speaker"] == "\\x1b[31mBen\\x07"
    assert rows[15]["quote"] == "-2+3 we need legal help now."


def test_xlsx_text_cells_are_strings_and_numbers_stay_numbers():
    frame = pd.DataFrame({"quote": ["=1+1", "+1", "@A1"], "score": [-1.5, 2.0, -3.0]})
    sheet = openpyxl.load_workbook(io.BytesIO(sheets.to_bytes(frame, "xlsx"))).active
    assert [(c.value, c.data_type) for c in sheet["A"][1:]] == [("=1+1", "s"), ("+1", "s"), ("@A1", "s")]
    assert [(c.value, c.data_type) for c in sheet["B"][1:]] == [(-1.5, "n"), (2, "n"), (-3, "n")]


def test_exported_sheet_round_trips_through_import(hostile, tmp_path):
    data = sheets.to_bytes(sheets.export_codings(hostile, code="legal_support"), "csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(data)))
    rows[0].update(decision="accept", note=spreadsheet_cell("=checked, not a formula"))
    rows[1].update(decision="reject", note="'tis fine")
    path = tmp_path / "sheet.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=sheets.EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    assert [row["note"] for _, row in sheets.read_sheet(path)] == ["=checked, not a formula", "'tis fine"]
    result = sheets.import_decisions(hostile, path, "jon")
    assert dict(result.applied) == {"accept": 1, "reject": 1}
    mine = hostile.codings()
    assert sorted(mine.loc[mine["coder"] == "jon", "note"]) == ["'tis fine", "=checked, not a formula"]


def test_xlsx_import_drops_the_protective_quote(tmp_path):
    frame = pd.DataFrame({"coding_id": ["1"], "revision": ["abc"], "decision": ["accept"], "note": ["'=x"]})
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(sheets.to_bytes(frame, "xlsx"))
    assert sheets.read_sheet(path) == [(2, {"coding_id": "1", "revision": "abc", "decision": "accept",
                                            "note": "=x"})]


def test_render_csv_prefixes_text_cells_only():
    frame = pd.DataFrame({"code": ["=x", "ok", "-y"], "score": [-1, 2, -3]})
    assert render(frame, "csv") == "code,score\n'=x,-1\nok,2\n'-y,-3\n"


# -- Markdown and the terminal --------------------------------------------------------


def test_render_markdown_escapes_controls_pipes_and_newlines():
    frame = pd.DataFrame({"quote": ["a|b\n\x1b[31mred\x07", "plain"], "n": [1, 2]})
    text = render(frame, "md", title="T\x1b]0;x\x07", footer="f\x9b", terminal=False)
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    lines = text.splitlines()
    assert lines[0] == "## T\\x1b]0;x\\x07"
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 4  # header, rule, two rows: the newline did not make a row
    assert table[2].startswith("| a\\|b<br>\\x1b[31mred\\x07 |")
    assert table[2].count("|") - table[2].count("\\|") == 3  # three column borders
    assert lines[-1] == "f\\x9b"


def test_render_rich_escapes_controls_and_markup(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # styled output, as on a real terminal
    frame = pd.DataFrame({"quote": ["x [/bold] y \x1b]0;pwned\x07 \x1b[5m", "[link=http://evil]z[/link]"]})
    styled = render(frame, "md", title="Audit \x1b]0;t\x07", terminal=True)  # no MarkupError
    assert "\x1b[" in styled and "\x07" not in styled and "\x1b[5m" not in styled
    text = re.sub(r"\x1b\[[0-9;]*m", "", styled)  # rich's own colours and styles
    assert "\x1b" not in text
    assert "[/bold]" in text and "[link=http://evil]z[/link]" in text
    assert "\\x1b]0;pwned\\x07" in text and "\\x1b[5m" in text and "Audit \\x1b]0;t\\x07" in text


# -- the review screen ----------------------------------------------------------------


def screen(store, terminal: bool, note: str = "") -> str:
    queue = decisions.review_queue(store, "mira", code="legal_support")
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=terminal, color_system="truecolor" if terminal else None)
    reviewer = Reviewer(store, "mira", queue, "test", key=lambda: "q", prompt=lambda _: "", console=console)
    for index in range(len(queue)):
        reviewer._show(index, queue.iloc[index], note)
    return out.getvalue()


def test_review_screen_shows_controls_escaped(hostile):
    shown = screen(hostile, terminal=False, note="\x1b]0;x\x07 [/bold]")
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "group =1+2|G\\x1b[31m99" in shown
    assert "\\x1b[31mBen\\x07 (participant)" in shown and f"{FORMULA} (participant)" in shown
    assert ">>legal advice<<" in shown and "\\x1b[31mred\\x07 | pipe [/bold] [red]x\\x9b2J." in shown
    assert "note: \\x1b]0;x\\x07 [/bold]" in shown
    styled = screen(hostile, terminal=True, note="\x1b]0;x\x07")
    assert "\x1b]" not in styled and "\x07" not in styled and "\x1b[31m" not in styled
    assert "\\x1b[31mBen\\x07" in styled


def test_highlight_offsets_follow_the_escapes():
    context = "\x1b[31m\x07 we need legal advice now"
    item = {"context": context, "turn_start": 100, "quote": context, "match_start": 100 + context.index("legal"),
            "match_end": 100 + context.index(" now"), "segment_start": 100, "segment_end": 100 + len(context)}
    text = _highlighted(item)
    assert text.plain == "\\x1b[31m\\x07 we need legal advice now"
    reverse = [text.plain[span.start:span.end] for span in text.spans if span.style == "reverse"]
    assert reverse == ["legal advice"]
    assert _highlighted(item, marked=True).plain == "\\x1b[31m\\x07 we need >>legal advice<< now"


# -- through the command line ----------------------------------------------------------


def test_cli_markdown_outputs_carry_no_control_characters(hostile_db):
    for args in (["audit", "legal_support", "--all"], ["audit", "funding", "--all"], ["log"], ["table"],
                 ["status"]):
        result = cli(*args, "--db", hostile_db)
        assert result.exit_code == 0, (args, result.output)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, args
    audit = cli("audit", "legal_support", "--all", "--db", hostile_db).stdout
    assert "\\x1b[31mBen\\x07" in audit and "=1+2\\|G\\x1b[31m99" in audit
    rows = [line for line in audit.splitlines() if line.startswith("|")]
    assert len(rows) == 4  # header, rule, two codings
    log = cli("log", "--db", hostile_db).stdout
    assert "\\x1b]0;pwned\\x07 \\| [/bold]<br>second line" in log


def test_cli_csv_keeps_the_text_but_not_as_a_formula(hostile_db):
    audit = cli("audit", "legal_support", "--all", "--db", hostile_db, "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(audit)))
    assert [r["speaker"] for r in rows] == ["'" + FORMULA, BEN]
    assert {r["group"] for r in rows} == {"'" + GROUP}


def test_cli_xlsx_export_succeeds_without_formulas(hostile_db, tmp_path):
    out = tmp_path / "codings.xlsx"
    result = cli("export", "codings", "--format", "xlsx", "--output", out, "--db", hostile_db)
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    values = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in values if c.data_type == "f"]
    header = [cell.value for cell in sheet[1]]
    notes = [row[header.index("note")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert notes == [None, None, None]  # the export's note column is for the reviewer
    speakers = {row[header.index("speaker")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert speakers == {FORMULA, "\\x1b[31mBen\\x07"}
