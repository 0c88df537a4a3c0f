"""Accuracy on real human-coded text: the NHS Friends and Family Test benchmark.

    python bench/nhs_bench.py [--out bench/nhs/results.md]

Splits `../shared/benchmarks/nhs-fft/train.csv` once (80% fit / 20% dev, a fixed seed),
then runs the CLI as a user would: `coding tag` each sheet with keyword search, the
rule coder, and, after `coding import codings` of the analysts' fit codings and
`coding train`, the learned coder; `coding evaluate --level segment` on the dev
sheet with bootstrap intervals and paired comparisons. The learning curve trains on
answers read until every code had about 25/50/100/200 positives. Nothing of the held-out
split of the source is used (it is not here).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHEET = ROOT.parent / "shared" / "benchmarks" / "nhs-fft" / "train.csv"
CODEBOOK = ROOT / "bench" / "nhs" / "codebook.yaml"
CODING = [sys.executable, "-m", "coding"]
SEED = 1


def run(*args) -> str:
    done = subprocess.run([*CODING, *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"coding {' '.join(map(str, args))} failed:\n{done.stderr}")
    return done.stdout


def split(folder: Path) -> dict:
    frame = pd.read_csv(SHEET, dtype=str, keep_default_na=False).sample(frac=1, random_state=SEED)
    cut = int(len(frame) * 0.8)
    parts = {"fit": frame[:cut].reset_index(drop=True), "dev": frame[cut:].reset_index(drop=True)}
    for name, part in parts.items():
        part.drop(columns=["codes"]).to_csv(folder / f"{name}.csv", index=False)
    return parts


def gold(part: pd.DataFrame, transcript: str) -> str:
    """transcript,lines,code rows: the answer on sheet row i+2 (the header is row 1)."""
    rows = [(transcript, i + 2, code) for i in range(len(part))
            for code in sorted(c for c in part.loc[i, "codes"].split(";") if c)]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["transcript", "lines", "code"])
    writer.writerows(rows)
    return text.getvalue()


def sample(part: pd.DataFrame, positives: int) -> pd.DataFrame:
    """Answers in a fixed random order, each kept while one of its codes has fewer than
    `positives` examples, and uncoded answers in their share of the whole: what a person
    who coded until every code had about that many examples would have read."""
    order = list(range(len(part)))
    random.Random(SEED).shuffle(order)
    uncoded_share = (part["codes"] == "").mean()
    seen: dict[str, int] = {}
    kept, uncoded = [], 0
    for i in order:
        codes = [c for c in part.loc[i, "codes"].split(";") if c]
        if codes and any(seen.get(c, 0) < positives for c in codes):
            kept.append(i)
            for code in codes:
                seen[code] = seen.get(code, 0) + 1
        elif not codes and uncoded < uncoded_share * max(len(kept), 1):
            kept.append(i)
            uncoded += 1
    return part.loc[sorted(kept)].reset_index(drop=True)


def tagged(folder: Path, name: str, auto_coder: str, db: Path | None = None, fit: str = "fit.csv") -> Path:
    db = db or folder / f"{name}.db"
    run("tag", folder / fit, folder / "dev.csv", "--group-column", "service", "--codebook", CODEBOOK,
        "--db", db, "--auto-coder", auto_coder)
    return db


def overall(db: Path, dev_gold: Path) -> dict:
    table = pd.read_csv(io.StringIO(run("evaluate", "--gold", dev_gold, "--level", "segment", "--db", db,
                                        "--format", "csv")))
    return table.set_index("code").loc["overall"].to_dict()


def learned(folder: Path, name: str, fit_gold: Path, fit: str = "fit.csv") -> Path:
    db = tagged(folder, name, "rules", fit=fit)
    run("import", "codings", fit_gold, "--coder", "analysts", "--db", db)
    run("train", "--codebook", CODEBOOK, "--db", db)
    return tagged(folder, name, "learned", db, fit=fit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "nhs" / "results.md")
    parser.add_argument("--curve", type=int, nargs="*", default=[25, 50, 100, 200])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        parts = split(folder)
        fit_name, dev_name = (folder / "fit.csv").as_posix(), (folder / "dev.csv").as_posix()
        dev_gold, fit_gold = folder / "dev_gold.csv", folder / "fit_gold.csv"
        dev_gold.write_text(gold(parts["dev"], dev_name))
        fit_gold.write_text(gold(parts["fit"], fit_name))
        stores = {"keyword search": tagged(folder, "keywords", "keywords"),
                  "rules": tagged(folder, "rules", "rules"),
                  "learned (all fit codings)": learned(folder, "learned", fit_gold)}
        lines = [f"# NHS benchmark: {len(parts['fit'])} answers to learn from, {len(parts['dev'])} to measure on",
                 "", "Segment level (answers x 31 codes), bootstrap 95% intervals over answers.", "",
                 "| coder | micro-F1 | 95% interval | kappa | 95% interval |", "|---|---|---|---|---|"]
        for name, db in stores.items():
            o = overall(db, dev_gold)
            lines.append(f"| {name} | {o['f1']:.3f} | {o['f1_low']:.3f}-{o['f1_high']:.3f} | {o['kappa']:.3f} | "
                         f"{o['kappa_low']:.3f}-{o['kappa_high']:.3f} |")
        lines += ["", "Paired bootstrap (same answers drawn for both):", ""]
        for a, b in (("keyword search", "rules"), ("rules", "learned (all fit codings)")):
            out = run("evaluate", "--gold", dev_gold, "--level", "segment", "--db", stores[a],
                      "--compare", stores[b], "--format", "csv")
            table = pd.read_csv(io.StringIO(out[out.index("store,f1"):]))
            diff = table.set_index("store").loc["B - A"]
            lines.append(f"- {b} vs {a}: F1 {diff['f1']:+.3f} ({diff['f1_low']:+.3f} to {diff['f1_high']:+.3f}), "
                         f"P(better) = {diff['p_better']:.3f}")
        lines += ["", "Learning curve: answers read until every code had about N positives (the rarest have fewer):",
                  "", "| N | answers | micro-F1 | 95% interval | kappa |", "|---|---|---|---|---|"]
        for cap in options.curve:
            chosen = sample(parts["fit"], cap)
            chosen.drop(columns=["codes"]).to_csv(folder / f"fit{cap}.csv", index=False)
            capped = folder / f"fit{cap}_gold.csv"
            capped.write_text(gold(chosen, (folder / f"fit{cap}.csv").as_posix()))
            o = overall(learned(folder, f"curve{cap}", capped, fit=f"fit{cap}.csv"), dev_gold)
            lines.append(f"| {cap} | {len(chosen)} | {o['f1']:.3f} | {o['f1_low']:.3f}-{o['f1_high']:.3f} | "
                         f"{o['kappa']:.3f} |")
    options.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
