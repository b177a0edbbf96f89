#!/usr/bin/env python3
"""Write the drift benchmark's reference/current pair.

Run from the repository root with either reference virtualenv (numpy only):

    target/ref-venv/bin/python scripts/bench/make_drift_data.py OUTDIR

Writes OUTDIR/drift_reference.csv and OUTDIR/drift_current.csv: 200,000 rows each of 20 numeric
columns f00..f19 (4 decimals), seeded normal values with per-column means and scales. In the
current file f00..f04 shift their mean by 0.2 standard deviations, f05..f09 widen by 30 %, and the
rest are unchanged, so a correct check reports 10 of 20 columns drifted.

Also writes the high-cardinality pair OUTDIR/drift_hc_reference.csv and OUTDIR/drift_hc_current.csv:
200,000 rows of 20 columns h00..h19 written with six significant digits (`%.6g`, so nearly every
value is distinct and a few are in exponent form), from seeded normal, log-normal and uniform
columns. In the current file h00 shifts its mean by 0.3 standard deviations and h01 widens by 40 %,
so a correct check reports 2 of 20 columns drifted and no data-set drift.

BENCH_SMALL=1 writes 20,000 rows each instead. Files that already have the right header and row
count are kept.
"""
import os
import sys

import numpy as np
from make_data import existing_rows  # the same directory

COLUMNS = 20
SEED = 20261123


def rows():
    return 20_000 if os.environ.get("BENCH_SMALL") == "1" else 200_000


def write(path, header, data, spec=".4f"):
    tmp = path + ".partial"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        for start in range(0, len(data), 50_000):
            chunk = data[start:start + 50_000]
            f.write("\n".join(",".join(format(v, spec) for v in row) for row in chunk) + "\n")
    os.replace(tmp, path)


def high_cardinality(out, n):
    """The pair where nearly every value is distinct: six significant digits, mixed shapes."""
    header = ",".join(f"h{j:02d}" for j in range(COLUMNS))
    rng = np.random.default_rng(SEED + 1)
    means = rng.uniform(-50, 50, COLUMNS)
    scales = rng.uniform(0.01, 30.0, COLUMNS)
    for name, current in [("drift_hc_reference.csv", False), ("drift_hc_current.csv", True)]:
        path = os.path.join(out, name)
        data = np.empty((n, COLUMNS))
        for j in range(COLUMNS):
            if j % 3 == 2:
                # Positive and skewed, spanning several orders of magnitude.
                data[:, j] = rng.lognormal(0.0, 2.0, n) * scales[j]
            elif j % 3 == 1 and j > 1:
                data[:, j] = rng.uniform(means[j] - scales[j], means[j] + scales[j], n)
            else:
                data[:, j] = rng.normal(means[j], scales[j], n)
        if current:
            data[:, 0] += 0.3 * scales[0]
            data[:, 1] = means[1] + (data[:, 1] - means[1]) * 1.4
        if existing_rows(path, header) == n:
            print(f"{path}: present, kept")
            continue
        write(path, header, data, ".6g")
        print(f"{path}: {n} rows written")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = rows()
    header = ",".join(f"f{j:02d}" for j in range(COLUMNS))
    rng = np.random.default_rng(SEED)
    means = rng.uniform(-5, 5, COLUMNS)
    scales = rng.uniform(0.5, 3.0, COLUMNS)
    shift = np.zeros(COLUMNS)
    shift[:5] = 0.2
    widen = np.ones(COLUMNS)
    widen[5:10] = 1.3
    for name, s, w in [("drift_reference.csv", np.zeros(COLUMNS), np.ones(COLUMNS)), ("drift_current.csv", shift, widen)]:
        path = os.path.join(out, name)
        data = rng.normal(size=(n, COLUMNS)) * scales * w + means + s * scales
        if existing_rows(path, header) == n:
            print(f"{path}: present, kept")
            continue
        write(path, header, data)
        print(f"{path}: {n} rows written")
    high_cardinality(out, n)


if __name__ == "__main__":
    main()
