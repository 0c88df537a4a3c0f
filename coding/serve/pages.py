"""What each page of `coding serve` shows, built from the store.

Plain data for the templates and no web framework, so what a page holds is
tested without a server. Offsets are the store's: code points of the
transcript's normalised text, so a selection on the page names the same
characters as `coding add --chars`.

Which rows a transcript page shows is decided here, once: the row that stands
on each unit (`standing.current`), or, blind, the machine suggestions the
coder has not decided plus the coder's own latest decisions. Each row carries
a revision (`sheets.revisions`, as the spreadsheets do), and a decision is only
applied when the row the page showed is still one the page would show now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..codebook import load_codebook
from ..coders import is_machine
from ..errors import InputError
from ..report import tables
from ..review.decisions import find_transcript, review_queue, undecided_suggestions
from ..review.sheets import revisions
from ..review.standing import DEFAULT_RULE, DISPUTED, UNIT, check_rule, current, latest_per_coder
from ..store import Store

# (strong, light): the chip and the highlight of a code, by its position in the codebook.
# Ten hues a reader tells apart; the light tints keep black text readable on them.
PALETTE = [("#2f6db5", "#d3e4f7"), ("#d0701a", "#fbe0c6"), ("#2e8b47", "#d2eed8"),
           ("#c0392b", "#f7d6d2"), ("#7a56b0", "#e6ddf4"), ("#8a5a3b", "#eedfd2"),
           ("#bf4f94", "#f7d9ec"), ("#6f7a1e", "#e8ecc4"), ("#16868c", "#cdebec"),
           ("#a88200", "#f5e9b8")]
UNKNOWN_COLOUR = ("#6b6b6b", "#e4e4e4")  # a code people decided on that the codebook no longer has
HIGHLIGHTED = ("suggested", "accepted", DISPUTED)  # rejected units are listed, not painted on the text
KEYS = "1234567890"


@dataclass(frozen=True)
class CodeStyle:
    code: str
    label: str
    description: str
    strong: str
    light: str
    key: str  # the digit that picks the code on the page ("" after the tenth)


def code_styles(store: Store) -> dict[str, CodeStyle]:
    """Each code of the store's codebook with its colours and key, in codebook order."""
    codes = store.codes()
    return {row.code: CodeStyle(row.code, row.label, row.description, *PALETTE[i % len(PALETTE)],
                                KEYS[i] if i < len(KEYS) else "")
            for i, row in enumerate(codes.itertuples(index=False))}


def style_of(styles: dict[str, CodeStyle], code: str) -> CodeStyle:
    return styles.get(code) or CodeStyle(code, code, "not in the codebook", *UNKNOWN_COLOUR, "")


# -- the list of transcripts ---------------------------------------------------------


@dataclass
class TranscriptRow:
    path: str
    title: str
    group: str
    date: str
    attributes: dict
    total: int      # units in participants' turns (what review is about)
    decided: int    # of those, units a person has decided (accepted, rejected, manual, disputed)
    disputed: int
    yours: int      # suggestions this coder has not decided yet

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.total) if self.total else 100


def transcript_list(store: Store, coder: str) -> list[TranscriptRow]:
    """Every transcript with its group's attributes and its review progress."""
    transcripts = store.transcripts()
    attributes = {row.pop("group"): row for row in store.groups().to_dict("records")}
    status = tables.status(store)
    per_transcript = status.groupby("transcript")[tables.STATUS_COLUMNS].sum()
    yours = review_queue(store, coder)["transcript"].value_counts()
    rows = []
    for t in transcripts.itertuples(index=False):
        counts = per_transcript.loc[t.path] if t.path in per_transcript.index else None
        get = (lambda column: int(counts[column]) if counts is not None else 0)  # noqa: E731
        total = sum(get(c) for c in ("unreviewed", "accepted", "rejected", "manual", "disputed"))
        rows.append(TranscriptRow(t.path, t.title or Path(t.path).stem, t.group, t.date or "",
                                  {k: v for k, v in attributes.get(t.group, {}).items() if _present(v)},
                                  total, total - get("unreviewed"), get("disputed"), int(yours.get(t.path, 0))))
    return rows


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


# -- one transcript ------------------------------------------------------------------


@dataclass
class Card:
    """One unit's coding in the side panel: what the page lets a coder decide on."""
    coding_id: int
    revision: str
    code: str
    status: str
    who: str          # who decided, or what the coders said on a disputed unit
    mine: str         # this coder's latest decision on the unit ("" if none)
    quote: str
    matched_text: str
    line: int
    turn: int
    start: int
    end: int
    match_start: int | None
    match_end: int | None
    method: str
    score: float | None
    rule: str
    note: str
    speaker: str
    role: str
    pending: bool     # a suggestion this coder has not decided (it is in their review queue)

    @property
    def counts(self) -> bool:
        """Only participants' words count toward a group; interviewer codings are shown, not decided."""
        return self.role == "participant"

    @property
    def highlighted(self) -> bool:
        return self.status in HIGHLIGHTED


