#!/usr/bin/env python3
"""Write the drift fixtures: reference/current CSV pairs and Evidently's verdicts on them.

Run from the repository root with Evidently's virtualenv (scripts/ref/requirements-evidently.txt):

    target/evidently-venv/bin/python scripts/ref/make_drift_fixtures.py

Writes shared/tests/fixtures/drift/<case>_reference.csv and <case>_current.csv for each case (no
drift, mean shift, variance change, category mix change; a small reference, where Evidently picks
p-value tests, and a large one, where it picks distances; a small reference against a current batch
over 10,000 rows, where SciPy's KS test goes asymptotic; and a small and a large pair with ±inf in
some cells), and shared/tests/fixtures/drift/evidently.json
with, per case, Evidently's DataDriftPreset result: each column's type, method, threshold, statistic
and verdict, and the data-set verdict. It also records PSI, Kullback-Leibler and Hellinger (Evidently
computes them on request only) and a run with per-column overrides. Evidently reads the CSV files
back with pandas, as a user would, so the types it infers are the ones a file gives.
shared/tests/core/drift_vs_evidently.rs compares tabml against this file.
"""
import json
import os

import evidently
import numpy as np
import pandas as pd
import scipy
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

DIR = "shared/tests/fixtures/drift"

# Evidently's display name of each method -> the registry name tabml uses, and whether its value is
# a p-value (drift when below the threshold; KS at or below) or a distance (drift at or above).
METHODS = {
    "K-S p_value": ("ks", "p_value"),
    "chi-square p_value": ("chisquare", "p_value"),
    "Z-test p_value": ("z", "p_value"),
    "Wasserstein distance (normed)": ("wasserstein", "distance"),
    "Jensen-Shannon distance": ("jensenshannon", "distance"),
    "PSI": ("psi", "distance"),
    "Kullback-Leibler divergence": ("kl_div", "distance"),
    "Hellinger distance": ("hellinger", "distance"),
}


def frame(rng, n, scenario):
    """One side of a pair. The reference is scenario "none"; the current side applies a change."""
    shift = scenario == "mean_shift"
    scale = 1.6 if scenario == "variance" else 1.0
    mix = scenario == "category_mix"
    score = rng.normal(0.4 if shift else 0.0, scale, n)
    income = rng.normal(52.0 if shift else 50.0, 10.0 * scale, n)
    age = np.clip(np.round(rng.normal(45 + (4 if shift else 0), 12 * scale, n)), 18, 90).astype(int)
    rating = rng.choice([1, 2, 3, 4], n, p=[0.1, 0.2, 0.3, 0.4] if mix else [0.25, 0.25, 0.25, 0.25])
    level = rng.choice([0.5, 1.5, 2.5], n, p=[0.5, 0.3, 0.2] if mix else [0.3, 0.4, 0.3])
    flag = (rng.random(n) < (0.45 if mix else 0.3)).astype(int)
    city = rng.choice(["Lyon", "Oslo", "Porto", "Quito", "Turin"], n,
                      p=[0.4, 0.1, 0.2, 0.1, 0.2] if mix else [0.2, 0.2, 0.2, 0.2, 0.2])
    member = rng.choice(["yes", "no"], n, p=[0.5, 0.5] if mix else [0.7, 0.3])
    tenure = np.round(rng.exponential(5.0 * scale, n) + (1.5 if shift else 0.0), 2)
    tenure[rng.random(n) < 0.12] = np.nan
    return pd.DataFrame({
        "score": np.round(score, 3),
        "income": np.round(income, 2),
        "age": age,
        "rating": rating,
        "level": level,
        "flag": flag,
        "city": city,
        "member": member,
        "tenure": tenure,
    })


def with_infinities(rng, reference, current):
    """Puts ±inf into some cells: `score` on both sides, `income` (as -inf) in the current side, and
    `rating` in the current side, which makes pandas read that integer column as floats there (so
    Evidently types it numeric, from the current data).

    Each of those columns also gets a few missing cells on that side: Evidently 0.7.23 drops ±inf
    only from a column that also has a missing value (`get_one_column_drift` cleans a column when
    `isna().any()`, which infinities do not set), and otherwise tests the infinities as values, which
    breaks its histograms and distances. With a missing cell beside them, Evidently treats ±inf as
    missing, as its code intends and as tabml always does."""
    for side, share in [(reference, 0.05), (current, 0.08)]:
        side.loc[rng.random(len(side)) < share, "score"] = np.inf
        side.loc[rng.random(len(side)) < 0.02, "score"] = np.nan
    current.loc[rng.random(len(current)) < 0.04, "income"] = -np.inf
    current.loc[rng.random(len(current)) < 0.02, "income"] = np.nan
    current["rating"] = current["rating"].astype(float)
    current.loc[rng.random(len(current)) < 0.03, "rating"] = np.inf
    current.loc[rng.random(len(current)) < 0.02, "rating"] = np.nan


