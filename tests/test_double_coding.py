"""Independent double coding: blind exports and queues, counting rules, adjudication."""
import csv
import io

import pytest

from coding.cli import app
from coding.errors import InputError
from coding.report.tables import counted_footer, disputed, needs_table
from coding.review import decisions, sheets
from coding.review.standing import current


def legal(store, group="G07"):
    rows = store.codings()
    rows = rows[(rows["code"] == "legal_support") & (rows["group"] == group) & (rows["coder"] == "auto")
                & (rows["role"] == "participant")]
    return [int(i) for i in rows["coding_id"]]


def groups(store, code, **options):
    return int(needs_table(store, **options).set_index("code").loc[code, "groups"])


def test_a_blind_export_shows_only_the_machine_and_what_bob_has_not_decided(store):
    first, second, *_ = legal(store)
    decisions.decide(store, first, "reject", "ana")
    decisions.decide(store, second, "accept", "bob")
    sheet = sheets.export_codings(store, code="legal_support", coder="bob", blind=True)
    assert first in set(sheet["coding_id"]) and second not in set(sheet["coding_id"])
    assert set(sheet["status"]) == {"suggested"} and set(sheet["coder"]) == {"auto"}
    assert all(revision.startswith("b") for revision in sheet["revision"])
    seen = sheets.export_codings(store, code="legal_support")  # the open sheet shows ana's rejection
    assert "rejected" in set(seen["status"])
    with pytest.raises(InputError, match="for one coder"):
        sheets.export_codings(store, blind=True)


def test_a_blind_sheet_imports_as_bobs_own_decisions(store, tmp_path):
    first, *_ = legal(store)
    decisions.decide(store, first, "reject", "ana")
    sheet = sheets.export_codings(store, code="legal_support", coder="bob", blind=True)
    sheet["decision"] = "accept"
    path = tmp_path / "bob.csv"
    path.write_bytes(sheets.to_bytes(sheet, "csv"))
    result = sheets.import_decisions(store, path, "bob")
    assert result.applied["accept"] == len(sheet)
    assert (current(store.codings())["status"] == "disputed").sum() == 1
    units = disputed(store)
    assert list(units["decisions"]) == ["ana: rejected; bob: accepted"]
    with pytest.raises(InputError):  # the same blind sheet again: bob has decided all of it
        sheets.import_decisions(store, path, "bob")


def test_the_review_queue_is_blind_to_other_coders(store):
    first, *_ = legal(store)
    decisions.decide(store, first, "reject", "ana")
    queue = decisions.review_queue(store, "bob", code="legal_support")
    row = queue.set_index("coding_id").loc[first]
    assert (row["coder"], row["status"]) == ("auto", "suggested")
    assert first not in set(decisions.review_queue(store, "ana", code="legal_support")["coding_id"])


def test_counting_rules_and_adjudication(store, runner, db):
    units = legal(store, "G07") + legal(store, "G11") + legal(store, "G15")
    for unit in units:  # ana rejects every legal suggestion; bob accepts only G07's first
        decisions.decide(store, unit, "reject", "ana")
    decisions.decide(store, units[0], "accept", "bob")
    assert groups(store, "legal_support", rule="latest") == 1  # bob decided last
    assert groups(store, "legal_support", rule="consensus") == 0  # the unit is disputed
    assert groups(store, "legal_support") == 0
    assert "1 disputed" in counted_footer(store) and "rule: adjudicated" in counted_footer(store)
    decisions.decide(store, units[0], "accept", "cleo", adjudicate=True)
    assert groups(store, "legal_support") == 1  # the adjudicator settled it
    assert groups(store, "legal_support", rule="consensus") == 0  # consensus ignores rulings
    assert disputed(store).empty
    result = runner.invoke(app, ["table", "--rule", "consensus", "--format", "csv", "--db", str(db)])
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["legal_support"]["groups"] == "0"
    bad = runner.invoke(app, ["table", "--rule", "loudest", "--db", str(db)])
    assert bad.exit_code == 1 and "rule 'loudest'" in bad.output


def test_adjudicate_through_the_cli(db, runner, store):
    first, *_ = legal(store)
    decisions.decide(store, first, "reject", "ana")
    decisions.decide(store, first, "accept", "bob")
    status = runner.invoke(app, ["status", "--db", str(db)])
    assert "Disputed units" in status.stdout
    result = runner.invoke(app, ["adjudicate", str(first), "accept", "--coder", "cleo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    log = store.log_entries()
    assert log.iloc[-1]["action"] == "adjudicate" and log.iloc[-1]["before"] == "disputed"
