"""Keeping the page to the person who started it.

- It listens on a loopback address unless a token is given; with a token, every
  request must carry it (`?token=` once, which sets a cookie, or the
  `X-Coding-Token` header), and requests without it are refused.
- On loopback only the loopback host names are answered (a page on another
  site that rebinds its DNS name to 127.0.0.1 is refused by the Host check).
- Every change is a POST with the session's CSRF token (a hidden field or the
  `X-CSRF-Token` header), from a page of the same origin (Origin, Sec-Fetch-Site).
- Every response forbids inline and foreign scripts, framing and sniffing.
"""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlencode

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InputError

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
TOKEN_PARAMETER = "token"
TOKEN_HEADER = "x-coding-token"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MIN_TOKEN_LENGTH = 16
HEADERS = {
    # Scripts only from our own static files (no inline script, so injected markup cannot run);
    # inline style attributes carry the code colours, which come from our palette, not from text.
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # no Referer to other sites (the token never leaves); "no-referrer" would make browsers send
    # `Origin: null` with our own forms, which the Origin check must refuse
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Listening beyond this machine needs a token that is hard to guess."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise InputError(None, None, f"--token: use at least {MIN_TOKEN_LENGTH} characters, such as the output "
                         "of: python -c 'import secrets; print(secrets.token_urlsafe())'")
    if not is_loopback(host) and token is None:
        raise InputError(None, None, f"--host {host} makes the page reachable from other machines: "
                         "give --token TOKEN as well (every request must then carry it)")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class TokenGate:
    """Refuse any request that does not carry the server's token. `?token=` sets a
    cookie and redirects to the same address without it, so it is not kept in
    the address bar or the history."""

    def __init__(self, app: ASGIApp, token: str, cookie: str):
        self.app, self.token, self.cookie = app, token, cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = request.query_params.get(TOKEN_PARAMETER)
        if same(given, self.token):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_PARAMETER]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict")
        elif same(request.cookies.get(self.cookie), self.token) or same(request.headers.get(TOKEN_HEADER), self.token):
            await self.app(scope, receive, send)
            return
        else:
            response = PlainTextResponse("This page needs the token it was started with: open the address "
                                         "'coding serve' printed (it ends in ?token=...).", status_code=401)
        await response(scope, receive, send)


def request_host(headers_host: str) -> str:
    """The host name of a Host header, without the port ("[::1]:8000" -> "::1")."""
    if headers_host.startswith("["):
        return headers_host[1:headers_host.find("]")] if "]" in headers_host else headers_host
    return headers_host.rsplit(":", 1)[0] if headers_host.count(":") == 1 else headers_host


class LoopbackHosts:
    """On a loopback address, answer only requests addressed to a loopback name: a site
    whose DNS name is made to point at 127.0.0.1 sends its own name and is refused."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = request_host(Request(scope).headers.get("host", ""))
            if not is_loopback(host):
                await PlainTextResponse(f"refused: this page answers on 127.0.0.1 or localhost, "
                                        f"not on {host!r}", status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Add HEADERS to every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_same_origin(request: Request) -> None:
    """A change must come from one of our own pages: a cross-site Origin or fetch is refused."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        raise HTTPException(403, "refused: the request came from another site")
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin != own:
            raise HTTPException(403, f"refused: the request came from {origin}, not from this page")


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once the request is shown to come from our page in this session."""
    check_same_origin(request)
    form = await request.form()
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not same(given, expected):
        raise HTTPException(403, "refused: the form's security token is missing or out of date; "
                                 "reload the page and try again")
    return {key: value for key, value in form.items() if isinstance(value, str)}
