"""Vetoes: mentions of a need that do not state it.

NegEx (via negspacy) with triggers written for talk about needs rather than
clinical findings, grouped in classes so that a vetoed mention says why
(`coding audit --all` lists them):

- denied: "we do not need X", "X is not a priority";
- refused: casual refusals, "X, no, not really", "no X, god no", "X isn't the
  bottleneck", "the last thing we want is X", "nobody here needs X", "I
  wouldn't say we need X";
- hypothetical: a need imagined only to be turned down, "a paid person would
  feel weird", "X would be overkill";
- already met: "we have a lawyer on retainer", "the foundation money covers
  us", "we do that ourselves".

A trigger vetoes a mention only when it stands within WINDOW tokens of it, in
the same sentence and before any termination word ("but", "however", ...).
The generic clinical triggers ("no", "not", "without") are left out on
purpose: in needs talk "we have no lawyer" states a need, it does not deny one.
Triggers are matched on lower-cased words; each language has its own lists:
English, Spanish, French and Portuguese (a language without lists gets no
negation, and `nlp.language_warnings` says so once per run).
"""

from __future__ import annotations

from negspacy.negation import Negex
from spacy.language import Language
from spacy.tokens import Doc, Span

WINDOW = 6
REASON = "veto_reason"

# language -> class -> ("preceding" | "following") -> triggers
VETOES: dict[str, dict[str, dict[str, list[str]]]] = {
    "en": {
        "denied": {
            "preceding": [
                "do not need", "don't need", "dont need", "does not need", "doesn't need",
                "did not need", "didn't need", "never needed", "not need", "no need for",
                "no need to", "no real need for", "nobody needs", "no one needs",
                "not looking for", "not asking for", "not interested in", "no interest in",
                "can do without", "could do without", "fine without",
                "not a priority", "not really a priority",
            ],
            "following": [
                "is not needed", "isn't needed", "are not needed", "aren't needed", "not needed",
                "is not a need", "isn't a need", "not a need",
                "is not a priority", "isn't a priority", "are not a priority", "aren't a priority",
                "not a priority", "not really a priority",
                "is not an issue", "isn't an issue", "are not an issue", "aren't an issue", "not an issue",
                "is not a problem", "isn't a problem", "not a problem", "not our problem",
                "is not the problem", "isn't the problem", "is not the issue", "isn't the issue",
                "not a concern", "is not necessary", "isn't necessary", "not necessary",
                "is not something we need", "isn't something we need", "is not what we need",
                "isn't what we need", "we can do without", "not what holds us back", "not missing",
            ],
        },
        "refused": {
            "preceding": [
                "last thing we want", "last thing we need", "last thing i want", "last thing anyone wants",
                "nobody here needs", "nobody here wants", "no one here needs", "no one here wants",
                "none of us need", "none of us needs", "none of us want", "nobody wants", "no one wants",
                "wouldn't say we need", "would not say we need", "wouldn't say we're missing",
                "don't think we need", "do not think we need", "don't really need", "do not really need",
                "not convinced we need", "doubt we need", "we're not short of", "we are not short of",
                "not short on", "god no", "hell no", "no way",
            ],
            "following": [
                "no, not really", "not really", "god no", "hell no", "no way", "not at all",
                "absolutely not", "definitely not", "not for us", "is not for us", "isn't for us",
                "isn't the bottleneck", "is not the bottleneck", "not the bottleneck",
                "isn't our bottleneck", "is not our bottleneck", "isn't what's missing",
                "is not what is missing", "isn't what holds us back", "doesn't hold us back",
                "is not what we lack", "isn't what we lack", "is the least of our worries",
                "least of our worries", "least of our problems",
            ],
        },
        "hypothetical": {
            "preceding": [
                "even if we had", "even if there were", "even with",
            ],
            "following": [
                "would feel weird", "would feel strange", "would feel odd", "would feel wrong",
                "would be weird", "would be strange", "would be odd", "would be overkill",
                "would be a waste", "would be too much", "would not help", "wouldn't help",
                "would not change anything", "wouldn't change anything", "would not fix",
                "wouldn't fix", "would kill", "would ruin",
            ],
        },
        "already met": {
            "preceding": [
                "we already have", "we've already got", "we already got", "already have a",
                "we have our own", "we've got our own", "already taken care of",
            ],
            "following": [
                "on retainer", "covers us", "covers it", "covers that", "covers all of that",
                "is covered", "are covered", "is already covered", "are already covered",
                "is taken care of", "are taken care of", "is sorted", "are sorted", "is already sorted",
                "already sorted", "is in place", "already in place", "we do that ourselves", "we do ourselves",
                "we do it ourselves", "we handle that ourselves", "we handle it ourselves",
                "we manage that ourselves", "we manage it ourselves", "we sort that ourselves",
                "we have that", "we've got that", "we have that covered", "we've got that covered",
                "works fine", "works well for us", "is fine as it is",
            ],
        },
    },
    # Spanish, French and Portuguese: the same classes. A bare "no" / "pas" / "não" is left
    # out as in English: "no tenemos abogado", "on n'a pas de juriste" state a need.
    "es": {
        "denied": {
            "preceding": [
                "no necesitamos", "no necesito", "no necesita", "no necesitan", "no nos hace falta",
                "no hace falta", "no buscamos", "no estamos buscando", "no pedimos", "no estamos pidiendo",
                "no nos interesa", "no tenemos interés en", "no tenemos necesidad de", "no hay necesidad de",
                "ninguna necesidad de", "nadie necesita", "nadie ha pedido", "podemos prescindir de",
                "no es una prioridad", "no es prioridad",
            ],
            "following": [
                "no es necesario", "no es necesaria", "no son necesarios", "no son necesarias",
                "no hace falta", "no nos hace falta", "no es una necesidad", "no es una prioridad",
                "no es prioridad", "no es prioritario", "no es prioritaria", "no son una prioridad",
                "no es un problema", "no es el problema", "no es un tema", "no nos preocupa",
                "no es lo que necesitamos", "no es lo que nos falta", "no nos falta",
            ],
        },
        "refused": {
            "preceding": [
                "lo último que queremos", "lo último que necesitamos", "nadie aquí necesita", "nadie quiere",
                "ninguno de nosotros necesita", "no creo que necesitemos", "no diría que necesitamos",
                "ni hablar de",
            ],
            "following": [
                "la verdad es que no", "para nada", "en absoluto", "ni hablar", "de ninguna manera",
                "no es para nosotros", "no es el cuello de botella", "es lo de menos",
                "no es lo que nos frena",
            ],
        },
        "hypothetical": {
            "preceding": ["aunque tuviéramos", "incluso si tuviéramos", "incluso con"],
            "following": [
                "sería raro", "sería extraño", "sería excesivo", "sería demasiado", "sería un desperdicio",
                "no ayudaría", "no serviría de nada", "no cambiaría nada",
            ],
        },
        "already met": {
            "preceding": [
                "ya tenemos", "ya contamos con", "tenemos nuestro propio", "tenemos nuestra propia",
            ],
            "following": [
                "ya está cubierto", "ya está cubierta", "está cubierto", "está cubierta", "ya está resuelto",
                "está resuelto", "lo hacemos nosotros mismos", "lo resolvemos nosotros mismos", "nos cubre",
                "funciona bien",
            ],
        },
    },
    "fr": {
        "denied": {
            "preceding": [
                # no trailing "de" / "d'": an elided "d'" is one token only before its word
                "nous n'avons pas besoin", "on n'a pas besoin", "je n'ai pas besoin", "ils n'ont pas besoin",
                "pas besoin", "aucun besoin", "nous ne cherchons pas", "on ne cherche pas",
                "nous ne demandons pas", "on ne demande pas", "personne n'a besoin", "on peut se passer",
                "nous pouvons nous passer", "pas une priorité",
            ],
            "following": [
                "n'est pas nécessaire", "ne sont pas nécessaires", "pas nécessaire", "n'est pas un besoin",
                "n'est pas une priorité", "ne sont pas une priorité", "pas une priorité",
                "n'est pas un problème", "pas un problème", "n'est pas le problème",
                "n'est pas ce dont nous avons besoin", "n'est pas ce qui nous manque", "ne nous manque pas",
            ],
        },
        "refused": {
            "preceding": [
                "la dernière chose que nous voulons", "la dernière chose qu'on veut", "personne ici ne veut",
                "personne ne veut", "je ne pense pas qu'on ait besoin", "je ne dirais pas qu'on a besoin",
                "surtout pas", "pas question",
            ],
            "following": [
                "non, pas vraiment", "pas vraiment", "pas du tout", "absolument pas", "surtout pas",
                "certainement pas", "n'est pas pour nous", "pas pour nous", "n'est pas ce qui nous freine",
                "le cadet de nos soucis",
            ],
        },
        "hypothetical": {
            "preceding": ["même si nous avions", "même si on avait", "même avec"],
            "following": [
                "serait bizarre", "serait étrange", "serait excessif", "serait de trop", "serait du gaspillage",
                "n'aiderait pas", "ne servirait à rien", "ne changerait rien",
            ],
        },
        "already met": {
            "preceding": [
                "nous avons déjà", "on a déjà", "nous disposons déjà",
                "nous avons notre propre", "on a notre propre",
            ],
            "following": [
                "est déjà couvert", "est couvert", "est déjà réglé", "est réglé", "est déjà en place",
                "déjà en place", "nous le faisons nous-mêmes", "on le fait nous-mêmes",
                "on s'en occupe nous-mêmes", "nous nous en occupons nous-mêmes", "nous couvre",
                "fonctionne bien",
            ],
        },
    },
    "pt": {
        "denied": {
            "preceding": [
                "não precisamos", "não precisamos de", "não preciso de", "não precisa de", "não precisam de",
                "não nos faz falta", "não faz falta", "não estamos procurando", "não estamos à procura de",
                "não pedimos", "não temos interesse em", "não há necessidade de", "nenhuma necessidade de",
                "ninguém precisa de", "podemos passar sem", "não é uma prioridade", "não é prioridade",
            ],
            "following": [
                "não é necessário", "não é necessária", "não são necessários", "não são necessárias",
                "não faz falta", "não nos faz falta", "não é uma necessidade", "não é uma prioridade",
                "não é prioridade", "não é um problema", "não é o problema", "não é o que precisamos",
                "não é o que nos falta",
            ],
        },
        "refused": {
            "preceding": [
                "a última coisa que queremos", "ninguém aqui precisa de", "ninguém quer",
                "não acho que precisamos de", "não acho que precisemos de", "nem pensar em",
            ],
            "following": [
                "nem por isso", "de jeito nenhum", "nem pensar", "de forma alguma", "não é para nós",
                "não é o gargalo", "o menor dos nossos problemas",
            ],
        },
        "hypothetical": {
            "preceding": ["mesmo se tivéssemos", "mesmo que tivéssemos", "mesmo com"],
            "following": [
                "seria estranho", "seria esquisito", "seria exagero", "seria um exagero", "seria demais",
                "seria um desperdício", "não ajudaria", "não mudaria nada",
            ],
        },
        "already met": {
            "preceding": [
                "já temos", "já contamos com", "temos o nosso próprio", "temos a nossa própria",
                "temos nosso próprio", "temos nossa própria",
            ],
            "following": [
                "já está coberto", "está coberto", "já está resolvido", "está resolvido",
                "nós mesmos fazemos isso", "fazemos isso nós mesmos", "nos cobre", "funciona bem",
            ],
        },
    },
}

