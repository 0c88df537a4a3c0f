"""Write word.docx, the reader tests' interview as a Word document with bold speaker labels.

SYNTHETIC: the same invented interview as interview.md. Run from this folder with the
project's Python (`../../.venv/bin/python make_docx.py`); the .docx is committed, so the
tests do not need to run this.
"""

from pathlib import Path

import docx

TURNS = [
    ("Interviewer", ["Thanks for joining us. What would a hub do for your community?"]),
    ("Ana", ["For me the first thing is knowledge sharing.",  # a turn over two paragraphs
             "Every time we plan an editathon we start from zero, and the lessons learned by other groups "
             "never reach us."]),
    ("Ben", ["I agree. We also need training for new organisers, in our own language."]),
    ("Interviewer", ["Would legal advice be useful too?"]),
    ("Ben", ["Yes. Last year a museum asked us to take photos down and nobody could tell us whether they "
             "were right. We really need legal advice we can trust."]),
    ("Ana", ["And someone to coordinate the calendar across the region, so that two contests do not clash."]),
    ("Ben", ["Money is not the problem. We do not need funding for this."]),
    ("Interviewer", ["Anything else?"]),
    ("Ana", ["Mentoring, maybe. A person we can call when things go wrong in the middle of a semester."]),
    ("Ben", ["Thank you, that is all from me."]),
]


def main(path: Path = Path(__file__).with_name("word.docx")) -> None:
    document = docx.Document()
    document.add_heading("Synthetic interview F01", level=1)
    document.core_properties.author = "coding tests"
    for speaker, paragraphs in TURNS:
        first = document.add_paragraph()
        first.add_run(f"{speaker}:").bold = True
        first.add_run(" " + paragraphs[0])
        for text in paragraphs[1:]:
            document.add_paragraph(text)
    document.save(path)


if __name__ == "__main__":
    main()
