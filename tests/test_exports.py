"""Exports of the tables: DataFrames for notebooks, CSV / xlsx / Parquet files, the
workbook with its provenance sheet, and hostile text kept harmless in it."""
import csv
import io
import json
from contextlib import closing
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from coding.cli import app
from coding.errors import InputError
from coding.report import frames, tables
from coding.report.workbook import needs_workbook
from coding.review import decisions
from coding.review.sheets import EXPORT_COLUMNS
from coding.store import Store
from coding.tagging import tag

from .conftest import CODEBOOK, write_transcript

LEGAL = ["G07", "G11", "G15"]


def invoke(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def first_coding(store, code, group):
    rows = store.codings()
    row = rows[(rows["code"] == code) & (rows["group"] == group) & (rows["role"] == "participant")].iloc[0]
    return int(row["coding_id"])


# -- the DataFrames -------------------------------------------------------------


def test_needs_and_matrix_frames_are_the_tables(bundled_store):
    needs = frames.needs(bundled_store)
    pd.testing.assert_frame_equal(needs, tables.needs_table(bundled_store))
    legal = needs.set_index("code").loc["legal_support"]
    assert (legal["groups"], legal["class"], legal["group_ids"]) == (3, "context-specific", LEGAL)
    matrix = frames.matrix(bundled_store).set_index("group")
    counted = tables.counted_codings(bundled_store)
    g13_skills = ((counted["group"] == "G13") & (counted["code"] == "skills")).sum()
    assert matrix.loc["G07", "legal_support"] == 3 and matrix.loc["G13", "skills"] == g13_skills > 0
    assert list(matrix.index) == sorted(matrix.index)


def test_quotes_are_the_counted_codings_in_table_order(bundled_store):
    quotes = frames.quotes(bundled_store)
    assert len(quotes) == len(tables.counted_codings(bundled_store))
    assert list(quotes.columns) == frames.QUOTE_COLUMNS
    order = list(frames.needs(bundled_store)["code"])
    assert list(dict.fromkeys(quotes["code"])) == [c for c in order if c != "funding"]
    legal = quotes[quotes["code"] == "legal_support"]
    assert list(legal["group"]) == ["G07"] * 3 + ["G11"] * 3 + ["G15"] * 3
    assert legal.iloc[0][["line", "speaker", "label"]].tolist() == [62, "Irena", "Legal support"]
    assert legal.iloc[0]["transcript"].endswith("transcripts/G07.md")


def test_an_invalid_rule_is_a_user_error(bundled_store):
    with pytest.raises(InputError, match="rule 'newest'"):
        frames.needs(bundled_store, rule="newest")


def test_provenance_names_the_inputs_and_the_share_reviewed(store):
    coding = first_coding(store, "legal_support", "G07")
    decisions.decide(store, coding, "accept", "mira")
    about = dict(frames.provenance(store).itertuples(index=False))
    run = store.db.execute("SELECT codebook_hash, tool_version FROM runs ORDER BY id DESC").fetchone()
    assert about["codebook sha256"] == run["codebook_hash"] and len(run["codebook_hash"]) == 64
    assert about["tool"] == "coding 0.2.0"
    assert about["counting rule"].startswith("adjudicated: ")
    g07 = store.transcripts().set_index("group").loc["G07"]
    assert about[f"transcript {g07['path']}"] == f"sha256 {g07['content_hash']} of the normalised text; group G07"
    assert sum(item.startswith("transcript ") for item in about) == 17
    counted = len(tables.counted_codings(store))
    assert about["reviewed by a person"] == f"1 of {counted} counted codings ({1 / counted:.1%})"
    reviewed_only = dict(frames.provenance(store, reviewed_only=True).itertuples(index=False))
    assert reviewed_only["reviewed by a person"] == "1 of 1 counted codings (100.0%)"


# -- files from the CLI ---------------------------------------------------------


def test_export_table_csv_is_the_table_command_csv(runner, bundled_db):
    exported = invoke(runner, "export", "table", "--db", bundled_db)
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == invoke(runner, "table", "--format", "csv", "--db", bundled_db).stdout
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows[7]["code"] == "legal_support" and rows[7]["group_ids"] == "G07; G11; G15"


def test_export_table_parquet_keeps_lists_and_provenance(runner, bundled_db, tmp_path):
    out = tmp_path / "needs.parquet"  # the format comes from the suffix
    result = invoke(runner, "export", "table", "--output", out, "--min-groups", 5, "--db", bundled_db)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out).set_index("code")
    assert list(table.loc["legal_support", "group_ids"]) == LEGAL
    assert table.loc["technical_infrastructure", "class"] == "generally shared"  # --min-groups 5
    about = json.loads(pq.read_schema(out).metadata[b"coding.provenance"])
    assert about["shared threshold"] == "5+ groups" and about["counted codings"].isdigit()


def test_export_matrix_xlsx_has_the_matrix_and_provenance_sheets(runner, bundled_db, tmp_path):
    out = tmp_path / "matrix.xlsx"
    result = invoke(runner, "export", "matrix", "--format", "xlsx", "--output", out, "--rule", "latest",
                    "--db", bundled_db)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["matrix", "provenance"]
    rows = list(book["matrix"].iter_rows(values_only=True))
    header = rows[0]
    g07 = next(row for row in rows if row[0] == "G07")
    assert g07[header.index("legal_support")] == 3 and g07[header.index("region")] == "Region East"
    about = dict(book["provenance"].iter_rows(min_row=2, values_only=True))
    assert about["counting rule"].startswith("latest: ")


