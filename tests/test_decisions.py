"""People's decisions: accept, reject, recode, add, remove; what counts; the log."""
import sqlite3

import pytest

from coding.coders import person_name
from coding.review import decisions
from coding.errors import InputError
from coding.tagging import tag
from coding.store import Store
from coding.report.tables import counted, counted_footer, needs_table, orphaned, status, status_by

from .conftest import CODEBOOK, write_transcript


def suggestion(store, code, group, line):
    rows = store.codings()
    row = rows[(rows["code"] == code) & (rows["group"] == group) & (rows["line"] == line)
               & (rows["coder"] == "auto")]
    assert len(row) == 1
    return int(row["coding_id"].iloc[0])


def groups_for(store, code, reviewed_only=False):
    table = needs_table(store, reviewed_only=reviewed_only).set_index("code")
    return table.loc[code, "groups"]


def test_coder_comes_from_option_or_environment(monkeypatch):
    monkeypatch.delenv("CODING_CODER", raising=False)
    with pytest.raises(InputError, match="who is coding"):
        person_name(None)
    monkeypatch.setenv("CODING_CODER", "mira")
    assert person_name(None) == "mira"
    assert person_name("jon") == "jon"
    with pytest.raises(InputError, match="reserved"):
        person_name("Auto")


def test_rejecting_every_suggestion_of_a_group_drops_it_from_the_count(store):
    assert groups_for(store, "legal_support") == 3
    for line in (62, 64, 67):
        decisions.decide(store, suggestion(store, "legal_support", "G07", line), "reject", "mira")
    assert groups_for(store, "legal_support") == 2
    assert groups_for(store, "legal_support", reviewed_only=True) == 0
    decisions.decide(store, suggestion(store, "legal_support", "G11", 51), "accept", "mira")
    assert groups_for(store, "legal_support", reviewed_only=True) == 1
    assert counted_footer(store).startswith("counted 1 accepted codings + 260 unreviewed suggestions; "
                                            "3 rejected (never counted); rule: adjudicated")
    assert counted_footer(store, reviewed_only=True).startswith("counted 1 accepted codings; "
                                                                "3 rejected (never counted)")


def test_the_latest_decision_stands_and_earlier_ones_are_kept(store):
    coding_id = suggestion(store, "legal_support", "G07", 62)
    decisions.decide(store, coding_id, "accept", "mira")
    decisions.decide(store, coding_id, "reject", "jon")
    rows = store.codings()
    unit = rows[(rows["group"] == "G07") & (rows["code"] == "legal_support")
                & (rows["line"] == 62)]
    assert list(zip(unit["coder"], unit["status"])) == [("auto", "suggested"), ("mira", "accepted"),
                                                        ("jon", "rejected")]
    assert coding_id not in set(counted(rows)["coding_id"])


def test_recode_rejects_the_old_code_and_accepts_the_new_one(store):
    coding_id = suggestion(store, "conflict_resolution", "G13", 56)
    rejected, accepted = decisions.decide(store, coding_id, "recode", "mira", "collaboration")
    rows = store.codings().set_index("coding_id")
    assert rows.loc[rejected, ["code", "status"]].tolist() == ["conflict_resolution", "rejected"]
    assert rows.loc[accepted, ["code", "status", "method", "rule"]].tolist() == [
        "collaboration", "accepted", "recode", "recoded from conflict_resolution"]
    with pytest.raises(InputError, match="unknown code 'budget'"):
        decisions.decide(store, coding_id, "recode", "mira", "budget")


def test_add_by_lines_splits_at_speaker_turns(store):
    ids = decisions.add(store, "G07", "funding", "mira", lines="64-67", note="money for a lawyer")
    rows = store.codings().set_index("coding_id").loc[ids]
    assert list(rows["speaker"]) == ["Saanvi", "Kwame"]
    assert list(rows["line"]) == [64, 66]
    assert rows["quote"].iloc[1].startswith("Also for the upload tool")
    assert rows["quote"].iloc[1].endswith("knows the rules.")
    assert set(rows["method"]) == {"manual"} and set(rows["note"]) == {"money for a lawyer"}
    assert groups_for(store, "funding") == 1
    path = decisions.find_transcript(store, "G07.md")
    turn = store.turns(path).set_index("turn").loc[20]
    by_chars = decisions.add(store, path, "funding", "jon",
                             chars=f"{turn.start + 2}-{turn.start + 6}")
    assert store.coding(by_chars[0])["quote"] == turn.text[2:6]


@pytest.mark.parametrize("kwargs, message", [
    (dict(lines="200-210"), "the last line with speech is 91"),
    (dict(lines="0-3"), "numbered from 1"),
    (dict(chars="10-10"), "an empty range"),
    (dict(chars="10-999999"), "speech ends at character"),
    (dict(lines="9-3"), "ends before it starts"),
    (dict(lines="x"), "write FIRST-LAST"),
    (dict(), "either --lines"),
    (dict(lines="1-2", chars="3-4"), "either --lines"),
])
def test_add_refuses_bad_ranges(store, kwargs, message):
    with pytest.raises(InputError, match=message):
        decisions.add(store, "G07", "funding", "mira", **kwargs)


