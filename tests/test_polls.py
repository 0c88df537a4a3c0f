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
