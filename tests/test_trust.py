"""Nothing a person decided is lost or hidden: removal, renamed and restored files,
renamed and deleted codes, relabelled speakers, history, concurrent imports."""
import csv
import shutil
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from coding.cli import app
from coding.errors import InputError
from coding.report.tables import (counted_footer, in_interviewer_turns, needs_table, orphaned,
                                  outside_codebook)
from coding.review import decisions, sheets
from coding.store import Store
from coding.tagging import tag

from .conftest import CODEBOOK, write_transcript

BODY = ("Interviewer: What would help?\n"
        "Ana: We really need legal advice. Training would help too.\n"
        "Ben: Yes, and more time.\n")


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "a.md", BODY, group="G1")
    write_transcript(folder, "b.md", "Ana: We need training for volunteers.\n", group="G2")
    shutil.copy(CODEBOOK, tmp_path / "codebook.yaml")
    tag([folder], tmp_path / "codebook.yaml", tmp_path / "coding.db")
    return tmp_path


def opened(project):
    return closing(Store.open(project / "coding.db"))


def suggestion(store, code, path_end="a.md"):
    rows = store.codings()
    row = rows[(rows["code"] == code) & (rows["coder"] == "auto") & rows["transcript"].str.endswith(path_end)
               & (rows["role"] == "participant")]
    return int(row["coding_id"].iloc[0])


def groups(store, code, **options):
    return int(needs_table(store, **options).set_index("code").loc[code, "groups"])


def retag(project):
    return tag([project / "transcripts"], project / "codebook.yaml", project / "coding.db")


def test_removing_someone_elses_coding_is_ones_own_rejection(project):
    with opened(project) as store:
        legal = suggestion(store, "legal_support")
        [ana] = decisions.decide(store, legal, "accept", "ana")
        bobs = decisions.remove(store, ana, "bob")
        assert store.coding(ana)["status"] == "accepted"  # ana's judgement stays
        assert (store.coding(bobs)["coder"], store.coding(bobs)["status"], store.coding(bobs)["decides"]) == \
            ("bob", "rejected", ana)
        export = sheets.export_codings(store, rule="latest")
        assert export.set_index("coding_id").loc[bobs, "status"] == "rejected"
        # ana and bob now disagree on the unit: the default rule says so instead of picking one
        assert groups(store, "legal_support") == 0 and groups(store, "legal_support", rule="latest") == 0
        assert "1 disputed" in counted_footer(store)
        [own] = decisions.add(store, "a.md", "funding", "ana", lines="13")
        assert decisions.remove(store, own, "ana") == own and store.coding(own)["status"] == "removed"


def test_a_renamed_file_takes_over_its_codings(project):
    with opened(project) as store:
        legal = suggestion(store, "legal_support")
        decisions.decide(store, legal, "reject", "ana")
        assert groups(store, "legal_support") == 0
    (project / "transcripts" / "a.md").rename(project / "transcripts" / "renamed.md")
    result = retag(project)
    assert result.renamed == {f"{(project / 'transcripts').as_posix()}/renamed.md":
                              f"{(project / 'transcripts').as_posix()}/a.md"}
    with opened(project) as store:
        assert groups(store, "legal_support") == 0  # the rejection still stands
        assert orphaned(store).empty
        rows = store.codings()
        assert set(rows.loc[rows["coder"] == "ana", "transcript"]) == {result.tagged[0]}
        assert store.coding(legal)["transcript"].endswith("renamed.md")  # the suggestion kept its id
        assert "re-attach" in set(store.log_entries()["action"])


def test_a_file_missing_for_one_run_and_restored_gets_its_codings_back(project):
    original = project / "transcripts" / "a.md"
    saved = original.read_bytes()
    with opened(project) as store:
        decisions.decide(store, suggestion(store, "legal_support"), "reject", "ana")
    original.unlink()
    retag(project)
    with opened(project) as store:
        orphans = orphaned(store)
        assert list(orphans["why"]) == ["the transcript file is gone"]
    original.write_bytes(saved)
    retag(project)
    with opened(project) as store:
        assert orphaned(store).empty
        assert groups(store, "legal_support") == 0  # the restored rejection counts again
        assert list(store.log_entries()["action"]).count("re-attach") == 1


def test_status_says_why_a_quote_was_orphaned(project):
    with opened(project) as store:
        decisions.decide(store, suggestion(store, "legal_support"), "accept", "ana")
    path = project / "transcripts" / "a.md"
    path.write_text(path.read_text().replace("We really need legal advice.", "We need legal advice badly."))
    retag(project)
    with opened(project) as store:
        assert list(orphaned(store)["why"]) == ["the transcript changed and the quote is no longer in it"]


