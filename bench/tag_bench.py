"""Tagging benchmark: a deterministic synthetic corpus, timed against spaCy's tokenizer.

    python bench/tag_bench.py                      # 1,000 transcripts x 5,000 words
    python bench/tag_bench.py --transcripts 100    # a quicker run
    python bench/tag_bench.py --transcripts 200 --small-words 250000 --dask   # 1M words, and the dask engine

Measures, in one run:
  1. spaCy blank("en") tokenizer alone over the same texts (nlp.pipe): the reference;
  2. `coding tag` end to end into a fresh store;
  3. the same again with unchanged inputs;
  4. again after editing one code in the codebook;
  5. peak RSS of `coding tag` into a fresh store at 1M words (--small-words) and at the full size;
  with --dask, also `coding tag --engine dask` (a LocalCluster of 2 worker processes).
Each `coding tag` runs as its own process, so its peak RSS is its own (for --jobs and dask,
that of its largest process); CPU s counts its worker processes too.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODING = [sys.executable, "-m", "coding"]

FILLER = (
    "we the a to of and in that it is was for on with as our they this have be at one "
    "people group community editors volunteers meeting project article photo contest library "
    "museum school teachers students language region city village event month year weekend "
    "think really maybe perhaps actually honestly mostly usually often sometimes always never "
    "write translate upload organise plan start finish share help ask answer talk listen "
    "small large local regional national online offline new old first last next every other"
).split()
TERMS = [
    "knowledge sharing", "documentation", "training", "trainings", "Training", "trainig",
    "mentoring", "workshops", "skills", "coordination", "cordination", "advocacy",
    "representation", "paid staff", "staffing", "burnout", "hired", "technical infrastructure",
    "servers", "hosting", "developers", "new initiatives", "incubation", "conflict", "mediation",
    "disputes", "collaboration", "colaboration", "work together", "legal advice", "lawyer",
    "lawyers", "Legal questions", "funding", "grants", "money", "budget", "knowlege",
]
NEGATIONS = ["we do not need", "we don't need any", "there is no need for"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(6, 16))]
    roll = rng.random()
    if roll < 0.12:
        words.insert(rng.randint(0, len(words)), rng.choice(TERMS))
    elif roll < 0.14:
        words.insert(0, f"{rng.choice(NEGATIONS)} {rng.choice(TERMS)}")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!"])


def transcript(index: int, words: int, rng: random.Random) -> str:
    speakers = ["Interviewer", "Ana", "Bo", "Chen"]
    head = (f"---\ngroup: B{index % 50:03d}\ntitle: Benchmark transcript {index}\nlanguage: en\n"
            "speakers:\n  Interviewer: interviewer\n  Ana: participant\n  Bo: participant\n"
            "  Chen: participant\n---\n# SYNTHETIC benchmark transcript, generated.\n\n")
    turns, count = [], 0
    while count < words:
        speaker = speakers[len(turns) % 4] if rng.random() < 0.7 else rng.choice(speakers)
        body = " ".join(sentence(rng) for _ in range(rng.randint(1, 5)))
        count += len(body.split())
        turns.append(f"{speaker}: {body}")
    return head + "\n\n".join(turns) + "\n"


def make_corpus(folder: Path, transcripts: int, words: int) -> None:
    """Write the corpus, unless it is already there."""
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        rng = random.Random(20220221)
        for i in range(transcripts):
            (folder / f"T{i:04d}.md").write_text(transcript(i, words, rng), encoding="utf-8")
        marker.write_text("")


def measure_tokenizer(folder: Path) -> None:
    """Run in its own process (see main): print words, whole-file and turn-sized seconds."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))]
    words = sum(len(t.split()) for t in texts)
    print(words, tokenizer_only(texts), tokenizer_only(turn_texts(texts)))


def tokenizer_only(texts: list[str]) -> float:
    import spacy

    nlp = spacy.blank("en")
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    return time.perf_counter() - start


def turn_texts(texts: list[str]) -> list[str]:
    """The texts split at blank lines, roughly the speaker turns the pipeline sees.

    spaCy's tokenizer is several times slower per word on whole 5,000-word
    files than on the same text in turn-sized pieces, so the reference is the
    faster of the two: the stricter baseline.
    """
    return [part for text in texts for part in text.split("\n\n")]


