"""`coding serve` in a real browser (Debian's chromium through Playwright, the `page`
fixture of conftest): review with the keyboard, see the tables follow, code a selection.

The server runs with uvicorn in a thread on a socket that is already listening
before the browser connects, so no test waits for it to start; every wait on the
page is bounded (Playwright's own timeouts). Screenshots go to tests/artefacts/.
"""

import threading
from contextlib import closing
from pathlib import Path

import pytest

uvicorn = pytest.importorskip("uvicorn")

from coding.review.decisions import review_queue  # noqa: E402
from coding.serve import create_app  # noqa: E402
from coding.serve.app import listening_socket, transcript_url  # noqa: E402
from coding.serve.pages import code_styles  # noqa: E402
from coding.store import Store  # noqa: E402
from coding.tagging import tag  # noqa: E402

from .conftest import ARTEFACTS, CODEBOOK, TRANSCRIPTS, write_transcript  # noqa: E402

G07 = str(TRANSCRIPTS / "G07.md")
WAIT = 10_000  # milliseconds: the bound on any wait for the page


@pytest.fixture
def serve():
    """Start the page on a store; returns its address. Stopped (bounded join) after the test."""
    running = []

    def start(db: Path) -> str:
        sock = listening_socket("127.0.0.1", 0)
        port = sock.getsockname()[1]
        app = create_app(db, CODEBOOK, cookie_suffix=str(port))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread, sock))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread, sock in running:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "the server did not stop within 10 s"


def sign_in(page, base: str, name: str = "mira") -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.set_default_timeout(WAIT)
    page.goto(base + "/")
    page.fill("input[name=name]", name)
    with page.expect_navigation():
        page.click("button.primary")


def press(page, key: str) -> None:
    """A key that posts a form: wait (bounded) for the page it leads back to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def select_text(page, line: int, text: str) -> None:
    """Select `text` on line `line` as a reader would, by a DOM range over the page's own text."""
    found = page.evaluate("""([line, text]) => {
        const element = document.getElementById('L' + line);
        element.scrollIntoView({ block: 'center' });
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(text);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + text.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return true;
        }
        return false;
    }""", [line, text])
    assert found, f"{text!r} is not on line {line}"


def key_of(store, code: str) -> str:
    """The key that applies a code on the page: its place in the codebook (1-9, then 0)."""
    return code_styles(store)[code].key


def needs_count(page, base: str, code: str) -> int:
    page.goto(base + "/needs?reviewed_only=1")
    return int(page.inner_text(f'tr[data-code="{code}"] a.count'))


def test_accept_a_suggestion_with_a_key_and_see_the_needs_table_change(page, serve, db):
    base = serve(db)
    sign_in(page, base)
    assert page.locator("a.title").count() == 17
    page.screenshot(path=ARTEFACTS / "serve-list.png", full_page=True)
    page.goto(base + transcript_url(G07))
    selected = page.locator(".card.selected")
    coding_id, code = int(selected.get_attribute("data-id")), selected.get_attribute("data-code")
    with closing(Store.open(db)) as store:
        assert coding_id == int(review_queue(store, "mira", transcript=G07).iloc[0]["coding_id"])
    page.screenshot(path=ARTEFACTS / "serve-transcript.png")
    before = needs_count(page, base, code)
    page.goto(base + transcript_url(G07))
    press(page, "a")
    assert f"accepted {code} (mira)" in page.inner_text(".flashes")
    assert page.locator(".card.accepted .badge.mine").first.inner_text() == "you: accepted"
    page.screenshot(path=ARTEFACTS / "serve-accepted.png")
    with closing(Store.open(db)) as store:
        mine = store.codings("WHERE c.coder = 'mira'")
    assert mine[["decides", "status", "code"]].values.tolist() == [[coding_id, "accepted", code]]
    assert (before, needs_count(page, base, code)) == (0, 1)
    assert "counted 1 accepted codings" in page.inner_text("#footer")
    page.screenshot(path=ARTEFACTS / "serve-needs.png", full_page=True)
    # the count opens its quote, the quote its place in the transcript
    page.click(f'tr[data-code="{code}"] a.count')
    assert page.locator("table.audit tbody tr").count() == 1
    page.click("table.audit td.quote a")
    assert page.url.endswith(f"#L{mine.iloc[0]['line']}")
    assert page.locator(".card.selected").get_attribute("data-code") == code
    page.goto(base + "/matrix")
    page.screenshot(path=ARTEFACTS / "serve-matrix.png", full_page=True)


