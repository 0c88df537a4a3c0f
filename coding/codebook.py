"""The codebook: a YAML file of codes (needs) a researcher edits by hand.

`check_codebook` reports every problem with its line; `load_codebook` refuses
a codebook with any problem, so the auto-coder only ever sees a valid one.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .read.transcript import ROLES
from .yamlfile import line_of, read_yaml

TOP_KEYS = {"version", "shared_min_groups", "codes", "language"}
CODE_KEYS = {"id", "label", "description", "terms", "patterns", "exclude", "fuzzy", "examples", "roles"}


def valid_code_id(text: str) -> bool:
    """A letter first, then letters, digits, '_', '.' or '-', in any script: a code named in
    German or Hindi is as much a word as one in English (marks count, for scripts that
    write vowels as combining marks); no spaces, '|' or control characters."""
    return bool(text) and text[0].isalpha() and all(
        ch.isalnum() or ch in "_.-" or unicodedata.category(ch).startswith("M") for ch in text)


@dataclass(frozen=True)
class Code:
    id: str
    label: str
    description: str = ""
    terms: tuple[str, ...] = ()  # every term, in whatever language (for showing the code)
    patterns: tuple = ()
    exclude: tuple[str, ...] = ()
    fuzzy: int | None = None
    examples: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()  # the speaker roles the code applies to; empty: all
    # (language, terms) pairs when `terms` was written as a map; empty: one list for every language
    terms_by_language: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def applies_to(self, role: str) -> bool:
        return not self.roles or role in self.roles

    def terms_for(self, lang: str) -> tuple[str, ...]:
        """The terms to look for in text of language `lang`: the list, when it is one
        list; else that language's list, or none (only the patterns can match there)."""
        if not self.terms_by_language:
            return self.terms
        return next((terms for language, terms in self.terms_by_language if language == lang), ())


@dataclass(frozen=True)
class Codebook:
    path: str
    version: str
    shared_min_groups: int
    codes: tuple[Code, ...]
    language: str = "en"
    content_hash: str = ""

    def code(self, code_id: str) -> Code:
        return next(c for c in self.codes if c.id == code_id)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str


@dataclass
class _Checker:
    """Collects problems while building codes from the round-trip YAML tree."""

    problems: list[Problem] = field(default_factory=list)
    languages: list[tuple[int | None, str, str]] = field(default_factory=list)  # (line, code, language) to check

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(line, message))


def load_codebook(path: str | Path, validated: set[str] = frozenset()) -> Codebook:
    """Load and check a codebook. Its token patterns are checked by spaCy unless its
    hash is in `validated` (it passed before), which spares importing spaCy."""
    codebook, problems = _parse(Path(path), validated)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more: run 'coding codebook check')" if len(problems) > 1 else ""
        raise InputError(path, first.line, first.message + more)
    return codebook


def check_codebook(path: str | Path) -> list[Problem]:
    """Every problem in the codebook, in file order; empty when it is valid."""
    return _parse(Path(path))[1]


def _parse(path: Path, validated: set[str] = frozenset()) -> tuple[Codebook | None, list[Problem]]:
    try:
        tree = read_yaml(path, "codebook")
    except InputError as error:
        if error.line is None:
            raise
        return None, [Problem(error.line, error.problem)]
    checker = _Checker()
    if not isinstance(tree, dict):
        checker.add(1, "the codebook must be a mapping with 'version', 'shared_min_groups' and 'codes'")
        return None, checker.problems
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    codebook = _build(tree, checker, path, digest, check_patterns=digest not in validated)
    checker.problems.sort(key=lambda p: (p.line or 0))
    return codebook, checker.problems


