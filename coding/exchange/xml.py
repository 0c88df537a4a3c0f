"""Reading XML from anyone: no DTD, no entities, no network, nothing nested too deep.

A REFI-QDA file never needs a DTD. One that declares one may hide a billion-laughs
entity bomb or an external entity that reads a local file or a URL, so any DTD is
refused before a single entity is expanded (defusedxml, `forbid_dtd`). Elements are
then found by local name, so a file in another namespace (or none) is still read
and the difference is reported as a warning, not a crash.
"""

from __future__ import annotations

from typing import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..errors import InputError

MAX_DEPTH = 100  # deeper than any real codebook; keeps every later walk bounded


def parse(data: bytes, path, what: str) -> Element:
    """The root element of `data`; a DTD, an entity or malformed XML is one InputError."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise InputError(path, None, f"refused: {what} declares a DTD or entities ({type(error).__name__}); "
                         "REFI-QDA files have none, and entities can expand without end or read other files") from None
    except ParseError as error:
        line = getattr(error, "position", (None,))[0]
        raise InputError(path, line, f"{what} is not well-formed XML ({error})") from None
    _check_depth(root, path, what)
    return root


def _check_depth(root: Element, path, what: str) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(path, None, f"refused: {what} nests elements more than {MAX_DEPTH} deep")
        stack.extend((child, depth + 1) for child in element)


def local(tag: str) -> str:
    """'{urn:QDA-XML:project:1.0}Code' -> 'Code'."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(element: Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def kids(element: Element, name: str) -> Iterator[Element]:
    """The children of `element` with local name `name`, in document order."""
    return (child for child in element if local(child.tag) == name)


def kid(element: Element, name: str) -> Element | None:
    return next(kids(element, name), None)


def text_of(element: Element | None) -> str:
    return "" if element is None else "".join(element.itertext())
