"""Plain keyword search, the baseline every accuracy figure is measured against.

A segment is coded when one of a code's terms occurs in it as whole words,
ignoring case: no inflections, typos, vetoes, patterns or roles. It is what a
researcher gets from a search box, and what `coding tag --auto-coder keywords`
stores so that `coding evaluate --compare` can weigh the real coders against it.
"""

from __future__ import annotations

import re

from ..codebook import Codebook
from ..coders import RULE_CODER
from .rules import Coding


class KeywordCoder:
    coder = RULE_CODER

    def __init__(self, codebook: Codebook, nlp):
        self.codebook, self.nlp = codebook, nlp
        self.searches = [(code.id, term, re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE))
                         for code in codebook.codes for term in code.terms_for(nlp.lang)]

    def code(self, transcript, pieces, segments, docs) -> list[Coding]:
        rows = {}
        for segment in segments:
            for code, term, search in self.searches:
                found = search.search(segment.text)
                if found is None or (segment.start, code) in rows:
                    continue
                start = segment.start + found.start()
                rows[segment.start, code] = Coding(
                    transcript=transcript.path, group=segment.group or transcript.group,
                    segment_start=segment.start, segment_end=segment.end, line=segment.line,
                    speaker=segment.speaker, role=segment.role, quote=segment.text, code=code,
                    matched_text=found.group(0), match_start=start, match_end=start + len(found.group(0)),
                    method="keyword", score=100.0, rule=f"keyword: {term}")
        return sorted(rows.values(), key=lambda c: (c.segment_start, c.code))
