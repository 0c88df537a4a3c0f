"""What a codebook term matches: the rule, in one place.

A term is one or more words. A word of a term matches a word of the text when

1. it is the same word, ignoring case ("Training" = "training"), or
2. the text's word is an *inflection* of it: the lookup table of the language
   (spacy-lookups-data) gives the term's word as its lemma, in one step, and
   it is spelt like it (all but at most the last two letters kept). So the
   term "train" matches trains, trained, training; the term "training" matches
   trainings but not "train"; "staffing" does not match "staff" (the table
   takes staffing to staff, not the other way), "good" does not match
   "better".

Words of a term may be written apart, hyphenated or closed up:
"capacity building" matches "capacity-building", "capacity building" and
"capacitybuilding", and so does the term written "capacity-building".
Misspellings (see `rules.TypoCorrector`) stand for the form they are closest to.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from functools import lru_cache
from importlib import resources

HYPHENS = ["-", "\u2010", "\u2011", "\u2013"]
HYPHEN_CHARS = re.compile("[\u2010\u2011\u2013]")
TERM_WORD_BREAK = re.compile(r"[\s\-\u2010\u2011\u2013]+")
MAX_CHANGED_ENDING = 2


@lru_cache(maxsize=None)
def direct_lemmas(lang: str) -> dict[str, str]:
    """Lower-case word -> its lemma in one step of the lookup table (empty if the
    language has none). Unlike `nlp.lemma_table`, chains are not followed."""
    data = resources.files("spacy_lookups_data") / "data"
    for name in (f"{lang}_lemma_lookup.json.gz", f"{lang}_lemma_lookup.json"):
        source = data / name
        if source.is_file():
            raw = source.read_bytes()
            table = json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)
            # the fr and ca tables give each word a list, [lemma]: spaCy takes the first
            return {key.lower(): (value if isinstance(value, str) else value[0]).lower()
                    for key, value in table.items() if value}
    return {}


@lru_cache(maxsize=None)
def _inflections_by_lemma(lang: str) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for word, lemma in direct_lemmas(lang).items():
        if word != lemma and spelt_like(word, lemma):
            found.setdefault(lemma, set()).add(word)
    return {lemma: frozenset(words) for lemma, words in found.items()}


def spelt_like(form: str, word: str) -> bool:
    """Does `form` keep all of `word` but its last two letters at most (make -> making)?"""
    keep = max(1, len(word) - MAX_CHANGED_ENDING)
    return form[:keep] == word[:keep]


def forms(word: str, lang: str) -> frozenset[str]:
    """The word itself and its inflections: the text words a term word matches."""
    word = word.lower()
    return frozenset({word}) | _inflections_by_lemma(lang).get(word, frozenset())


def term_words(term: str) -> list[str]:
    """A term's words, whether written apart or hyphenated."""
    return [w for w in TERM_WORD_BREAK.split(term.lower().strip()) if w]


def closed_forms(words: list[str], lang: str) -> frozenset[str]:
    """The words of a term closed up into one ("capacitybuilding"), with the last
    word's inflections closed up too."""
    head = "".join(words[:-1])
    return frozenset(head + form for form in forms(words[-1], lang))


MAX_VARIANTS = 256


def term_phrases(term: str, lang: str, tokenize) -> list[list[str]]:
    """Every way of writing a term, as the lower-cased token sequences spaCy would make
    of it (for a PhraseMatcher on NORM): each word in each of its forms, written apart
    or hyphenated (any hyphen reads as "-"), or closed up / hyphenated in one token.
    `tokenize` splits a word as the pipeline does. Past MAX_VARIANTS only the last word
    is inflected."""
    words = term_words(term)
    if not words:
        return []
    choices = [sorted(forms(word, lang)) for word in words]
    if _product_size(choices) * 2 ** (len(words) - 1) > MAX_VARIANTS:
        choices = [[word] for word in words[:-1]] + [choices[-1]]
    phrases: set[tuple[str, ...]] = set()
    for combination in itertools.product(*choices):
        for joints in itertools.product(("", "-"), repeat=len(words) - 1):
            tokens: list[str] = []
            for index, word in enumerate(combination):
                if index and joints[index - 1]:
                    tokens.append("-")
                tokens += tokenize(word)
            phrases.add(tuple(tokens))
    if len(words) > 1:  # closed up, or hyphenated in one token (a non-breaking hyphen is not split)
        for form in forms(words[-1], lang):
            phrases.add(("".join(words[:-1]) + form,))
            phrases.add(("-".join(words[:-1]) + "-" + form,))
    return [list(phrase) for phrase in sorted(phrases)]


def _product_size(choices: list[list[str]]) -> int:
    size = 1
    for options in choices:
        size *= len(options)
    return size


def norm_of(lower: str) -> str:
    """The form a text word is matched by: lower case, one apostrophe, one hyphen."""
    return HYPHEN_CHARS.sub("-", lower.replace("\u2019", "'"))


def trigger_sets(term: str, lang: str) -> list[list[frozenset[str]]]:
    """For the fast path: the word sets a match of this term needs one word of each
    (one list per way of writing it: apart or closed up)."""
    words = term_words(term)
    ways = [[forms(word, lang) for word in words]]
    if len(words) > 1:
        ways.append([closed_forms(words, lang)])
    return ways
