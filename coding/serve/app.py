"""The Starlette application of `coding serve`, and `serve()`, which runs it.

Pages are rendered on the server (jinja2, every value escaped); a little
JavaScript adds keyboard shortcuts and turns a text selection into character
offsets. Every change is a plain form POST answered with a redirect back to
the page (so a reload never repeats it), and goes through the review layer:
`decisions.apply_decision`, `decisions.add`, `decisions.undo`.

The store is opened and closed within each request, in a worker thread
(SQLite connections stay in the thread that made them); writes take the
store's IMMEDIATE transaction, so two coders' decisions never interleave, and a
decision on a coding that changed since the page was loaded is refused.
"""

from __future__ import annotations

import socket
import threading
import time
import webbrowser
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..coders import person_name
from ..errors import InputError
from ..review import decisions
from ..review.standing import DEFAULT_RULE, RULES
from ..store import Store
from . import pages
from .security import (LoopbackHosts, SecurityHeaders, TokenGate, check_binding, checked_form, csrf_token,
                       is_loopback, new_secret)

HERE = Path(__file__).parent
UNDO_DEPTH = 20  # decisions the session remembers for undo
DECISION_WORDS = {"accept": "accepted", "reject": "rejected", "recode": "recoded"}


# -- templates -------------------------------------------------------------------------


def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(transcript_url=transcript_url, audit_url=audit_url, RULES=RULES)
    environment.filters["number"] = lambda value: f"{value:g}" if isinstance(value, (int, float)) else ""
    return environment


def transcript_url(path: str, line: int | None = None, **query) -> str:
    url = "/transcript/" + quote(path)
    query = {k: v for k, v in query.items() if v not in (None, "", False)}
    if query:
        url += "?" + urlencode(query)
    return url + (f"#L{line}" if line is not None else "")


def audit_url(code: str | None = None, group: str | None = None, **query) -> str:
    query = {k: v for k, v in dict(code=code, group=group, **query).items() if v not in (None, "", False)}
    return "/audit" + (f"?{urlencode(query)}" if query else "")


def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    session = request.session
    flashes, session["flash"] = session.get("flash", []), []
    context.setdefault("nav", "")
    page = request.app.state.templates.get_template(name).render(
        request_path=request.url.path, coder=session.get("coder", ""), blind=session.get("blind", False),
        csrf=csrf_token(request), flashes=flashes, undo=(session.get("undo") or [None])[-1], **context)
    return HTMLResponse(page, status_code=status)


def flash(request: Request, text: str, kind: str = "ok") -> None:
    request.session["flash"] = [*request.session.get("flash", []), [kind, text]]


