"""Languages (issue 11): terms per language, negation and assent in es/fr/pt, a
mixed-language folder giving one needs table, a language without lemma data, and
right-to-left text."""

import csv
import io
from contextlib import closing
from pathlib import Path

import pytest
import spacy

from coding.autocode.candidates import Candidates
from coding.autocode.negation import PSEUDO, TERMINATION, VETOES, termset
from coding.autocode.nlp import lemma_table, make_nlp
from coding.autocode.rules import AutoCoder
from coding.cli import app
from coding.codebook import check_codebook, load_codebook
from coding.read import read_transcript
from coding.store import Store
from coding.tagging import code_transcript, tag

from .conftest import ROOT

EXAMPLES = ROOT / "examples" / "multilingual"

BOOK = """\
version: 1
shared_min_groups: 1
codes:
  - id: legal
    label: Legal
    terms:
      en: [lawyer, legal advice]
      es: [abogado, asesoría jurídica]
      fr: [avocat, conseil juridique]
      pt: [advogado, apoio jurídico]
  - id: skills
    label: Skills
    terms: [workshop]                 # one list: every language
  - id: money
    label: Money
    terms:
      en: [funding]
    patterns:
      - [{LOWER: dinero}]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def transcript(folder: Path, lang: str, body: str, name: str = "t.md", group: str = "T01") -> Path:
    return write(folder, name, f"---\ngroup: {group}\nlanguage: {lang}\nspeakers:\n  Int: interviewer\n"
                               f"  Ana: participant\n---\n# SYNTHETIC test transcript.\n\n{body}")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return load_codebook(write(tmp_path_factory.mktemp("book"), "codebook.yaml", BOOK))


def coded(tmp_path, book, lang, body):
    """(code, matched text, veto) of every auto coding of one transcript, fast path and
    reference path alike."""
    coder = AutoCoder(book, make_nlp(lang))
    text = read_transcript(transcript(tmp_path, lang, body))
    fast = code_transcript(text, coder, Candidates(coder))
    assert fast == code_transcript(text, coder)
    return [(c.code, c.matched_text, c.veto) for c in fast]


# -- the codebook ------------------------------------------------------------------


def test_terms_as_a_map_or_a_list(book):
    legal, skills, money = book.codes
    assert legal.terms_for("es") == ("abogado", "asesoría jurídica")
    assert legal.terms_for("fr") == ("avocat", "conseil juridique")
    assert legal.terms_for("de") == ()
    assert legal.terms == ("lawyer", "legal advice", "abogado", "asesoría jurídica", "avocat",
                           "conseil juridique", "advogado", "apoio jurídico")
    assert skills.terms_for("es") == skills.terms_for("ar") == ("workshop",)
    assert money.terms_for("es") == () and money.patterns


def test_codebook_check_names_unknown_languages_and_bad_lists_with_their_line(tmp_path):
    path = write(tmp_path, "codebook.yaml", """\
version: 1
codes:
  - id: a
    terms:
      en: [x]
      klingon: [y]
      zz: [z]
      es: w
      fr: [v, ""]