def test_export_codings_parquet_is_the_review_sheet(runner, db, tmp_path):
    with closing(Store.open(db)) as store:
        decisions.decide(store, first_coding(store, "legal_support", "G11"), "reject", "mira")
    csv_rows = list(csv.DictReader(io.StringIO(invoke(runner, "export", "codings", "--db", db).stdout)))
    out = tmp_path / "codings.parquet"
    result = invoke(runner, "export", "codings", "--format", "parquet", "--output", out, "--db", db)
    assert result.exit_code == 0, result.output
    sheet = pd.read_parquet(out)
    assert list(sheet.columns) == EXPORT_COLUMNS
    assert [str(i) for i in sheet["coding_id"]] == [row["coding_id"] for row in csv_rows]
    reviewed = invoke(runner, "export", "codings", "--reviewed-only", "--db", db).stdout
    rows = list(csv.DictReader(io.StringIO(reviewed)))
    assert [(row["code"], row["group"], row["status"], row["coder"]) for row in rows] == \
        [("legal_support", "G11", "rejected", "mira")]


def test_binary_exports_are_not_written_to_a_terminal(runner, bundled_db, monkeypatch):
    from coding.cli import reports

    terminal = SimpleNamespace(stdout=SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr(reports, "sys", terminal)
    result = invoke(runner, "export", "table", "--format", "parquet", "--db", bundled_db)
    assert result.exit_code == 1 and "parquet is binary" in result.output


def test_bad_output_is_one_line_and_writes_nothing(runner, bundled_db, tmp_path):
    missing = tmp_path / "no" / "needs.csv"
    result = invoke(runner, "export", "table", "--output", missing, "--db", bundled_db)
    assert result.exit_code == 1 and "does not exist" in result.output and not missing.parent.exists()
    result = invoke(runner, "export", "matrix", "--format", "xls", "--db", bundled_db)
    assert result.exit_code == 1 and "use one of csv, xlsx, parquet" in result.output
    result = invoke(runner, "export", "workbook", tmp_path / "needs.csv", "--db", bundled_db)
    assert result.exit_code == 1 and "must end in .xlsx" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "needs.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with frames.replacing(target) as temporary:
            temporary.write_text("half", encoding="utf-8")
            raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["needs.csv"]


# -- the workbook -----------------------------------------------------------------


def test_workbook_sheets_header_rows_widths_and_provenance(runner, db, tmp_path):
    with closing(Store.open(db)) as store:
        decisions.decide(store, first_coding(store, "legal_support", "G07"), "accept", "mira")
        counted = len(tables.counted_codings(store))
        run_hash = store.db.execute("SELECT codebook_hash FROM runs").fetchone()[0]
        g07 = store.transcripts().set_index("group").loc["G07"]
    out = tmp_path / "needs.xlsx"
    result = invoke(runner, "export", "workbook", out, "--db", db)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["table", "matrix", "quotes", "provenance"]
    table = book["table"]
    assert [c.value for c in table[1]] == ["code", "label", "description", "groups", "class", "group_ids"]
    assert all(c.font.b for c in table[1]) and table.freeze_panes == "A2"
    assert [c.value for c in table[9]] == ["legal_support", "Legal support", "Legal support", 3,
                                           "context-specific", "G07; G11; G15"]
    assert table.column_dimensions["A"].width == len("technical_infrastructure") + 2
    quotes = book["quotes"]
    header = [c.value for c in quotes[1]]
    legal = [row for row in quotes.iter_rows(min_row=2, values_only=True) if row[0] == "legal_support"]
    first = dict(zip(header, legal[0]))
    assert (first["group"], first["line"], first["speaker"], first["status"], first["coder"]) == \
        ("G07", 62, "Irena", "accepted", "mira")
    assert len(legal) == 9 and quotes.max_row == counted + 1
    assert quotes.column_dimensions["G"].width == 82 and quotes["G2"].alignment.wrap_text
    about = dict(book["provenance"].iter_rows(min_row=2, values_only=True))
    assert about["codebook sha256"] == run_hash
    assert about[f"transcript {g07['path']}"].startswith(f"sha256 {g07['content_hash']} ")
    assert about["reviewed by a person"] == f"1 of {counted} counted codings ({1 / counted:.1%})"
    assert about["counting rule"].startswith("adjudicated")
    assert about["generated"][:4].isdigit()
    assert book["matrix"].freeze_panes == "A2"


HOSTILE = """
Ana: =HYPERLINK("http://evil") we need legal advice now\x1b[31m.

Ben: +SUM(1) training for volunteers would help us.
"""


def test_workbook_text_is_never_a_formula_and_holds_no_illegal_characters(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "H01.md", HOSTILE, group="=1+2")
    db = tmp_path / "coding.db"
    tag([folder], CODEBOOK, db)
    out = tmp_path / "hostile.xlsx"
    with closing(Store.open(db)) as store:
        needs_workbook(store, out)
    book = openpyxl.load_workbook(out)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    quotes = {row[6] for row in book["quotes"].iter_rows(min_row=2, values_only=True)}
    assert '=HYPERLINK("http://evil") we need legal advice now\\x1b[31m.' in quotes
    assert {row[2] for row in book["quotes"].iter_rows(min_row=2, values_only=True)} == {"=1+2"}