PSEUDO = {
    "en": ["not only", "not just", "no doubt", "not sure", "no longer", "not really sure"],
    "es": ["no solo", "no sólo", "no solamente", "sin duda", "no estoy seguro", "no estoy segura", "no sé si"],
    "fr": ["non seulement", "pas seulement", "pas uniquement", "sans doute", "pas sûr", "pas sûre"],
    "pt": ["não só", "não apenas", "não somente", "sem dúvida", "não tenho certeza", "não sei se"],
}
TERMINATION = {
    "en": ["but", "however", "although", "though", "yet", "except", "instead", "whereas",
           "because", "which", "while", "apart from", "what we do need", "what we need",
           "we do need", "still need", ";"],
    "es": ["pero", "sin embargo", "aunque", "aun así", "excepto", "salvo", "en cambio", "mientras que",
           "porque", "lo que sí necesitamos", "lo que necesitamos", "sí necesitamos", "todavía necesitamos",
           "seguimos necesitando", ";"],
    "fr": ["mais", "cependant", "pourtant", "toutefois", "bien que", "quoique", "sauf", "par contre",
           "en revanche", "alors que", "tandis que", "parce que", "car", "ce dont nous avons besoin",
           "ce dont on a besoin", "ce qu'il nous faut", "nous avons besoin de", "on a besoin de", ";"],
    "pt": ["mas", "porém", "contudo", "no entanto", "entretanto", "embora", "exceto", "salvo", "enquanto",
           "porque", "pois", "o que precisamos", "o que realmente precisamos", "ainda precisamos", ";"],
}


