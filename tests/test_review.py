"""`coding review` driven through a pseudo-terminal, as a person would use it,
and the review commands of the CLI through typer's runner."""
import csv
import io
import json
import os
import pty
import select
import subprocess
import sys

from coding.review import decisions
from coding.cli import app
from coding.store import Store

from .conftest import ROOT


class Terminal:
    """A child process on a pseudo-terminal: wait for text, type keys."""

    def __init__(self, args, env):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        cwd=ROOT, close_fds=True)
        os.close(slave)
        self.output = b""

    def wait_for(self, text: bytes, count: int = 1, timeout: float = 60) -> None:
        while self.output.count(text) < count:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                raise TimeoutError(self.output.decode(errors="replace")[-2000:])
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                raise AssertionError(self.output.decode(errors="replace")[-2000:]) from None
            self.output += chunk

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> str:
        code = self.process.wait(timeout=60)
        try:
            while select.select([self.master], [], [], 0.5)[0]:
                self.output += os.read(self.master, 65536)
        except OSError:
            pass
        os.close(self.master)
        assert code == 0, self.output.decode(errors="replace")[-2000:]
        return self.output.decode(errors="replace")


def review(db, *extra):
    env = {**os.environ, "CODING_CODER": "mira", "COLUMNS": "100", "TERM": "xterm"}
    return Terminal([sys.executable, "-m", "coding", "review", "--db", str(db), *extra], env)


def test_review_in_a_terminal_accepts_rejects_recodes_undoes_and_resumes(db):
    prompt = b"[q]uit"
    term = review(db, "--code", "legal_support")
    term.wait_for(prompt, 1)
    term.type("a")
    term.wait_for(prompt, 2)
    term.type("r")
    term.wait_for(prompt, 3)
    term.type("n")
    term.wait_for(b"note:")
    term.type("ask the group\r")
    term.wait_for(prompt, 4)
    term.type("c")
    term.wait_for(b"new code")
    term.type("3\r")
    term.wait_for(prompt, 5)
    term.type("a")  # accept the fourth ...
    term.wait_for(prompt, 6)
    term.type("u")  # ... and take it back
    term.wait_for(b"undone")
    term.wait_for(prompt, 7)
    term.type("s")
    term.wait_for(prompt, 8)
    term.type("q")
    screen = term.finish()
    assert "1/9" in screen and "G07" in screen and "legal advice" in screen
    assert "1 accepted, 1 rejected, 1 recoded, 1 skipped" in screen  # the undone accept is not counted
    store = Store.open(db)
    mine = store.codings()
    mine = mine[mine["coder"] == "mira"]
    assert sorted(zip(mine["code"], mine["status"], mine["note"])) == [
        ("coordination", "accepted", "ask the group"), ("legal_support", "accepted", ""),
        ("legal_support", "rejected", ""), ("legal_support", "rejected", "ask the group"),
        ("legal_support", "removed", "")]  # the undone accept is marked, not deleted
    store.close()
    # 6 left (9 minus 3 decided): the skipped fourth, then the fifth, where the coder quit
    term = review(db, "--code", "legal_support")
    term.wait_for(b"[q]uit")
    term.type("q")
    screen = term.finish()
    assert "2/6" in screen and "1/6" not in screen


def test_review_with_nothing_to_do(db):
    term = review(db, "--code", "funding")
    screen = term.finish()
    assert "nothing to review" in screen


# -- the other review commands, through the CLI runner ---------------------------------


def run(runner, *args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env or {"CODING_CODER": ""})


def test_writing_commands_need_a_coder(runner, db):
    result = run(runner, "add", "--db", db, "--transcript", "G07", "--lines", "62", "--code", "funding")
    assert result.exit_code == 1 and "who is coding? give --coder NAME or set CODING_CODER" in result.output
    result = run(runner, "remove", "1", "--db", db, "--coder", "auto")
    assert result.exit_code == 1 and "reserved" in result.output


