"""Commands: serve (see the module docstring of the library module they call)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import DB, app, err, user_errors


@app.command()
@user_errors
def serve(db: Path = DB,
          codebook: Optional[Path] = typer.Option(None, "--codebook", help="The codebook YAML file whose terms "
                                                  "and examples the codebook page shows (default: ./codebook.yaml)."),
          host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; anything but a loopback "
                                   "address needs --token."),
          port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
          token: Optional[str] = typer.Option(None, "--token", help="A secret (16+ characters) every request must "
                                              "carry; required with another --host."),
          open_browser: bool = typer.Option(True, "--open/--no-open", help="Open the page in a web browser.")):
    """A local web page to read transcripts, review suggestions and code by selecting text."""
    from ..serve import serve as run_page

    if codebook is None and Path("codebook.yaml").exists():
        codebook = Path("codebook.yaml")
    run_page(db, codebook, host, port, token, open_browser, say=lambda text: err.print(text, highlight=False,
                                                                                      soft_wrap=True))
