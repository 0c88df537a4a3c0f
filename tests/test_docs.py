"""The README documents every command and option the CLI has."""
import typer

from coding.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group, prefix=()):
    # typer ships its own copy of click, so groups are recognised by their commands
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def test_every_command_has_an_example_in_the_readme():
    cli = typer.main.get_command(app)
    names = [" ".join(path) for path, _ in commands(cli)]
    assert {"run", "tag", "table", "matrix", "audit", "evaluate", "codebook check"} <= set(names)
    for name in names:
        assert f"coding {name}" in README, f"README has no example of 'coding {name}'"


def test_every_option_is_mentioned_in_the_readme():
    cli = typer.main.get_command(app)
    for path, command in commands(cli):
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option != "--help":
                    assert option in README, f"README does not mention {option} of 'coding {' '.join(path)}'"


def test_the_readme_review_loop_is_true_as_printed(runner, workdir, monkeypatch):
    """The review example's import count, `add` line and footer, run as the README prints them."""
    import csv
    import io

    monkeypatch.setenv("CODING_CODER", "mira")
    assert runner.invoke(app, ["run"]).exit_code == 0
    sheet = runner.invoke(app, ["export", "codings", "--code", "conflict_resolution", "--status", "suggested"])
    rows = list(csv.DictReader(io.StringIO(sheet.stdout)))
    first_interviewer = next(i for i, row in enumerate(rows) if row["role"] == "interviewer")
    for i, row in enumerate(rows):
        row["decision"] = "accept" if row["role"] == "participant" else "reject" if i == first_interviewer else ""
    with open("sheet.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    imported = runner.invoke(app, ["import", "decisions", "sheet.csv"])
    printed = "applied 10 decisions (9 accept, 1 reject) as mira; 5 rows without a decision"
    assert printed in README and imported.output.strip() == printed
    add = "coding add --transcript G03 --lines 56-57 --code new_initiatives"
    assert add in README
    added = runner.invoke(app, add.split()[1:])
    assert added.exit_code == 0, added.output
    footer = "counted 10 accepted codings + 255\nunreviewed suggestions; 0 rejected (never counted)"
    assert footer in README
    assert " ".join(footer.split()) in runner.invoke(app, ["table"]).stdout
