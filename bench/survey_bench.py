"""Survey benchmark: NHS-shaped synthetic survey sheets, tagged by the local and dask
engines, and by a coder trained on a sample of the real NHS sheet.

    python bench/survey_bench.py                        # 100,000 answers (the machine is shared)
    python bench/survey_bench.py --answers 1000000      # the issue's full size
    python bench/survey_bench.py --steps dask           # one step only (see --help)

The corpus: sheets of `--sheet-rows` answers each (a month of a trust's Friends and
Family Test export), columns comment_id, trust, service, question, answer, shaped like
`../shared/benchmarks/nhs-fft/train.csv`: each answer is one to three sentences drawn
from that sheet's answers, trust, service and question drawn with its frequencies,
about 15 words an answer, 3% empty. Deterministic (seeded).

Each `coding tag` runs in its own process. Peak RSS is measured two ways: the largest
single process (`ru_maxrss`, as in tag_bench.py) and the whole process tree (the
client plus a dask cluster's nanny and worker processes), sampled every 0.1 s.
Steps:
  reference  spaCy blank('en') tokenizer over every answer (nlp.pipe), in a child process
  local      coding tag, one process (rule coder, bench/nhs/codebook.yaml)
  jobs2      coding tag --jobs 2 (worker processes read and code whole sheets)
  dask       coding tag --engine dask (a LocalCluster of 2 worker processes, 1 thread each)
  small      coding tag, one process, on a fifth of the answers: is peak RSS flat?
  learned    train on --train-sample answers of the NHS sheet (coding tag, import codings
             of a gold file made from its `codes` column, coding train), then tag the
             corpus with --auto-coder learned, one process
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NHS = ROOT.parent / "shared" / "benchmarks" / "nhs-fft" / "train.csv"
CODEBOOK = ROOT / "bench" / "nhs" / "codebook.yaml"
CODING = [sys.executable, "-m", "coding"]
COLUMNS = ["comment_id", "trust", "service", "question", "answer"]
STEPS = ("reference", "local", "jobs2", "dask", "small", "learned")
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def nhs_rows() -> list[dict]:
    with open(NHS, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Survey:
    """Draws NHS-shaped answers: sentences, sentence counts and row facts from the real sheet."""

    def __init__(self, rows: list[dict], seed: int = 20230831):
        self.rng = random.Random(seed)
        answers = [r["answer"].strip() for r in rows if r["answer"].strip()]
        self.sentences = [s for a in answers for s in SENTENCE.split(a) if s.strip()]
        self.lengths = [len([s for s in SENTENCE.split(a) if s.strip()]) for a in answers]
        self.facts = [(r["trust"], r["service"], r["question"]) for r in rows]

    def answer(self) -> str:
        if self.rng.random() < 0.03:
            return ""
        count = min(self.rng.choice(self.lengths), 6)
        return " ".join(self.rng.choice(self.sentences) for _ in range(count))

    def row(self, number: int) -> list[str]:
        trust, service, question = self.rng.choice(self.facts)
        return [f"SYN {trust} {number} - Q{1 + number % 3}", trust, service, question, self.answer()]


def make_survey(folder: Path, answers: int, sheet_rows: int) -> int:
    """Write the sheets (unless they are there); return the number of words."""
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        survey = Survey(nhs_rows())
        words = 0
        for first in range(0, answers, sheet_rows):
            with open(folder / f"fft-{first // sheet_rows + 1:04d}.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(COLUMNS)
                for number in range(first, min(first + sheet_rows, answers)):
                    row = survey.row(number)
                    words += len(row[-1].split())
                    writer.writerow(row)
        marker.write_text(str(words))
    return int(marker.read_text())


def measure_tokenizer(folder: Path) -> None:
    """Run in its own process (see main): print the seconds spaCy's tokenizer takes over the answers."""
    import spacy

    texts = [row["answer"] for path in sorted(folder.glob("*.csv"))
             for row in csv.DictReader(open(path, newline="", encoding="utf-8")) if row["answer"]]
    nlp = spacy.blank("en")
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    print(time.perf_counter() - start)


