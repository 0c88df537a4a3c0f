import pytest

from coding.codebook import check_codebook, load_codebook
from coding.errors import InputError

from .conftest import CODEBOOK


def test_bundled_codebook_has_the_nine_published_needs_and_funding():
    codebook = load_codebook(CODEBOOK)
    assert codebook.shared_min_groups == 6
    assert codebook.ids == ["knowledge", "skills", "coordination", "staff_support",
                            "technical_infrastructure", "new_initiatives", "conflict_resolution",
                            "collaboration", "legal_support", "funding"]
    assert check_codebook(CODEBOOK) == []


def write(tmp_path, text):
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path):
    return [(p.line, p.message) for p in check_codebook(path)]


def test_every_problem_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, """version: 1
shared_min_groups: 0
colour: blue
codes:
  - id: a
    label: A
    terms: [x, ""]
    bogus: 1
  - id: a
    label: again
    terms: [y]
  - id: b
    label: B
    terms: []
  - id: c
    label: C
    terms: [z]
    patterns:
      - [{NOTANATTR: y}]
""")
    found = problems(path)
    assert found[0] == (2, "shared_min_groups must be a positive integer, not 0")
    assert found[1][0] == 3 and "unknown key 'colour'" in found[1][1]
    assert (7, "empty term in code 'a'") in found
    assert any(line == 8 and "unknown key 'bogus'" in msg for line, msg in found)
    assert (9, "duplicate code id 'a' (first defined on line 5)") in found
    assert (14, "code 'b' has no terms and no patterns: it can never match") in found
    assert any(line == 19 and "invalid pattern 1 of code 'c'" in msg for line, msg in found)
    with pytest.raises(InputError, match=r"codebook.yaml:2: shared_min_groups .* \(and 6 more"):
        load_codebook(path)


def test_yaml_syntax_error(tmp_path):
    path = write(tmp_path, "version: 1\ncodes:\n  - id: a\n    terms: [x\n")
    [(line, message)] = problems(path)
    assert line in (4, 5) and message.startswith("YAML syntax error")


def test_duplicate_yaml_key(tmp_path):
    path = write(tmp_path, "version: 1\nversion: 2\ncodes: []\n")
    [(line, message)] = problems(path)
    assert line == 2 and "duplicate key" in message


def test_threshold_must_be_an_integer(tmp_path):
    path = write(tmp_path, "shared_min_groups: six\ncodes:\n  - {id: a, label: A, terms: [x]}\n")
    assert problems(path) == [(1, "shared_min_groups must be a positive integer, not 'six'")]


def test_missing_codebook(tmp_path):
    with pytest.raises(InputError, match="codebook not found"):
        load_codebook(tmp_path / "nope.yaml")