@dataclass
class Piece:
    text: str
    ids: str = ""       # the cards covering it, space separated
    style: str = ""     # the code colours (inline: generated from PALETTE, never from text)
    classes: str = ""


@dataclass
class Line:
    number: int
    start: int
    pieces: list[Piece]


@dataclass
class TurnView:
    index: int
    speaker: str
    role: str
    line: int
    start: int
    lines: list[Line]


@dataclass
class TranscriptView:
    path: str
    title: str
    group: str
    date: str
    attributes: dict
    turns: list[TurnView]
    cards: list[Card]
    blind: bool
    pending: int = 0
    codes_used: list[str] = field(default_factory=list)


def page_rows(store: Store, path: str, coder: str, blind: bool, rule: str = DEFAULT_RULE) -> pd.DataFrame:
    """The rows a transcript page shows, each with its revision.

    Open: the row that stands on each unit under `rule`. Blind: the machine's
    suggestions this coder has not decided (revisions as in a blind sheet) and the
    coder's own latest decisions, so no other person's judgement shows through."""
    codings = store.codings("WHERE c.transcript = ?", (path,))
    if not blind:
        standing = current(codings, check_rule(rule))
        return standing.assign(revision=revisions(standing)).reset_index(drop=True)
    own = latest_per_coder(codings)
    own = own[own["coder"] == coder]
    undecided = undecided_suggestions(store, coder)
    undecided = undecided[undecided["transcript"] == path]
    return pd.concat([own.assign(revision=revisions(own)),
                      undecided.assign(revision=revisions(undecided, prefix="b"))], ignore_index=True)


def is_current(store: Store, coder: str, coding_id: int, revision: str) -> bool:
    """Whether a page could show this coding at this revision now (open or blind): if not,
    it changed since the page was loaded, and a decision on it must not be applied."""
    row = store.coding(coding_id)
    if row is None:
        return False
    for blind in (False, True):
        rows = page_rows(store, row["transcript"], coder, blind)
        if ((rows["coding_id"] == coding_id) & (rows["revision"] == revision)).any():
            return True
    return False


def transcript_view(store: Store, name: str, coder: str, blind: bool = False) -> TranscriptView:
    """A transcript as the page shows it: turns cut into numbered lines, the coded spans of
    each line as pieces painted with their codes' colours, and the cards for the side panel."""
    path = find_transcript(store, name)
    info = store.transcripts().set_index("path").loc[path]
    attributes = store.groups().set_index("group")
    group_attributes = attributes.loc[info["group"]].to_dict() if info["group"] in attributes.index else {}
    turns = store.turns(path)
    styles = code_styles(store)
    rows = page_rows(store, path, coder, blind)
    queue = review_queue(store, coder, transcript=path)
    cards = _cards(store, path, rows, turns, coder, {tuple(u) for u in queue[UNIT].itertuples(index=False)})
    views = [TurnView(int(t.turn), t.speaker, t.role, int(t.line), int(t.start),
                      _lines(t.text, int(t.start), int(t.line), [c for c in cards if c.turn == t.turn], styles))
             for t in turns.itertuples(index=False)]
    used = [code for code in styles if any(c.code == code for c in cards)]
    return TranscriptView(path, info["title"] or Path(path).stem, info["group"], info["date"] or "",
                          {k: v for k, v in group_attributes.items() if _present(v)}, views, cards, blind,
                          sum(c.pending for c in cards), used)


def _cards(store: Store, path: str, rows: pd.DataFrame, turns: pd.DataFrame, coder: str,
           pending: set[tuple]) -> list[Card]:
    said = latest_per_coder(store.codings("WHERE c.transcript = ?", (path,)))
    by_unit = {unit: list(zip(group["coder"], group["status"])) for unit, group in said.groupby(UNIT)}
    starts, ends = list(turns["start"]), list(turns["end"])
    cards = []
    for row in rows.sort_values(["segment_start", "segment_end", "code"]).to_dict("records"):
        unit = tuple(row[c] for c in UNIT)
        decisions = by_unit.get(unit, [])
        mine = next((status for who, status in decisions if who == coder), "")
        turn = next((turns["turn"].iloc[i] for i in range(len(starts))
                     if starts[i] <= row["segment_start"] < ends[i]), -1)
        cards.append(Card(
            int(row["coding_id"]), row["revision"], row["code"], row["status"],
            _who(row, decisions), mine, row["quote"], row["matched_text"] or "", int(row["line"]),
            int(turn), int(row["segment_start"]), int(row["segment_end"]), _number(row["match_start"]),
            _number(row["match_end"]), row["method"] or "", _score(row["score"]), row["rule"] or "",
            row["note"] or "", row["speaker"], row["role"], unit in pending))
    return cards


def _who(row: dict, decisions: list[tuple[str, str]]) -> str:
    if row["status"] == DISPUTED:
        return "; ".join(f"{who}: {status}" for who, status in decisions)
    if is_machine(row["coder"]):
        return f"suggested by {row['coder']}"
    return f"{row['status']} by {row['coder']}"