def respell_infinities(path):
    """Writes some infinities as `Infinity` and `-INF`, which pandas reads the same as `inf`."""
    with open(path) as f:
        lines = f.read().split("\n")
    for i in range(1, len(lines), 3):
        lines[i] = lines[i].replace(",-inf,", ",-INF,")
        if lines[i].startswith("inf,"):
            lines[i] = "Infinity," + lines[i][len("inf,"):]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def drift_result(reference, current, **options):
    ref = Dataset.from_pandas(reference, data_definition=DataDefinition())
    cur = Dataset.from_pandas(current, data_definition=DataDefinition())
    snapshot = Report([DataDriftPreset(**options)]).run(cur, ref)
    types = {}
    for kind, names in [("numeric", cur.data_definition.numerical_columns),
                        ("categorical", cur.data_definition.categorical_columns),
                        ("text", cur.data_definition.text_columns)]:
        for name in names or []:
            types[name] = kind
    columns, count = [], None
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            count = metric["value"]
            continue
        # The method is named by its display name when Evidently chose it, by its registry name when
        # it was asked for.
        by_name = {test: (test, kind) for test, kind in METHODS.values()}
        test, kind = METHODS.get(config["method"]) or by_name[config["method"]]
        value, threshold = float(metric["value"]), float(config["threshold"])
        if kind == "distance":
            drift = value >= threshold
        elif test == "ks":
            drift = value <= threshold
        else:
            drift = value < threshold
        columns.append({"column": config["column"], "type": types[config["column"]], "test": test,
                        "value": value, "threshold": threshold, "drift": bool(drift)})
    assert count is not None
    assert sum(c["drift"] for c in columns) == int(count["count"]), "verdicts disagree with Evidently's count"
    return {"columns": columns, "drifted": int(count["count"]), "share": float(count["share"]),
            "dataset_drift": bool(count["share"] >= options.get("drift_share", 0.5))}


def main():
    os.makedirs(DIR, exist_ok=True)
    rng = np.random.default_rng(20261123)
    cases = []
    sizes = [("small", 400, 300), ("large", 1500, 1200)]
    for size, n_ref, n_cur in sizes:
        for scenario in ["none", "mean_shift", "variance", "category_mix"]:
            cases.append((f"{size}_{scenario}", n_ref, n_cur, scenario))
    cases.append(("ks_asymptotic_mean_shift", 800, 10500, "mean_shift"))
    # Infinities, which pandas reads as floats and Evidently drops as missing: a small and a large
    # reference, with pandas' spellings and others it also reads (`Infinity`, `-INF`).
    cases.append(("small_infinities", 400, 300, "mean_shift"))
    cases.append(("large_infinities", 1500, 1200, "mean_shift"))
    out = {"evidently": evidently.__version__, "pandas": pd.__version__, "scipy": scipy.__version__,
           "cases": []}
    for name, n_ref, n_cur, scenario in cases:
        ref_path, cur_path = f"{DIR}/{name}_reference.csv", f"{DIR}/{name}_current.csv"
        reference, current = frame(rng, n_ref, "none"), frame(rng, n_cur, scenario)
        if name.endswith("infinities"):
            with_infinities(rng, reference, current)
        reference.to_csv(ref_path, index=False)
        current.to_csv(cur_path, index=False)
        if name.endswith("infinities"):
            respell_infinities(cur_path)
        reference, current = pd.read_csv(ref_path), pd.read_csv(cur_path)
        case = {"name": name, "reference": os.path.basename(ref_path), "current": os.path.basename(cur_path),
                "default": drift_result(reference, current)}
        for method in ["psi", "kl_div", "hellinger"]:
            case[method] = drift_result(reference, current, method=method)["columns"]
        case["overrides"] = {
            "per_column_method": {"score": "psi", "city": "hellinger", "income": "ks"},
            "per_column_threshold": {"score": 0.2, "age": 0.01, "income": 0.01},
            "result": drift_result(reference, current,
                                   per_column_method={"score": "psi", "city": "hellinger", "income": "ks"},
                                   per_column_threshold={"score": 0.2, "age": 0.01, "income": 0.01}),
        }
        out["cases"].append(case)
        d = case["default"]
        print(f"{name}: {d['drifted']} of {len(d['columns'])} drifted; "
              + ", ".join(f"{c['column']} {c['test']} {c['value']:.3g}{'*' if c['drift'] else ''}"
                          for c in d["columns"]))
    with open(f"{DIR}/evidently.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
