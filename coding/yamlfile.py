"""Hand-edited YAML files (codebook, polls, transcript front matter), read so that
problems have lines."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import InputError

# Deeper than any real file; refusing it keeps later recursive steps (copying, JSON) safe.
MAX_DEPTH = 100
CORE = "tag:yaml.org,2002:"
STR, SEQ, MAP, TIMESTAMP = (CORE + name for name in ("str", "seq", "map", "timestamp"))


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
    return load_yaml(text, path)


def load_yaml(text: str, path: str | Path, typ: str = "rt", first_line: int = 1, where: str = ""):
    """Parse YAML text from `path` (its first line is line `first_line` of the file).

    typ "rt" gives the round-trip tree (with lines), "base" plain dicts and lists
    of strings, every scalar kept as written. Every problem is an InputError:
    syntax, duplicate keys, tags (`!!python/object`, `!foo`: nothing of ours
    needs one, and they would construct objects or crash), invalid dates, and
    nesting too deep for the recursive parser.
    """
    yaml = YAML(typ=typ, pure=True)
    try:
        # Composed first and checked before anything is constructed from it.
        node = yaml.compose(text)
        if node is None:
            return None
        _check_nodes(node, yaml, path, first_line)
        return yaml.constructor.construct_document(node)
    except DuplicateKeyError as error:
        raise InputError(path, error.problem_mark.line + first_line, f"duplicate key: {error.problem}") from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InputError(path, mark.line + first_line if mark else None,
                         f"YAML syntax error{where}: {error.problem}") from None
    except RecursionError:  # the composer recurses once per level of nesting
        raise InputError(path, None, f"nested too deeply{where}") from None


def _check_nodes(root, yaml: YAML, path, first_line: int) -> None:
    """Refuse explicit tags and invalid dates, and nesting beyond MAX_DEPTH, at the line
    of the first offending node. Iterative, and each (aliased) node once."""
    typed = "base" not in yaml.typ  # "base" keeps every scalar as text: no dates to build
    stack, seen = [(root, 1)], set()
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        line = node.start_mark.line + first_line
        if depth > MAX_DEPTH:
            raise InputError(path, line, f"nested too deeply (more than {MAX_DEPTH} levels)")
        tag, children = str(node.tag), []
        if isinstance(node, ScalarNode):
            # The tag the value has without one: resolved if plain, text if quoted or a block.
            untagged = str(yaml.resolver.resolve(ScalarNode, node.value, (True, False))) \
                if node.style is None else STR
            if typed:  # no tags: the round-trip loader wraps even `!!str x` in an object, not text
                ok = tag == untagged and getattr(getattr(node, "ctag", None), "handle", None) is None
            else:  # all text anyway: `!!str 007` stays harmless
                ok = tag in (STR, untagged)
            if ok and tag == TIMESTAMP and typed:
                try:
                    yaml.constructor.construct_yaml_timestamp(node)
                except ValueError as error:
                    raise InputError(path, line, f"invalid date {node.value!r}: {error}") from None
        elif isinstance(node, SequenceNode):
            ok, children = tag == SEQ, node.value
        elif isinstance(node, MappingNode):
            ok, children = tag == MAP, [item for pair in node.value for item in pair]
        else:
            ok = False
        if not ok:
            shown = "!!" + tag[len(CORE):] if tag.startswith(CORE) else tag
            raise InputError(path, line, f"YAML tag {shown} is not supported; write the plain value")
        stack += [(child, depth + 1) for child in reversed(children)]  # visited in file order


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
