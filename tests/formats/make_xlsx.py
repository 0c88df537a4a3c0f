"""Write turns.xlsx, the reader tests' interview as a spreadsheet of turns (from turns.csv).

SYNTHETIC: the same invented interview as interview.md. The xlsx has no role column (roles
are inferred: the interviewer by name, everyone else a participant). Run from this folder with
the project's Python (`../../.venv/bin/python make_xlsx.py`); the .xlsx is committed.
"""

import csv
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent


def main() -> None:
    with open(HERE / "turns.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Transcript"
    sheet.append(["Speaker", "Start time", "Utterance"])
    for row in rows:
        sheet.append([row["Speaker"], row["Time"], row["Text"]])
    book.properties.creator = "coding tests"
    book.save(HERE / "turns.xlsx")


if __name__ == "__main__":
    main()