def test_spreadsheet_loop_through_the_cli(runner, db, tmp_path):
    exported = run(runner, "export", "codings", "--db", db, "--status", "suggested", "--code",
                   "legal_support", "--format", "csv")
    assert exported.exit_code == 0
    rows = [r for r in csv.DictReader(io.StringIO(exported.stdout)) if r["role"] == "participant"]
    for row in rows:
        row["decision"] = "reject" if row["group"] == "G07" else "accept"
    rows[-1]["decision"] = "dunno"
    sheet = tmp_path / "sheet.csv"
    with open(sheet, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    refused = run(runner, "import", "decisions", sheet, "--db", db, "--coder", "mira")
    assert refused.exit_code == 1
    starts = [n for n, line in enumerate(sheet.read_text().split("\n"), start=1)
              if line.startswith(rows[-1]["coding_id"] + ",")]
    assert f"{sheet}:{starts[0]}: decision 'dunno'" in refused.output
    assert "nothing was changed" in refused.output
    applied = run(runner, "import", "decisions", sheet, "--db", db, "--coder", "mira", "--partial")
    assert applied.exit_code == 0 and "applied 8 decisions (5 accept, 3 reject)" in applied.output
    table = run(runner, "table", "--db", db, "--reviewed-only", "--format", "json")
    legal = [r for r in json.loads(table.stdout) if r["code"] == "legal_support"][0]
    assert legal["groups"] == 2
    footer = run(runner, "table", "--db", db).stdout
    assert "counted 5 accepted codings + 256 unreviewed suggestions; 3 rejected" in footer
    status = run(runner, "status", "--db", db, "--format", "csv").stdout
    legal_rows = [r for r in csv.DictReader(io.StringIO(status)) if r["code"] == "legal_support"]
    assert sum(int(r["accepted"]) for r in legal_rows) == 5 and sum(int(r["unreviewed"]) for r in legal_rows) == 1
    log = run(runner, "log", "--db", db, "--coder", "mira", "--format", "csv").stdout
    assert len(list(csv.DictReader(io.StringIO(log)))) == 8


def test_xlsx_export_writes_a_spreadsheet_file(runner, db, tmp_path):
    out = tmp_path / "codings.xlsx"
    result = run(runner, "export", "codings", "--db", db, "--format", "xlsx", "--output", out)
    assert result.exit_code == 0 and out.read_bytes()[:2] == b"PK"


def test_add_remove_agreement_disagreements_status_through_the_cli(runner, db, tmp_path):
    added = run(runner, "add", "--db", db, "--transcript", "G07", "--lines", "64-67", "--code", "funding",
                "--coder", "jon", "--note", "fees")
    assert added.exit_code == 0 and "added 2 coding(s)" in added.output
    first_id = added.output.split(":")[-1].split(",")[0].strip()
    assert run(runner, "remove", first_id, "--db", db, "--coder", "jon").exit_code == 0
    store = Store.open(db)
    auto = store.codings()
    auto = auto[(auto["coder"] == "auto") & (auto["group"] == "G07") & (auto["code"] == "legal_support")]
    store.close()
    store = Store.open(db)
    for coding_id, (a, b) in zip(auto["coding_id"], [("accept", "accept"), ("accept", "reject"),
                                                     ("reject", "reject")]):
        decisions.decide(store, int(coding_id), a, "mira")
        decisions.decide(store, int(coding_id), b, "jon")
    store.close()
    report = run(runner, "agreement", "--db", db, "--coder", "mira", "--coder", "jon", "--format", "csv")
    assert report.exit_code == 0, report.output
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(report.stdout))}
    assert rows["legal_support"]["units"] == "3" and rows["legal_support"]["percent"] == "0.667"
    assert rows["funding"]["units"] == "0"  # only jon coded funding: mira never read G07 for it
    group = run(runner, "agreement", "--db", db, "--coder", "mira", "--coder", "jon", "--level", "group",
                "--format", "csv")
    assert group.exit_code == 0
    differ = run(runner, "disagreements", "--db", db, "--coder", "mira", "--coder", "jon",
                 "--code", "legal_support", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(differ.stdout)))
    assert (row["mira"], row["jon"]) == ("present", "absent") and "lawyer" in row["quote"]
    status = run(runner, "status", "--db", db)
    assert "Review status per transcript" in status.stdout and "Review status per code" in status.stdout
    gold = tmp_path / "gold.csv"
    gold.write_text("transcript,lines,code\nG07.md,62,legal_support\n")
    evaluated = run(runner, "evaluate", "--db", db, "--gold", gold, "--level", "segment", "--format", "csv")
    assert evaluated.exit_code == 0, evaluated.output