def _number(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _score(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _lines(text: str, start: int, first_line: int, cards: list[Card], styles) -> list[Line]:
    """The turn's text cut at its newlines, each line cut into pieces at every boundary of
    a highlighted coding or of its matched words."""
    painted = [c for c in cards if c.highlighted]
    lines, offset = [], start
    for number, line_text in enumerate(text.split("\n"), start=first_line):
        lines.append(Line(number, offset, _pieces(line_text, offset, painted, styles)))
        offset += len(line_text) + 1
    return lines


def _pieces(text: str, start: int, cards: list[Card], styles) -> list[Piece]:
    end = start + len(text)
    inside = [c for c in cards if c.start < end and c.end > start and c.start < c.end]
    if not inside:
        return [Piece(text)] if text else []
    cuts = {start, end}
    for card in inside:
        cuts.update(x for x in (card.start, card.end, card.match_start, card.match_end)
                    if x is not None and start < x < end)
    pieces = []
    edges = sorted(cuts)
    for low, high in zip(edges, edges[1:]):
        covering = [c for c in inside if c.start <= low and high <= c.end]
        piece_text = text[low - start:high - start]
        if not covering:
            pieces.append(Piece(piece_text))
            continue
        classes = ["coded"]
        if any(c.match_start is not None and c.match_start <= low and high <= (c.match_end or 0) for c in covering):
            classes.append("match")
        if all(c.status == "suggested" for c in covering):
            classes.append("suggested")
        if any(c.status == DISPUTED for c in covering):
            classes.append("disputed")
        if not any(c.counts for c in covering):
            classes.append("faint")
        paint = _paint([style_of(styles, c.code).light for c in covering])
        accepted = [c for c in covering if c.status == "accepted"]
        if accepted:  # a person's accepted coding is underlined in its code's own colour
            classes.append("accepted")
            paint += f"; --strong: {style_of(styles, accepted[0].code).strong}"
        pieces.append(Piece(piece_text, " ".join(str(c.coding_id) for c in covering), paint, " ".join(classes)))
    return pieces


def _paint(colours: list[str]) -> str:
    """One code: its tint; several on the same words: horizontal bands, one per code."""
    colours = list(dict.fromkeys(colours))
    if len(colours) == 1:
        return f"background-color: {colours[0]}"
    step = 100 / len(colours)
    bands = ", ".join(f"{c} {i * step:.0f}% {(i + 1) * step:.0f}%" for i, c in enumerate(colours))
    return f"background-image: linear-gradient({bands})"


# -- the tables ----------------------------------------------------------------------


def needs(store: Store, reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> tuple[list[dict], str]:
    """The needs table's rows and its footer (what it counted, under which rule)."""
    table = tables.needs_table(store, None, reviewed_only, check_rule(rule))
    return table.to_dict("records"), tables.counted_footer(store, reviewed_only, rule)


def matrix(store: Store, reviewed_only: bool = False,
           rule: str = DEFAULT_RULE) -> tuple[list[str], list[str], list[dict]]:
    """(attribute columns, code columns, rows) of the group x code matrix."""
    table = tables.matrix(store, reviewed_only, check_rule(rule))
    codes = list(store.codes()["code"])
    attributes = [c for c in table.columns if c not in codes and c != "group"]
    rows = table.astype(object).where(table.notna(), "").to_dict("records")
    return attributes, codes, rows


def audit(store: Store, code: str | None = None, group: str | None = None, everything: bool = False,
          reviewed_only: bool = False, rule: str = DEFAULT_RULE) -> list[dict]:
    """The quotes behind a count, each with the transcript and line it links to."""
    table = tables.audit(store, code or None, group or None, everything, check_rule(rule))
    if reviewed_only and not everything:  # the audit counts suggestions; a reviewed-only count does not
        table = table[table["status"] == "accepted"]
    rows = table.astype(object).where(table.notna(), "").to_dict("records")
    for row in rows:
        row["transcript"], _, line = row["file:line"].rpartition(":")
        row["line"] = int(line)
        row["before"], row["matched"], row["after"] = _around(row["quote"], row["matched_text"])
    return rows


def _around(quote: str, matched: str) -> tuple[str, str, str]:
    """The quote cut around the words that matched (shown in bold), if they are in it."""
    at = quote.find(matched) if matched else -1
    if at < 0:
        return quote, "", ""
    return quote[:at], matched, quote[at + len(matched):]


def codebook_entries(store: Store, path: Path | None) -> tuple[list[dict], str]:
    """The codebook's codes with terms and examples (from the file, when there is one),
    else the store's labels and descriptions; and a message when the file cannot be read."""
    styles = code_styles(store)
    entries = {code: {"style": style, "terms": (), "examples": ()} for code, style in styles.items()}
    if path is None or not Path(path).exists():
        return list(entries.values()), ""
    try:  # a codebook this store was tagged with has had its patterns checked: spaCy is not needed
        book = load_codebook(path, Store.codebooks_used(store.path))
    except InputError as error:
        return list(entries.values()), str(error)
    for code in book.codes:
        entry = entries.setdefault(code.id, {"style": style_of(styles, code.id)})
        entry.update(terms=code.terms, examples=code.examples)
    return list(entries.values()), ""
