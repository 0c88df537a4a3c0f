"""Commands: serve (see the module docstring of the library module they call)."""

from __future__ import annotations