def test_code_a_selection_with_a_key_recode_and_undo(page, serve, db):
    base = serve(db)
    sign_in(page, base)
    page.goto(base + transcript_url(G07))
    with closing(Store.open(db)) as store:
        turn = next(t for t in store.turns(G07).itertuples() if "sore point" in t.text)
        key = key_of(store, "legal_support")
    start = turn.start + turn.text.index("sore point")
    select_text(page, 62, "sore point")
    page.dispatch_event("#transcript", "mouseup")
    page.wait_for_selector("#add-form:not([hidden])")
    assert page.inner_text(".picker-title") == f"Add a code to characters {start}–{start + 10}"
    page.screenshot(path=ARTEFACTS / "serve-add.png")
    press(page, key)
    with closing(Store.open(db)) as store:
        added = store.codings("WHERE c.coder = 'mira'")
    assert added[["segment_start", "segment_end", "quote", "code", "method"]].values.tolist() == [
        [start, start + 10, "sore point", "legal_support", "manual"]]
    # recode the selected suggestion: c, then the new code's number
    code = page.locator(".card.selected").get_attribute("data-code")
    new_key = "1" if code != "knowledge" else "2"
    page.keyboard.press("c")
    page.wait_for_selector("#add-form:not([hidden])")
    press(page, new_key)
    assert "recoded" in page.inner_text(".flashes")
    with closing(Store.open(db)) as store:
        mine = store.codings("WHERE c.coder = 'mira'").sort_values("coding_id")
    assert mine["status"].tolist() == ["accepted", "rejected", "accepted"]
    assert mine["method"].tolist() == ["manual", mine.iloc[1]["method"], "recode"]
    press(page, "u")
    assert page.inner_text(".flashes").startswith("undone: recoded")
    press(page, "u")
    with closing(Store.open(db)) as store:
        assert set(store.codings("WHERE c.coder = 'mira'")["status"]) == {"removed"}


def test_offsets_count_code_points_as_the_store_does(page, serve, tmp_path):
    """An emoji is one code point but two UTF-16 units in JavaScript: the selection's
    offsets must still name the same characters as the store."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "E01.md", "Interviewer: And then?\n\n"
                     "Ana: 🙂🙂 Café crème, then we need a lawyer 🙂 now.\n")
    db = tmp_path / "coding.db"
    tag([folder], CODEBOOK, db)
    base = serve(db)
    sign_in(page, base)
    path = str(folder / "E01.md")
    page.goto(base + transcript_url(path))
    with closing(Store.open(db)) as store:
        turn = store.turns(path).iloc[1]
        key = key_of(store, "funding")
    select_text(page, int(turn["line"]), "Café crème")
    press(page, key)
    with closing(Store.open(db)) as store:
        added = store.codings("WHERE c.coder = 'mira'").iloc[0]
    start = int(turn["start"]) + turn["text"].index("Café crème")
    assert (added["segment_start"], added["segment_end"], added["quote"]) == (start, start + 10, "Café crème")


def test_a_transcript_holding_a_script_shows_it_as_text(page, serve, tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "X01.md", "Interviewer: Hello?\n\n"
                     "Ana: We need a lawyer. <script>document.title = 'owned'</script> "
                     "<img src=x onerror=\"document.title = 'owned'\">\n")
    db = tmp_path / "coding.db"
    tag([folder], CODEBOOK, db)
    base = serve(db)
    sign_in(page, base)
    page.goto(base + transcript_url(str(folder / "X01.md")))
    assert page.title() != "owned"
    assert "<script>document.title = 'owned'</script>" in page.inner_text("#transcript")
    assert page.locator("#transcript script, #transcript img").count() == 0
    page.screenshot(path=ARTEFACTS / "serve-script-as-text.png")
