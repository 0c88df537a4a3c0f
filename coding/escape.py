"""Make stored text safe to show or hand on: on a terminal, in a spreadsheet, in Markdown.

Quotes, speaker names, group ids, codes and notes are stored exactly as
written, and may be hostile: terminal escape sequences, spreadsheet formulas,
Markdown table syntax. The store keeps them as written; these functions make
one output safe, each for its medium, at the moment of writing:

- `terminal_safe`: text printed for people shows control characters as
  visible escapes (`\\x1b` for ESC), so nothing reaches the terminal that it
  would act on.
- `spreadsheet_cell` / `spreadsheet_text`: a CSV cell that a spreadsheet would
  take as a formula gets a leading `'` (the OWASP convention), and loses it
  again when a sheet is read back.
- `xlsx_safe`: text that openpyxl cannot store (XML 1.0 forbids most control
  characters) shows them as visible escapes instead of failing the export.
- `markdown_cell`: a Markdown table cell keeps its row: `|` escaped, newlines
  as `<br>`.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and the C1 controls U+0080-U+009F
# (U+009B is a one-character CSI to many terminals).
TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# What XML 1.0 (so an xlsx file) cannot hold: the C0 controls except tab, LF
# and CR (exactly openpyxl's ILLEGAL_CHARACTERS_RE, which raises
# IllegalCharacterError), plus surrogates and U+FFFE/U+FFFF, which openpyxl
# lets through into a file that Excel then calls damaged.
XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# A cell starting with one of these is a formula (or may become one) to
# Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match) -> str:
    """A character as the text of its Python escape: ESC -> `\\x1b` (4 characters)."""
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every control character except tab and newline shown as a visible
    escape (`\\x1b` for ESC, `\\x07` for BEL), for anything printed for people."""
    return TERMINAL_CONTROLS.sub(_visible, text)


def spreadsheet_cell(value):
    """A CSV cell value that no spreadsheet takes as a formula: text starting with
    = + - @ tab or CR gets a leading `'`. Anything that is not text (a negative
    score) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_text(text: str) -> str:
    """Undo `spreadsheet_cell` on text read back from a sheet: drop a `'` that
    protects a formula start, keep any other leading `'` (someone's own)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def xlsx_safe(value):
    """A value openpyxl can write: the control characters XML 1.0 forbids are shown
    as visible escapes (ESC -> the 4 characters `\\x1b`) instead of raising
    IllegalCharacterError. Anything that is not text is returned as it is."""
    if isinstance(value, str):
        return XLSX_ILLEGAL.sub(_visible, value)
    return value


# Backslashes just before a `|` are doubled along with the `\|`, so the cell
# text `a\|b` cannot turn the escape back into a column break.
_PIPE = re.compile(r"(\\*)\|")


def markdown_cell(text: str) -> str:
    """Text for one Markdown table cell that stays one cell of one row: `|` escaped
    as `\\|`, a newline (CRLF, CR or LF) as `<br>`, the line break GitHub and most
    Markdown renderers show inside a table cell."""
    text = _PIPE.sub(lambda m: m.group(1) * 2 + "\\|", text)
    return re.sub(r"\r\n|\r|\n", "<br>", text)