def run(args: list[str], cwd: Path = ROOT) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds (with the worker processes it waited for), peak RSS of the
    largest process and of the whole process tree (MB)."""
    start = time.perf_counter()
    process = subprocess.Popen([*CODING, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage: its largest process
    seconds = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"coding {' '.join(args)} failed: {process.stderr.read().decode()}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, sampler.peak / 2**20


class TreeSampler(threading.Thread):
    """The largest sum of RSS over a process and all its descendants, sampled every 0.1 s."""

    def __init__(self, pid: int):
        import psutil

        super().__init__(daemon=True)
        self.root, self.peak, self.stop = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, self.total())

    def total(self) -> int:
        import psutil

        try:
            members = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for member in members:
            try:
                total += member.memory_info().rss
            except psutil.Error:
                pass
        return total


def trained_store(folder: Path, sample: int) -> Path:
    """A store with a coder trained on `sample` answers of the real NHS sheet, as a user
    would make it: tag the sheet, import the analysts' codes as one person's codings, train."""
    db = folder / "trained.db"
    if db.exists():
        return db
    folder.mkdir(parents=True, exist_ok=True)
    rows = [r for r in nhs_rows() if r["answer"].strip()]
    rows = random.Random(7).sample(rows, min(sample, len(rows)))
    sheet, gold = folder / "nhs-sample.csv", folder / "gold.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows([r[c] for c in COLUMNS] for r in rows)
    with open(gold, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript", "lines", "code"])
        # the header is row 1, so the i-th answer is on sheet row (and line) i + 2
        writer.writerows([sheet.name, str(i + 2), code] for i, r in enumerate(rows)
                         for code in r["codes"].split(";") if code)
    building = folder / "building.db"
    building.unlink(missing_ok=True)
    common = ["--db", str(building)]
    run(["tag", str(sheet), "--group-column", "service", "--codebook", str(CODEBOOK), "--auto-coder", "rules",
         *common])
    run(["import", "codings", str(gold), "--coder", "analyst", *common])
    run(["train", "--codebook", str(CODEBOOK), *common])
    building.rename(db)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=100_000, help="answers in the survey corpus")
    parser.add_argument("--sheet-rows", type=int, default=10_000, help="answers per sheet")
    parser.add_argument("--train-sample", type=int, default=1_000, help="NHS answers to train the coder on")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "corpus")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--measure-tokenizer", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_tokenizer:
        return measure_tokenizer(args.measure_tokenizer)
    steps = args.steps.split(",")
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")

    load_at_start = os.getloadavg()[0]  # others' work on the machine shows in wall times
    survey = args.workdir / f"survey-{args.answers}x{args.sheet_rows}"
    words = make_survey(survey / "sheets", args.answers, args.sheet_rows)
    small_answers = args.answers // 5
    small = args.workdir / f"survey-{small_answers}x{args.sheet_rows}"
    options = ["--group-column", "service", "--codebook", str(CODEBOOK)]
    rows = []

    def tag(name: str, db: Path, corpus: Path, *extra: str, answers: int = args.answers, words: int = words):
        db.unlink(missing_ok=True)
        rows.append((name, answers, words, *run(["tag", str(corpus), "--db", str(db), *options, *extra])))
        db.unlink()

    reference = None
    if "reference" in steps:
        reference = float(subprocess.run([sys.executable, __file__, "--measure-tokenizer", str(survey / "sheets")],
                                         check=True, capture_output=True, text=True).stdout)
        rows.append(("spaCy blank('en') tokenizer over the answers (reference)", args.answers, words,
                     reference, None, None, None))
    if "local" in steps:
        tag("coding tag, rules, one process", survey / "local.db", survey / "sheets", "--auto-coder", "rules")
    if "jobs2" in steps:
        tag("coding tag, rules, --jobs 2", survey / "jobs2.db", survey / "sheets", "--auto-coder", "rules",
            "--jobs", "2")
    if "dask" in steps:
        tag("coding tag, rules, --engine dask (LocalCluster, 2 workers)", survey / "dask.db", survey / "sheets",
            "--auto-coder", "rules", "--engine", "dask")
    if "small" in steps:
        small_words = make_survey(small / "sheets", small_answers, args.sheet_rows)
        tag("coding tag, rules, one process, a fifth of the answers", small / "local.db", small / "sheets",
            "--auto-coder", "rules", answers=small_answers, words=small_words)
    if "learned" in steps:
        trained = trained_store(args.workdir / f"trained-{args.train_sample}", args.train_sample)
        db = survey / "learned.db"
        shutil.copy(trained, db)
        rows.append((f"coding tag, trained model ({args.train_sample:,} NHS answers), one process",
                     args.answers, words, *run(["tag", str(survey / "sheets"), "--db", str(db), *options,
                                                "--auto-coder", "learned"])))
        db.unlink()

    print(f"survey corpus: {args.answers:,} answers in sheets of {args.sheet_rows:,}, {words:,} words; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores; load average (1 min) at start "
          f"{load_at_start:.2f}, at end {os.getloadavg()[0]:.2f}")
    print("| step | answers | words | wall s | CPU s | words/s | ratio to reference | peak RSS MB, largest "
          "process | peak RSS MB, all processes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, answers, count, seconds, cpu, largest, tree in rows:
        ratio = "" if reference is None else f"{seconds / (reference * count / words):.2f}"
        print(f"| {name} | {answers:,} | {count:,} | {seconds:.1f} | {_figure(cpu, '.1f')} | {count / seconds:,.0f} "
              f"| {ratio} | {_figure(largest, '.0f')} | {_figure(tree, '.0f')} |")


def _figure(value, spec: str) -> str:
    return "" if value is None else format(value, spec)


if __name__ == "__main__":
    main()
