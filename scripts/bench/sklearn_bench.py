#!/usr/bin/env python3
"""scikit-learn's side of tabml's benchmark: the same data, the same models, one thread.

Run from the repository root with the reference virtualenv, after scripts/bench/make_data.py:

    target/ref-venv/bin/python scripts/bench/make_data.py target/bench
    target/ref-venv/bin/python scripts/bench/sklearn_bench.py target/bench target/bench/sklearn.json

Reads DATA_DIR/classif_100k.csv (first 80 % of rows train, last 20 % test, no shuffling) and
DATA_DIR/parse_1m.csv, and writes OUT_JSON:

    {"tool": "scikit-learn",
     "versions": {"python", "sklearn", "numpy", "pandas"},
     "data": {"train_rows", "test_rows", "parse_rows"},
     "timings": {"logreg_fit", "logreg_predict", "tree_fit", "tree_predict",
                 "forest_fit", "forest_predict", "csv_parse"},          # seconds
     "latency_us": {"logreg_row_us", "logreg_row_p99_us", "tree_row_us", ...},
     "accuracy": {"logreg_accuracy", "tree_accuracy", "forest_accuracy"}}

Timings use time.perf_counter. Fit and predict (predict_proba on all test rows) are the best of 3
runs, except forest_fit (1 run); csv_parse is the best of 3 pandas.read_csv calls. Data loading and
scaling are outside the timed part. Only logistic regression gets standard-scaled features (scaler
fitted on the training rows). Single-row latency: predict_proba on one prepared 1x20 numpy array
(the first test row), 1,000 times (200 for the forest) after 10 untimed warm-up calls; median and
99th percentile (numpy's default linear interpolation) in microseconds.

Everything runs on one thread: the BLAS/OpenMP variables are set to 1 before numpy is imported,
threadpoolctl limits the pools to 1 when it is installed, and n_jobs=1 wherever a model has it.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # the environment variables above still hold
    threadpool_limits = None

ROW_REPEATS = {"logreg": 1000, "tree": 1000, "forest": 200}
WARMUP = 10


def best_of(runs, fn):
    """The shortest of `runs` timed calls of fn, and fn's last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def row_latency(model, row, repeats):
    for _ in range(WARMUP):
        model.predict_proba(row)
    times = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        model.predict_proba(row)
        times[i] = time.perf_counter() - start
    times *= 1e6
    return float(np.median(times)), float(np.percentile(times, 99))


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} DATA_DIR OUT_JSON")
    data_dir, out_json = sys.argv[1], sys.argv[2]
    limits = threadpool_limits(limits=1) if threadpool_limits is not None else None  # noqa: F841

    frame = pd.read_csv(os.path.join(data_dir, "classif_100k.csv"))
    features = [c for c in frame.columns if c != "label"]
    x = frame[features].to_numpy(dtype=np.float64)
    y = frame["label"].to_numpy(dtype=np.int64)
    n_train = int(len(frame) * 0.8)  # 80,000 of 100,000
    x_train, x_test, y_train, y_test = x[:n_train], x[n_train:], y[:n_train], y[n_train:]
    scaler = StandardScaler().fit(x_train)
    xs_train, xs_test = scaler.transform(x_train), scaler.transform(x_test)

    timings, latency, accuracy = {}, {}, {}
    models = {
        # name: (constructor, training X, test X, fit runs)
        "logreg": (lambda: LogisticRegression(), xs_train, xs_test, 3),
        "tree": (lambda: DecisionTreeClassifier(random_state=0), x_train, x_test, 3),
        "forest": (lambda: RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0), x_train, x_test, 1),
    }
    for name, (make, train_x, test_x, fit_runs) in models.items():
        timings[f"{name}_fit"], model = best_of(fit_runs, lambda: make().fit(train_x, y_train))
        timings[f"{name}_predict"], proba = best_of(3, lambda: model.predict_proba(test_x))
        accuracy[f"{name}_accuracy"] = float(np.mean(model.classes_[proba.argmax(axis=1)] == y_test))
        row = np.ascontiguousarray(test_x[:1])
        latency[f"{name}_row_us"], latency[f"{name}_row_p99_us"] = row_latency(model, row, ROW_REPEATS[name])
        print(
            f"{name}: fit {timings[f'{name}_fit']:.3f} s, predict {timings[f'{name}_predict']:.4f} s, "
            f"row {latency[f'{name}_row_us']:.1f} us, accuracy {accuracy[f'{name}_accuracy']:.4f}",
            file=sys.stderr,
        )

    parse_path = os.path.join(data_dir, "parse_1m.csv")
    timings["csv_parse"], parsed = best_of(3, lambda: pd.read_csv(parse_path))
    print(f"csv_parse: {timings['csv_parse']:.3f} s ({len(parsed)} rows)", file=sys.stderr)

    doc = {
        "tool": "scikit-learn",
        "versions": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "data": {"train_rows": int(n_train), "test_rows": int(len(y_test)), "parse_rows": int(len(parsed))},
        "timings": timings,
        "latency_us": latency,
        "accuracy": accuracy,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {out_json}", file=sys.stderr)


if __name__ == "__main__":
    main()
