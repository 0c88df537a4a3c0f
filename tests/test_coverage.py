"""What a coder covered (per transcript and code) and units that meet across codings of
different extent, checked against scikit-learn and the krippendorff package."""

import krippendorff
import numpy as np
import pytest

from coding.review import decisions
from coding.report.reliability import agreement_report, disagreements, judgements
from coding.store import Store
from coding.tagging import tag

from .conftest import CODEBOOK, write_transcript


def suggestions(store, code, group):
    rows = store.codings()
    rows = rows[(rows["code"] == code) & (rows["group"] == group) & (rows["coder"] == "auto")
                & (rows["role"] == "participant")]
    return [int(i) for i in rows.sort_values("segment_start")["coding_id"]]


def decide_all(store, ids, verdicts, coder):
    for coding_id, verdict in zip(ids, verdicts, strict=True):
        decisions.decide(store, coding_id, verdict, coder)


A, R = "accept", "reject"


@pytest.fixture
def partly_covered(store):
    """mira and jon each cover some codes of G07 and G06, each in a different way."""
    g06, g07 = (decisions.find_transcript(store, g) for g in ("G06", "G07"))
    legal = suggestions(store, "legal_support", "G07")
    technical = suggestions(store, "technical_infrastructure", "G07")
    skills = suggestions(store, "skills", "G07")
    knowledge = suggestions(store, "knowledge", "G07")
    conflict = suggestions(store, "conflict_resolution", "G06")
    assert [len(x) for x in (legal, technical, skills, knowledge, conflict)] == [3, 5, 4, 4, 4]
    decide_all(store, legal, [A, A, R], "mira")  # decisions cover legal
    decide_all(store, legal, [A, R, R], "jon")
    # a recode covers both codes: technical (rejected) and skills (accepted, 1715-1797)
    decisions.decide(store, technical[0], "recode", "mira", new_code="skills")
    decide_all(store, technical, [R, A, R, R, R], "jon")
    decide_all(store, skills, [A, R, A, R], "jon")  # 2120, 2274, 3593, 6874
    decide_all(store, knowledge, [A, A, R, R], "jon")
    decisions.add(store, "G07", "funding", "jon", lines="64")  # mira never looked at funding
    decide_all(store, conflict, [A, R, A, A], "jon")
    with store.atomic():
        store.cover("mira", g07, "knowledge", "review")  # read for knowledge, marked nothing
        store.cover("mira", g06, "*", "import")  # an import of all her codings of G06: none
    # per code, units in transcript order: (mira, jon)
    return {
        "legal_support": ([1, 1, 0], [1, 0, 0]),
        "technical_infrastructure": ([0, 0, 0, 0, 0], [0, 1, 0, 0, 0]),
        "skills": ([1, 0, 0, 0, 0], [0, 1, 0, 1, 0]),  # the recoded sentence comes first
        "knowledge": ([0, 0, 0, 0], [1, 1, 0, 0]),
        "conflict_resolution": ([0, 0, 0, 0], [1, 0, 1, 1]),
    }


def alpha(*ratings):
    return krippendorff.alpha(reliability_data=np.array(ratings, dtype=float), level_of_measurement="nominal")


def test_a_coder_is_absent_only_where_they_covered_the_transcript_for_the_code(store, partly_covered):
    sklearn = pytest.importorskip("sklearn.metrics")
    report = agreement_report(store, ["mira", "jon"]).set_index("code")
    for code, (mira, jon) in partly_covered.items():
        row = report.loc[code]
        assert row["units"] == len(mira), code
        assert row["percent"] == pytest.approx(np.mean(np.equal(mira, jon)), abs=1e-3), code
        assert row["alpha"] == pytest.approx(alpha(mira, jon), abs=1e-3), code
        assert row["cohen"] == pytest.approx(sklearn.cohen_kappa_score(mira, jon), abs=1e-3), code
    # funding: only jon covered it, so mira is missing there, not absent
    assert report.loc["funding", "units"] == 0
    assert report.loc["funding", "percent"] is None
    mira = sum((m for m, _ in partly_covered.values()), [])
    jon = sum((j for _, j in partly_covered.values()), [])
    overall = report.loc["(all)"]
    assert overall["units"] == 21  # 3 + 5 + 5 + 4 + 4
    assert overall["percent"] == pytest.approx(11 / 21, abs=1e-3)
    assert overall["cohen"] == pytest.approx(sklearn.cohen_kappa_score(mira, jon), abs=1e-3)
    assert overall["alpha"] == pytest.approx(alpha(mira, jon), abs=1e-3)


