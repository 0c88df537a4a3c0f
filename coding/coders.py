"""Who codes: machines suggest, people decide.

The one rule for telling them apart. The rule coder signs its suggestions
`auto`; a learned coder signs `auto:<model>`. People's names may not start
with `auto` and may not contain a colon, so no person can pass for a machine.
"""

from __future__ import annotations

import os
import re

from .errors import InputError

RULE_CODER = "auto"
MACHINE_PREFIX = "auto"
CODER_VARIABLE = "CODING_CODER"
_PERSON_NAME = re.compile(r"^[\w.@ -]{1,64}$")

# The same rule for SQL over the codings table.
MACHINE_SQL = "(coder = 'auto' OR coder LIKE 'auto:%')"


def is_machine(coder: str) -> bool:
    return coder == RULE_CODER or coder.startswith(MACHINE_PREFIX + ":")


def machine_mask(coders):
    """A pandas boolean mask: which of these coder names are machines."""
    names = coders.astype(str)
    return (names == RULE_CODER) | names.str.startswith(MACHINE_PREFIX + ":")


def person_name(name: str | None) -> str:
    """The person making decisions: the given name, else $CODING_CODER."""
    name = (name or os.environ.get(CODER_VARIABLE, "")).strip()
    if not name:
        raise InputError(None, None, f"who is coding? give --coder NAME or set {CODER_VARIABLE}")
    if name.lower() == RULE_CODER or is_machine(name.lower()):
        raise InputError(None, None, f"the coder name {name!r} is reserved for machine coders")
    if not _PERSON_NAME.match(name):
        raise InputError(None, None, f"coder name {name!r}: use letters, digits, spaces, . @ - _ (64 at most)")
    return name
