"""Poll tables against values computed by hand from the study's counts."""
import json
import math

import pytest

from coding.polls import polls
from coding.cli import app
from coding.errors import InputError

from .conftest import ROOT

VALIDATION = ROOT / "polls" / "validation.yaml"
MUST_HAVE = ROOT / "polls" / "must-have.yaml"


def test_likert_figures_by_hand():
    table = polls.likert_table(polls.load_poll(VALIDATION)).set_index("need")
    knowledge = table.loc["knowledge"]
    # (27 + 21) / 55 = 87.27 %; (27*4 + 21*3 + 2*2 + 1*1) / 51 = 176 / 51 = 3.4510
    assert knowledge["agreement"] == pytest.approx(87.2727, abs=1e-4)
    assert knowledge["mean"] == pytest.approx(176 / 51, abs=1e-4)
    assert knowledge["valid"] == 51
    assert knowledge["not_sure_share"] == pytest.approx(400 / 55, abs=1e-4)
    # sample sd of 27 fours, 21 threes, 2 twos, 1 one
    votes = [4] * 27 + [3] * 21 + [2] * 2 + [1]
    mean = sum(votes) / len(votes)
    sd = math.sqrt(sum((v - mean) ** 2 for v in votes) / (len(votes) - 1))
    assert knowledge["sd"] == pytest.approx(sd, abs=1e-4)
    assert table.loc["staff_support", "mean"] == pytest.approx(161 / 48, abs=1e-4)


def test_rounds_shares_change_and_ranking_by_hand():
    poll = polls.load_poll(MUST_HAVE)
    table = polls.rounds_table(poll).set_index(["need", "answer"])
    knowledge = table.loc[("knowledge", "must_have")]
    assert knowledge["round1_share"] == pytest.approx(4000 / 56, abs=1e-4)
    assert knowledge["round2_share"] == pytest.approx(2700 / 41, abs=1e-4)
    # the report's "variance": round 1 minus round 2, from exact shares: 71.43 - 65.85
    assert knowledge["change_pp"] == pytest.approx(4000 / 56 - 2700 / 41, abs=1e-4)
    ranking = polls.ranking(poll)
    assert list(ranking[ranking["round"] == 1]["need"]) == ["skills", "knowledge", "coordination", "staff_support"]
    layout = polls.report_layout(poll)
    assert list(layout.iloc[0]) == ["knowledge", "1", "40 (71%)", "12 (21%)", "4 (7%)"]
    assert list(layout.iloc[2]) == ["knowledge", "change 1-2", "+6 pp", "-10 pp", "+5 pp"]


def test_check_reproduces_every_derivable_figure_and_flags_the_rest():
    rows = polls.check(polls.load_poll(VALIDATION))
    wrong = rows[~rows["agrees"]][["need", "figure", "published", "recomputed"]].values.tolist()
    # coordination: 27+22+0+2+5 = 56 votes from 55 respondents; 176/51 = 3.45, not 3.52
    assert wrong == [["coordination", "count_total", 55, 56], ["coordination", "mean", 3.52, 3.45]]
    assert len(rows) == 12
    must = polls.check(polls.load_poll(MUST_HAVE))
    assert len(must) == 8 * 4 + 2 and must["agrees"].all()


def test_agreement_within_rounding():
    assert polls.round_half_up(80.4878) == 80 and polls.round_half_up(2.5) == 3
    assert polls.round_half_up(3.4510, 2) == 3.45
    row = polls._compare("x", 1, "must_have_share", 81, 80.4878)
    assert (row["recomputed"], row["agrees"]) == (80, False)


def write(tmp_path, text):
    path = tmp_path / "poll.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """kind: rounds
scale:
  - {id: yes}
  - {id: no}
rounds:
  - round: 1
    respondents: 10
    needs:
      a:
        counts: {yes: 6, no: 4}
      b:
        counts: {yes: 5, no: 5}
