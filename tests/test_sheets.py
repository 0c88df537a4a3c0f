"""Review in a spreadsheet: export, fill in, import all-or-nothing."""
import csv
import io

import pandas as pd
import pytest

from coding.review import decisions, sheets
from coding.errors import InputError, InputErrors
from coding.report.tables import needs_table


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=sheets.EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def exported(store, **filters):
    data = sheets.to_bytes(sheets.export_codings(store, **filters), "csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(data)))


def test_export_has_one_row_per_standing_coding_with_context(store):
    rows = exported(store, status="suggested", code="legal_support")
    assert len(rows) == 26  # 9 in participants' turns, 17 in the interviewer's questions
    assert sum(r["role"] == "participant" for r in rows) == 9
    assert list(rows[0]) == sheets.EXPORT_COLUMNS
    assert all(r["decision"] == "" and r["quote"] in r["context"] for r in rows)
    assert len({r["coding_id"] for r in rows}) == 26
    assert exported(store, status="suggested", code="legal_support") == rows  # stable


def test_import_applies_accept_reject_recode_in_one_go(store, tmp_path):
    rows = [r for r in exported(store, code="legal_support") if r["role"] == "participant"]
    g07 = [r for r in rows if r["group"] == "G07"]
    for row in g07:
        row["decision"] = "reject"
    rows[3]["decision"], rows[4].update(decision="recode", new_code="funding", note="about fees")
    rows[3]["decision"] = "accept"
    write(tmp_path / "sheet.csv", rows)
    result = sheets.import_decisions(store, tmp_path / "sheet.csv", "mira")
    assert dict(result.applied) == {"reject": 3, "accept": 1, "recode": 1}
    assert result.skipped_blank == len(rows) - 5
    table = needs_table(store).set_index("code")
    assert table.loc["legal_support", "groups"] == 2 and table.loc["funding", "groups"] == 1


def test_bad_rows_are_reported_with_lines_and_nothing_is_applied(store, tmp_path):
    rows = exported(store, code="legal_support")[:6]
    rows[0]["decision"] = "accept"
    rows[1].update(decision="recode", new_code="budget")  # unknown code
    rows[2].update(decision="accept", coding_id="999999")  # unknown id
    rows[3]["decision"] = "maybe"
    rows[4]["decision"] = "reject"
    rows.append(dict(rows[0]))  # the same coding twice
    decisions.decide(store, int(rows[4]["coding_id"]), "accept", "jon")  # changed since export
    write(tmp_path / "sheet.csv", rows)
    log_before = len(store.log_entries())
    with pytest.raises(InputErrors) as caught:
        sheets.import_decisions(store, tmp_path / "sheet.csv", "mira")
    lines = [(e.line, e.problem.split(" ")[0:2]) for e in caught.value.errors]
    assert [line for line, _ in lines] == [3, 4, 5, 6, 8]
    messages = [e.problem for e in caught.value.errors]
    assert "unknown code 'budget'" in messages[0]
    assert "unknown or no longer current" in messages[1]
    assert "decision 'maybe'" in messages[2]
    assert "changed since the export" in messages[3] and "no longer current" in messages[3]
    assert "decided twice (first on line 2)" in messages[4]
    assert len(store.log_entries()) == log_before
    result = sheets.import_decisions(store, tmp_path / "sheet.csv", "mira", partial=True)
    assert dict(result.applied) == {"accept": 1} and len(result.problems) == 5


def test_lines_count_multi_line_cells(store, tmp_path):
    rows = exported(store, code="legal_support")[:2]
    rows[0]["note"] = "first line\nsecond line"
    rows[1]["decision"] = "nonsense"
    write(tmp_path / "sheet.csv", rows)
    with pytest.raises(InputErrors) as caught:
        sheets.import_decisions(store, tmp_path / "sheet.csv", "mira")
    assert caught.value.errors[0].line == 4


def test_xlsx_round_trip(store, tmp_path):
    sheet = sheets.export_codings(store, code="skills", group="G01")
    (tmp_path / "sheet.xlsx").write_bytes(sheets.to_bytes(sheet, "xlsx"))
    filled = pd.read_excel(tmp_path / "sheet.xlsx", dtype=str).fillna("")
    assert list(filled["coding_id"]) == [str(i) for i in sheet["coding_id"]]
    filled.loc[0, "decision"] = "reject"
    filled.loc[1, "decision"] = "nope"
    filled.to_excel(tmp_path / "filled.xlsx", index=False)
    with pytest.raises(InputErrors) as caught:
        sheets.import_decisions(store, tmp_path / "filled.xlsx", "mira")
    assert [e.line for e in caught.value.errors] == [3]
    filled.loc[1, "decision"] = "accept"
    filled.to_excel(tmp_path / "filled.xlsx", index=False)
    result = sheets.import_decisions(store, tmp_path / "filled.xlsx", "mira")
    assert dict(result.applied) == {"reject": 1, "accept": 1}


def test_missing_columns_are_refused(store, tmp_path):
    (tmp_path / "sheet.csv").write_text("coding_id,decision\n1,accept\n")
    with pytest.raises(InputError, match="missing column"):
        sheets.import_decisions(store, tmp_path / "sheet.csv", "mira")


@pytest.mark.parametrize("content, message", [
    (None, "decisions file not found"),
    (b"coding_id,revision,decision\n1,abc,acc\xe9pt\n", "not UTF-8"),
    (b"PK\x03\x04 not really a spreadsheet", "cannot read the spreadsheet"),
])
def test_unreadable_sheets_are_one_line_errors(store, tmp_path, content, message):
    path = tmp_path / ("sheet.xlsx" if content and content.startswith(b"PK") else "sheet.csv")
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        sheets.import_decisions(store, path, "mira")