def _with_curly_apostrophes(triggers) -> list[str]:
    """People type "isn't" and "isn’t" alike."""
    return sorted({t for trigger in triggers for t in (trigger, trigger.replace("'", "\u2019"))})


def termset(lang: str) -> dict[str, list[str]] | None:
    """negspacy's termset for a language, or None when we have no triggers for it."""
    classes = VETOES.get(lang)
    if classes is None:
        return None
    return {
        "pseudo_negations": _with_curly_apostrophes(PSEUDO.get(lang, [])),
        "preceding_negations": _with_curly_apostrophes(t for c in classes.values() for t in c["preceding"]),
        "following_negations": _with_curly_apostrophes(t for c in classes.values() for t in c["following"]),
        "termination": _with_curly_apostrophes(TERMINATION.get(lang, [])),
    }


def trigger_classes(lang: str) -> dict[tuple[str, str], str]:
    """(direction, lower-cased trigger) -> its class."""
    return {(direction, trigger): name for name, sides in VETOES.get(lang, {}).items()
            for direction, triggers in sides.items() for trigger in triggers}


class WindowedNegex(Negex):
    """negspacy's Negex, but a trigger only reaches WINDOW tokens, and a vetoed
    span records why (`span._.veto_reason`: "refused: not really")."""

    def __init__(self, nlp: Language, span_key: str, window: int = WINDOW):
        terms = termset(nlp.lang) or {"pseudo_negations": [], "preceding_negations": [],
                                      "following_negations": [], "termination": []}
        super().__init__(nlp, "negex", neg_termset=terms, extension_name="negated", span_keys=[span_key])
        if not Span.has_extension(REASON):
            Span.set_extension(REASON, default="")
        self.window = window
        self.classes = trigger_classes(nlp.lang)
        self.available = lang_has_vetoes(nlp.lang)

    def _apply_negation(self, span, sub_preceding, sub_following) -> None:
        before = [(span.start - end, start, end) for _, start, end in sub_preceding
                  if end <= span.start and span.start - end <= self.window]
        after = [(start - span.end, start, end) for _, start, end in sub_following
                 if start >= span.end and start - span.end <= self.window]
        if not (before or after):
            return
        direction, (_, start, end) = min([("preceding", b) for b in before] + [("following", a) for a in after],
                                         key=lambda item: item[1][0])
        trigger = span.doc[start:end].text.lower().replace("\u2019", "'")
        kind = self.classes.get((direction, trigger), "denied")
        span._.set(self.extension_name, True)
        span._.set(REASON, f"{kind}: {span.doc[start:end].text}")

    def __call__(self, doc: Doc) -> Doc:
        return self.negex(doc) if self.available else doc


def lang_has_vetoes(lang: str) -> bool:
    return lang in VETOES