""")
    assert [(p.line, p.message) for p in check_codebook(path)] == [
        (6, "terms of code 'a': spaCy has no language 'klingon' (use a code such as en, es, fr, pt, ar)"),
        (7, "terms of code 'a': spaCy has no language 'zz' (use a code such as en, es, fr, pt, ar)"),
        (8, "terms of code 'a' for 'es' must be a list"),
        (9, "empty term in code 'a'"),
    ]


def test_a_map_without_any_term_can_never_match(tmp_path):
    path = write(tmp_path, "codebook.yaml", "version: 1\ncodes:\n  - id: a\n    terms: {}\n")
    assert [(p.line, p.message) for p in check_codebook(path)] == [
        (4, "code 'a' has no terms and no patterns: it can never match")]


def test_codebook_check_command_reports_the_language(runner, tmp_path):
    path = write(tmp_path, "codebook.yaml", "version: 1\ncodes:\n  - id: a\n    terms:\n      xx1: [y]\n")
    result = runner.invoke(app, ["codebook", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:5: terms of code 'a': spaCy has no language 'xx1'" in result.output


# -- terms, negation and assent per language -------------------------------------------


def test_each_language_uses_its_own_terms_and_inflections(tmp_path, book):
    assert coded(tmp_path, book, "es", "Ana: Necesitamos un abogado y un workshop.\n") == [
        ("legal", "abogado", ""), ("skills", "workshop", "")]
    # English terms do not match in a Spanish transcript; the pattern does
    assert coded(tmp_path, book, "es", "Ana: Un lawyer, funding y dinero.\n") == [("money", "dinero", "")]
    assert coded(tmp_path, book, "fr", "Ana: Il nous faut des avocats.\n") == [("legal", "avocats", "")]
    assert coded(tmp_path, book, "pt", "Ana: Precisamos de apoio jurídico.\n") == [
        ("legal", "apoio jurídico", "")]


def test_the_french_lemma_table_is_read(book):
    # its values are lists ("formations": ["formation"]); spaCy takes the first
    assert lemma_table("fr")["formations"] == "formation"
    assert lemma_table("fr")["avons"] == "avoir"


@pytest.mark.parametrize("lang, body, veto", [
    ("es", "Ana: No necesitamos un abogado.\n", "denied: No necesitamos"),
    ("es", "Ana: El abogado no es una prioridad.\n", "denied: no es una prioridad"),
    ("es", "Ana: Ya tenemos un abogado.\n", "already met: Ya tenemos"),
    ("es", "Ana: Un abogado sería excesivo.\n", "hypothetical: sería excesivo"),
    ("es", "Ana: Un abogado, la verdad es que no.\n", "refused: la verdad es que no"),
    ("fr", "Ana: Nous n'avons pas besoin d'un avocat.\n", "denied: Nous n'avons pas besoin"),
    ("fr", "Ana: On n’a pas besoin d’avocat.\n", "denied: On n’a pas besoin"),
    ("fr", "Ana: Un conseil juridique, ce n'est pas une priorité.\n", "denied: n'est pas une priorité"),
    ("fr", "Ana: On a déjà un avocat.\n", "already met: On a déjà"),
    ("fr", "Ana: Un avocat, pas vraiment.\n", "refused: pas vraiment"),
    ("fr", "Ana: Un avocat serait de trop.\n", "hypothetical: serait de trop"),
    ("pt", "Ana: Não precisamos de advogado.\n", "denied: Não precisamos de"),
    ("pt", "Ana: O apoio jurídico não é uma prioridade.\n", "denied: não é uma prioridade"),
    ("pt", "Ana: Já temos um advogado.\n", "already met: Já temos"),
    ("pt", "Ana: Um advogado, de jeito nenhum.\n", "refused: de jeito nenhum"),
])
def test_negated_mentions_are_vetoed_with_their_reason(tmp_path, book, lang, body, veto):
    [(code, _, reason)] = coded(tmp_path, book, lang, body)
    assert (code, reason) == ("legal", veto)


@pytest.mark.parametrize("lang, body", [
    ("es", "Ana: No tenemos abogado y lo necesitamos.\n"),     # having none states the need
    ("es", "Ana: No necesitamos dinero, pero sí un abogado.\n"),  # "pero" ends the denial
    ("fr", "Ana: On n'a pas de juriste ni d'avocat.\n"),
    ("fr", "Ana: Pas besoin d'argent, mais un avocat oui.\n"),
    ("pt", "Ana: Não temos advogado nenhum.\n"),
    ("pt", "Ana: Não só um advogado, também formação.\n"),      # pseudo-negation
])
def test_stated_needs_are_not_vetoed(tmp_path, book, lang, body):
    assert [(code, reason) for code, _, reason in coded(tmp_path, book, lang, body) if code == "legal"] == [
        ("legal", "")]


def test_every_negation_language_has_the_classes_of_english():
    assert {"en", "es", "fr", "pt"} <= set(VETOES)
    for lang in VETOES:
        assert list(VETOES[lang]) == ["denied", "refused", "hypothetical", "already met"]
        assert all(VETOES[lang][name]["preceding"] or VETOES[lang][name]["following"] for name in VETOES[lang])
        assert PSEUDO[lang] and TERMINATION[lang]


def test_every_trigger_is_tokenised_as_in_running_text():
    """negspacy tokenises each trigger on its own; an elided "d'" at the end of one would
    split differently than before its word, and never match."""
    for lang in VETOES:
        nlp = spacy.blank(lang)
        for triggers in termset(lang).values():
            for trigger in triggers:
                alone = [t.text for t in nlp.tokenizer(trigger)]
                assert alone == [t.text for t in nlp.tokenizer(f"Ok {trigger} xyz.")][1:-2], (lang, trigger)


@pytest.mark.parametrize("lang, question, answer, counted", [
    ("es", "¿Les ayudaría un abogado?", "Sí, claro, eso nos ayudaría.", True),
    ("es", "¿Les ayudaría un abogado?", "Sí, pero no ahora.", False),
    ("es", "¿Les ayudaría un abogado?", "Si tuviéramos tiempo.", False),  # "si": if
    ("fr", "Un avocat vous aiderait-il ?", "Oui, tout à fait.", True),
    ("fr", "Un avocat vous aiderait-il ?", "Oui, mais ce n'est pas urgent.", False),
    ("pt", "Um advogado ajudaria?", "Sim, com certeza.", True),
    ("pt", "Um advogado ajudaria?", "Sim, mas não agora.", False),
])
def test_assent_to_a_question_per_language(tmp_path, book, lang, question, answer, counted):
    rows = coded(tmp_path, book, lang, f"Int: {question}\n\nAna: {answer}\n")
    assert (("legal", answer, "") in rows) == counted


# -- a mixed-language folder, end to end ------------------------------------------------


@pytest.fixture(scope="module")
def mixed_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("mixed") / "coding.db"
    result = tag([EXAMPLES], EXAMPLES / "codebook.yaml", db)
    assert len(result.tagged) == 6 and result.warnings == []
    return db


def cli_csv(runner, *args):
    result = runner.invoke(app, [str(a) for a in args] + ["--format", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_a_mixed_language_folder_gives_one_needs_table(runner, tmp_path):
    db = tmp_path / "x.db"
    rows = cli_csv(runner, "run", "--transcripts", EXAMPLES, "--codebook", EXAMPLES / "codebook.yaml", "--db", db)
    assert [(r["code"], int(r["groups"]), r["class"], r["group_ids"]) for r in rows] == [
        ("knowledge", 4, "generally shared", "M01; M03; M05; M06"),
        ("skills", 4, "generally shared", "M02; M03; M04; M05"),
        ("technical_infrastructure", 3, "generally shared", "M02; M04; M06"),
        ("legal_support", 2, "context-specific", "M01; M04"),
        ("funding", 1, "context-specific", "M05"),
    ]
    with closing(Store.open(db)) as store:
        languages = dict(zip(store.transcripts()["group"], store.transcripts()["language"]))
    assert languages == {"M01": "en", "M02": "en", "M03": "es", "M04": "es", "M05": "fr", "M06": "fr"}


def test_negated_spanish_and_french_mentions_are_not_counted(runner, mixed_db):
    rows = cli_csv(runner, "audit", "legal_support", "--all", "--db", mixed_db)
    vetoed = {(r["group"], r["matched_text"], r["veto"]) for r in rows if r["status"] == "vetoed"}
    assert vetoed == {
        ("M02", "lawyer", "denied: is not a priority"),
        ("M03", "asesoría jurídica", "denied: No necesitamos"),
        ("M05", "avocat", "denied: Nous n'avons pas besoin"),
        ("M06", "conseil juridique", "denied: n'est pas une priorité"),
    }
    assert all(r["counted"] == "False" for r in rows if r["status"] == "vetoed")
    counted = {r["group"] for r in rows if r["counted"] == "True"}
    assert counted == {"M01", "M04"}


def test_spanish_assent_is_coded_from_the_question(runner, mixed_db):
    rows = cli_csv(runner, "audit", "technical_infrastructure", "--group", "M04", "--db", mixed_db)
    assert [(r["speaker"], r["method"], r["quote"]) for r in rows] == [
        ("Iñaki", "assent", "Sí, claro, eso nos ayudaría muchísimo.")]


def test_the_examples_say_they_are_synthetic():
    for path in sorted(EXAMPLES.glob("M0*.md")):
        heading = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# "))
        assert any(word in heading for word in ("SYNTHETIC", "SINTÉTICA", "SYNTHÉTIQUE")), path


# -- a language without lemma data; right-to-left text --------------------------------

ARABIC_BOOK = """\
version: 1
shared_min_groups: 1
codes:
  - id: legal
    label: Legal
    terms:
      en: [lawyer]
      ar: [دعم قانوني, محامي]
  - id: skills
    label: Skills
    terms:
      ar: [تدريب]
