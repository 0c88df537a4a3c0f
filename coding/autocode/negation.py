"""Negated mentions: "we do not need legal support" is not a need.

NegEx (via negspacy) with a termset written for talk about needs rather than
clinical findings, and a window: a trigger negates a mention only when it
stands within a few tokens of it, in the same sentence and before any
termination word ("but", "however", ...). The generic clinical triggers
("no", "not", "without") are left out on purpose: in needs talk "we have no
lawyer" states a need, it does not deny one.
"""

from __future__ import annotations

from negspacy.negation import Negex
from spacy.language import Language
from spacy.tokens import Doc

WINDOW = 6

NEEDS_TERMSET = {
    "pseudo_negations": [
        "not only", "not just", "no doubt", "not sure", "no longer",
    ],
    "preceding_negations": [
        "do not need", "don't need", "dont need", "does not need", "doesn't need",
        "did not need", "didn't need", "never needed", "not need", "no need for",
        "no need to", "no real need for", "nobody needs", "no one needs",
        "not looking for", "not asking for", "not interested in", "no interest in",
        "can do without", "could do without", "fine without",
        "not a priority", "not really a priority",
    ],
    "following_negations": [
        "is not needed", "isn't needed", "are not needed", "aren't needed", "not needed",
        "is not a need", "isn't a need", "not a need",
        "is not a priority", "isn't a priority", "are not a priority", "aren't a priority",
        "not a priority", "not really a priority",
        "is not an issue", "isn't an issue", "are not an issue", "aren't an issue", "not an issue",
        "is not a problem", "isn't a problem", "not a problem", "not our problem",
        "is not the problem", "isn't the problem", "is not the issue", "isn't the issue",
        "not a concern", "is not necessary", "isn't necessary", "not necessary",
        "is not something we need", "isn't something we need", "is not what we need",
        "isn't what we need", "we can do without", "is already covered", "are already covered",
        "not what holds us back", "not missing",
    ],
    "termination": [
        "but", "however", "although", "though", "yet", "except", "instead", "whereas",
        "because", "which", "while", "apart from", "what we do need", "what we need",
        "we do need", "still need", ";",
    ],
}


class WindowedNegex(Negex):
    """negspacy's Negex, but a trigger only reaches WINDOW tokens."""

    def __init__(self, nlp: Language, span_key: str, window: int = WINDOW,
                 termset: dict[str, list[str]] = NEEDS_TERMSET):
        super().__init__(nlp, "negex", neg_termset=termset, extension_name="negated",
                         span_keys=[span_key])
        self.window = window

    def _apply_negation(self, span, sub_preceding, sub_following) -> None:
        before = any(end <= span.start and span.start - end <= self.window
                     for _, _, end in sub_preceding)
        after = any(start >= span.end and start - span.end <= self.window
                    for _, start, _ in sub_following)
        if before or after:
            span._.set(self.extension_name, True)

    def __call__(self, doc: Doc) -> Doc:
        return self.negex(doc)