"""


@pytest.mark.parametrize("change, line, message", [
    (("yes: 6, no: 4", "yes: -1, no: 4"), 10, "votes for 'yes' must be a whole number >= 0, not -1"),
    (("yes: 6, no: 4", "yes: 2.5, no: 4"), 10, "not 2.5"),
    (("yes: 6, no: 4", "yes: 6, no: 4, maybe: 1"), 10, "level 'maybe' is not in the scale"),
    (("yes: 6, no: 4", "yes: 6"), 9, "need 'a' has no count for level 'no'"),
    (("yes: 6, no: 4", "yes: 7, no: 4"), 9, "need 'a' has 11 votes but the round has 10 respondents"),
    (("kind: rounds", "kind: survey"), 1, "kind must be 'likert' or 'rounds'"),
])
def test_bad_poll_files_name_file_and_line(tmp_path, change, line, message):
    path = write(tmp_path, BASE.replace(*change))
    with pytest.raises(InputError) as caught:
        polls.load_poll(path)
    assert caught.value.line == line and message in caught.value.problem


def test_need_missing_from_a_round(tmp_path):
    path = write(tmp_path, BASE + """  - round: 2
    respondents: 8
    needs:
      a:
        counts: {yes: 6, no: 2}
""")
    with pytest.raises(InputError, match=r"poll.yaml:13: round 2 does not have the same needs as round 1: b"):
        polls.load_poll(path)


def test_cli_check_json_and_exit_status(runner):
    result = runner.invoke(app, ["poll", "check", str(VALIDATION), "--format", "json"])
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert set(rows[0]) == {"need", "round", "figure", "published", "recomputed", "agrees"}
    assert rows[0]["round"] is None
    ok = runner.invoke(app, ["poll", "check", str(MUST_HAVE), "--format", "json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)[0]["round"] == 1


def test_cli_tables_and_charts(runner, tmp_path):
    likert = runner.invoke(app, ["poll", "likert", str(VALIDATION), "--format", "csv",
                                 "--chart", str(tmp_path / "v.png")])
    assert likert.exit_code == 0
    assert likert.stdout.splitlines()[1].startswith("knowledge,55,27,49.09,21,38.18")
    assert (tmp_path / "v.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rounds = runner.invoke(app, ["poll", "rounds", str(MUST_HAVE), "--chart", str(tmp_path / "m.svg")])
    assert rounds.exit_code == 0 and "| knowledge     | 1          | 40 (71%)" in rounds.stdout
    assert "<svg" in (tmp_path / "m.svg").read_text()
    wrong_kind = runner.invoke(app, ["poll", "likert", str(MUST_HAVE)])
    assert wrong_kind.exit_code == 1 and "use 'coding poll rounds'" in wrong_kind.stderr
    bad_chart = runner.invoke(app, ["poll", "likert", str(VALIDATION), "--chart", str(tmp_path / "x.gif")])
    assert bad_chart.exit_code == 1 and "chart must end in" in bad_chart.stderr


# -- polls per context (counts per attribute value) and share polls ----------------------------

BY_REGION = ROOT / "polls" / "validation-by-region.example.yaml"
FEEDBACK = ROOT / "polls" / "feedback.yaml"

ROUNDS_BY = """kind: rounds
scale:
  - {id: yes}
  - {id: no}
rounds:
  - round: 1
    by:
      region:
        North:
          respondents: 10
          needs:
            a: {counts: {yes: 6, no: 4}, published: {yes_share: 60}}
        South:
          respondents: 4
          needs:
            a: {counts: {yes: 1, no: 3}, published: {yes_share: 20}}
  - round: 2
    by:
      region:
        North:
          respondents: 5
          needs:
            a: {counts: {yes: 5, no: 0}}
        South:
          respondents: 5
          needs:
            a: {counts: {yes: 2, no: 3}}
