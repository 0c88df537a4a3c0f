"""What REFI-QDA export and import share: namespaces, stable GUIDs, code ids, times, writing.

GUIDs are derived, not drawn: `guid(kind, *key)` is a uuid5 of a fixed namespace
and the thing's own key (a code's id, a coder's name, a transcript's path and a
coding's unit), so exporting the same store twice gives the same file, and another
tool that re-exports our project keeps GUIDs we can recognise. A code's GUID is
`uuid5(NAMESPACE, "code" + U+001F + id)` in upper case; its description also ends
with the line `coding id: <id>`, so the id survives a tool that renews GUIDs.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import uuid
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..codebook import valid_code_id
from ..errors import InputError
from ..escape import xlsx_safe

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = f"coding {__version__}"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.qdasoftware.org/#coding")
MACHINE_USER_SUFFIX = " (unreviewed suggestion)"

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_ID_LINE = re.compile(r"(?:^|\n)coding id: (\S+)\s*$")


def guid(kind: str, *key) -> str:
    """The stable GUID of one thing: the same key always gives the same GUID."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join((kind, *map(str, key))))).upper()


def code_guid(code_id: str) -> str:
    return guid("code", code_id)


def same_guid(text: str | None) -> str | None:
    """A GUID in one comparable form (upper case, no braces); None if it is not one."""
    match = _GUID.match((text or "").strip())
    return match[1].upper() if match else None


def code_description(code_id: str, description: str) -> str:
    """A code's description for other tools, ending with our id on a line of its own."""
    return f"{description.strip()}\n\ncoding id: {code_id}" if description.strip() else f"coding id: {code_id}"


def split_description(text: str) -> tuple[str, str | None]:
    """(description, our code id) from a description written by `code_description`."""
    match = _ID_LINE.search(text or "")
    if match and valid_code_id(match[1]):
        return text[:match.start()].strip(), match[1]
    return (text or "").strip(), None


def slug(name: str) -> str:
    """A code id from a code's name: lower case, runs of other characters as '_', a letter
    first ("Coke::diet Coke" -> "coke_diet_coke"); any script's letters are kept."""
    text = unicodedata.normalize("NFC", name).lower()
    text = "".join(ch if ch.isalnum() or ch in "-." or unicodedata.category(ch).startswith("M") else "_"
                   for ch in text)
    text = re.sub(r"_+", "_", text).strip("_.-")
    if not text or not text[0].isalpha():
        text = f"code_{text}".rstrip("_")
    return text


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`... whichever is not taken yet (and take it)."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    taken.add(candidate)
    return candidate


def xml_text(text) -> str:
    """Text XML 1.0 can hold: the control characters it forbids are shown as visible
    escapes (ESC as the 4 characters `\\x1b`); the store keeps the text as written."""
    return xlsx_safe("" if text is None else str(text))


def xml_time(stamp: str | None) -> str | None:
    """A stored ISO time as xsd:dateTime in UTC with a Z, the form other tools write."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomically(path: str | Path, data: bytes, check=None) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it into place, so a
    failure never leaves half a file where the user asked for one. `check(temporary)`,
    if given, may refuse the file (raise) before it takes the name."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(path, None, f"the folder {path.parent} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise InputError(path, None, f"cannot write here: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if check is not None:
            check(Path(temporary))
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(path, None, f"cannot write: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