def test_remove_marks_and_never_deletes(store):
    [manual] = decisions.add(store, "G07", "funding", "mira", lines="62")
    decisions.remove(store, manual, "mira")
    assert store.coding(manual)["status"] == "removed"
    assert groups_for(store, "funding") == 0
    with pytest.raises(InputError, match="already removed"):
        decisions.remove(store, manual, "mira")
    auto = suggestion(store, "legal_support", "G07", 62)
    rejection = decisions.remove(store, auto, "mira")
    assert store.coding(auto)["status"] == "suggested"
    assert store.coding(rejection)["status"] == "rejected"


def test_status_counts_each_kind(store):
    decisions.decide(store, suggestion(store, "legal_support", "G07", 62), "accept", "mira")
    decisions.decide(store, suggestion(store, "legal_support", "G07", 64), "reject", "mira")
    decisions.add(store, "G07", "funding", "mira", lines="67")
    table = status(store)
    by_code = status_by(table, "code").set_index("code")
    assert by_code.loc["legal_support"].tolist() == [7, 1, 1, 0, 0, 0]
    assert by_code.loc["funding"].tolist() == [0, 0, 0, 1, 0, 0]
    by_transcript = status_by(table, "transcript").set_index("transcript")
    all_suggestions = int((counted(store.codings(), store.codes()["code"])["coder"] == "auto").sum())
    assert by_transcript.loc["(all)", "unreviewed"] == all_suggestions


def test_the_log_records_who_what_before_after_and_refuses_edits(store):
    coding_id = suggestion(store, "legal_support", "G07", 62)
    [accepted] = decisions.decide(store, coding_id, "accept", "mira", note="clear need")
    [rejected] = decisions.decide(store, coding_id, "reject", "jon")
    log = store.log_entries()
    people = log[log["coder"] != "auto"]
    assert people[["coder", "action", "coding_id", "before", "after", "detail"]].values.tolist() == [
        ["mira", "accept", accepted, "suggested", "accepted", "clear need"],
        ["jon", "reject", rejected, "accepted", "rejected", ""]]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE log SET coder = 'eve'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM log")


# -- re-tagging keeps people's work ---------------------------------------------------


@pytest.fixture
def small(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "a.md", "Ana: Training, please.\nBen: We need a lawyer for contracts.\n"
                     "Ana: Nothing else.\n", group="G1")
    return folder


def test_decisions_survive_retagging_and_follow_a_moved_quote(tmp_path, small):
    db = tmp_path / "coding.db"
    tag([small], CODEBOOK, db)
    store = Store.open(db)
    rows = store.codings().set_index("code")
    lawyer = int(rows.loc["legal_support", "coding_id"])
    [accepted] = decisions.decide(store, lawyer, "accept", "mira")
    [manual] = decisions.add(store, "a.md", "funding", "mira", lines=str(rows.loc["legal_support", "line"] + 1))
    store.close()
    # a new first turn moves every quote down one line; the manual quote is then deleted
    path = small / "a.md"
    text = path.read_text().replace("Ana: Training, please.\n", "Ben: Hello.\nAna: Training, please.\n")
    path.write_text(text.replace("Ana: Nothing else.\n", "Ana: Something else.\n"))
    tag([small], CODEBOOK, db)
    store = Store.open(db)
    moved = store.coding(accepted)
    assert moved["quote"] == "We need a lawyer for contracts."
    assert moved["line"] == rows.loc["legal_support", "line"] + 1 and not moved["orphaned"]
    assert store.coding(manual)["orphaned"] == 1
    assert list(orphaned(store)["coding_id"]) == [manual]
    assert groups_for(store, "legal_support", reviewed_only=True) == 1
    assert groups_for(store, "funding") == 0
    actions = list(store.log_entries()["action"])
    assert "re-anchor" in actions and "orphan" in actions
    store.close()
    # the file is deleted: the decision stays, orphaned
    path.unlink()
    write_transcript(small, "b.md", "Ana: Nothing.\n", group="G2")
    tag([small], CODEBOOK, db)
    store = Store.open(db)
    assert store.coding(accepted)["orphaned"] == 1
    assert set(orphaned(store)["coding_id"]) == {accepted, manual}
    store.close()


def test_a_changed_codebook_keeps_decisions_and_suggestion_ids(tmp_path, small):
    db = tmp_path / "coding.db"
    tag([small], CODEBOOK, db)
    store = Store.open(db)
    before = store.codings().set_index("code")["coding_id"].to_dict()
    [decision] = decisions.decide(store, before["skills"], "reject", "mira")
    store.close()
    book = tmp_path / "codebook.yaml"
    book.write_text(CODEBOOK.read_text().replace("      - contract\n", "      - contracts?\n"))
    tag([small], book, db)
    store = Store.open(db)
    after = store.codings()
    autos = after[after["coder"] == "auto"].set_index("code")["coding_id"].to_dict()
    assert autos == before
    assert store.coding(decision)["status"] == "rejected"
    store.close()
