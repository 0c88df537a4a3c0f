"""Every command of the CLI contract, driven through typer's test runner."""
import csv
import io
import json
import sqlite3

import pytest

from coding.cli import app
from coding.store import SCHEMA_VERSION

from .conftest import DEVSET


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def test_run_prints_the_needs_table_and_is_byte_for_byte_repeatable(runner, workdir):
    first = run(runner, "run", "--format", "csv")
    assert first.exit_code == 0, first.output
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert [r["code"] for r in rows if r["class"] == "generally shared"] == [
        "knowledge", "skills", "coordination", "staff_support"]
    assert (workdir / "coding.db").exists()
    again = run(runner, "run", "--format", "csv")
    assert again.stdout == first.stdout
    assert run(runner, "table", "--format", "csv").stdout == first.stdout


def test_table_formats_and_threshold(runner, workdir):
    run(runner, "tag")
    md = run(runner, "table")
    assert md.exit_code == 0
    assert md.stdout.splitlines()[2].startswith("| code ")
    assert "4 generally shared, 5 context-specific, 1 not identified" in md.stdout
    rows = json.loads(run(runner, "table", "--format", "json").stdout)
    knowledge = rows[0]
    assert knowledge["code"] == "knowledge" and isinstance(knowledge["group_ids"], list)
    assert knowledge["groups"] == len(knowledge["group_ids"])
    strict = json.loads(run(runner, "table", "--format", "json", "--min-groups", "100").stdout)
    assert {r["class"] for r in strict} == {"context-specific", "not identified"}


def test_matrix_has_every_group_and_attributes(runner, workdir):
    run(runner, "tag")
    rows = list(csv.DictReader(io.StringIO(run(runner, "matrix", "--format", "csv").stdout)))
    assert [r["group"] for r in rows] == [f"G{i:02d}" for i in range(1, 18)]
    assert {"region", "hub_type", "knowledge", "funding"} <= set(rows[0])
    assert all(r["funding"] == "0" for r in rows)


def test_audit_by_need_and_by_group(runner, workdir):
    run(runner, "tag")
    rows = json.loads(run(runner, "audit", "legal_support", "--format", "json").stdout)
    assert rows and all(r["role"] == "participant" and r["counted"] for r in rows)
    first = rows[0]
    path, line = first["file:line"].rsplit(":", 1)
    assert first["quote"] in (workdir / path).read_text().splitlines()[int(line) - 1]
    assert first["matched_text"].lower() in first["quote"].lower()
    every = json.loads(run(runner, "audit", "legal_support", "--all", "--format", "json").stdout)
    assert any(r["role"] == "interviewer" and not r["counted"] for r in every)
    by_group = json.loads(run(runner, "audit", "--group", "G07", "--format", "json").stdout)
    assert {r["group"] for r in by_group} == {"G07"}
    assert "legal_support" in {r["code"] for r in by_group}


def test_evaluate_on_the_dev_set(runner, tmp_path):
    db = tmp_path / "dev.db"
    assert run(runner, "tag", DEVSET, "--db", db).exit_code == 0
    result = run(runner, "evaluate", "--gold", DEVSET / "gold.csv", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["code"]: r for r in json.loads(result.stdout)}
    overall = rows["overall"]
    assert overall["tp"] + overall["fp"] + overall["fn"] + overall["tn"] == 60
    assert 0 <= overall["precision"] <= 1 and 0 <= overall["f1"] <= 1


def test_codebook_check(runner, workdir):
    ok = run(runner, "codebook", "check")
    assert ok.exit_code == 0 and "codebook.yaml: ok" in ok.stderr
    (workdir / "bad.yaml").write_text("version: 1\ncodes:\n  - id: a\n    label: A\n    terms: [x]\n    colour: red\n")
    bad = run(runner, "codebook", "check", "bad.yaml")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("bad.yaml:6: unknown key 'colour' in code")


def test_help_on_every_command(runner):
    for command in (["run"], ["tag"], ["table"], ["matrix"], ["audit"], ["evaluate"], ["codebook", "check"]):
        result = run(runner, *command, "--help")
        assert result.exit_code == 0 and "Usage" in result.stdout


def one_line_error(result, *fragments):
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_missing_codebook_and_transcripts(runner, workdir):
    one_line_error(run(runner, "run", "--codebook", "nope.yaml"), "nope.yaml: codebook not found")
    one_line_error(run(runner, "run", "--transcripts", "nowhere"), "nowhere: no such transcript")
    assert not (workdir / "coding.db").exists()


@pytest.mark.parametrize("mutation, expected", [
    (lambda p: p.write_text(p.read_text().replace("group: G03\n", "")), "G03.md:1: front matter has no 'group'"),
    (lambda p: p.write_text(p.read_text().split("---\n# SYNTHETIC")[0] + "---\n"), "empty transcript"),
    (lambda p: p.write_text(p.read_text() + "\nStranger: hello\n"), "speaker 'Stranger' is not in"),
    (lambda p: p.write_bytes(p.read_bytes() + b"\xff\xfe bad\n"), "not UTF-8 text"),
    (lambda p: p.write_bytes(b"\x00\x01\x02binary"), "G03.md:1: binary file"),
])
def test_bad_transcripts_leave_the_store_as_it_was(runner, workdir, mutation, expected):
    assert run(runner, "tag").exit_code == 0
    before = (workdir / "coding.db").read_bytes()
    mutation(workdir / "transcripts" / "G03.md")
    one_line_error(run(runner, "tag"), expected)
    assert (workdir / "coding.db").read_bytes() == before


@pytest.mark.parametrize("text, expected", [
    ("version: 1\ncodes: [\n", "codebook.yaml:3: YAML syntax error"),
    ("version: 1\nfoo: 2\ncodes:\n  - {id: a, label: A, terms: [x]}\n", "codebook.yaml:2: unknown key 'foo'"),
    ("codes:\n  - {id: a, label: A, terms: [x]}\n  - {id: a, label: B, terms: [y]}\n",
     "codebook.yaml:3: duplicate code id 'a'"),
])
def test_bad_codebooks(runner, workdir, text, expected):
    (workdir / "codebook.yaml").write_text(text)
    one_line_error(run(runner, "tag"), expected)
    assert not (workdir / "coding.db").exists()


def test_newer_store_is_refused(runner, workdir):
    run(runner, "tag")
    connection = sqlite3.connect(workdir / "coding.db")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    before = (workdir / "coding.db").read_bytes()
    one_line_error(run(runner, "table"), "coding.db: store schema version")
    one_line_error(run(runner, "tag"), "newer than this coding understands")
    assert (workdir / "coding.db").read_bytes() == before


def test_table_without_a_store(runner, workdir):
    one_line_error(run(runner, "table"), "coding.db: no coding store here")


def test_unknown_need_and_bad_gold(runner, workdir):
    run(runner, "tag")
    one_line_error(run(runner, "audit", "telepathy"), "unknown code 'telepathy'")
    (workdir / "gold.csv").write_text("group,code,present\nG01,knowledge,1\nG01,skills,yes\n")
    one_line_error(run(runner, "evaluate", "--gold", "gold.csv"), "gold.csv:3: present must be 0 or 1")