"""


def test_rounds_per_value_with_the_overall_summed(tmp_path):
    poll = polls.load_poll(write(tmp_path, ROUNDS_BY))
    assert poll.attributes == ["region"] and polls.contexts(poll, "region") == ["North", "South"]
    # overall = the sums over the regions: round 1 7 yes of 14, round 2 7 of 10
    assert [r.respondents for r in poll.rounds] == [14, 10]
    assert poll.rounds[0].counts["a"] == {"yes": 7, "no": 7}
    overall = polls.rounds_table(poll).set_index("answer")
    assert overall.loc["yes", "round1_share"] == 50 and overall.loc["yes", "change_pp"] == -20
    south = polls.rounds_table(polls.context_poll(poll, "region", "South")).set_index("answer")
    assert south.loc["yes", "round1_share"] == 25 and south.loc["yes", "round2_share"] == 40
    stacked = polls.by_context(poll, "region", polls.rounds_table)
    assert list(stacked["region"]) == ["(all)", "(all)", "North", "North", "South", "South"]
    rows = polls.check(poll)
    assert list(rows.columns[:2]) == ["attribute", "value"]
    wrong = rows[~rows["agrees"]][["value", "figure", "published", "recomputed"]].values.tolist()
    assert wrong == [["South", "yes_share", 20, 25]]  # 1 of 4 is 25%, not 20%
    assert not (rows["value"] == polls.SUM).any()  # summed overall: nothing to compare


def test_values_that_do_not_add_up_to_the_overall_are_reported(tmp_path):
    text = ROUNDS_BY.replace("  - round: 1\n    by:", "  - round: 1\n    respondents: 15\n    needs:\n"
                             "      a: {counts: {yes: 7, no: 8}}\n    by:")
    rows = polls.check(polls.load_poll(write(tmp_path, text)))
    sums = rows[rows["value"] == polls.SUM]
    wrong = sums[~sums["agrees"]][["figure", "published", "recomputed"]].values.tolist()
    assert wrong == [["respondents", 15, 14], ["no_count", 8, 7]]  # round 1; round 2 is summed


def test_likert_per_region_example_checks_every_level():
    poll = polls.load_poll(BY_REGION)
    south = polls.likert_table(polls.context_poll(poll, "region", "Region South")).set_index("need")
    # (8 + 7) / 18 = 83.33 %; (8*4 + 7*3 + 1*2 + 1*1) / 17 = 56 / 17
    assert south.loc["knowledge", "agreement"] == pytest.approx(1500 / 18, abs=1e-4)
    assert south.loc["knowledge", "mean"] == pytest.approx(56 / 17, abs=1e-4)
    rows = polls.check(poll)
    assert rows["agrees"].all() and len(rows) == 6 + 3 * 6 + 1 + 2 * 5
    assert set(rows["value"]) == {"(all)", "Region East", "Region South", "Region West", polls.SUM}


@pytest.mark.parametrize("change, message", [
    (("        South:\n          respondents: 4\n          needs:\n            a:",
      "        South:\n          respondents: 4\n          needs:\n            b:"),
     "region 'South' does not have the same needs as the round: a, b"),
    (("          respondents: 5\n          needs:\n            a: {counts: {yes: 5, no: 0}}",
      "          respondents: 5\n          voters: 3\n          needs:\n            a: {counts: {yes: 5, no: 0}}"),
     "unknown key 'voters' in the counts of a value"),
    (("        North:\n          respondents: 5", "        East:\n          respondents: 5"),
     "round 2 does not give counts for the same attributes and values as round 1"),
    (("a: {counts: {yes: 1, no: 3}", "a: {counts: {yes: 1, no: 4}"), "need 'a' has 5 votes but the round has 4"),
])
def test_bad_counts_per_value(tmp_path, change, message):
    with pytest.raises(InputError, match=message):
        polls.load_poll(write(tmp_path, ROUNDS_BY.replace(*change)))


def test_a_poll_without_counts_per_the_attribute():
    with pytest.raises(InputError, match=r"gives no counts per 'region' \(it gives per: none\)"):
        polls.contexts(polls.load_poll(VALIDATION), "region")


def test_feedback_form_response_rate():
    poll = polls.load_poll(FEEDBACK)
    table = polls.share_table(poll)
    assert table.iloc[0][["invited", "respondents"]].tolist() == [72, 33]
    assert table.iloc[0]["response_rate"] == pytest.approx(100 * 33 / 72, abs=1e-4)  # 45.83
    rows = polls.check(poll)
    # "about 45%": 33 / 72 = 45.83 rounds to 46; the checker says so rather than bend the rule
    assert rows[["figure", "published", "recomputed", "agrees"]].values.tolist() == \
        [["response_rate", 45, 46, False]]


SHARE = """kind: share
invited: 40
respondents: 20
scale:
  - {id: yes, label: Yes}
  - {id: no, label: No}
counts: {yes: 13, no: 7}
published: {response_rate: 50, yes_share: 65}
by:
  region:
    North: {invited: 30, respondents: 12, counts: {yes: 9, no: 3}, published: {yes_share: 75}}
    South: {invited: 10, respondents: 8, counts: {yes: 4, no: 4}, published: {response_rate: 80}}