def run_tag(corpus: Path, db: Path, codebook: Path, extra: list[str] = ()) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (with its worker processes': to read
    figures taken on a busy machine) of one `coding tag` process."""
    start = time.perf_counter()
    process = subprocess.Popen([*CODING, "tag", str(corpus), "--db", str(db), "--codebook", str(codebook), *extra],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"coding tag failed: {process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def edited_codebook(source: Path, target: Path) -> Path:
    text = source.read_text(encoding="utf-8").replace("      - lawyer\n", "      - lawyer\n      - attorney\n", 1)
    target.write_text(text, encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcripts", type=int, default=1000)
    parser.add_argument("--words", type=int, default=5000, help="words per transcript")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "corpus")
    parser.add_argument("--jobs", type=int, default=None, help="passed to coding tag --jobs, if set")
    parser.add_argument("--small-words", type=int, default=1_000_000, help="words of the corpus for step 5")
    parser.add_argument("--dask", action="store_true", help="also time coding tag --engine dask")
    parser.add_argument("--measure-tokenizer", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_tokenizer:
        return measure_tokenizer(args.measure_tokenizer)
    extra = ["--jobs", str(args.jobs)] if args.jobs else []

    load_at_start = os.getloadavg()[0]  # others' work on the machine shows in wall times
    full = args.workdir / f"{args.transcripts}x{args.words}"
    make_corpus(full / "transcripts", args.transcripts, args.words)
    small_count = max(1, round(args.small_words / args.words))
    small = args.workdir / f"{small_count}x{args.words}"
    make_corpus(small / "transcripts", small_count, args.words)

    codebook = ROOT / "codebook.yaml"
    rows = []
    # Measured in a child process: Linux counts the RSS a process had when it was forked
    # in the peak RSS of the children it starts, so this process must stay small.
    measured = subprocess.run([sys.executable, __file__, "--measure-tokenizer", str(full / "transcripts")],
                              check=True, capture_output=True, text=True).stdout.split()
    total_words, whole, turns = int(measured[0]), float(measured[1]), float(measured[2])
    reference = min(whole, turns)
    rows.append(("1. spaCy blank('en') tokenizer only, turn-sized texts", turns, None, None))
    rows.append(("1b. the same tokenizer on whole files (not the reference)", whole, None, None))
    db = full / "bench.db"
    db.unlink(missing_ok=True)
    seconds, rss_full, cpu = run_tag(full / "transcripts", db, codebook, extra)
    rows.append(("2. coding tag, fresh store", seconds, rss_full, cpu))
    if not args.jobs:
        two = full / "bench-jobs2.db"
        two.unlink(missing_ok=True)
        seconds, rss, cpu = run_tag(full / "transcripts", two, codebook, ["--jobs", "2"])
        rows.append(("2b. coding tag --jobs 2, fresh store", seconds, rss, cpu))
        two.unlink()
    if args.dask:
        spread = full / "bench-dask.db"
        spread.unlink(missing_ok=True)
        seconds, rss, cpu = run_tag(full / "transcripts", spread, codebook, ["--engine", "dask"])
        rows.append(("2c. coding tag --engine dask (LocalCluster, 2 workers), fresh store", seconds, rss, cpu))
        spread.unlink()
    seconds, rss, cpu = run_tag(full / "transcripts", db, codebook, extra)
    rows.append(("3. coding tag, unchanged inputs", seconds, rss, cpu))
    edited = edited_codebook(codebook, full / "codebook-edited.yaml")
    seconds, rss, cpu = run_tag(full / "transcripts", db, edited, extra)
    rows.append(("4. coding tag, one code edited", seconds, rss, cpu))
    small_db = small / "bench.db"
    small_db.unlink(missing_ok=True)
    seconds, rss_small, cpu = run_tag(small / "transcripts", small_db, codebook, extra)
    rows.append((f"5. coding tag, fresh store, {small_count * args.words:,} words", seconds, rss_small, cpu))

    print(f"corpus: {args.transcripts} transcripts, {total_words:,} words; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores{', --jobs ' + str(args.jobs) if args.jobs else ''}; load average (1 min) "
          f"at start {load_at_start:.2f}, at end {os.getloadavg()[0]:.2f}")
    print("| step | wall s | CPU s | words/s | ratio to (1) | ratio to (1b) | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, seconds, rss, used in rows:
        words = small_count * args.words if name.startswith("5.") else total_words
        share = words / total_words
        print(f"| {name} | {seconds:.1f} | {'' if used is None else f'{used:.1f}'} | {words / seconds:,.0f} | "
              f"{seconds / (reference * share):.2f} | {seconds / (whole * share):.2f} | "
              f"{'' if rss is None else f'{rss:.0f}'} |")
    print(f"peak RSS at full size / at {small_count * args.words:,} words: {rss_full / rss_small:.2f}")


if __name__ == "__main__":
    main()
