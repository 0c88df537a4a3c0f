"""The HTML report: one self-contained page, every text escaped, checked as text and in
a real headless browser (Debian's chromium through Playwright, the `page` fixture)."""
import re
import shutil
from contextlib import closing

import pytest

from coding.cli import app
from coding.codebook import load_codebook
from coding.report.html import codebook_rows, needs_report
from coding.store import Store
from coding.tagging import tag

from .conftest import ARTEFACTS, CODEBOOK

SCRIPT_QUOTE = "We really need legal advice <script>alert(1)</script> from a lawyer."
GROUP = "<img src=x onerror=alert(2)>"
HOSTILE = f"""---
group: "{GROUP}"
title: Hostile page
language: en
region: "<b>Region</b> & co"
speakers:
  Interviewer: interviewer
  Ana: participant
  Ben: participant
---
# SYNTHETIC hostile transcript: markup and control characters in what people said.

Interviewer: What would help you?

Ana: {SCRIPT_QUOTE}

Ben: Training for new volunteers </details><details open> would help\x1b[31m, skills matter.
"""


@pytest.fixture(scope="module")
def hostile_db(bundled_db, tmp_path_factory):
    """The bundled store plus one transcript full of markup (group X01)."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "coding.db"
    shutil.copy(bundled_db, db)
    (folder / "transcripts").mkdir()
    (folder / "transcripts" / "X01.md").write_text(HOSTILE, encoding="utf-8")
    tag([folder / "transcripts"], CODEBOOK, db)
    return db


@pytest.fixture(scope="module")
def report(hostile_db):
    path = hostile_db.parent / "report.html"
    with _opened(hostile_db) as store:
        needs_report(store, path, codebook=CODEBOOK)
    return path


def _opened(db):
    return closing(Store.open(db))


# -- the page as text ---------------------------------------------------------------


def test_every_text_is_escaped(report):
    page = report.read_text(encoding="utf-8")
    assert "We really need legal advice &lt;script&gt;alert(1)&lt;/script&gt; from a lawyer." in page
    assert "<script" not in page.lower()
    assert "&lt;img src=x onerror=alert(2)&gt;" in page and "<img src=x" not in page
    assert "&lt;/details&gt;&lt;details open&gt;" in page and "<details open" not in page
    assert "(region: &lt;b&gt;Region&lt;/b&gt; &amp; co)" in page
    assert "would help\\x1b[31m, skills matter." in page and "\x1b" not in page


def test_the_page_is_self_contained(report):
    page = report.read_text(encoding="utf-8")
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith(("data:image/svg+xml;base64,", "#")) for s in sources)
    assert len([s for s in sources if s.startswith("data:")]) == 2  # the two charts
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_the_codebook_terms_come_only_from_the_codebook_that_was_used(report, hostile_db, tmp_path):
    terms = ", ".join(load_codebook(CODEBOOK).code("legal_support").terms)
    page = report.read_text(encoding="utf-8")
    assert "the codebook of the last tagging run" in page and f"<td>{terms}</td>" in page
    changed = tmp_path / "codebook.yaml"
    changed.write_text(CODEBOOK.read_text(encoding="utf-8").replace("legal advice", "legal counsel"),
                       encoding="utf-8")
    with _opened(hostile_db) as store:
        edited, none = codebook_rows(store, changed), codebook_rows(store, None)
    assert "has changed since, so its terms are not shown" in edited["note"] and not edited["with_terms"]
    assert "no codebook file given" in none["note"]
    assert [code["code"] for code in edited["codes"]] == list(load_codebook(CODEBOOK).ids)


def test_the_report_command_writes_the_same_page_but_for_its_date(runner, hostile_db, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for out in (first, second):
        result = runner.invoke(app, ["report", str(out), "--db", str(hostile_db), "--codebook", str(CODEBOOK)])
        assert result.exit_code == 0, result.output
    undated = [re.sub(r"<td>generated</td><td>[^<]*</td>", "", p.read_text(encoding="utf-8"))
               for p in (first, second)]
    assert undated[0] == undated[1]
    result = runner.invoke(app, ["report", str(tmp_path / "report.txt"), "--db", str(hostile_db)])
    assert result.exit_code == 1 and "must end in .html" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]


# -- the page in a browser -----------------------------------------------------------


def test_the_page_in_a_browser(page, report, hostile_db):
    dialogs, outside, errors = [], [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: None if request.url.startswith(("file:", "data:", "about:"))
            else outside.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(report.as_uri())
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "report.png"))  # the top: title, needs table, chart

    with _opened(hostile_db) as store:
        codes = list(store.codes()["code"])
    rows = page.locator("table.needs tbody tr")
    assert rows.count() == len(codes) == 10
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.code)")) == sorted(codes)
    legal = page.locator("table.needs tr[data-code='legal_support'] td")
    assert [legal.nth(i).inner_text() for i in range(5)] == \
        ["Legal support", "legal_support", "4", "context-specific", f"{GROUP}, G07, G11, G15"]
    assert page.evaluate("Array.from(document.images).map(i => i.naturalWidth > 0)") == [True, True]

    need = page.locator("details[data-code='legal_support']")
    quote = need.locator("blockquote", has_text="alert(1)")
    assert not quote.is_visible()
    need.locator("summary").click()
    assert quote.is_visible() and quote.inner_text() == SCRIPT_QUOTE
    cite = need.locator("li").filter(has_text="alert(1)").locator(".cite").inner_text()
    assert cite.startswith("Ana · ") and "X01.md:15" in cite
    assert need.locator("h3").all_inner_texts()[:2] == [f"{GROUP} (region: <b>Region</b> & co)", "G07 "
                                                       "(hub_type: regional, region: Region East)"]
    assert page.locator("details[open]").count() == 1
    assert page.locator("script").count() == 0 and page.locator("img").count() == 2

    need.screenshot(path=str(ARTEFACTS / "report-need.png"))
    assert dialogs == [] and outside == [] and errors == []
