"""`coding serve`: the routes, driven with Starlette's TestClient on a copy of the bundled store."""

import html
import re
import shutil
from contextlib import closing
from html.parser import HTMLParser

import warnings

import pytest

pytest.importorskip("starlette")
pytest.importorskip("itsdangerous")
with warnings.catch_warnings():  # starlette asks for httpx2 over httpx; httpx is what the tests install
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient  # noqa: E402

from coding.cli import app as cli  # noqa: E402
from coding.errors import InputError  # noqa: E402
from coding.report.tables import needs_table  # noqa: E402
from coding.review.decisions import review_queue  # noqa: E402
from coding.serve import create_app  # noqa: E402
from coding.serve.app import listening_socket, transcript_url  # noqa: E402
from coding.serve.pages import page_rows  # noqa: E402
from coding.serve.security import check_binding  # noqa: E402
from coding.store import Store  # noqa: E402
from coding.tagging import tag  # noqa: E402

from .conftest import CODEBOOK, TRANSCRIPTS, write_transcript  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

LOCAL = "http://127.0.0.1"
G07 = str(TRANSCRIPTS / "G07.md")  # as the bundled store holds it


def client_for(db, **options) -> TestClient:
    return TestClient(create_app(db, CODEBOOK, secret="test secret", **options), base_url=LOCAL)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client: TestClient, name: str = "mira", blind: bool = False) -> str:
    """Choose the coder as a browser would; returns the session's CSRF token."""
    token = csrf_of(client.get("/coder").text)
    form = {"csrf": token, "name": name, "next": "/"}
    if blind:
        form["blind"] = "on"
    assert client.post("/coder", data=form).status_code == 200
    return token


@pytest.fixture
def client(db):
    with client_for(db) as opened:
        yield opened


def cards(page: str) -> dict[int, dict]:
    """The decision forms of a transcript page: coding id -> its revision and card classes."""
    found = {}
    for match in re.finditer(r'<li class="card ([^"]*)"\s+id="c(\d+)".*?</li>', page, re.S):
        revision = re.search(r'name="revision" value="([^"]+)"', match.group(0))
        found[int(match.group(2))] = {"classes": match.group(1).split(),
                                      "revision": revision.group(1) if revision else None}
    return found


def first_pending(page: str) -> tuple[int, str]:
    coding_id, card = next((i, c) for i, c in cards(page).items() if "pending" in c["classes"])
    return coding_id, card["revision"]


def decide(client, token, coding_id, revision, decision, **extra):
    return client.post("/decide", data={"csrf": token, "coding_id": str(coding_id), "revision": revision,
                                        "decision": decision, "back": transcript_url(G07), **extra})


def rows_of(db, coder):
    with closing(Store.open(db)) as store:
        return store.codings("WHERE c.coder = ?", (coder,))


