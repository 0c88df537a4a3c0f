"""Needs by context (region, hub type): crosstabs, the split within each value, charts,
on a small hand-made corpus whose counts are known and on the bundled interviews."""
import json
from contextlib import closing

import pytest

from coding.cli import app
from coding.errors import InputError
from coding.report import contexts
from coding.report.contexts import NO_VALUE, crosstab, needs_by, scaled_threshold
from coding.report.tables import CONTEXT, NOT_IDENTIFIED, SHARED
from coding.store import Store
from coding.tagging import tag

CODEBOOK = """version: 1
shared_min_groups: 3
codes:
  - id: legal_support
    label: Legal support
    description: Legal support
    terms: [legal advice]
  - id: skills
    label: Skills
    description: Training
    terms: [training]
  - id: tech
    label: Technical infrastructure
    description: Servers
    terms: [server]
"""

SAYS = {
    "legal_support": "We really need legal advice for our contests.",
    "skills": "We need training for our volunteers.",
    "tech": "We need a server of our own.",
}

# group, file, region, hub_type, needs raised by participants
CORPUS = [
    ("A1", "A1.md", "Region A", "regional", ["legal_support", "skills"]),
    ("A1", "A1-second.md", "Region A", "regional", ["legal_support"]),  # same group again: counts once
    ("A2", "A2.md", "Region A", "thematic", ["legal_support"]),
    ("A3", "A3.md", "Region A", "regional", ["skills"]),
    ("B1", "B1.md", "Region B", "regional", ["legal_support"]),
    ("C1", "C1.md", None, "regional", ["tech"]),  # no region: counted under (none)
]


def transcript(group, region, hub_type, needs):
    region_line = f"region: {region}\n" if region else ""
    said = "\n\n".join(f"Ana: {SAYS[need]}" for need in needs)
    return (f"---\ngroup: {group}\ntitle: Test\n{region_line}hub_type: {hub_type}\nspeakers:\n"
            f"  Interviewer: interviewer\n  Ana: participant\n---\n"
            "Interviewer: Would legal advice help you?\n\n"  # an interviewer's mention never counts
            f"{said}\n")


