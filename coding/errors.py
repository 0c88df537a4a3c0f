"""The one exception type for mistakes in a user's input."""

from __future__ import annotations

import csv
from pathlib import Path

# A quote or note in a CSV the user gives us (decisions, gold) may be longer than the
# csv module's default field limit (131072 characters), which would make a long cell a
# crash, not data. Raised once here, as every reader of user files imports this module;
# 2**31 - 1 and not sys.maxsize, which overflows a C long on Windows.
csv.field_size_limit(2**31 - 1)


class InputError(Exception):
    """A problem with a file the user gave us, located as `file:line: problem`.

    The CLI prints it as one line and exits non-zero; it never becomes a
    traceback, because it is the user's file that needs fixing, not our code.
    """

    def __init__(self, path: str | Path | None, line: int | None, problem: str):
        self.path = str(path) if path is not None else None
        self.line = line
        self.problem = problem
        super().__init__(str(self))

    def __reduce__(self):  # rebuilt from its parts when it crosses a process boundary
        return (InputError, (self.path, self.line, self.problem))

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.problem}"


class InputErrors(InputError):
    """Several problems found in one pass over a file, reported together."""

    def __init__(self, errors: list[InputError]):
        self.errors = errors
        first = errors[0]
        super().__init__(first.path, first.line, first.problem)

    def __str__(self) -> str:
        return "\n".join(InputError.__str__(error) for error in self.errors)
