#!/usr/bin/env python3
"""Export scikit-learn's bundled (offline) toy data sets to public/data/*.csv.

Writes, relative to the repository root (or --out-dir):

    iris.csv            150 x 5   target: species (setosa/versicolor/virginica)
    wine.csv            178 x 14  target: cultivar (class_0/class_1/class_2)
    breast_cancer.csv   569 x 31  target: diagnosis (malignant/benign)
    diabetes.csv        442 x 11  target: progression (regression, unscaled data)

CSV format: header row, comma-delimited, '\\n' line endings, UTF-8, no index
column. Numbers are written with Python's shortest round-trip ``repr`` (so
5.1 is written as ``5.1``, never ``5.1000000001``). A column whose values
are all whole numbers (e.g. wine ``magnesium``, diabetes ``age``) is written
without a trailing ``.0``; every other column uses ``repr`` for every value,
so ``5.0`` stays ``5.0`` there. Class targets are written as their text label.

Only the data files that ship inside the scikit-learn package are used, so no
network access is needed. Output is deterministic: rerunning gives
byte-identical files.

Usage (from the repository root, with the reference venv):
    target/ref-venv/bin/python scripts/data/export_sklearn_datasets.py
"""

import argparse
import csv
import math
import os
import re

from sklearn import datasets


def snake(name):
    """'mean concave points' -> 'mean_concave_points';
    'od280/od315_of_diluted_wines' -> 'od280_od315_of_diluted_wines';
    'sepal length (cm)' -> 'sepal_length'."""
    name = re.sub(r"\(.*?\)", "", name)
    name = re.sub(r"[^0-9A-Za-z]+", "_", name.strip().lower())
    return name.strip("_")


def column_formatter(values):
    """Return a function that formats one value of this numeric column."""
    floats = [float(v) for v in values]
    for v in floats:
        if not math.isfinite(v):
            raise ValueError("non-finite value %r in data" % v)
    if all(v == int(v) for v in floats):
        return lambda v: str(int(float(v)))
    return lambda v: repr(float(v))


def write_csv(path, header, columns):
    """columns: list of lists of already-formatted strings, one per header."""
    n = len(columns[0])
    assert all(len(c) == n for c in columns)
    assert len(header) == len(columns)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for i in range(n):
            w.writerow([c[i] for c in columns])
    os.replace(tmp, path)
    print("wrote %s (%d rows x %d columns)" % (path, n, len(header)))


def export_bunch(bunch, out_path, target_name, feature_names=None, target_labels=True):
    data = bunch.data
    names = feature_names or [snake(n) for n in bunch.feature_names]
    assert len(names) == data.shape[1]
    assert len(set(names)) == len(names)
    columns = []
    for j in range(data.shape[1]):
        col = data[:, j].tolist()
        fmt = column_formatter(col)
        columns.append([fmt(v) for v in col])
    target = bunch.target.tolist()
    if target_labels:
        labels = [str(t) for t in bunch.target_names]
        columns.append([labels[int(t)] for t in target])
    else:
        fmt = column_formatter(target)
        columns.append([fmt(v) for v in target])
    write_csv(out_path, names + [target_name], columns)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "public", "data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=default_out,
                    help="output directory (default: public/data)")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: os.path.join(args.out_dir, name)

    export_bunch(
        datasets.load_iris(), out("iris.csv"), "species",
        feature_names=["sepal_length", "sepal_width", "petal_length", "petal_width"],
    )
    export_bunch(datasets.load_wine(), out("wine.csv"), "cultivar")
    export_bunch(datasets.load_breast_cancer(), out("breast_cancer.csv"), "diagnosis")
    export_bunch(
        datasets.load_diabetes(scaled=False), out("diabetes.csv"), "progression",
        target_labels=False,
    )


if __name__ == "__main__":
    main()
