import pytest

from coding.errors import InputError
from coding.read import read_transcript

from .conftest import HEADER, write_transcript


def test_turns_speakers_roles_and_continuation_lines(tmp_path):
    path = write_transcript(tmp_path, "a.md", "\nInterviewer: What do you need?\n\nAna: Training.\nAnd more of it.\nBen: Staff.\n")
    transcript = read_transcript(path)
    assert transcript.group == "T01"
    assert transcript.attributes == {"region": "Region Test"}
    assert [(t.speaker, t.role, t.line) for t in transcript.turns] == [
        ("Interviewer", "interviewer", 13), ("Ana", "participant", 15), ("Ben", "participant", 17)]
    assert transcript.turn_text(transcript.turns[1]) == "Training.\nAnd more of it."


def test_offsets_count_code_points_after_bom_crlf_and_nfc(tmp_path):
    # "é" written decomposed (e + combining accent) becomes one code point under NFC.
    body = "Ana: Caf\u0065\u0301 talk 👩🏽‍💻 then مرحبا بكم then need.\r\nBen: ok.\r\n"
    raw = "\ufeff" + HEADER.format(group="T01").replace("\n", "\r\n") + body
    path = tmp_path / "crlf.md"
    path.write_bytes(raw.encode("utf-8"))
    transcript = read_transcript(path)
    assert "\r" not in transcript.text and not transcript.text.startswith("\ufeff")
    ana = transcript.turns[0]
    text = transcript.turn_text(ana)
    assert text == "Café talk 👩🏽‍💻 then مرحبا بكم then need."
    assert transcript.text[ana.start:ana.start + 4] == "Café"
    # offsets are code points: the emoji sequence is 4 code points, not 15 bytes
    assert text.index("then") == 15


@pytest.mark.parametrize("body, line, message", [
    ("Ana: fine.\nZoe: who am I?\n", 13, "speaker 'Zoe' is not in the front matter"),
    ("\n\n", 11, "empty transcript"),
    ("some words with no speaker\n", 12, "text outside a speaker turn"),
])
def test_bad_bodies_name_file_and_line(tmp_path, body, line, message):
    path = write_transcript(tmp_path, "bad.md", body)
    with pytest.raises(InputError) as caught:
        read_transcript(path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path.as_posix()}:{line}: ")


def test_missing_group(tmp_path):
    path = tmp_path / "nogroup.md"
    path.write_text(HEADER.replace("group: {group}\n", "") + "Ana: hi\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"nogroup.md:1: front matter has no 'group'"):
        read_transcript(path)


def test_not_utf8_and_binary(tmp_path):
    latin = tmp_path / "latin.md"
    latin.write_bytes((HEADER.format(group="T01") + "Ana: caf").encode() + b"\xe9\n")
    with pytest.raises(InputError, match=r"latin.md:12: not UTF-8 text \(byte 0xe9\)"):
        read_transcript(latin)
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputError, match=r"image.md:3: binary file"):
        read_transcript(binary)


def test_front_matter_yaml_error_points_at_its_line(tmp_path):
    path = tmp_path / "yaml.md"
    path.write_text("---\ngroup: T01\nspeakers: [unclosed\n---\nAna: hi\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_transcript(path)
    assert "YAML syntax error" in str(caught.value) and caught.value.line in (3, 4)
