"""`coding review`: walk the unreviewed suggestions one at a time in a terminal.

Each suggestion shows its turn with the sentence in bold and the match
highlighted, then waits for one key. Decisions go through `coding.decisions`
(so the store and the log see exactly what the spreadsheet route would
write); undo marks the last decision removed and steps back. The place a
coder stopped is kept per coder and filter, so the next session resumes
after it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Callable

import click
import pandas as pd
from rich.console import Console
from rich.text import Text

from . import decisions
from ..escape import terminal_safe
from ..store import Store

try:  # POSIX terminals; elsewhere keys come a line at a time
    import termios
    import tty
except ImportError:  # pragma: no cover
    termios = tty = None

KEYS = "[a]ccept  [r]eject  re[c]ode  [s]kip  [n]ote  [u]ndo  [q]uit"


class Keys:
    """Single key presses from the terminal, or one line's first character when piped.

    The terminal stays in cbreak mode for the whole session (not per key, as
    click.getchar does), so keys typed ahead are not flushed away; prompts
    switch back to line mode for their answer.
    """

    def __init__(self):
        self.fd = sys.stdin.fileno() if sys.stdin.isatty() and termios else None
        self.saved = None

    def __enter__(self) -> "Keys":
        if self.fd is not None:
            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd, termios.TCSANOW)
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)

    def key(self) -> str:
        if self.fd is not None:
            return os.read(self.fd, 1).decode("utf-8", errors="ignore")
        line = sys.stdin.readline()
        return line.strip()[:1] if line else "q"

    def prompt(self, question: str) -> str:
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
        try:
            return click.prompt(question, default="", show_default=False)
        finally:
            if self.saved is not None:
                tty.setcbreak(self.fd, termios.TCSANOW)


@dataclass
class Session:
    accepted: int = 0
    rejected: int = 0
    recoded: int = 0
    skipped: int = 0
    history: list[tuple[int, str, list[int]]] = field(default_factory=list)  # (index, counter, ids)


def _position(item) -> str:
    return f"{item['transcript']}\x1f{item['segment_start']:012d}\x1f{item['code']}"


def _start(queue: pd.DataFrame, position: str) -> int:
    """Resume after the last item shown; wrap to the top when that was the end."""
    for index, item in queue.iterrows():
        if _position(item) >= position:
            return index
    return 0


class Reviewer:
    def __init__(self, store: Store, coder: str, queue: pd.DataFrame, scope: str,
                 key: Callable[[], str], prompt: Callable[[str], str], console: Console | None = None):
        self.store, self.coder, self.queue, self.scope = store, coder, queue, scope
        self.console = console or Console(highlight=False)
        self.key, self.prompt = key, prompt
        codes = store.codes()
        self.codes = list(codes["code"])
        self.labels = dict(zip(codes["code"], codes["label"]))
        self.session = Session()

    def run(self) -> Session:
        if self.queue.empty:
            self.console.print("nothing to review: every suggestion in scope has your decision")
            return self.session
        index = _start(self.queue, self.store.review_position(self.coder, self.scope))
        note = ""
        while 0 <= index < len(self.queue):
            item = self.queue.iloc[index]
            self._show(index, item, note)
            self._remember(item)
            try:
                key = self.key().lower()
            except KeyboardInterrupt:
                key = "q"
            if key == "q":
                break
            if key == "n":
                note = self.prompt("note")
                continue
            if key == "u":
                index, note = self._undo(index), ""
                continue
            step = self._act(key, index, item, note)
            if step is None:
                self.console.print(f"unknown key {key!r}; {KEYS}", markup=False)
                continue
            index, note = index + step, ""
        else:
            self.console.print(f"end of the queue ({len(self.queue)} suggestions)")
        self._summary()
        return self.session

    def _act(self, key: str, index: int, item, note: str) -> int | None:
        coding_id = int(item["coding_id"])
        if key == "s":
            counter, ids = "skipped", []
        elif key in ("a", "r"):
            counter = "accepted" if key == "a" else "rejected"
            ids = decisions.decide(self.store, coding_id, key, self.coder, note=note)
        elif key == "c":
            new_code = self._pick_code(item["code"])
            if new_code is None:
                return 0
            counter = "recoded"
            ids = decisions.decide(self.store, coding_id, "recode", self.coder, new_code, note)
        else:
            return None
        setattr(self.session, counter, getattr(self.session, counter) + 1)
        self.session.history.append((index, counter, ids))
        return 1

    def _pick_code(self, old: str) -> str | None:
        choices = [c for c in self.codes if c != old]
        for number, code in enumerate(choices, start=1):
            self.console.print(terminal_safe(f"  {number}. {code} ({self.labels[code]})"), markup=False)
        answer = self.prompt("new code (number or id, empty to cancel)").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return choices[int(answer) - 1]
        if answer in choices:
            return answer
        if answer:
            self.console.print(f"no code {answer!r}; nothing changed", markup=False)
        return None

    def _undo(self, index: int) -> int:
        if not self.session.history:
            self.console.print("nothing to undo in this session")
            return index
        back, counter, ids = self.session.history.pop()
        setattr(self.session, counter, getattr(self.session, counter) - 1)
        for coding_id in reversed(ids):
            decisions.remove(self.store, coding_id, self.coder, note="undo")
        self.console.print("undone" if ids else "back to the skipped suggestion")
        return back

    def _remember(self, item) -> None:
        """Where to resume, and that this coder has now read this transcript for this code
        (what agreement counts as covered)."""
        with self.store.atomic():
            self.store.set_review_position(self.coder, self.scope, _position(item))
            self.store.cover(self.coder, item["transcript"], item["code"], "review")

    def _place(self, item) -> str:
        """Where the quote begins in the original file (a cue, a paragraph, a sheet row);
        '' for Markdown, whose file:line is the place."""
        places = self.store.places(item["transcript"])
        before = places[places["start"] <= item["segment_start"]]
        return str(before["place"].iloc[-1]) if not before.empty else ""

    def _show(self, index: int, item, note: str) -> None:
        """One suggestion. Stored text goes out as Text, never markup, with control
        characters shown escaped (`\\x1b` for ESC): it cannot style or drive the terminal."""
        console = self.console
        place = self._place(item)
        console.rule(Text(terminal_safe(f"{index + 1}/{len(self.queue)}  {item['transcript']}:{item['line']}  "
                                        f"{place + '  ' if place else ''}group {item['group']}")))
        console.print(Text.assemble(
            terminal_safe(f"{item['speaker']} ({item['role']})   code "), (terminal_safe(item["code"]), "bold"),
            terminal_safe(f" ({self.labels.get(item['code'], '')})   {item['method']} {item['score']:g}   "
                          f"{item['rule']}")))
        console.print(_highlighted(item, marked=not console.is_terminal))
        if note:
            console.print(Text(terminal_safe(f"note: {note}")))
        console.print(KEYS, markup=False)

    def _summary(self) -> None:
        s = self.session
        self.console.print(f"{s.accepted} accepted, {s.rejected} rejected, {s.recoded} recoded, "
                           f"{s.skipped} skipped")


def _highlighted(item, marked: bool = False) -> Text:
    """The turn, its coded sentence in bold, the words that matched in reverse video;
    `marked` also puts the match between >> and << for output without styles.
    Control characters show escaped (`\\x1b` for ESC), the offsets moved to match."""
    context, offset = item["context"], item["turn_start"]
    if not context or pd.isna(offset):
        return Text(terminal_safe(item["quote"]), style="bold")
    offset = int(offset)
    if pd.isna(item["match_start"]):
        match = (item["segment_start"] - offset, item["segment_start"] - offset)
    else:
        match = (int(item["match_start"]) - offset, int(item["match_end"]) - offset)
    sentence = (item["segment_start"] - offset, item["segment_end"] - offset)
    escaped = lambda i: len(terminal_safe(context[:i])) if i > 0 else i  # noqa: E731
    match, sentence = tuple(map(escaped, match)), tuple(map(escaped, sentence))
    context = terminal_safe(context)
    if marked:
        context = f"{context[:match[0]]}>>{context[match[0]:match[1]]}<<{context[match[1]:]}"
        shift = lambda i: i + 2 * (i > match[0]) + 2 * (i >= match[1])  # noqa: E731
        sentence, match = tuple(map(shift, sentence)), (match[0] + 2, match[1] + 2)
    text = Text(context)
    text.stylize("bold", *sentence)
    text.stylize("reverse", *match)
    return text


def review(store: Store, coder: str, code: str | None = None, group: str | None = None,
           transcript: str | None = None, order: str = "transcript") -> Session:
    """Review this coder's pending suggestions (optionally one code, group or transcript)
    from the keyboard."""
    queue = decisions.review_queue(store, coder, code, group, transcript, order)
    scope = f"code={code or ''};group={group or ''};transcript={transcript or ''}" + \
        (f";order={order}" if order != "transcript" else "")
    with Keys() as keys:
        return Reviewer(store, coder, queue, scope, keys.key, keys.prompt).run()
