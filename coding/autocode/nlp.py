"""The spaCy pipeline: tokenizer, sentencizer and a lookup lemmatizer.

No model is downloaded: the default is `spacy.blank(lang)` with rule and
lookup components whose data ships in spacy-lookups-data. An installed
statistical model may be named instead; its tokenizer and sentence
boundaries are then used, while lemmas still come from the lookup table so
that matching behaves the same whatever the model.

Each transcript's `language` picks the blank pipeline and the lemma table. A
language spacy-lookups-data has no table for (Arabic, for one) is matched on
lower-cased word forms only, and `language_warnings` says so once per run.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from ..errors import InputError
from .terms import direct_lemmas


@lru_cache(maxsize=None)
def lemma_table(lang: str) -> dict[str, str]:
    """Lower-case word -> lemma, from spacy-lookups-data (empty if none for lang), with
    lemma chains followed to their end. Read from the package's data file (see
    `terms.direct_lemmas`) rather than through `spacy.lookups`, whose tables keep only
    hashes of their keys: we need the words themselves to know which words are real."""
    direct = direct_lemmas(lang)
    return {word: _root(word, direct) for word in direct}


def _root(word: str, table: dict[str, str]) -> str:
    """Follow lemma chains to their end: the table maps "trainings" to
    "training" but "training" to "train", and both should meet the term."""
    seen = {word}
    while (lemma := table.get(word, word)) not in seen:
        seen.add(lemma)
        word = lemma
    return word


@lru_cache(maxsize=None)
def known_words(lang: str) -> frozenset[str]:
    """Words the lemma table knows: a real word is never treated as a typo."""
    table = lemma_table(lang)
    return frozenset(table) | frozenset(table.values())


@lru_cache(maxsize=None)
def lemma_forms(lang: str) -> dict[str, frozenset[str]]:
    """lemma -> every lower-case word the lookup lemmatizer gives that lemma (itself included)."""
    forms: dict[str, set[str]] = {}
    for word, lemma in lemma_table(lang).items():
        forms.setdefault(lemma, {lemma}).add(word)
    return {lemma: frozenset(words) for lemma, words in forms.items()}


class LowercaseLookupLemmatizer:
    """Sets `token.lemma_` from the lookup table, keyed by the lower-cased form.

    spaCy's own lookup lemmatizer is case-sensitive, so "Trainings" at the
    start of a sentence would keep its surface form; lower-casing first makes
    lemmas independent of capitalisation. Each distinct word is looked up once.
    """

    def __init__(self, lang: str):
        self.table = lemma_table(lang)
        self.cache: dict[int, str] = {}

    def __call__(self, doc: Doc) -> Doc:
        cache, table = self.cache, self.table
        for token in doc:
            lemma = cache.get(token.orth)
            if lemma is None:
                lower = token.lower_
                lemma = cache[token.orth] = table.get(lower, lower)
            token.lemma_ = lemma
        return doc


@Language.factory("lowercase_lookup_lemmatizer")
def make_lowercase_lookup_lemmatizer(nlp: Language, name: str):
    return LowercaseLookupLemmatizer(nlp.lang)


@lru_cache(maxsize=None)
def make_nlp(lang: str = "en", model: str | None = None) -> Language:
    """The pipeline used for segmenting and coding; cached per language and model."""
    if model:
        try:
            nlp = spacy.load(model, exclude=["lemmatizer", "ner", "textcat"])
        except OSError:
            raise InputError(None, None, f"spaCy model {model!r} is not installed; "
                             "omit --model to use the built-in blank pipeline") from None
    else:
        try:
            nlp = spacy.blank(lang)
        except ImportError as error:
            # E048: no such language; otherwise its tokenizer needs a library that is not
            # installed (ja: SudachiPy, th: PyThaiNLP, ko: mecab-ko, vi: pyvi): say which.
            problem = f"spaCy has no language {lang!r}" if "E048" in str(error) else \
                f"spaCy cannot load language {lang!r}: {' '.join(str(error).split())}"
            raise InputError(None, None, problem) from None
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        nlp.add_pipe("sentencizer")
    nlp.add_pipe("lowercase_lookup_lemmatizer")
    return nlp


def language_warnings(languages, model: str | None = None, codebook=None) -> list[str]:
    """One warning per language that is coded with less than English gets: no lemma
    table (terms match only as written, lower-cased), no negation triggers, or no terms
    in the codebook. With a model, the model's language is the one that is coded."""
    from .negation import lang_has_vetoes

    if model:
        languages = {make_nlp("en", model).lang}
    found = []
    for lang in sorted(set(languages)):
        missing = []
        if codebook is not None and not any(code.terms_for(lang) for code in codebook.codes):
            missing.append("no code of the codebook has terms in this language, so only patterns can match")
        if not lemma_table(lang):
            missing.append("no lemma table in spacy-lookups-data, so terms match only their "
                           "lower-cased forms, not inflections")
        if not lang_has_vetoes(lang):
            missing.append("no negation triggers, so a denied need ('we do not need X') is coded")
        if missing:
            found.append(f"language {lang!r}: {'; '.join(missing)}")
    return found
