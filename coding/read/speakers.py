"""Speaker labels as people and services write them, mapped to declared speakers.

`Interviewer`, `INTERVIEWER (J.)`, `interviewer:` and `Int.` are all the declared
`Interviewer`: a label is compared by its *key* (case folded, parenthesised or
bracketed asides and trailing punctuation dropped), then as an abbreviation (the
start of exactly one declared name), then as a near match (rapidfuzz ratio of the
keys at least NEAR_MATCH), which is accepted with a warning naming both.

Formats that cannot declare speakers (captions, Word, sheets) meet labels nobody
declared: such a speaker is an interviewer when the label names the role
(`Interviewer`, `Moderator`, `Facilitator`, `Host`, `Int.`, `Q`), otherwise a
participant, said once per speaker in a warning.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

NEAR_MATCH = 85
ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
INTERVIEWER_WORDS = {"interviewer", "interviewers", "moderator", "facilitator", "host", "researcher",
                     "int", "mod", "fac", "i", "q", "question"}


def label_key(label: str) -> str:
    """The form labels are compared in: 'INTERVIEWER (J.):' -> 'interviewer'."""
    text = unicodedata.normalize("NFKC", label)
    text = ASIDE.sub(" ", text)
    text = text.strip().rstrip(":.-–— \t").strip()
    return " ".join(text.casefold().split())


def _numbers(key: str) -> list[str]:
    return re.findall(r"\d+", key)


def names_interviewer(label: str) -> bool:
    """'Interviewer', 'Moderator 2', 'Int.', 'Q': a label that names the interviewer's role."""
    words = label_key(label).replace(".", " ").split()
    return bool(words) and words[0] in INTERVIEWER_WORDS


class Speakers:
    """The speakers of one transcript: declared ones, and (for formats that allow it)
    the ones met on the way. `resolve` maps a label as written to a speaker's name."""

    def __init__(self, declared: dict[str, str], where: str, declared_in: str = ""):
        self.roles: dict[str, str] = dict(declared)
        self.declared = set(declared)
        self.where = where  # the file, for warnings
        self.declared_in = declared_in  # e.g. "interview.yaml", for warnings
        self.near: list[str] = []  # near matches, said each
        self.undeclared: list[str] = []  # speakers met but not declared, said together
        self._resolved: dict[str, str | None] = {}

    def resolve(self, label: str) -> str | None:
        """The speaker a label stands for, or None when it matches nobody known."""
        if label in self.roles:
            return label
        if label not in self._resolved:
            self._resolved[label] = self._match(label)
        return self._resolved[label]

    def _match(self, label: str) -> str | None:
        key = label_key(label)
        if not key:
            return None
        keys = {label_key(name): name for name in self.roles}
        if key in keys:
            return keys[key]
        # abbreviations and near matches only to declared names: two speakers met on the
        # way ('Ana', 'Anna') may well be two people
        keys = {k: name for k, name in keys.items() if name in self.declared}
        starts = [name for k, name in keys.items() if len(key) >= 2 and k.startswith(key)]
        if len(starts) == 1 and (label.rstrip().endswith(".") or len(key) >= 3):
            return starts[0]
        same_numbers = [k for k in keys if _numbers(k) == _numbers(key)]  # 'Speaker 2' is not 'Speaker 1'
        best = process.extract(key, same_numbers, scorer=fuzz.ratio, score_cutoff=NEAR_MATCH, limit=2)
        if len(best) == 1 or (len(best) == 2 and best[0][1] > best[1][1]):
            name = keys[best[0][0]]
            self.near.append(f"{self.where}: speaker label {label!r} taken as {name!r} "
                             f"(a near match, {best[0][1]:.0f})")
            return name
        return None

    def speaker(self, label: str, role: str | None = None) -> str:
        """The speaker a label stands for; a label matching nobody becomes a new speaker:
        with the `role` given (a sheet's role column), else an interviewer if the label
        names the role, else a participant, said in a warning."""
        name = self.resolve(label)
        if name is not None:
            return name
        name = " ".join(label.split())
        # labels that matched nobody may match the newcomer ('CARLA (C.)' after 'Carla')
        self._resolved = {k: v for k, v in self._resolved.items() if v is not None}
        self._resolved[label] = name
        if role is not None:
            self.roles[name] = role
            return name
        self.roles[name] = "interviewer" if names_interviewer(name) else "participant"
        self.undeclared.append(name)
        return name

    @property
    def warnings(self) -> list[str]:
        if not self.undeclared:
            return list(self.near)
        by_role = {role: [n for n in self.undeclared if self.roles[n] == role] for role in ("interviewer", "participant")}
        taken = "; ".join(f"{', '.join(names)} as {role}{'s' if len(names) > 1 else ''}"
                          for role, names in by_role.items() if names)
        where = f"in {self.declared_in}" if self.declared_in else "(no sidecar with speakers)"
        return [*self.near, f"{self.where}: speakers not declared {where}, taken by name: {taken}"]

    def role(self, name: str) -> str:
        return self.roles[name]
