"""The needs table, matrix and audit on the bundled synthetic interviews."""
import re

import pytest

from coding.report.tables import CONTEXT, SHARED, audit, classify, matrix, needs_table

from .conftest import SHARED as SHARED_DIR

REFERENCE = SHARED_DIR / "reference" / "hubs-dialogue.md"


def published_classes() -> dict[str, str]:
    """Need name -> class, read from the study's published needs table."""
    text = REFERENCE.read_text(encoding="utf-8")
    shared_part, context_part = text.split("Context-specific needs")[0:2]
    shared_part = shared_part.split("Generally shared needs")[1]
    context_part = context_part.split("At the event")[0]

    def needs(part):
        rows = re.findall(r"^\| ([^|]+?) \| [^|]+ \|$", part, flags=re.M)
        return [r for r in rows if r not in ("need", "---")]

    return {**{n: SHARED for n in needs(shared_part)}, **{n: CONTEXT for n in needs(context_part)}}


def test_bundled_transcripts_reproduce_the_published_classification(bundled_store):
    published = published_classes()
    assert len(published) == 9
    table = needs_table(bundled_store)
    ours = dict(zip(table["label"], table["class"]))
    assert {label: ours[label] for label in published} == published
    assert ours["Funding"] == "not identified"


def test_counts_are_distinct_groups_of_participant_codings(bundled_store):
    table = needs_table(bundled_store).set_index("code")
    assert table.loc["knowledge", "groups"] == 11
    assert table.loc["legal_support", "group_ids"] == ["G07", "G11", "G15"]
    # legal support is asked about by interviewers in eight groups; that must not count
    every = audit(bundled_store, "legal_support", include_uncounted=True)
    assert every["group"].nunique() > 3
    assert set(every[every["role"] == "interviewer"]["group"]) - {"G07", "G11", "G15"}


def test_threshold_moves_the_border(bundled_store):
    table = needs_table(bundled_store, min_groups=5).set_index("code")
    assert table.loc["technical_infrastructure", "class"] == SHARED
    assert classify(0, 6) == "not identified" and classify(6, 6) == SHARED and classify(5, 6) == CONTEXT


def test_matrix_agrees_with_the_table(bundled_store):
    grid = matrix(bundled_store).set_index("group")
    table = needs_table(bundled_store).set_index("code")
    for code in table.index:
        assert (grid[code] > 0).sum() == table.loc[code, "groups"]
    assert grid.loc["G07", "region"] == "Region East"


def test_audit_rows_trace_to_the_file(bundled_store):
    rows = audit(bundled_store, group="G13")
    assert set(rows["code"]) == {"skills", "staff_support", "conflict_resolution"}
    for row in rows.itertuples():
        path, line = getattr(row, "_3").rsplit(":", 1)
        with open(path, encoding="utf-8") as handle:
            assert row.quote.split("\n")[0] in handle.read().splitlines()[int(line) - 1]


@pytest.mark.parametrize("code", ["technical_infrastructure", "funding"])
def test_negated_mentions_do_not_count(bundled_store, code):
    groups = set(needs_table(bundled_store).set_index("code").loc[code, "group_ids"])
    negated_in = {"technical_infrastructure": {"G02", "G09", "G12"}, "funding": {"G04", "G07", "G16"}}[code]
    assert not groups & negated_in