"""

ARABIC = """---
group: {group}
language: ar
speakers:
  المحاورة: interviewer
  ليلى: participant
---
# SYNTHETIC test transcript (Arabic): invented, no real people.

المحاورة: ما الذي تحتاجه مجموعتكم؟

ليلى: نحتاج إلى دعم قانوني لتسجيل الجمعية. لا أحد يعرف النموذج الصحيح.
وكذلك تدريب للمتطوعين الجدد.
"""


@pytest.fixture
def arabic(tmp_path):
    folder = tmp_path / "ar"
    folder.mkdir()
    for group in ("A01", "A02"):
        write(folder, f"{group}.md", ARABIC.format(group=group))
    book = write(tmp_path, "codebook.yaml", ARABIC_BOOK)
    db = tmp_path / "ar.db"
    return folder, book, db, tag([folder], book, db)


def test_a_language_without_lemma_data_warns_once_per_run(arabic):
    *_, result = arabic
    assert len(result.tagged) == 2
    assert result.warnings == [
        "language 'ar': no lemma table in spacy-lookups-data, so terms match only their lower-cased forms, "
        "not inflections; no negation triggers, so a denied need ('we do not need X') is coded"]


def test_arabic_offsets_cut_the_stored_quotes(arabic):
    folder, _, db, _ = arabic
    with closing(Store.open(db)) as store:
        codings = store.codings()
    codings = codings[codings["transcript"] == (folder / "A01.md").as_posix()]
    text = read_transcript(folder / "A01.md").text
    assert sorted(zip(codings["code"], codings["matched_text"])) == [("legal", "دعم قانوني"), ("skills", "تدريب")]
    for row in codings.itertuples():
        assert text[row.segment_start:row.segment_end] == row.quote
        assert text[row.match_start:row.match_end] == row.matched_text
    assert "نحتاج إلى دعم قانوني لتسجيل الجمعية." in set(codings["quote"])


def test_arabic_shows_unchanged_in_audit_and_review(runner, arabic):
    _, _, db, _ = arabic
    quote = "نحتاج إلى دعم قانوني لتسجيل الجمعية."
    for fmt in ("md", "csv", "json"):
        result = runner.invoke(app, ["audit", "legal", "--db", str(db), "--format", fmt])
        assert result.exit_code == 0 and quote in result.stdout and "ليلى" in result.stdout, result.output
        assert "\\u06" not in result.stdout  # letters not escaped
    result = runner.invoke(app, ["review", "--db", str(db), "--coder", "mira", "--code", "legal"],
                           input="s\nq\n", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    # the sentence, its match marked, in the order it was written
    assert "نحتاج إلى >>دعم قانوني<< لتسجيل الجمعية." in result.output
    assert "ليلى" in result.output