def _build(tree: dict, checker: _Checker, path: Path, digest: str, check_patterns: bool = True) -> Codebook:
    for key in tree:
        if key not in TOP_KEYS:
            checker.add(line_of(tree, key), f"unknown key {key!r} (expected one of {', '.join(sorted(TOP_KEYS))})")
    threshold = tree.get("shared_min_groups", 6)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        checker.add(line_of(tree, "shared_min_groups"),
                    f"shared_min_groups must be a positive integer, not {threshold!r}")
    raw_codes = tree.get("codes")
    if not isinstance(raw_codes, list) or not raw_codes:
        checker.add(line_of(tree, "codes") or 1, "'codes' must be a non-empty list of codes")
        raw_codes = []
    codes, seen = [], {}
    for index, raw in enumerate(raw_codes):
        code = _build_code(raw, line_of(raw_codes, index), checker)
        if code is None:
            continue
        if code.id in seen:
            checker.add(line_of(raw, "id"), f"duplicate code id {code.id!r} (first defined on line {seen[code.id]})")
            continue
        seen[code.id] = line_of(raw, "id")
        codes.append(code)
    if check_patterns:
        _check_patterns(raw_codes, codes, checker)
        _check_languages(checker)
    return Codebook(
        path=path.as_posix(),
        version=str(tree.get("version", "")),
        shared_min_groups=threshold if isinstance(threshold, int) else 6,
        codes=tuple(codes),
        language=str(tree.get("language", "en")),
        content_hash=digest,
    )


def _build_code(raw, line: int | None, checker: _Checker) -> Code | None:
    if not isinstance(raw, dict):
        checker.add(line, "each code must be a mapping with at least 'id', 'label' and 'terms'")
        return None
    for key in raw:
        if key not in CODE_KEYS:
            checker.add(line_of(raw, key), f"unknown key {key!r} in code (expected one of {', '.join(sorted(CODE_KEYS))})")
    code_id = raw.get("id")
    if not isinstance(code_id, str) or not valid_code_id(code_id):
        checker.add(line_of(raw, "id") or line, f"code id {code_id!r} must be a word of letters, digits, '_', '-' or '.'")
        return None
    terms, by_language = _terms(raw, checker, code_id)
    patterns = raw.get("patterns") or []
    if not terms and not patterns:
        checker.add(line_of(raw, "terms") or line, f"code {code_id!r} has no terms and no patterns: it can never match")
    fuzzy = raw.get("fuzzy")
    if fuzzy is not None and (isinstance(fuzzy, bool) or not isinstance(fuzzy, (int, float)) or not 50 <= fuzzy <= 100):
        checker.add(line_of(raw, "fuzzy"), f"fuzzy must be a score from 50 to 100, not {fuzzy!r}")
        fuzzy = None
    roles = _strings(raw, "roles", checker, code_id)
    for role in roles:
        if role not in ROLES:
            checker.add(line_of(raw, "roles"), f"role {role!r} of code {code_id!r} is not one of {', '.join(ROLES)}")
    return Code(
        id=code_id,
        label=str(raw.get("label") or code_id),
        description=str(raw.get("description") or ""),
        terms=tuple(terms),
        terms_by_language=by_language,
        patterns=tuple(json.loads(json.dumps(p)) for p in patterns) if isinstance(patterns, list) else (),
        exclude=tuple(_strings(raw, "exclude", checker, code_id)),
        fuzzy=int(fuzzy) if fuzzy is not None else None,
        examples=tuple(_strings(raw, "examples", checker, code_id)),
        roles=tuple(r for r in roles if r in ROLES),
    )


def _terms(raw: dict, checker: _Checker, code_id: str) -> tuple[list[str], tuple]:
    """A code's terms: one list for every language, or a map from language code to list.
    Returns every term (the map's lists joined, each term once) and the map as pairs."""
    written = raw.get("terms")
    if not isinstance(written, dict):
        return _strings(raw, "terms", checker, code_id), ()
    every: dict[str, None] = {}
    by_language = []
    for language, values in written.items():
        line = line_of(written, language) or line_of(raw, "terms")
        if not isinstance(language, str) or not language.strip():
            checker.add(line, f"terms of code {code_id!r}: {language!r} is not a language code (such as en, es, fr)")
            continue
        checker.languages.append((line, code_id, language))
        terms = _strings(written, language, checker, code_id, f"terms of code {code_id!r} for {language!r}")
        by_language.append((language, tuple(terms)))
        every.update(dict.fromkeys(terms))
    return list(every), tuple(by_language)


