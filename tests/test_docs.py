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