def test_renaming_a_code_moves_its_decisions_and_edits_one_line(project, runner):
    with opened(project) as store:
        decisions.decide(store, suggestion(store, "legal_support"), "accept", "ana")
    before = (project / "codebook.yaml").read_text().splitlines()
    result = runner.invoke(app, ["codebook", "rename", "legal_support", "legal_help", "--codebook",
                                 str(project / "codebook.yaml"), "--db", str(project / "coding.db"),
                                 "--coder", "ana"])
    assert result.exit_code == 0, result.output
    after = (project / "codebook.yaml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [("  - id: legal_support", "  - id: legal_help")]
    retag(project)
    with opened(project) as store:
        rows = store.codings()
        assert set(rows.loc[rows["coder"] == "ana", "code"]) == {"legal_help"}
        assert groups(store, "legal_help", reviewed_only=True) == 1
        assert "rename code" in set(store.log_entries()["action"])


def test_a_codebook_without_a_decided_code_warns_and_keeps_the_rows(project):
    with opened(project) as store:
        decisions.decide(store, suggestion(store, "legal_support"), "accept", "ana")
    book = project / "codebook.yaml"
    text = book.read_text()
    start = text.index("  - id: legal_support")
    end = text.index("  - id:", start + 5)
    book.write_text(text[:start] + text[end:])
    result = retag(project)
    assert len(result.warnings) == 1 and "'legal_support'" in result.warnings[0]
    with opened(project) as store:
        assert list(outside_codebook(store)["code"]) == ["legal_support"]
        footer = counted_footer(store, reviewed_only=True)
        assert footer.startswith("counted 0 accepted codings")  # the table does not show it


def test_a_relabelled_speaker_moves_peoples_codings_and_an_interviewer_line_stops_counting(project):
    with opened(project) as store:
        [ana] = decisions.decide(store, suggestion(store, "legal_support"), "accept", "ana")
        assert groups(store, "legal_support", reviewed_only=True) == 1
    path = project / "transcripts" / "a.md"
    text = path.read_text().replace("  Ana: participant", "  Ana: interviewer")
    path.write_text(text)
    retag(project)
    with opened(project) as store:
        assert store.coding(ana)["role"] == "interviewer"
        assert groups(store, "legal_support", reviewed_only=True) == 0
        assert list(in_interviewer_turns(store)["coding_id"]) == [ana]
        history = store.history(ana)
        assert list(history["action"]) == ["accept", "re-anchor"]
        assert "role participant -> interviewer" in history["detail"].iloc[-1]
    path.write_text(text.replace("  Ana: interviewer", "  Ana: participant").replace("Ana:", "Anna:")
                    .replace("  Anna: participant", "  Anna: participant"))
    retag(project)
    with opened(project) as store:
        assert (store.coding(ana)["speaker"], store.coding(ana)["role"]) == ("Anna", "participant")


def test_log_for_a_coding_shows_the_suggestion_and_every_decision_about_it(project, runner):
    with opened(project) as store:
        legal = suggestion(store, "legal_support")
        [accepted] = decisions.decide(store, legal, "accept", "ana")
        decisions.decide(store, legal, "reject", "bob")
        decisions.remove(store, accepted, "ana")
    result = runner.invoke(app, ["log", "--coding", str(legal), "--format", "csv", "--db", str(project / "coding.db")])
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["coder"], r["action"]) for r in rows] == [("ana", "accept"), ("bob", "reject"), ("ana", "remove")]


def test_two_concurrent_imports_of_one_sheet_write_each_decision_once(project):
    with opened(project) as store:
        sheet = sheets.export_codings(store)
    sheet["decision"] = "accept"
    path = project / "sheet.csv"
    path.write_bytes(sheets.to_bytes(sheet, "csv"))
    command = [sys.executable, "-m", "coding", "import", "decisions", str(path), "--coder", "ana",
               "--db", str(project / "coding.db")]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = sorted(run.wait() for run in runs)
    assert outcomes == [0, 1]
    with opened(project) as store:
        rows = store.codings()
        assert (rows["coder"] == "ana").sum() == len(sheet)


def test_an_import_waits_for_the_write_lock_and_then_says_the_store_is_busy(project):
    holder = Store.open(project / "coding.db")
    holder.db.execute("BEGIN IMMEDIATE")
    try:
        with closing(Store.open(project / "coding.db", timeout=0.2)) as store:
            with pytest.raises(InputError, match="the store is busy"):
                decisions.decide(store, suggestion(store, "legal_support"), "accept", "ana")
    finally:
        holder.db.execute("ROLLBACK")
        holder.close()


def test_add_over_an_interviewer_turn_says_so_and_twice_is_refused(project):
    with opened(project) as store:
        with pytest.raises(InputError, match="include the interviewer's turn at line 12"):
            decisions.add(store, "a.md", "funding", "ana", lines="12-13")
        decisions.add(store, "a.md", "funding", "ana", lines="13")
        with pytest.raises(InputError, match="already coded this passage"):
            decisions.add(store, "a.md", "funding", "ana", lines="13")
