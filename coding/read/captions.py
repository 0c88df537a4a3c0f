"""Captions: WebVTT (`.vtt`, read by webvtt-py) and SubRip (`.srt`, read by srt).

A cue's speaker is its voice span (`<v Name>text</v>`, as Teams writes it) or a
`Name: ` label at its start (as Zoom writes it); a cue with neither continues
the previous speaker. Consecutive cues of one speaker are one turn; each cue
keeps its place, `cue N HH:MM:SS.mmm` (its position in the file and its start
time as written). Group, speakers and language come from a sidecar or groups.csv
(see `metadata`); labels are matched to declared speakers as in `speakers`.

A cue block webvtt-py cannot read (a timing line cut short) or a last cue with
no text is taken as a truncated file and refused, rather than losing text.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..errors import InputError
from .metadata import ReaderOptions, file_metadata, require_group, source_hash
from .rendering import Draft, Rendering
from .speakers import ASIDE, Speakers, label_key
from .transcript import Transcript, normalise

SUFFIXES = (".vtt", ".srt")

# "Name: text" at the start of a cue, a Word paragraph or a sheet cell.
BLOCK_END = re.compile(r"\n(?:[ \t]*\n)+")  # WebVTT blocks end at an empty line
LABEL = re.compile(r"^(?P<label>[^\s:#<\[(][^:\n]{0,39}?)\s*:(?:\s+(?P<rest>.*))?$", re.DOTALL)


def read(path: Path, raw: bytes, options: ReaderOptions | None = None) -> Transcript:
    text = normalise(raw, path)
    metadata = file_metadata(path)
    require_group(metadata, path)
    cues = _srt_cues(text, path) if path.suffix.lower() == ".srt" else _vtt_cues(text, path)
    speakers = Speakers(metadata.speakers, path.as_posix(), metadata.declared_in)
    rendering = Rendering()
    draft: Draft | None = None
    for number, start, voice, content in cues:
        label, words = (voice, content) if voice else split_label(content, speakers)
        place = f"cue {number} {start}"
        if label is None and draft is None:
            raise InputError(path, None, f"cue {number} ({start}) has no speaker ('Name: ' or <v Name>) "
                             "and no cue before it to continue")
        if label is not None:
            name = speakers.speaker(label)
            if draft is None or name != draft.speaker:
                if draft is not None:
                    rendering.turn(draft)
                draft = Draft(name, speakers.role(name))
        draft.add(words, place)
    if draft is not None:
        rendering.turn(draft)
    if not rendering.turns:
        raise InputError(path, None, "no captions with text")
    return rendering.transcript(path, metadata, speakers.roles, source_hash(path, raw), speakers.warnings)


def split_label(text: str, speakers: Speakers) -> tuple[str | None, str]:
    """('Ana', 'rest') for 'Ana: rest' when 'Ana' is a known speaker or looks like a
    name; (None, text) otherwise."""
    match = LABEL.match(text.strip())
    if match is None:
        return None, text
    label = match["label"].strip()
    if speakers.resolve(label) is not None or looks_like_name(label):
        return label, match["rest"] or ""
    return None, text


# Words that start a sentence before a colon ("And: ...", "Note: ..."), not names.
NOT_NAMES = {"and", "but", "so", "well", "yes", "no", "ok", "okay", "note", "because", "then", "or", "now",
             "also", "like", "first", "second", "third", "finally", "example", "update", "edit", "ps", "nb"}


def looks_like_name(label: str) -> bool:
    """'Ana', 'Speaker 2', 'Maria de la Cruz', 'INTERVIEWER (J.)'; not 'So what I mean is'
    (a name's first and last words do not start in lower case; at most four words; an
    aside such as '(she/her)' aside), nor 'And' or 'Note'."""
    bare = ASIDE.sub(" ", label)
    words = bare.split()
    return (0 < len(words) <= 4 and not words[0][0].islower() and not words[-1][0].islower()
            and "/" not in bare and label_key(label) not in NOT_NAMES)


def _vtt_cues(text: str, path: Path) -> list[tuple[int, str, str | None, str]]:
    """(number, start, voice, text) per cue; text without cue tags."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError
    from webvtt.vtt import WebVTTCueBlock

    try:
        captions = webvtt.from_string(text).captions
    except MalformedFileError:
        raise InputError(path, 1, "not a WebVTT file: the first line must be 'WEBVTT'") from None
    except (MalformedCaptionError, ValueError) as error:
        raise InputError(path, None, f"malformed WebVTT: {error}") from None
    timing_lines = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if "-->" in line]
    if len(captions) != len(timing_lines):  # webvtt-py skips a block it cannot read
        for number, line in timing_lines:
            match = WebVTTCueBlock.CUE_TIMINGS_PATTERN.match(line)
            if match is None or line[match.end():match.end() + 1] not in ("", " ", "\t"):
                raise InputError(path, number, f"malformed or truncated cue timing {line.strip()!r}")
        raise InputError(path, None, f"{len(timing_lines) - len(captions)} cue(s) could not be read")
    _check_blocks(text, path)
    # WebVTT escapes &, < and > in cue text (&amp; &lt; &gt;); webvtt-py leaves them as written
    cues = [(n, c.start, c.voice and html.unescape(c.voice), html.unescape(c.text))
            for n, c in enumerate(captions, start=1)]
    _check_not_truncated(cues, path, timing_lines[-1][0] if timing_lines else None)
    return cues


def _check_blocks(text: str, path: Path) -> None:
    """webvtt-py passes over a block that is neither a cue nor a NOTE, STYLE or REGION
    block: in a caption file that is a cue cut short ('7' then '00:00:'), so refuse it."""
    position = 0
    for index, separator in enumerate([*BLOCK_END.finditer(text), None]):
        end = separator.start() if separator else len(text)
        block = text[position:end].strip()
        if index > 0 and block and "-->" not in block and not block.startswith(("NOTE", "STYLE", "REGION")):
            raise InputError(path, text.count("\n", 0, position) + 1,
                             f"an incomplete cue {' '.join(block.split())[:40]!r}: a truncated or damaged file")
        position = separator.end() if separator else len(text)


def _srt_cues(text: str, path: Path) -> list[tuple[int, str, str | None, str]]:
    import srt
    from webvtt.models import Caption

    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as error:
        line = text[: error.expected_start].count("\n") + 1
        raise InputError(path, line, f"malformed or truncated SubRip block {error.unmatched_content[:40]!r}") from None
    except ValueError as error:  # a timestamp srt could match but not convert
        raise InputError(path, None, f"malformed SubRip: {error}") from None
    cues = []
    for subtitle in subtitles:
        caption = Caption(text=subtitle.content)  # webvtt-py strips <i>, <b> and reads <v Name>
        start = srt.timedelta_to_srt_timestamp(subtitle.start)
        cues.append((subtitle.index, start, caption.voice, caption.text))
    _check_not_truncated(cues, path, None)
    return cues


def _check_not_truncated(cues: list, path: Path, line: int | None) -> None:
    if not cues:
        raise InputError(path, None, "no cues: an empty or truncated caption file")
    number, start, _, content = cues[-1]
    if not content.strip():
        raise InputError(path, line, f"the last cue ({number}, {start}) has no text: a truncated file?")
