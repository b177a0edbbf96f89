#!/usr/bin/env python3
"""Time Evidently's DataDriftPreset on the drift benchmark pair.

Run from the repository root with Evidently's virtualenv (scripts/ref/requirements-evidently.txt):

    target/evidently-venv/bin/python scripts/bench/evidently_bench.py OUTDIR OUT.json

Reads OUTDIR/drift_reference.csv and OUTDIR/drift_current.csv with pandas (timed apart), then runs
Report([DataDriftPreset()]) on them (best of 2) and writes the timings in seconds and the number of
drifted columns Evidently found (a correct run finds 10 of 20).
"""
import json
import sys
import time

import evidently
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def main():
    out_dir, out_json = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    reference = pd.read_csv(f"{out_dir}/drift_reference.csv")
    current = pd.read_csv(f"{out_dir}/drift_current.csv")
    read = time.perf_counter() - start
    best, drifted = float("inf"), None
    for _ in range(2):
        start = time.perf_counter()
        ref = Dataset.from_pandas(reference, data_definition=DataDefinition())
        cur = Dataset.from_pandas(current, data_definition=DataDefinition())
        snapshot = Report([DataDriftPreset()]).run(cur, ref)
        metrics = snapshot.dict()["metrics"]
        best = min(best, time.perf_counter() - start)
        drifted = next(m["value"]["count"] for m in metrics if "DriftedColumnsCount" in m["config"]["type"])
    doc = {"tool": "evidently", "versions": {"evidently": evidently.__version__, "pandas": pd.__version__},
           "rows": [len(reference), len(current)], "columns": reference.shape[1],
           "timings": {"drift_read": read, "drift_check": best}, "drifted_columns": drifted}
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps(doc), file=sys.stderr)


if __name__ == "__main__":
    main()