def _strings(raw: dict, key: str, checker: _Checker, code_id: str, what: str = "") -> list[str]:
    values = raw.get(key) or []
    if not isinstance(values, list):
        checker.add(line_of(raw, key), f"{what or f'{key} of code {code_id!r}'} must be a list")
        return []
    good = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            name = "term" if what else key[:-1] if key.endswith("s") else key
            checker.add(line_of(values, index) or line_of(raw, key), f"empty {name} in code {code_id!r}")
        else:
            good.append(value.strip())
    return good


def _check_patterns(raw_codes: list, codes: list[Code], checker: _Checker) -> None:
    """Let spaCy's own validator judge token patterns, so its rules are ours."""
    import spacy
    from spacy.matcher import Matcher

    matcher = Matcher(spacy.blank("en").vocab, validate=True)
    raw_by_id = {raw.get("id"): raw for raw in raw_codes if isinstance(raw, dict)}
    for code in codes:
        raw = raw_by_id.get(code.id, {})
        patterns = raw.get("patterns")
        if patterns is None:
            continue
        if not isinstance(patterns, list):
            checker.add(line_of(raw, "patterns"), f"patterns of code {code.id!r} must be a list of token patterns")
            continue
        for index, pattern in enumerate(code.patterns):
            line = line_of(patterns, index) or line_of(raw, "patterns")
            if not isinstance(pattern, list) or not pattern:
                checker.add(line, f"pattern {index + 1} of code {code.id!r} must be a non-empty list of token specs")
                continue
            try:
                matcher.add(f"{code.id}#{index}", [pattern])
            except Exception as error:  # spaCy raises several types for bad patterns
                reason = " ".join(str(error).split())
                checker.add(line, f"invalid pattern {index + 1} of code {code.id!r}: {reason[:200]}")


LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def _check_languages(checker: _Checker) -> None:
    """The languages of terms maps: those spaCy has a blank pipeline for (spaCy judges,
    as for patterns, so its list is ours)."""
    import spacy

    for line, code_id, language in checker.languages:
        known = bool(LANGUAGE_CODE.fullmatch(language))
        if known:
            try:
                spacy.util.get_lang_class(language)
            except (ImportError, AttributeError):
                known = False
        if not known:
            checker.add(line, f"terms of code {code_id!r}: spaCy has no language {language!r} "
                              "(use a code such as en, es, fr, pt, ar)")


def rename_in_file(path: str | Path, old: str, new: str) -> bool:
    """Rename code `old` to `new` in the codebook file, changing only that id's line (the
    file stays as the researcher wrote it). Returns False when the file has no code `old`
    but already has `new` (renamed by hand); any other mismatch is an error."""
    path = Path(path)
    codebook = load_codebook(path)
    if new in codebook.ids:
        if old in codebook.ids:
            raise InputError(path, None, f"the codebook already has a code {new!r}; merging codes is not renaming")
        return False
    if old not in codebook.ids:
        raise InputError(path, None, f"the codebook has no code {old!r}")
    tree = read_yaml(path, "codebook")
    raw = next(code for code in tree["codes"] if isinstance(code, dict) and str(code.get("id")) == old)
    number = line_of(raw, "id") - 1
    lines = path.read_bytes().decode("utf-8-sig").splitlines(keepends=True)
    key, value = lines[number].split(":", 1)
    lines[number] = key + ":" + re.sub(rf"(?<![\w.-]){re.escape(old)}(?![\w.-])", new, value, count=1)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(lines), encoding="utf-8")
    problems = check_codebook(temporary)
    if problems:
        temporary.unlink()
        raise InputError(path, problems[0].line, f"renamed to {new!r}: {problems[0].message}")
    temporary.replace(path)
    return True