def flashes(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="flash \w+"[^>]*>(.*?)</p>', page, re.S)]


class Lines(HTMLParser):
    """Each `.line` of a page: (data-start, data-line, its text with the marks taken out)."""

    def __init__(self):
        super().__init__()
        self.lines, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
        elif tag == "span" and attrs.get("class") == "line":
            self.depth = 1
            self.lines.append([int(attrs["data-start"]), int(attrs["data-line"]), ""])

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.lines[-1][2] += data


def lines_of(page: str) -> list[list]:
    parser = Lines()
    parser.feed(page)
    return parser.lines


# -- pages ---------------------------------------------------------------------------


def test_every_page_asks_for_a_coder_first(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/coder?next=%2F"
    page = client.get("/coder").text
    assert "Who is coding?" in page
    refused = client.post("/coder", data={"csrf": csrf_of(page), "name": "auto", "next": "/"})
    assert "reserved for machine coders" in " ".join(flashes(refused.text))


def test_the_list_shows_each_transcript_with_group_attributes_and_progress(client, db):
    sign_in(client)
    page = client.get("/").text
    assert page.count('class="title"') == 17
    row = re.search(f'href="{transcript_url(G07)}" class="title">.*?</tr>', page, re.S).group(0)
    with closing(Store.open(db)) as store:
        pending = len(review_queue(store, "mira", transcript=G07))
    assert pending == 16
    assert "G07" in row and "Region East" in row and "regional" in row
    assert f"0 / {pending}" in row and f">{pending}</a>" in row


def test_the_transcript_page_shows_turns_lines_and_codings(client, db):
    sign_in(client)
    page = client.get(transcript_url(G07)).text
    assert page.count('class="turn interviewer"') > 0 and page.count('class="turn participant"') > 0
    with closing(Store.open(db)) as store:
        turns = store.turns(G07)
        queue = review_queue(store, "mira", transcript=G07)
    assert len(re.findall(r'class="card [^"]*pending', page)) == len(queue) == 16
    assert 'id="L62"' in page and 'data-line="62"' in page
    # a coded span carries its code's colour and the ids of the codings on it
    assert re.search(r'<mark class="coded[^"]*" data-ids="\d+" style="background-color: #[0-9a-f]{6}">', page)
    assert len(lines_of(page)) == sum(text.count("\n") + 1 for text in turns["text"])


def test_each_line_holds_the_offset_of_its_first_character(client, db):
    """The page's selections become offsets from `data-start`: each line's text must be
    exactly the stored text at that offset (code points, as `coding add --chars` counts)."""
    sign_in(client)
    with closing(Store.open(db)) as store:
        turns = store.turns(G07)
    text = {turn.start + i: char for turn in turns.itertuples() for i, char in enumerate(turn.text)}
    lines = lines_of(client.get(transcript_url(G07)).text)
    for start, _, line in lines:
        assert "".join(text[start + i] for i in range(len(line))) == line
    assert [(start, number) for start, number, _ in lines][:3] == [(354, 16), (520, 18), (830, 20)]
    continued = next(i for i, (_, number, _) in enumerate(lines) if number == 21)  # Kwame's second line
    assert lines[continued][0] == lines[continued - 1][0] + len(lines[continued - 1][2]) + 1
    assert len(lines) > 40


def test_needs_matrix_and_audit_link_counts_to_quotes_and_quotes_to_lines(client, db):
    sign_in(client)
    needs = client.get("/needs").text
    assert '<a class="count" href="/audit?code=legal_support">3</a>' in needs
    assert '<a href="/audit?code=legal_support&amp;group=G07">G07</a>' in needs
    matrix = client.get("/matrix").text
    assert re.search(r'<a href="/audit\?code=legal_support&amp;group=G07">3</a>', matrix)
    audit = client.get("/audit?code=legal_support&group=G07").text
    assert audit.count(f'href="{transcript_url(G07, 62)}"') == 2  # the place and the quote
    assert "<b>legal advice</b>" in audit
    everything = client.get("/audit?code=legal_support&all=1").text
    assert everything.count("<tr") > client.get("/audit?code=legal_support").text.count("<tr")
    assert client.get("/codebook").status_code == 200


def test_a_rule_the_store_does_not_know_is_an_error_page(client):
    sign_in(client)
    response = client.get("/needs?rule=whim")
    assert response.status_code == 400 and "use one of adjudicated, consensus, latest" in response.text


def test_an_unknown_transcript_is_a_404_that_says_so(client):
    sign_in(client)
    response = client.get("/transcript/nowhere.md")
    assert response.status_code == 404 and "no tagged transcript" in response.text


# -- decisions -----------------------------------------------------------------------


def test_accept_is_a_decision_in_the_store_and_the_tables_see_it(client, db):
    token = sign_in(client)
    coding_id, revision = first_pending(client.get(transcript_url(G07)).text)
    with closing(Store.open(db)) as store:
        code = store.coding(coding_id)["code"]
        before = needs_table(store, reviewed_only=True).set_index("code").loc[code, "groups"]
    response = decide(client, token, coding_id, revision, "accept")
    assert response.status_code == 200 and response.url.path == transcript_url(G07)
    assert f"accepted {code} (mira); u to undo" in flashes(response.text)
    mine = rows_of(db, "mira")
    assert list(mine["status"]) == ["accepted"] and list(mine["decides"]) == [coding_id]
    with closing(Store.open(db)) as store:
        assert needs_table(store, reviewed_only=True).set_index("code").loc[code, "groups"] == before + 1 == 1
        log = store.log_entries()
        assert log.iloc[-1][["coder", "action", "after"]].tolist() == ["mira", "accept", "accepted"]
    needs = client.get("/needs?reviewed_only=1").text
    assert f'<a class="count" href="/audit?code={code}&amp;reviewed_only=1">1</a>' in needs
    assert "counted 1 accepted codings" in needs


def test_reject_and_recode(client, db):
    token = sign_in(client)
    page = client.get(transcript_url(G07)).text
    pending = [i for i, c in cards(page).items() if "pending" in c["classes"]]
    first, second = pending[0], pending[1]
    decide(client, token, first, cards(page)[first]["revision"], "reject", note="a topic, not a need")
    response = decide(client, token, second, cards(page)[second]["revision"], "recode", new_code="funding")
    assert "as funding (mira)" in flashes(response.text)[0]
    mine = rows_of(db, "mira").sort_values("coding_id")
    assert mine[["decides", "code", "status"]].values.tolist()[0][2] == "rejected"
    assert mine.iloc[0]["note"] == "a topic, not a need"
    assert mine["status"].tolist() == ["rejected", "rejected", "accepted"]
    assert mine.iloc[2]["code"] == "funding" and mine.iloc[2]["method"] == "recode"


def test_recode_to_an_unknown_code_changes_nothing(client, db):
    token = sign_in(client)
    coding_id, revision = first_pending(client.get(transcript_url(G07)).text)
    response = decide(client, token, coding_id, revision, "recode", new_code="charity")
    assert "unknown code 'charity'" in flashes(response.text)[0]
    assert rows_of(db, "mira").empty


def test_add_a_code_to_a_selection_by_its_offsets(client, db):
    token = sign_in(client)
    with closing(Store.open(db)) as store:
        turn = next(t for t in store.turns(G07).itertuples() if "sore point" in t.text)
    start = turn.start + turn.text.index("sore point")
    end = start + len("sore point")
    response = client.post("/add", data={"csrf": token, "transcript": G07, "start": str(start), "end": str(end),
                                         "code": "legal_support", "note": "said with feeling"})
    assert f"added legal_support to characters {start}-{end} (mira); u to undo" in flashes(response.text)
    added = rows_of(db, "mira")
    assert added[["segment_start", "segment_end", "quote", "code", "status", "method", "note"]].values.tolist() == [
        [start, end, "sore point", "legal_support", "accepted", "manual", "said with feeling"]]
    again = client.post("/add", data={"csrf": token, "transcript": G07, "start": str(start), "end": str(end),
                                      "code": "legal_support"})
    assert "has already coded this passage" in flashes(again.text)[0]


def test_adding_in_an_interviewers_turn_is_refused_with_the_reason(client, db):
    token = sign_in(client)
    with closing(Store.open(db)) as store:
        turn = next(t for t in store.turns(G07).itertuples() if t.role == "interviewer")
    response = client.post("/add", data={"csrf": token, "transcript": G07, "start": str(turn.start),
                                         "end": str(turn.start + 10), "code": "funding"})
    assert "interviewer's turn" in flashes(response.text)[0]
    assert rows_of(db, "mira").empty


def test_undo_takes_back_ones_own_last_decisions_in_turn(client, db):
    token = sign_in(client)
    page = client.get(transcript_url(G07)).text
    coding_id, revision = first_pending(page)
    decide(client, token, coding_id, revision, "recode", new_code="funding")
    second, second_revision = first_pending(client.get(transcript_url(G07)).text)
    decide(client, token, second, second_revision, "accept")
    first_undo = client.post("/undo", data={"csrf": token, "back": "/"})
    assert flashes(first_undo.text)[0].startswith("undone: accepted")
    assert rows_of(db, "mira").set_index("decides").loc[second, "status"] == "removed"
    client.post("/undo", data={"csrf": token, "back": "/"})
    assert set(rows_of(db, "mira")["status"]) == {"removed"}  # both rows of the recode
    nothing = client.post("/undo", data={"csrf": token, "back": "/"})
    assert "nothing to undo in this session" in flashes(nothing.text)
    with closing(Store.open(db)) as store:
        assert len(review_queue(store, "mira", transcript=G07)) == 16
        undone = store.log_entries().tail(3)
    assert undone[["coder", "action", "detail"]].values.tolist() == [["mira", "remove", "undo"]] * 3


def test_a_decision_on_a_coding_that_changed_since_the_page_loaded_is_refused(db):
    with client_for(db) as mira, client_for(db) as bob:
        mira_token, bob_token = sign_in(mira, "mira"), sign_in(bob, "bob")
        seen_by_mira = cards(mira.get(transcript_url(G07)).text)
        coding_id, revision = first_pending(bob.get(transcript_url(G07)).text)
        decide(bob, bob_token, coding_id, revision, "reject")
        response = decide(mira, mira_token, coding_id, seen_by_mira[coding_id]["revision"], "accept")
        assert "changed since this page was loaded" in flashes(response.text)[0]
        assert rows_of(db, "mira").empty
        # the page now shows bob's rejection, with a new revision mira can decide on
        now = cards(response.text)
        standing = next(i for i, c in now.items() if "rejected" in c["classes"])
        decide(mira, mira_token, standing, now[standing]["revision"], "accept")
        assert rows_of(db, "mira")["status"].tolist() == ["accepted"]


def test_a_blind_coder_sees_the_machines_suggestion_not_another_coders_decision(db):
    with client_for(db) as mira, client_for(db) as bob:
        bob_token = sign_in(bob, "bob")
        coding_id, revision = first_pending(bob.get(transcript_url(G07)).text)
        decide(bob, bob_token, coding_id, revision, "reject")
        sign_in(mira, "mira")
        assert coding_id not in cards(mira.get(transcript_url(G07)).text)  # open: bob's rejection stands
        mira_token = sign_in(mira, "mira", blind=True)
        blind_page = mira.get(transcript_url(G07)).text
        assert "by bob" not in blind_page
        assert "pending" in cards(blind_page)[coding_id]["classes"]
        decide(mira, mira_token, coding_id, cards(blind_page)[coding_id]["revision"], "accept")
        assert rows_of(db, "mira")["decides"].tolist() == [coding_id]


def test_interviewer_codings_are_shown_but_not_decided(client, db):
    token = sign_in(client)
    with closing(Store.open(db)) as store:
        rows = page_rows(store, G07, "mira", blind=False)
    asked = rows[rows["role"] == "interviewer"].iloc[0]
    card = cards(client.get(transcript_url(G07)).text)[int(asked.coding_id)]
    assert "interviewer" in card["classes"] and card["revision"] is None  # shown, with no decision form
    response = decide(client, token, int(asked.coding_id), asked.revision, "accept")
    assert "interviewer turns never count" in flashes(response.text)[0]
    assert rows_of(db, "mira").empty


def test_i_have_read_it_all_records_coverage_for_every_code(client, db):
    token = sign_in(client)
    response = client.post("/read", data={"csrf": token, "transcript": G07})
    assert f"recorded that mira has read all of {G07} for every code" in flashes(response.text)
    with closing(Store.open(db)) as store:
        coverage = store.coverage()
    assert coverage[["coder", "transcript", "code", "source"]].values.tolist() == [["mira", G07, "*", "page"]]


# -- safety ------------------------------------------------------------------------------


def test_a_change_without_the_csrf_token_or_from_another_site_is_refused(client, db):
    token = sign_in(client)
    coding_id, revision = first_pending(client.get(transcript_url(G07)).text)
    missing = client.post("/decide", data={"coding_id": str(coding_id), "revision": revision, "decision": "accept"})
    assert missing.status_code == 403 and "security token is missing" in missing.text
    wrong = decide(client, "not the token", coding_id, revision, "accept")
    assert wrong.status_code == 403
    foreign = client.post("/decide", headers={"Origin": "http://evil.example"},
                          data={"csrf": token, "coding_id": str(coding_id), "revision": revision, "decision": "accept"})
    assert foreign.status_code == 403 and "evil.example" in foreign.text
    cross = client.post("/undo", headers={"Sec-Fetch-Site": "cross-site"}, data={"csrf": token})
    assert cross.status_code == 403
    assert client.get("/decide").status_code == 405  # changes are POST only
    assert rows_of(db, "mira").empty


def test_on_loopback_only_loopback_host_names_are_answered(db):
    with TestClient(create_app(db), base_url="http://attacker.example") as rebound:
        response = rebound.get("/coder")
    assert response.status_code == 400 and "127.0.0.1" in response.text
    with TestClient(create_app(db), base_url="http://localhost:8000") as local:
        assert local.get("/coder").status_code == 200


def test_every_response_forbids_inline_scripts_and_framing(client):
    headers = client.get("/coder").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_another_address_needs_a_token_and_every_request_must_carry_it(db):
    with pytest.raises(InputError, match="give --token"):
        check_binding("0.0.0.0", None)
    with pytest.raises(InputError, match="at least 16 characters"):
        check_binding("0.0.0.0", "short")
    check_binding("127.0.0.1", None)
    secret = "a-token-long-enough-42"
    with TestClient(create_app(db, token=secret, local=False), base_url="http://192.0.2.7:8000") as remote:
        assert remote.get("/coder").status_code == 401
        assert remote.get("/static/serve.css").status_code == 401
        assert remote.get("/coder?token=wrong-token-of-some-length").status_code == 401
        entered = remote.get(f"/coder?token={secret}&next=/needs", follow_redirects=False)
        assert entered.status_code == 303 and entered.headers["location"] == "/coder?next=%2Fneeds"
        assert remote.get("/coder").status_code == 200  # the cookie now carries it
    with TestClient(create_app(db, token=secret, local=False), base_url="http://192.0.2.7:8000") as api:
        assert api.get("/coder", headers={"X-Coding-Token": secret}).status_code == 200


def test_the_command_refuses_another_address_without_a_token(runner, db):
    result = runner.invoke(cli, ["serve", "--db", str(db), "--host", "0.0.0.0", "--no-open"])
    assert result.exit_code == 1 and "give --token TOKEN" in result.output
    assert "Traceback" not in result.output


def test_the_command_says_so_when_the_port_is_taken(runner, db):
    taken = listening_socket("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        result = runner.invoke(cli, ["serve", "--db", str(db), "--port", str(port), "--no-open"])
    finally:
        taken.close()
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_the_command_refuses_a_missing_store(runner, tmp_path):
    result = runner.invoke(cli, ["serve", "--db", str(tmp_path / "none.db"), "--no-open"])
    assert result.exit_code == 1 and "no coding store here" in result.output


def test_transcript_and_codebook_text_is_shown_as_text_never_run(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    write_transcript(folder, "X01.md", "Interviewer: What do you need? <b>bold</b>\n\n"
                     "Ana: We need a lawyer. <script>alert('owned')</script> And legal advice "
                     "\"quoted\" & <img src=x onerror=alert(1)>.\n")
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(CODEBOOK.read_text(encoding="utf-8").replace(
        "label: Legal support", "label: \"Legal <script>alert('label')</script>\""), encoding="utf-8")
    db = tmp_path / "coding.db"
    tag([folder], codebook, db)
    with TestClient(create_app(db, codebook, secret="s"), base_url=LOCAL) as client:
        sign_in(client)
        page = client.get(transcript_url(str(folder / "X01.md"))).text
        needs = client.get("/needs").text
        audit = client.get("/audit?code=legal_support&all=1").text
        book = client.get("/codebook").text
    for shown in (page, needs, audit, book):
        assert "<script>alert" not in shown and "<img src=x" not in shown
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "Legal &lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in needs
    assert "&lt;script&gt;" in book
    line = next(text for _, _, text in lines_of(page) if "owned" in text)
    assert "<script>alert('owned')</script>" in line  # the reader sees the characters as written


def test_a_store_that_is_not_ours_is_an_error_page_not_a_traceback(tmp_path, db):
    sign = tmp_path / "copy.db"
    shutil.copy(db, sign)
    with client_for(sign) as client:
        sign_in(client)
        sign.write_bytes(b"not a database at all" * 100)
        response = client.get("/needs")
    assert response.status_code == 400 and "not a SQLite database" in response.text