def test_judgements_of_a_coder_who_did_not_cover_the_code_are_missing(store, partly_covered):
    rows = judgements(store, ["mira", "jon"])
    funding = rows[rows["code"] == "funding"]
    assert list(funding["coder"]) == ["jon"]
    skills = rows[rows["code"] == "skills"].pivot(index="unit", columns="coder", values="value")
    assert len(skills) == 5 and skills.notna().all().all()


def test_group_level_coverage_is_per_code(store, partly_covered):
    rows = judgements(store, ["mira", "jon"], level="group")
    # mira: G07 x 4 codes, G06 x 10 codes ('*'); jon: G07 x 5 codes (funding too), G06 conflict
    assert len(rows) == 4 + 10 + 5 + 1
    report = agreement_report(store, ["mira", "jon"], level="group").set_index("code")
    # (mira, jon): G07 legal (1, 1), technical (0, 1), skills (1, 1), knowledge (0, 1); G06 conflict (0, 1)
    assert report.loc["(all)", "units"] == 5
    assert report.loc["(all)", "percent"] == pytest.approx(2 / 5, abs=1e-3)
    assert report.loc["funding", "units"] == 0
    assert report.loc["staff_support", "units"] == 0  # only mira covered G06 for it


# -- units that meet ----------------------------------------------------------------------

SENTENCES = "We need a lawyer for contracts. A lawyer would also help with the registration."


@pytest.fixture
def two_sentences(tmp_path):
    """One participant turn of two sentences (213-244 and 245-292), both suggested as
    legal_support."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "a.md", f"Interviewer: What do you need?\nAna: {SENTENCES}\nBen: Nothing else.\n",
                     group="G1")
    tag([folder], CODEBOOK, tmp_path / "coding.db")
    store = Store.open(tmp_path / "coding.db")
    ids = suggestions(store, "legal_support", "G1")
    spans = store.codings().set_index("coding_id").loc[ids, ["segment_start", "segment_end"]]
    assert spans.values.tolist() == [[213, 244], [245, 292]]
    yield store, ids, decisions.find_transcript(store, "a.md")
    store.close()


def test_a_wide_coding_meets_the_sentences_inside_it(two_sentences):
    store, (first, second), path = two_sentences
    decisions.add(store, "a.md", "legal_support", "ana", chars="213-292")  # both sentences, one coding
    decisions.decide(store, first, "accept", "bob")
    decisions.decide(store, second, "reject", "bob")
    rows = judgements(store, ["ana", "bob"])
    # the space between the sentences (244-245) is no unit
    assert sorted(set(rows["unit"])) == [f"{path}:213-244", f"{path}:245-292"]
    report = agreement_report(store, ["ana", "bob"]).set_index("code").loc["(all)"]
    assert (report["units"], report["percent"], report["cohen"], report["alpha"]) == (2, 0.5, 0.0, 0.0)
    found = disagreements(store, ["ana", "bob"])
    assert found.to_dict("records") == [{
        "code": "legal_support", "unit": f"{path}:245-292", "ana": "present", "bob": "absent",
        "where": f"{path}:13", "speaker": "Ana", "quote": "A lawyer would also help with the registration.",
    }]


def test_disagreement_evidence_is_cut_from_the_coding_that_covers_the_piece(two_sentences):
    store, _, path = two_sentences
    decisions.add(store, "a.md", "legal_support", "ana", chars="213-292")
    decisions.add(store, "a.md", "legal_support", "bob", chars="223-229")  # "lawyer"
    report = agreement_report(store, ["ana", "bob"]).set_index("code").loc["(all)"]
    assert (report["units"], report["percent"]) == (4, 0.25)
    found = disagreements(store, ["ana", "bob"])
    assert list(found["unit"]) == [f"{path}:213-223", f"{path}:229-244", f"{path}:245-292"]
    assert list(found["quote"]) == ["We need a ", " for contracts.", "A lawyer would also help with the registration."]
    assert set(found["ana"]) == {"present"} and set(found["bob"]) == {"absent"}
    assert set(found["where"]) == {f"{path}:13"}