@pytest.fixture
def small_db(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    for group, name, region, hub_type, needs in CORPUS:
        (folder / name).write_text(transcript(group, region, hub_type, needs), encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    db = tmp_path / "coding.db"
    tag([folder], tmp_path / "codebook.yaml", db)
    return db


@pytest.fixture
def small(small_db):
    with closing(Store.open(small_db)) as opened:
        yield opened


def cell(table, code, **values):
    rows = table[table["code"] == code]
    for attribute, value in values.items():
        rows = rows[rows[attribute] == value]
    assert len(rows) == 1
    return rows.iloc[0]


def test_crosstab_counts_groups_per_value(small):
    table = crosstab(small, ["region"])
    assert list(table.columns) == ["code", "label", "region", "raised", "groups", "share", "group_ids"]
    legal = cell(table, "legal_support", region="Region A")
    # raised in 2 of the 3 groups of region A (A1 twice, in two files, counts once)
    assert (legal["raised"], legal["groups"], legal["share"], legal["group_ids"]) == (2, 3, 66.7, ["A1", "A2"])
    assert (cell(table, "legal_support", region="Region B")[["raised", "groups"]] == [1, 1]).all()
    # the interviewer asked about legal advice in C1 (no region): not counted
    assert cell(table, "legal_support", region=NO_VALUE)["raised"] == 0
    assert (cell(table, "tech", region=NO_VALUE)[["raised", "groups", "share"]] == [1, 1, 100.0]).all()
    assert cell(table, "skills", region="Region A")["group_ids"] == ["A1", "A3"]
    # every need x every value; (none) last; the groups add up to all 5 groups
    assert list(table["region"][:3]) == ["Region A", "Region B", NO_VALUE]
    assert len(table) == 3 * 3
    assert table.drop_duplicates("region")["groups"].sum() == 5


def test_crosstab_of_two_attributes_gives_combinations(small):
    table = crosstab(small, ["region", "hub_type"])
    combos = table.drop_duplicates(["region", "hub_type"])[["region", "hub_type", "groups"]].values.tolist()
    assert combos == [["Region A", "regional", 2], ["Region A", "thematic", 1],
                      ["Region B", "regional", 1], [NO_VALUE, "regional", 1]]
    assert (cell(table, "skills", region="Region A", hub_type="regional")[["raised", "groups"]] == [2, 2]).all()
    assert cell(table, "legal_support", region="Region A", hub_type="regional")["raised"] == 1


def test_reviewed_only_counts_nothing_before_review(small):
    table = crosstab(small, ["region"], reviewed_only=True)
    assert table["raised"].sum() == 0 and cell(table, "skills", region="Region A")["groups"] == 3


def test_scaled_threshold_rule():
    # ceil(min_groups x groups_with_value / all_groups), at least 1
    assert scaled_threshold(6, 4, 17) == 2      # 1.41 -> 2
    assert scaled_threshold(6, 12, 17) == 5     # 4.24 -> 5
    assert scaled_threshold(6, 17, 17) == 6     # the whole study: the study's own threshold
    assert scaled_threshold(3, 1, 100) == 1     # never 0
    assert scaled_threshold(3, 3, 5) == 2       # 1.8 -> 2


def test_needs_by_splits_within_each_value(small):
    table = needs_by(small, ["region"])
    a = table[table["region"] == "Region A"].set_index("code")
    assert set(a["min_groups"]) == {2}  # ceil(3 x 3 / 5)
    assert a.loc["legal_support", "class"] == SHARED and a.loc["skills", "class"] == SHARED
    assert a.loc["tech", "class"] == NOT_IDENTIFIED
    b = table[table["region"] == "Region B"].set_index("code")
    assert set(b["min_groups"]) == {1} and b.loc["legal_support", "class"] == SHARED
    # overall: legal support in 3 groups (shared at 3), skills in 2 (context-specific)
    assert a.loc["legal_support", "overall_class"] == SHARED and a.loc["skills", "overall_class"] == CONTEXT
    split = contexts.split_by_context(table, ["region"]).set_index("region")
    assert split.loc["Region A", SHARED] == ["legal_support (2)", "skills (2)"]
    assert split.loc["Region A", NOT_IDENTIFIED] == ["tech"]
    where = contexts.where_raised(table, ["region"]).set_index("code")
    assert list(where.index) == ["skills", "tech"]
    assert where.loc["skills", "contexts"] == ["Region A 2/3"] and where.loc["skills", "raised_in"] == "1 of 3"
    assert where.loc["tech", "contexts"] == [f"{NO_VALUE} 1/1"]


def test_thresholds_given_per_value_and_overall(small):
    given = needs_by(small, ["region"], thresholds=contexts.parse_thresholds(["Region A=3"]))
    a = given[given["region"] == "Region A"].set_index("code")
    assert set(a["min_groups"]) == {3} and a.loc["legal_support", "class"] == CONTEXT
    assert set(given[given["region"] == "Region B"]["min_groups"]) == {1}  # still scaled
    lower = needs_by(small, ["region"], min_groups=5)
    assert set(lower[lower["region"] == "Region A"]["min_groups"]) == {3}  # ceil(5 x 3 / 5)
    assert set(lower["overall_class"][lower["code"] == "legal_support"]) == {CONTEXT}


@pytest.mark.parametrize("items, message", [
    (["Region A"], "use VALUE=N"),
    (["Region A=0"], "use VALUE=N"),
    (["=2"], "use VALUE=N"),
    (["Region A=2", "Region A=3"], "gives 'Region A' twice"),
])
def test_bad_thresholds(items, message):
    with pytest.raises(InputError, match=message):
        contexts.parse_thresholds(items)


def test_unknown_attribute_or_value_is_one_line(small):
    with pytest.raises(InputError, match=r"no group has the attribute 'regoin' \(known: .*region"):
        crosstab(small, ["regoin"])
    with pytest.raises(InputError, match="no context here"):
        needs_by(small, ["region"], thresholds={"Region Z": 2})
    with pytest.raises(InputError, match="given twice"):
        crosstab(small, ["region", "region"])


def test_bundled_crosstab_by_region(bundled_store):
    table = crosstab(bundled_store, ["region"])
    sizes = dict(table.drop_duplicates("region")[["region", "groups"]].values.tolist())
    assert sizes == {"Region Central": 3, "Region East": 4, "Region North": 3, "Region South": 4, "Region West": 3}
    assert cell(table, "knowledge", region="Region Central")[["raised", "groups"]].tolist() == [3, 3]
    assert cell(table, "knowledge", region="Region West")["group_ids"] == ["G03"]
    assert cell(table, "staff_support", region="Region West")["raised"] == 3
    tech = table[table["code"] == "technical_infrastructure"].set_index("region")["raised"].to_dict()
    assert tech == {"Region Central": 2, "Region East": 2, "Region North": 0, "Region South": 1, "Region West": 0}
    # each need's values add up to its groups in the needs table
    assert table.groupby("code", sort=False)["raised"].sum().to_dict()["knowledge"] == 11


def test_bundled_crosstab_by_hub_type_and_where_raised(bundled_store):
    table = crosstab(bundled_store, ["hub_type"])
    assert dict(table.drop_duplicates("hub_type")[["hub_type", "groups"]].values.tolist()) == \
        {"regional": 12, "thematic": 5}
    assert cell(table, "conflict_resolution", hub_type="thematic")["group_ids"] == ["G06"]
    by_region = needs_by(bundled_store, ["region"])
    assert set(by_region["min_groups"]) == {2}  # ceil(6 x 3 / 17) = ceil(6 x 4 / 17) = 2
    where = contexts.where_raised(by_region, ["region"]).set_index("code")
    assert where.loc["conflict_resolution", "contexts"] == ["Region South 1/4", "Region West 1/3"]
    assert where.loc["collaboration", "raised_in"] == "4 of 5"


def test_cli_crosstab_formats_and_chart(runner, bundled_db, tmp_path):
    csv = runner.invoke(app, ["crosstab", "--by", "region", "--db", str(bundled_db), "--format", "csv"])
    assert csv.exit_code == 0, csv.output
    lines = csv.stdout.splitlines()
    assert lines[0] == "code,label,region,raised,groups,share,group_ids"
    assert "knowledge,Knowledge,Region East,3,4,75.0,G02; G07; G12" in lines
    rows = json.loads(runner.invoke(app, ["crosstab", "--by", "region", "--by", "hub_type", "--db",
                                          str(bundled_db), "--format", "json"]).stdout)
    first = rows[0]
    assert (first["region"], first["hub_type"], first["raised"], first["groups"]) == \
        ("Region Central", "regional", 2, 2)
    md = runner.invoke(app, ["crosstab", "--by", "region", "--db", str(bundled_db), "--chart",
                             str(tmp_path / "c.png")])
    assert "| Knowledge                | 3/3 (100%)       | 3/4 (75%)" in md.stdout
    assert "11/17 (65%)" in md.stdout
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*.tmp"))
    svg = runner.invoke(app, ["crosstab", "--by", "hub_type", "--db", str(bundled_db), "--chart",
                              str(tmp_path / "c.svg")])
    assert svg.exit_code == 0 and "<svg" in (tmp_path / "c.svg").read_text()
    bad = runner.invoke(app, ["crosstab", "--by", "country", "--db", str(bundled_db)])
    assert bad.exit_code == 1 and "no group has the attribute 'country'" in bad.stderr


def test_cli_table_by_region(runner, bundled_db):
    plain = runner.invoke(app, ["table", "--db", str(bundled_db)])
    md = runner.invoke(app, ["table", "--by", "region", "--db", str(bundled_db)])
    assert md.exit_code == 0, md.output
    assert "| Region West    |        3 |            2 | skills (2); staff_support (3)" in md.stdout
    assert "ceil(6 x groups / 17), at least 1" in md.stdout
    assert "| conflict_resolution      | Conflict resolution      |        2 | Region South 1/4; Region West 1/3" \
        in md.stdout
    assert plain.stdout.startswith("## Needs\n") and "Region" not in plain.stdout  # unchanged without --by
    given = runner.invoke(app, ["table", "--by", "region", "--min-groups-in", "Region West=3", "--db",
                                str(bundled_db), "--format", "json"])
    rows = [r for r in json.loads(given.stdout) if r["region"] == "Region West" and r["code"] == "skills"]
    assert (rows[0]["min_groups"], rows[0]["raised"], rows[0]["class"]) == (3, 2, CONTEXT)
    lonely = runner.invoke(app, ["table", "--min-groups-in", "Region West=3", "--db", str(bundled_db)])
    assert lonely.exit_code == 1 and "--min-groups-in needs --by" in lonely.stderr


def test_the_readme_shows_the_commands_output(runner, workdir):
    """The crosstab and the where-raised table in README's Contexts section, as the commands print them."""
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert runner.invoke(app, ["run"]).exit_code == 0
    crosstab_md = runner.invoke(app, ["crosstab", "--by", "region"]).stdout
    table = crosstab_md.split("\n\ncells:")[0]  # the footer's counts are left out of the README
    assert table.startswith("## Needs by region\n") and "```\n" + table + "\n```" in readme
    where = runner.invoke(app, ["table", "--by", "region"]).stdout.split("\n\n## ")[1]
    assert "```\n## " + where + "```" in readme


def test_missing_or_empty_values_are_none():
    # front matter, sidecars and groups.csv may give nothing, an empty cell or a list
    assert [contexts._value(v) for v in (None, float("nan"), "", "  ", "East", 3, ["a", "b"])] == \
        [NO_VALUE, NO_VALUE, NO_VALUE, NO_VALUE, "East", "3", "a; b"]
