"""`coding serve`: a local web page for reading, reviewing and coding transcripts.

The page is one more face of the review layer, beside the terminal and the
sheets: every decision made on it goes through `coding.review.decisions`, so
it is logged, blind coding and agreement see it, and exports include it.

- `pages.py` builds what each page shows from the store (no web framework in it);
- `security.py` keeps the server to its owner: loopback by default, a token
  otherwise, CSRF tokens and an Origin check on every change, strict headers;
- `app.py` the Starlette application and `serve()`, which runs it with uvicorn.
"""

from __future__ import annotations

from .app import create_app, serve

__all__ = ["create_app", "serve"]