def back_to(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def local_path(value: str | None) -> str:
    """A redirect target from a form: a path on this server, never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


# -- the store, one connection per request ----------------------------------------------


async def with_store(request: Request, work: Callable, *args):
    """Run `work(store, *args)` in a worker thread on a store opened for this request only."""
    db = request.app.state.db

    def job():
        store = Store.open(db)
        try:
            return work(store, *args)
        finally:
            store.close()

    return await run_in_threadpool(job)


def the_coder(request: Request) -> str | None:
    return request.session.get("coder")


def needs_coder(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return back_to("/coder?" + urlencode({"next": target}))


def _options(request: Request) -> tuple[bool, str]:
    """The tables' options from the query: reviewed-only, rule."""
    rule = request.query_params.get("rule", DEFAULT_RULE)
    if rule not in RULES:
        raise HTTPException(400, f"rule {rule!r}: use one of {', '.join(RULES)}")
    return request.query_params.get("reviewed_only") in ("1", "on", "true"), rule


# -- pages ---------------------------------------------------------------------------


async def coder_form(request: Request) -> Response:
    return render(request, "coder.html", next=local_path(request.query_params.get("next")))


async def choose_coder(request: Request) -> Response:
    form = await checked_form(request)
    target = local_path(form.get("next"))
    try:
        name = person_name(form.get("name", "") or " ")
    except InputError as error:
        flash(request, error.problem, "error")
        return back_to("/coder?" + urlencode({"next": target}))
    if name != request.session.get("coder"):
        request.session["undo"] = []  # undo takes back one's own decisions only
    request.session.update(coder=name, blind=form.get("blind") == "on")
    return back_to(target)


async def transcript_list(request: Request) -> Response:
    coder = the_coder(request)
    if not coder:
        return needs_coder(request)
    rows = await with_store(request, pages.transcript_list, coder)
    return render(request, "index.html", rows=rows, nav="transcripts")


async def transcript_page(request: Request) -> Response:
    coder = the_coder(request)
    if not coder:
        return needs_coder(request)
    name = request.path_params["path"]

    def build(store: Store):
        return pages.transcript_view(store, name, coder, request.session.get("blind", False)), \
            pages.code_styles(store)

    try:
        view, styles = await with_store(request, build)
    except InputError as error:
        return render(request, "error.html", status=404, message=error.problem, nav="transcripts")
    return render(request, "transcript.html", view=view, styles=styles, nav="transcripts",
                  at=request.query_params.get("at", ""))


async def needs_page(request: Request) -> Response:
    reviewed_only, rule = _options(request)

    def build(store: Store):
        return pages.needs(store, reviewed_only, rule), pages.code_styles(store)

    (rows, footer), styles = await with_store(request, build)
    return render(request, "needs.html", rows=rows, footer=footer, styles=styles, nav="needs",
                  reviewed_only=reviewed_only, rule=rule)


async def matrix_page(request: Request) -> Response:
    reviewed_only, rule = _options(request)

    def build(store: Store):
        return pages.matrix(store, reviewed_only, rule), pages.code_styles(store)

    (attributes, codes, rows), styles = await with_store(request, build)
    return render(request, "matrix.html", attributes=attributes, codes=codes, rows=rows, styles=styles,
                  nav="matrix", reviewed_only=reviewed_only, rule=rule)


async def audit_page(request: Request) -> Response:
    reviewed_only, rule = _options(request)
    code, group = request.query_params.get("code") or None, request.query_params.get("group") or None
    everything = request.query_params.get("all") in ("1", "on", "true")

    def build(store: Store):
        return pages.audit(store, code, group, everything, reviewed_only, rule), pages.code_styles(store)

    try:
        rows, styles = await with_store(request, build)
    except InputError as error:
        return render(request, "error.html", status=404, message=error.problem, nav="needs")
    return render(request, "audit.html", rows=rows, styles=styles, code=code, group=group, everything=everything,
                  nav="needs", reviewed_only=reviewed_only, rule=rule)


async def codebook_page(request: Request) -> Response:
    entries, problem = await with_store(request, pages.codebook_entries, request.app.state.codebook)
    return render(request, "codebook.html", entries=entries, problem=problem, nav="codebook",
                  codebook=request.app.state.codebook)


# -- changes -------------------------------------------------------------------------


def _remember(request: Request, ids: list[int], what: str, transcript: str, at: int) -> None:
    stack = [*request.session.get("undo", []), {"ids": ids, "what": what, "transcript": transcript, "at": at}]
    request.session["undo"] = stack[-UNDO_DEPTH:]


def _number(form: dict, key: str) -> int:
    value = form.get(key, "").strip()
    if not value.isdigit():
        raise InputError(None, None, f"{key} {value!r} is not a number")
    return int(value)


def apply_page_decision(store: Store, coder: str, coding_id: int, revision: str, decision: str,
                        new_code: str | None, note: str) -> tuple[str, int, list[int], str]:
    """Check that the coding is as the page showed it, then decide, under one write lock.
    Returns (transcript, segment start, new coding ids, code)."""
    with store.atomic():
        row = store.coding(coding_id)
        if row is None:
            raise InputError(None, None, f"no coding with id {coding_id}")
        if not pages.is_current(store, coder, coding_id, revision):
            raise InputError(None, None, f"not applied: the coding of {row['code']} at line {row['line']} changed "
                             "since this page was loaded (another coder decided on it, or the transcript was "
                             "re-tagged). The page now shows where it stands; decide again if you still want to.")
        if row["role"] != "participant":
            raise InputError(None, None, "interviewer turns never count toward a group: nothing to decide there")
        ids = decisions.apply_decision(store, coding_id, decision, coder, new_code, note)
        return row["transcript"], int(row["segment_start"]), ids, row["code"]


async def decide(request: Request) -> Response:
    form = await checked_form(request)
    coder = the_coder(request)
    if not coder:
        return needs_coder(request)
    back = local_path(form.get("back"))
    decision, new_code = form.get("decision", ""), form.get("new_code") or None
    try:
        if decision not in DECISION_WORDS:
            raise InputError(None, None, f"unknown decision {decision!r}: use accept, reject or recode")
        coding_id = _number(form, "coding_id")
        transcript, at, ids, code = await with_store(request, apply_page_decision, coder, coding_id,
                                                     form.get("revision", ""), decision, new_code,
                                                     form.get("note", "").strip())
    except InputError as error:
        flash(request, error.problem, "error")
        return back_to(back)
    what = f"{DECISION_WORDS[decision]} {code}" + (f" as {new_code}" if decision == "recode" else "")
    _remember(request, ids, what, transcript, at)
    flash(request, f"{what} ({coder}); u to undo")
    return back_to(transcript_url(transcript, at=at))


async def add_code(request: Request) -> Response:
    form = await checked_form(request)
    coder = the_coder(request)
    if not coder:
        return needs_coder(request)
    transcript, code = form.get("transcript", ""), form.get("code", "")
    back = transcript_url(transcript) if transcript else "/"
    try:
        start, end = _number(form, "start"), _number(form, "end")
        ids = await with_store(request, decisions.add, transcript, code, coder, None, f"{start}-{end}",
                               form.get("note", "").strip())
    except InputError as error:
        flash(request, error.problem, "error")
        return back_to(back)
    _remember(request, ids, f"added {code}", transcript, start)
    flash(request, f"added {code} to characters {start}-{end} ({coder}); u to undo")
    return back_to(transcript_url(transcript, at=start))


async def undo(request: Request) -> Response:
    form = await checked_form(request)
    coder = the_coder(request)
    if not coder:
        return needs_coder(request)
    stack = list(request.session.get("undo", []))
    if not stack:
        flash(request, "nothing to undo in this session", "error")
        return back_to(local_path(form.get("back")))
    last = stack.pop()
    try:
        await with_store(request, decisions.undo, coder, last["ids"])
    except InputError as error:
        flash(request, error.problem, "error")
    else:
        flash(request, f"undone: {last['what']}")
    request.session["undo"] = stack
    return back_to(transcript_url(last["transcript"], at=last["at"]))


def _mark_read(store: Store, coder: str, transcript: str) -> str:
    path = decisions.find_transcript(store, transcript)
    with store.atomic():
        store.cover(coder, path, "*", "page")
    return path


async def mark_read(request: Request) -> Response:
    form = await checked_form(request)
    coder = the_coder(request)
    if not coder:
        return needs_coder(request)
    try:
        path = await with_store(request, _mark_read, coder, form.get("transcript", ""))
    except InputError as error:
        flash(request, error.problem, "error")
        return back_to("/")
    flash(request, f"recorded that {coder} has read all of {path} for every code")
    return back_to(transcript_url(path))


async def http_error(request: Request, error: HTTPException) -> Response:
    return render(request, "error.html", status=error.status_code, message=error.detail)


async def input_error(request: Request, error: InputError) -> Response:
    """A problem with the store or the request's values: one line on the page, as in the terminal."""
    return render(request, "error.html", status=400, message=str(error))


# -- the application -------------------------------------------------------------------


def create_app(db: str | Path, codebook: str | Path | None = None, token: str | None = None,
               local: bool = True, secret: str | None = None, cookie_suffix: str = "") -> Starlette:
    """The page over the store at `db`. `local`: answer loopback host names only;
    `token`: every request must carry it; `secret` signs the session cookie (a new
    random one by default, so sessions end when the server does)."""
    routes = [
        Route("/", transcript_list),
        Route("/coder", coder_form, methods=["GET"]),
        Route("/coder", choose_coder, methods=["POST"]),
        Route("/transcript/{path:path}", transcript_page, name="transcript"),
        Route("/needs", needs_page),
        Route("/matrix", matrix_page),
        Route("/audit", audit_page),
        Route("/codebook", codebook_page),
        Route("/decide", decide, methods=["POST"]),
        Route("/add", add_code, methods=["POST"]),
        Route("/undo", undo, methods=["POST"]),
        Route("/read", mark_read, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    suffix = f"_{cookie_suffix}" if cookie_suffix else ""  # two servers on one machine keep apart sessions
    middleware = [Middleware(SecurityHeaders)]
    if local:
        middleware.append(Middleware(LoopbackHosts))
    if token is not None:
        middleware.append(Middleware(TokenGate, token=token, cookie=f"coding_token{suffix}"))
    middleware.append(Middleware(SessionMiddleware, secret_key=secret or new_secret(),
                                 session_cookie=f"coding_session{suffix}", max_age=None, same_site="strict"))
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: http_error, InputError: input_error})
    app.state.db = str(db)
    app.state.codebook = Path(codebook) if codebook is not None else None
    app.state.templates = _templates()
    return app


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound and listening on (host, port), or a one-line error."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise InputError(None, None, f"--host {host}: {error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError as error:
        sock.close()
        raise InputError(None, None, f"cannot listen on {host}:{port} ({error.strerror}); "
                         "another program may use the port: give --port") from None
    return sock


def address(host: str, port: int, token: str | None) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={quote(token)}" if token else "")


def serve(db: str | Path, codebook: str | Path | None = None, host: str = "127.0.0.1", port: int = 8000,
          token: str | None = None, open_browser: bool = True, say: Callable[[str], None] = print) -> None:
    """Run the page until interrupted (Ctrl-C)."""
    import uvicorn

    check_binding(host, token)
    Store.open(db).close()  # a missing, foreign or newer store is one line now, not an error page later
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    app = create_app(db, codebook, token, local=is_loopback(host), cookie_suffix=str(port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    url = address(host, port, token)
    say(f"coding serve: {url}  (store {db}; Ctrl-C to stop)")
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _open_when_started(server, url: str, seconds: float = 10.0) -> None:
    """Open the browser once uvicorn serves (at most `seconds` later; never, if it did not start)."""
    for _ in range(int(seconds / 0.05)):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.05)
