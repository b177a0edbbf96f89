#!/usr/bin/env python3
"""Write the benchmark data sets shared by tabml's and scikit-learn's benchmarks.

Run from the repository root with the reference virtualenv (see scripts/ref/requirements.txt):

    target/ref-venv/bin/python scripts/bench/make_data.py OUTDIR

Writes
  OUTDIR/classif_100k.csv  100,000 rows: f00..f19 (6 decimals) and `label` (0/1), from
                           sklearn.datasets.make_classification(n_samples=100_000, n_features=20,
                           n_informative=10, n_redundant=4, random_state=0);
  OUTDIR/parse_1m.csv      1,000,000 rows: c00..c19 (6 decimals), seeded numpy normal values.

A file that already exists with the right header and row count is left alone (writing is slow).
Files are written in chunks to a temporary name and renamed at the end, so an interrupted run
never leaves a file that looks complete. Output is byte-identical on every run with the same
library versions.

BENCH_SMALL=1 makes a smoke-test set instead: 10,000 classification rows and 50,000 parse rows
(same file names, so use a separate OUTDIR).
"""
import os
import sys

import numpy as np
from sklearn.datasets import make_classification

CHUNK = 50_000
PARSE_SEED = 20261123


def sizes():
    if os.environ.get("BENCH_SMALL") == "1":
        return 10_000, 50_000
    return 100_000, 1_000_000


def existing_rows(path, header):
    """Data rows in `path` if its header is `header`, else None."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        if f.readline().decode("utf-8").rstrip("\n") != header:
            return None
        rows = 0
        while block := f.read(1 << 24):
            rows += block.count(b"\n")
    return rows


def write_chunks(path, header, chunks):
    """Writes `header` then each chunk of text lines; atomic rename at the end."""
    tmp = path + ".partial"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        for text in chunks:
            f.write(text)
    os.replace(tmp, path)


def format_rows(values, fmt):
    return "".join(fmt % tuple(row) + "\n" for row in values.tolist())


def make_classif(outdir, n_rows):
    path = os.path.join(outdir, "classif_100k.csv")
    header = ",".join([f"f{i:02d}" for i in range(20)] + ["label"])
    if existing_rows(path, header) == n_rows:
        print(f"{path}: already there ({n_rows} rows), kept", file=sys.stderr)
        return
    x, y = make_classification(
        n_samples=n_rows, n_features=20, n_informative=10, n_redundant=4, random_state=0
    )
    fmt = ",".join(["%.6f"] * 20) + ",%d"
    data = np.column_stack([x, y.astype(np.float64)])

    def chunks():
        for start in range(0, n_rows, CHUNK):
            yield format_rows(data[start:start + CHUNK], fmt)

    write_chunks(path, header, chunks())
    print(f"{path}: wrote {n_rows} rows (label 1 share {y.mean():.4f})", file=sys.stderr)


def make_parse(outdir, n_rows):
    path = os.path.join(outdir, "parse_1m.csv")
    header = ",".join(f"c{i:02d}" for i in range(20))
    if existing_rows(path, header) == n_rows:
        print(f"{path}: already there ({n_rows} rows), kept", file=sys.stderr)
        return
    rng = np.random.default_rng(PARSE_SEED)
    # Columns of different magnitudes (0.01 to 10,000) so the parser sees short and long numbers.
    scale = 10.0 ** (np.arange(20) % 7 - 2)
    fmt = ",".join(["%.6f"] * 20)

    def chunks():
        for start in range(0, n_rows, CHUNK):
            n = min(CHUNK, n_rows - start)
            yield format_rows(rng.normal(size=(n, 20)) * scale, fmt)

    write_chunks(path, header, chunks())
    print(f"{path}: wrote {n_rows} rows", file=sys.stderr)


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    n_classif, n_parse = sizes()
    make_classif(outdir, n_classif)
    make_parse(outdir, n_parse)


if __name__ == "__main__":
    main()