"""


def test_share_poll_with_counts_per_region(tmp_path):
    poll = polls.load_poll(write(tmp_path, SHARE))
    table = polls.share_table(poll, "region").set_index("region")
    assert table.loc["(all)", ["yes", "yes_share", "response_rate"]].tolist() == [13, 65, 50]
    assert table.loc["North", "response_rate"] == 40 and table.loc["South", "no_share"] == 50
    rows = polls.check(poll).set_index(["value", "figure"])
    assert rows.loc[("(all)", "count_total"), "agrees"]
    assert rows.loc[("North", "yes_share"), "agrees"]
    assert (rows.loc[("South", "response_rate"), "recomputed"], rows.loc[("South", "response_rate"), "agrees"]) \
        == (80, True)
    assert rows.loc[(polls.SUM, "invited"), "agrees"] and rows.loc[(polls.SUM, "yes_count"), "agrees"]


def test_share_poll_from_percentages(tmp_path):
    text = ("kind: share\ninvited: 72\nrespondents: 33\nscale:\n  - {id: useful}\n  - {id: not_useful}\n"
            "percent: {useful: 50, not_useful: 48.5}\n")
    poll = polls.load_poll(write(tmp_path, text))
    # counts are inferred: 50% of 33 = 16.5 -> 17; 48.5% of 33 = 16.005 -> 16
    assert poll.rounds[0].counts["question"] == {"useful": 17, "not_useful": 16}
    rows = polls.check(poll).set_index("figure")
    # no whole number of 33 respondents is 50% (16 is 48.48%, 17 is 51.52%)
    assert (rows.loc["useful_share", "recomputed"], rows.loc["useful_share", "agrees"]) == (52, False)
    assert rows.loc["not_useful_share", "agrees"]
    assert "count_total" not in rows.index  # inferred counts are not data


@pytest.mark.parametrize("change, message", [
    (("invited: 40", "invited: 10"), "invited must be a whole number of at least the 20 respondents"),
    (("counts: {yes: 13, no: 7}", "counts: {yes: 13, no: 7}\npercent: {yes: 65, no: 35}"),
     "give 'counts' or 'percent' per answer, not both"),
    (("kind: share", "kind: share\nrounds: []"), "'rounds' is not a key of a share poll"),
    (("    South: {invited: 10,", "    South: {rounds: 1, invited: 10,"), "unknown key 'rounds'"),
])
def test_bad_share_polls(tmp_path, change, message):
    with pytest.raises(InputError, match=message):
        polls.load_poll(write(tmp_path, SHARE.replace(*change)))


def test_cli_polls_by_region(runner, tmp_path):
    likert = runner.invoke(app, ["poll", "likert", str(BY_REGION), "--by", "region", "--format", "csv",
                                 "--chart", str(tmp_path / "r.png")])
    assert likert.exit_code == 0, likert.output
    lines = likert.stdout.splitlines()
    assert lines[0].startswith("region,need,respondents,strongly_agree")
    assert lines[1].startswith("(all),knowledge,55,27") and lines[3].startswith("Region East,knowledge,20,10")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = runner.invoke(app, ["poll", "likert", str(BY_REGION), "--by", "region"])
    assert "## Validation poll per region (synthetic example), region: Region West" in md.stdout
    assert "17 respondents" in md.stdout
    rounds_file = write(tmp_path, ROUNDS_BY)
    rounds = runner.invoke(app, ["poll", "rounds", str(rounds_file), "--by", "region"])
    assert rounds.exit_code == 0 and "| a      | 1          | 1 (25%)" in rounds.stdout
    check = runner.invoke(app, ["poll", "check", str(BY_REGION), "--format", "json"])
    assert check.exit_code == 0 and json.loads(check.stdout)[-1]["value"] == "(sum of values)"
    missing = runner.invoke(app, ["poll", "likert", str(VALIDATION), "--by", "region"])
    assert missing.exit_code == 1 and "gives no counts per 'region'" in missing.stderr


def test_cli_share_poll(runner, tmp_path):
    share = runner.invoke(app, ["poll", "share", str(FEEDBACK), "--format", "json"])
    assert share.exit_code == 0
    assert json.loads(share.stdout) == [{"context": "(all)", "invited": 72, "respondents": 33,
                                         "response_rate": 45.83}]
    check = runner.invoke(app, ["poll", "check", str(FEEDBACK)])
    assert check.exit_code == 1 and "0 agree, 1 disagree" in check.stdout
    by = runner.invoke(app, ["poll", "share", str(write(tmp_path, SHARE)), "--by", "region", "--format", "csv",
                             "--chart", str(tmp_path / "s.svg")])
    assert by.exit_code == 0, by.output
    assert by.stdout.splitlines()[2] == "North,30,12,40.0,9,75.0,3,25.0"
    no_answers = runner.invoke(app, ["poll", "share", str(FEEDBACK), "--chart", str(tmp_path / "f.png")])
    assert no_answers.exit_code == 1 and "no answers to draw" in no_answers.stderr
