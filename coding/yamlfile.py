"""Hand-edited YAML files (codebook, polls), read so that problems have lines."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from .errors import InputError


def read_yaml(path: str | Path, what: str):
    """The round-trip tree of a YAML file; any read or syntax problem is an InputError."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, None, f"{what} not found") from None
    except OSError as error:
        raise InputError(path, None, f"cannot read {what}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, raw[: error.start].count(b"\n") + 1, "not UTF-8 text") from None
    try:
        return YAML(typ="rt").load(text)
    except DuplicateKeyError as error:
        raise InputError(path, error.problem_mark.line + 1, f"duplicate key: {error.problem}") from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InputError(path, mark.line + 1 if mark else None, f"YAML syntax error: {error.problem}") from None


def line_of(node, key=None) -> int | None:
    """1-based line of a key in a mapping, of an item in a sequence, or of the node."""
    try:
        if key is None:
            return node.lc.line + 1
        if isinstance(node, list):
            return node.lc.item(key)[0] + 1
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None
